//! The lineage graph as SVG: a layered drawing, left to right in the order in
//! which agency is delegated (team and person → agent → tool → credential →
//! resource, with the stored copies of a secret below its resources). Each
//! node is coloured by its kind, carries its kind's letter and its risk band;
//! "N more" nodes stand for what is folded. Pan by dragging or with the
//! arrow keys, zoom with the wheel or + and −, 0 fits the drawing; every node
//! is a button (click, Enter or Space).
//!
//! [`layout`] places the nodes, [`fold`] chooses what to draw, [`markup`]
//! writes the SVG.

pub mod fold;
pub mod layout;
pub mod markup;

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use model::api::{self as json, Relation};
use wasm_bindgen::JsCast;

pub use fold::{Budget, is_fold, visible};
use layout::{Item, Layout, MARGIN, NODE_GAP, NODE_H, NODE_W};
use markup::Marks;

/// The smallest scale the first view uses: node labels stay at least 11.5
/// pixels high. Fit may go below.
pub const READABLE: f64 = 0.85;
/// How far one wheel notch or key press zooms.
const ZOOM_STEP: f64 = 1.2;
/// How far one arrow key press pans, in screen pixels.
const PAN_STEP: f64 = 80.0;
/// The most siblings of one kind a first drawing shows per parent.
const MOST_SIBLINGS: usize = 8;

/// The part of the lineage loaded so far: lineage answers merged one into
/// the next as nodes are expanded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    /// The nodes, the first one loaded first.
    pub nodes: Vec<json::GraphNode>,
    /// The edges, each once.
    pub edges: Vec<json::GraphEdge>,
    /// The nodes whose neighbours are all loaded (or folded into "N more").
    pub expanded: HashSet<String>,
}

impl Graph {
    /// Adds what a lineage answer holds and is not here yet. Its root had
    /// every neighbour loaded (`depth` ≥ 1), so it counts as expanded; the
    /// other nodes not: the server walks them one way only (upstream from
    /// what is upstream of the root), so a tool drawn as the root's holds
    /// other credentials still to load.
    pub fn merge(&mut self, lineage: json::Lineage, depth: u32) {
        let mut known: HashSet<String> = self.nodes.iter().map(|n| n.id.clone()).collect();
        if depth > 0 {
            self.expanded.insert(lineage.root.clone());
        }
        for node in lineage.nodes {
            if known.insert(node.id.clone()) {
                self.nodes.push(node);
            }
        }
        let mut linked: HashSet<(String, String)> = self
            .edges
            .iter()
            .map(|e| (e.from.clone(), e.to.clone()))
            .collect();
        for edge in lineage.edges {
            if linked.insert((edge.from.clone(), edge.to.clone())) {
                self.edges.push(edge);
            }
        }
    }

    /// Each node's place in [`Graph::nodes`], by id.
    pub fn index(&self) -> HashMap<&str, usize> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect()
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&json::GraphNode> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// A credential's blast radius as drawn: the credential, every resource
    /// it reaches and the "N more" node standing for the rest.
    pub fn reached_from(&self, credential: &str) -> HashSet<String> {
        let mut reached: HashSet<String> = self
            .edges
            .iter()
            .filter(|e| e.from == credential && e.relation == Relation::Reaches)
            .map(|e| e.to.clone())
            .collect();
        reached.insert(credential.to_owned());
        reached
    }
}

/// Lays out `graph`, growing from `previous` when given.
pub fn arrange(graph: &Graph, previous: Option<&Layout>) -> Layout {
    let items: Vec<Item> = graph
        .nodes
        .iter()
        .map(|n| Item {
            id: &n.id,
            kind: n.kind,
        })
        .collect();
    let index = graph.index();
    // Every edge gets a route; one whose ends are unknown gets an empty one.
    let mut edges = Vec::with_capacity(graph.edges.len());
    let mut known = Vec::with_capacity(graph.edges.len());
    for edge in &graph.edges {
        match (index.get(edge.from.as_str()), index.get(edge.to.as_str())) {
            (Some(&a), Some(&b)) => {
                edges.push((a, b));
                known.push(true);
            }
            _ => known.push(false),
        }
    }
    let mut arranged = layout::layout(&items, &edges, previous);
    let mut routes = arranged.routes.into_iter();
    arranged.routes = known
        .into_iter()
        .map(|k| {
            if k {
                routes.next().unwrap_or_default()
            } else {
                Vec::new()
            }
        })
        .collect();
    arranged
}

/// The budget of a first drawing of `graph` from `start` that fits `room`
/// (the canvas, in pixels) at a readable scale: as many siblings per parent
/// as fit, and in blast-radius mode as many of the credential's resources as
/// the canvas has rows for. When even one sibling each is too many, the
/// columns are capped, nearest the start first.
pub fn budget_for(
    graph: &Graph,
    start: &str,
    open: &HashSet<String>,
    blast: bool,
    room: (f64, f64),
) -> Budget {
    let (width, height) = (room.0 / READABLE, room.1 / READABLE);
    let rows = ((height - 2.0 * MARGIN + NODE_GAP) / (NODE_H + NODE_GAP)).floor() as usize;
    let reach = blast.then(|| rows.saturating_sub(1).max(3));
    let fits = |budget: Budget| {
        let drawn = arrange(&visible(graph, start, open, budget), None);
        drawn.width <= width && drawn.height <= height
    };
    let uniform = (1..=MOST_SIBLINGS).rev().map(|siblings| Budget {
        siblings,
        reach,
        rows: None,
    });
    let capped = (2..=rows.max(2)).rev().map(|rows| Budget {
        siblings: 1,
        reach,
        rows: Some(rows),
    });
    uniform.chain(capped).find(|b| fits(*b)).unwrap_or(Budget {
        siblings: 1,
        reach,
        rows: Some(2),
    })
}

/// Scale and translation of the drawing on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
struct View {
    scale: f64,
    x: f64,
    y: f64,
}

impl View {
    /// Zooms by `factor` keeping the screen point (`px`, `py`) still.
    fn zoom(self, factor: f64, px: f64, py: f64) -> View {
        let scale = (self.scale * factor).clamp(0.1, 3.0);
        let ratio = scale / self.scale;
        View {
            scale,
            x: px - (px - self.x) * ratio,
            y: py - (py - self.y) * ratio,
        }
    }
}

/// The id of the node an event happened on, if any.
fn node_at(target: Option<web_sys::EventTarget>) -> Option<String> {
    target?
        .dyn_into::<web_sys::Element>()
        .ok()?
        .closest("[data-node]")
        .ok()??
        .get_attribute("data-node")
}

/// The page's own rules for the drawing (and its colour variables), to put
/// inside an exported SVG: read from the style sheets, so that the export
/// looks like the screen without a second copy of the styles.
fn graph_styles() -> String {
    let mut css = String::new();
    let sheets = document().style_sheets();
    for s in 0..sheets.length() {
        let Some(sheet) = sheets
            .item(s)
            .and_then(|s| s.dyn_into::<web_sys::CssStyleSheet>().ok())
        else {
            continue;
        };
        let Ok(rules) = sheet.css_rules() else {
            continue;
        };
        for r in 0..rules.length() {
            let Some(rule) = rules.item(r) else {
                continue;
            };
            let text = rule.css_text();
            let selector = text.split('{').next().unwrap_or("");
            let ours = [":root", ".graph-canvas", ".graph-node", ".node-", ".dim"]
                .iter()
                .any(|s| selector.contains(s));
            if ours && !selector.contains(":hover") && !selector.contains(":focus") {
                css.push_str(&text);
                css.push('\n');
            }
        }
    }
    css
}

/// Saves `document` as `name` through a link the browser downloads.
fn download(link: &web_sys::HtmlAnchorElement, document: &str, name: &str) {
    let parts = js_sys_array(document);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("image/svg+xml");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let old = link.href();
    if old.starts_with("blob:") {
        let _ = web_sys::Url::revoke_object_url(&old);
    }
    link.set_href(&url);
    link.set_download(name);
    link.click();
}

/// A one-string JavaScript array, for the Blob constructor.
fn js_sys_array(text: &str) -> wasm_bindgen::JsValue {
    let array = web_sys::js_sys::Array::new();
    array.push(&wasm_bindgen::JsValue::from_str(text));
    array.into()
}

/// The drawing, its zoom and export buttons, and the handlers that pan and
/// zoom it. `select` runs with a node's id when it is clicked or activated
/// by key; `hover` follows the pointer and the keyboard focus. The first
/// drawing is framed whole if it can be read that way, else around the
/// focus; when the drawing grows, the node in focus stays where it is on
/// the screen and the view pans to bring the new nodes in.
#[component]
pub fn LineageGraph(
    /// What to draw.
    graph: Signal<Graph>,
    /// The node in focus.
    focus: Signal<Option<String>>,
    /// The node under the pointer or the keyboard focus.
    hover: RwSignal<Option<String>>,
    /// When set, the nodes to bring out (the others are dimmed).
    highlight: Signal<Option<HashSet<String>>>,
    /// Weak links to mark.
    weak: Signal<Option<HashSet<String>>>,
    /// Runs with the id of a clicked node.
    select: Callback<String>,
    /// Set to the canvas's size, in pixels, once it is on the page.
    room: RwSignal<Option<(f64, f64)>>,
    /// The name an export is saved under.
    export_name: String,
) -> impl IntoView {
    let canvas = NodeRef::<leptos::svg::Svg>::new();
    let link = NodeRef::<leptos::html::A>::new();
    let view_at = RwSignal::new(View {
        scale: 1.0,
        x: 0.0,
        y: 0.0,
    });
    // How long the last layout took, in milliseconds (shown on the canvas
    // as `data-layout-ms` for `make bench`).
    let layout_ms = RwSignal::new(0.0);
    let layout = Memo::new(move |previous: Option<&Layout>| {
        let clock = window().performance();
        let started = clock.as_ref().map_or(0.0, web_sys::Performance::now);
        let arranged = graph.with(|g| {
            let previous = previous.filter(|p| !p.ids.is_empty());
            arrange(g, previous)
        });
        if let Some(clock) = clock {
            layout_ms.try_set(clock.now() - started);
        }
        arranged
    });
    let drawing = Memo::new(move |_| {
        layout.with(|l| {
            graph.with(|g| {
                focus.with(|f| {
                    highlight.with(|h| {
                        weak.with(|w| {
                            let marks = Marks {
                                focus: f.as_deref(),
                                highlight: h.as_ref(),
                                weak: w.as_ref(),
                            };
                            markup::markup(g, l, &marks)
                        })
                    })
                })
            })
        })
    });
    // The screen size of the canvas.
    let size = move || {
        canvas
            .get_untracked()
            .map(|svg| (f64::from(svg.client_width()), f64::from(svg.client_height())))
            .unwrap_or((800.0, 600.0))
    };
    // Measured a frame after the canvas is on the page, once it is laid out.
    Effect::new(move |_| {
        if canvas.get().is_some() {
            request_animation_frame(move || {
                room.try_set(Some(size()));
            });
        }
    });
    // The whole drawing in view (`all`), or, when that would make it too
    // small to read, the focus at a readable scale in the middle.
    let frame = move |all: bool| {
        let (width, height) = size();
        let (w, h, at) = layout.with_untracked(|l| {
            let at = focus
                .with_untracked(|f| f.as_deref().and_then(|f| l.position(f)))
                .or_else(|| l.at.first().copied());
            (l.width, l.height, at)
        });
        let whole = (width / w).min(height / h).min(1.0);
        let scale = if all { whole.max(0.1) } else { whole.max(READABLE) };
        let centre = |room: f64, extent: f64, at: f64, size: f64| {
            if extent * scale <= room {
                (room - extent * scale) / 2.0
            } else {
                room / 2.0 - (at + size / 2.0) * scale
            }
        };
        let (fx, fy) = at.unwrap_or((0.0, 0.0));
        view_at.set(View {
            scale,
            x: centre(width, w, fx, NODE_W),
            y: centre(height, h, fy, NODE_H),
        });
    };
    let fit = move || frame(true);
    // Frame the first drawing; keep the focus still as the drawing grows,
    // then pan as little as brings the new nodes into view.
    let shown = StoredValue::new(Layout::default());
    Effect::new(move |_| {
        let now = layout.get();
        let before = shown.get_value();
        shown.set_value(now.clone());
        if now.ids.is_empty() {
            return;
        }
        if before.ids.is_empty() {
            request_animation_frame(move || frame(false));
            return;
        }
        let (width, height) = size();
        let anchor = focus.get_untracked();
        let mut v = view_at.get_untracked();
        if let Some(anchor) = anchor.as_deref()
            && let (Some(old), Some(new)) = (before.position(anchor), now.position(anchor))
        {
            v.x -= (new.0 - old.0) * v.scale;
            v.y -= (new.1 - old.1) * v.scale;
        }
        let known: HashSet<&str> = before.ids.iter().map(String::as_str).collect();
        let fresh: Vec<(f64, f64)> = now
            .ids
            .iter()
            .zip(&now.at)
            .filter(|(id, _)| !known.contains(id.as_str()))
            .map(|(_, at)| *at)
            .collect();
        if !fresh.is_empty() {
            let left = fresh.iter().map(|a| a.0).fold(f64::INFINITY, f64::min) * v.scale + v.x;
            let right =
                (fresh.iter().map(|a| a.0).fold(f64::NEG_INFINITY, f64::max) + NODE_W) * v.scale + v.x;
            let top = fresh.iter().map(|a| a.1).fold(f64::INFINITY, f64::min) * v.scale + v.y;
            let bottom =
                (fresh.iter().map(|a| a.1).fold(f64::NEG_INFINITY, f64::max) + NODE_H) * v.scale + v.y;
            let nudge = |low: f64, high: f64, room: f64| {
                if high - low > room || low < 0.0 {
                    -low + 8.0_f64.min(room - (high - low)).max(0.0)
                } else if high > room {
                    room - high
                } else {
                    0.0
                }
            };
            v.x += nudge(left, right, width);
            v.y += nudge(top, bottom, height);
        }
        view_at.set(v);
    });
    // Redrawing replaces the nodes: give the keyboard focus back to the one
    // that had it, unless the person has moved on to something else.
    let keyboard = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        drawing.track();
        let (Some(id), Some(svg)) = (keyboard.get_value(), canvas.get_untracked()) else {
            return;
        };
        let lost = document()
            .active_element()
            .is_none_or(|el| el.tag_name() == "BODY" || svg.contains(Some(&el)));
        if lost && let Ok(Some(node)) = svg.query_selector(&format!("[data-node=\"{id}\"]")) {
            let _ = node.unchecked_into::<web_sys::SvgElement>().focus();
        }
    });
    let zoom_centre = move |factor: f64| {
        let (width, height) = size();
        view_at.update(|v| *v = v.zoom(factor, width / 2.0, height / 2.0));
    };
    let export = move |_| {
        let Some(link) = link.get_untracked() else {
            return;
        };
        let document = layout.with_untracked(|l| {
            drawing.with_untracked(|body| markup::standalone(body, l, &graph_styles(), &export_name))
        });
        let file = format!(
            "{}.svg",
            export_name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>()
        );
        download(&link, &document, &file);
    };
    let drag = StoredValue::new(None::<(i32, i32, View)>);
    let dragged = StoredValue::new(false);
    let on_wheel = move |ev: leptos::ev::WheelEvent| {
        ev.prevent_default();
        let Some(svg) = canvas.get_untracked() else {
            return;
        };
        let rect = svg.get_bounding_client_rect();
        let factor = if ev.delta_y() < 0.0 {
            ZOOM_STEP
        } else {
            1.0 / ZOOM_STEP
        };
        let (px, py) = (
            f64::from(ev.client_x()) - rect.left(),
            f64::from(ev.client_y()) - rect.top(),
        );
        view_at.update(|v| *v = v.zoom(factor, px, py));
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let pan = |dx: f64, dy: f64| {
            view_at.update(|v| {
                v.x += dx;
                v.y += dy;
            })
        };
        match ev.key().as_str() {
            "Enter" | " " => match node_at(ev.target()) {
                Some(id) => {
                    keyboard.set_value(Some(id.clone()));
                    select.run(id);
                }
                None => return,
            },
            "ArrowLeft" => pan(PAN_STEP, 0.0),
            "ArrowRight" => pan(-PAN_STEP, 0.0),
            "ArrowUp" => pan(0.0, PAN_STEP),
            "ArrowDown" => pan(0.0, -PAN_STEP),
            "+" | "=" => zoom_centre(ZOOM_STEP),
            "-" => zoom_centre(1.0 / ZOOM_STEP),
            "0" => fit(),
            _ => return,
        }
        ev.prevent_default();
    };
    view! {
        <div class="graph-tools" role="toolbar" aria-label="Zoom and export">
            <button type="button" class="button secondary" aria-label="Zoom out" on:click=move |_| zoom_centre(1.0 / ZOOM_STEP)>"−"</button>
            <button type="button" class="button secondary" aria-label="Zoom in" on:click=move |_| zoom_centre(ZOOM_STEP)>"+"</button>
            <button type="button" class="button secondary" data-testid="graph-fit" on:click=move |_| fit()>"Fit"</button>
            <button type="button" class="button secondary" data-testid="graph-export" on:click=export>"Export SVG"</button>
            <a hidden=true node_ref=link data-testid="graph-export-link" aria-hidden="true" tabindex="-1"></a>
            <span class="subtle">"Drag to pan, wheel to zoom. Keys: Tab to a node, Enter to open it, arrows, + − and 0."</span>
        </div>
        <svg
            class="graph-canvas"
            node_ref=canvas
            tabindex="0"
            role="group"
            aria-label="Lineage graph"
            data-testid="graph-canvas"
            data-scale=move || format!("{:.3}", view_at.get().scale)
            data-layout-ms=move || format!("{:.1}", layout_ms.get())
            on:wheel=on_wheel
            on:keydown=on_key
            on:click=move |ev| {
                if !dragged.get_value()
                    && let Some(id) = node_at(ev.target())
                {
                    keyboard.set_value(None);
                    select.run(id);
                }
            }
            on:mouseover=move |ev| {
                let id = node_at(ev.target());
                if hover.with_untracked(|h| *h != id) {
                    hover.set(id);
                }
            }
            on:mouseleave=move |_| hover.set(None)
            on:focusin=move |ev| hover.set(node_at(ev.target()))
            on:focusout=move |_| hover.set(None)
            on:pointerdown=move |ev| {
                if ev.button() == 0 {
                    drag.set_value(Some((ev.client_x(), ev.client_y(), view_at.get_untracked())));
                    dragged.set_value(false);
                }
            }
            on:pointermove=move |ev| {
                if let Some((x0, y0, start)) = drag.get_value() {
                    let (dx, dy) = (f64::from(ev.client_x() - x0), f64::from(ev.client_y() - y0));
                    if dx.abs() + dy.abs() > 4.0 {
                        dragged.set_value(true);
                    }
                    if dragged.get_value() {
                        view_at.set(View { x: start.x + dx, y: start.y + dy, ..start });
                    }
                }
            }
            on:pointerup=move |_| drag.set_value(None)
            on:pointerleave=move |_| drag.set_value(None)
        >
            <g
                transform=move || {
                    let v = view_at.get();
                    format!("translate({:.1} {:.1}) scale({:.4})", v.x, v.y, v.scale)
                }
                inner_html=move || drawing.get()
            />
        </svg>
    }
}

/// Nodes and edges for the tests of this module and its parts.
#[cfg(test)]
pub(crate) mod fixtures {
    use model::api::{self as json, Relation};

    /// The node `<kind>:<id>`, named after its id.
    pub fn node(id: &str) -> json::GraphNode {
        json::GraphNode {
            id: id.into(),
            kind: id.split(':').next().unwrap().parse().unwrap(),
            entity_id: id.rsplit(':').next().and_then(|n| n.parse().ok()),
            label: id.into(),
            detail: String::new(),
            depth: 0,
            more: None,
            score: None,
            band: None,
        }
    }

    /// An edge without a permission.
    pub fn edge(from: &str, to: &str, relation: Relation) -> json::GraphEdge {
        json::GraphEdge {
            from: from.into(),
            to: to.into(),
            relation,
            permission: None,
        }
    }
}

#[cfg(test)]
mod tests;
