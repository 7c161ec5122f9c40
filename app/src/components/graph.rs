//! The lineage graph as SVG: a layered drawing, left to right in the order in
//! which agency is delegated (team → person → agent → tool → credential →
//! resource, with the stored copies of a secret beside its resources). Each
//! node is coloured by its kind and carries its risk band; "N more" nodes
//! stand for neighbourhoods too large to draw. Pan by dragging or with the
//! arrow keys, zoom with the wheel or + and −, 0 fits the drawing; every node
//! is a button (click, Enter or Space).

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use model::api::{self as json, NodeKind, Relation};
use wasm_bindgen::JsCast;

/// A node's size, in drawing units.
const NODE_W: f64 = 212.0;
const NODE_H: f64 = 48.0;
/// From one column's left edge to the next one's.
const COL_PITCH: f64 = 292.0;
/// From one row's top to the next one's.
const ROW_PITCH: f64 = 60.0;
/// Space around the drawing.
const MARGIN: f64 = 16.0;
/// Columns before empty ones are dropped: see [`column`].
const COLUMNS: usize = 6;
/// Barycentre sweeps (each one left to right, then right to left).
const SWEEPS: usize = 4;
/// The smallest scale the first view uses (text stays readable); Fit may go below.
const READABLE: f64 = 0.7;
/// How far one wheel notch or key press zooms.
const ZOOM_STEP: f64 = 1.2;
/// How far one arrow key press pans, in screen pixels.
const PAN_STEP: f64 = 80.0;

/// The column of a kind, in the order agency is delegated.
fn column(kind: NodeKind) -> usize {
    match kind {
        NodeKind::Team => 0,
        NodeKind::Person => 1,
        NodeKind::Agent => 2,
        NodeKind::Tool => 3,
        NodeKind::Credential => 4,
        NodeKind::Resource | NodeKind::Copy => 5,
    }
}

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
    /// Adds what a lineage answer `depth` hops deep holds and is not here yet.
    /// Its nodes less than `depth` hops from its root had every neighbour
    /// loaded, so they count as expanded.
    pub fn merge(&mut self, lineage: json::Lineage, depth: u32) {
        let mut known: HashSet<String> = self.nodes.iter().map(|n| n.id.clone()).collect();
        for node in lineage.nodes {
            if node.depth < depth && node.more.is_none() {
                self.expanded.insert(node.id.clone());
            }
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

/// Where the nodes go.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Each node's top-left corner, in the order of the nodes.
    pub at: Vec<(f64, f64)>,
    /// The drawing's width.
    pub width: f64,
    /// The drawing's height.
    pub height: f64,
}

/// Puts each node in its kind's column (dropping empty columns), then orders
/// every column by the mean height of each node's neighbours in the columns
/// already ordered, sweeping left to right and back a few times: the
/// barycentre heuristic of Sugiyama's layered drawing, which keeps edges
/// short and crossings few at a cost linear in the edges.
pub fn layout(nodes: &[json::GraphNode], edges: &[json::GraphEdge]) -> Layout {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut neighbours = vec![Vec::new(); nodes.len()];
    for edge in edges {
        if let (Some(&a), Some(&b)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str())) {
            neighbours[a].push(b);
            neighbours[b].push(a);
        }
    }
    let mut columns: Vec<Vec<usize>> = vec![Vec::new(); COLUMNS];
    for (i, node) in nodes.iter().enumerate() {
        columns[column(node.kind)].push(i);
    }
    // Resources above copies in the column they share.
    columns[COLUMNS - 1].sort_by_key(|&i| nodes[i].kind == NodeKind::Copy);
    columns.retain(|c| !c.is_empty());
    let mut slot = vec![0; nodes.len()];
    for (c, members) in columns.iter().enumerate() {
        for &i in members {
            slot[i] = c;
        }
    }
    // Row of each node, centred on 0 so that columns of any length compare.
    let mut row = vec![0.0; nodes.len()];
    let place = |members: &[usize], row: &mut [f64]| {
        let middle = (members.len() as f64 - 1.0) / 2.0;
        for (r, &i) in members.iter().enumerate() {
            row[i] = r as f64 - middle;
        }
    };
    for members in &columns {
        place(members, &mut row);
    }
    let reorder = |c: usize, columns: &mut [Vec<usize>], row: &mut [f64], before: bool| {
        let mut keyed: Vec<(f64, usize)> = columns[c]
            .iter()
            .map(|&i| {
                let rows: Vec<f64> = neighbours[i]
                    .iter()
                    .filter(|&&j| if before { slot[j] < c } else { slot[j] > c })
                    .map(|&j| row[j])
                    .collect();
                let key = if rows.is_empty() {
                    row[i]
                } else {
                    rows.iter().sum::<f64>() / rows.len() as f64
                };
                (key, i)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
        columns[c] = keyed.into_iter().map(|(_, i)| i).collect();
        place(&columns[c], row);
    };
    for _ in 0..SWEEPS {
        for c in 1..columns.len() {
            reorder(c, &mut columns, &mut row, true);
        }
        for c in (0..columns.len().saturating_sub(1)).rev() {
            reorder(c, &mut columns, &mut row, false);
        }
    }
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let centre = (tallest as f64 - 1.0).max(0.0) / 2.0;
    let at = (0..nodes.len())
        .map(|i| {
            (
                MARGIN + slot[i] as f64 * COL_PITCH,
                MARGIN + (row[i] + centre) * ROW_PITCH,
            )
        })
        .collect();
    Layout {
        at,
        width: 2.0 * MARGIN + columns.len().saturating_sub(1) as f64 * COL_PITCH + NODE_W,
        height: 2.0 * MARGIN + (tallest.max(1) - 1) as f64 * ROW_PITCH + NODE_H,
    }
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut clipped: String = text.chars().take(max - 1).collect();
        clipped.push('…');
        clipped
    }
}

/// What a node says to a screen reader and in its tooltip.
fn describe(node: &json::GraphNode, expanded: bool) -> String {
    let risk = match (node.band, node.score) {
        (Some(band), Some(score)) => format!(", risk {} {score}", band.label().to_lowercase()),
        _ => String::new(),
    };
    let action = if node.more.is_some() || expanded {
        "select"
    } else {
        "expand"
    };
    format!(
        "{} {}{risk} ({}); {action}",
        node.kind.label(),
        node.label,
        node.detail
    )
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

/// `text` made safe inside SVG markup, as content or attribute value.
fn escape(text: &str) -> String {
    let mut safe = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => safe.push_str("&amp;"),
            '<' => safe.push_str("&lt;"),
            '>' => safe.push_str("&gt;"),
            '"' => safe.push_str("&quot;"),
            '\'' => safe.push_str("&#39;"),
            c => safe.push(c),
        }
    }
    safe
}

fn relation_name(relation: Relation) -> &'static str {
    match relation {
        Relation::MemberOf => "member of",
        Relation::Owns => "owns",
        Relation::Uses => "uses",
        Relation::AuthenticatesWith => "authenticates with",
        Relation::StoredAt => "stored at",
        Relation::Reaches => "reaches",
    }
}

/// The drawing as SVG markup: edges as curves, then nodes on top of them,
/// each node a button drawn as a card with its kind's stripe, its name, a
/// line of detail, its risk score on its band's colour, and a + while it can
/// still be expanded. Built as text rather than as reactive elements: one
/// string per change draws hundreds of nodes fast and keeps the bundle small.
fn markup(
    graph: &Graph,
    layout: &Layout,
    focus: Option<&str>,
    highlight: Option<&HashSet<String>>,
) -> String {
    use std::fmt::Write;
    let dim = |id: &str| highlight.is_some_and(|h| !h.contains(id));
    let index: HashMap<&str, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let mut svg = String::with_capacity(graph.nodes.len() * 700 + graph.edges.len() * 160);
    for edge in &graph.edges {
        let (Some(&from), Some(&to)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str())) else {
            continue;
        };
        let (x1, y1) = layout.at[from];
        let (x2, y2) = layout.at[to];
        let (x1, y1, x2, y2) = (x1 + NODE_W, y1 + NODE_H / 2.0, x2, y2 + NODE_H / 2.0);
        let bend = ((x2 - x1) / 2.0).max(24.0);
        let relation = relation_name(edge.relation);
        let permission = edge.permission.map(|p| p.as_str()).unwrap_or("");
        let title = match edge.permission {
            Some(p) => format!("{relation} ({})", p.label()),
            None => relation.to_owned(),
        };
        let _ = write!(
            svg,
            r#"<path class="edge edge-{}{}{}{}" d="M{x1:.0},{y1:.0} C{:.0},{y1:.0} {:.0},{y2:.0} {x2:.0},{y2:.0}"><title>{title}</title></path>"#,
            relation.replace(' ', "-"),
            if permission.is_empty() { "" } else { " " },
            permission,
            if dim(&edge.from) || dim(&edge.to) {
                " dim"
            } else {
                ""
            },
            x1 + bend,
            x2 - bend,
        );
    }
    for (node, (x, y)) in graph.nodes.iter().zip(&layout.at) {
        let expanded = graph.expanded.contains(&node.id);
        let more = node.more.is_some();
        let described = escape(&describe(node, expanded));
        let _ = write!(
            svg,
            r#"<g class="graph-node kind-{kind}{more}{focus}{dim}" transform="translate({x:.0} {y:.0})" tabindex="0" role="button" aria-label="{described}" data-node="{id}" data-kind="{kind}" data-expanded="{expanded}"><title>{described}</title><rect class="node-body" width="{NODE_W}" height="{NODE_H}" rx="6"/><rect class="node-stripe" width="5" height="{NODE_H}" rx="2"/>"#,
            kind = node.kind.as_str(),
            more = if more { " more" } else { "" },
            focus = if focus == Some(node.id.as_str()) {
                " focus"
            } else {
                ""
            },
            dim = if dim(&node.id) { " dim" } else { "" },
            id = escape(&node.id),
        );
        let label_width = if node.band.is_some() { 19 } else { 24 };
        let _ = write!(
            svg,
            r#"<text class="node-label" x="14" y="20">{}</text><text class="node-detail" x="14" y="37">{}</text>"#,
            escape(&clip(&node.label, label_width)),
            escape(&clip(&node.detail, 31)),
        );
        if let (Some(band), Some(score)) = (node.band, node.score) {
            let _ = write!(
                svg,
                r#"<rect class="node-band risk-{}" x="{}" y="8" width="34" height="18" rx="9"/><text class="node-score" x="{}" y="21" text-anchor="middle">{score}</text>"#,
                band.as_str(),
                NODE_W - 42.0,
                NODE_W - 25.0,
            );
        }
        if !expanded && !more {
            let _ = write!(
                svg,
                r#"<text class="node-expand" x="{}" y="41" aria-hidden="true">+</text>"#,
                NODE_W - 16.0
            );
        }
        svg.push_str("</g>");
    }
    svg
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

/// The drawing, its zoom buttons, and the handlers that pan and zoom it.
/// `select` runs with a node's id when it is clicked or activated by key;
/// `hover` follows the pointer and the keyboard focus; nodes outside
/// `highlight` (when set) are dimmed.
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
    /// Runs with the id of a clicked node.
    select: Callback<String>,
) -> impl IntoView {
    let canvas = NodeRef::<leptos::svg::Svg>::new();
    let view_at = RwSignal::new(View {
        scale: 1.0,
        x: 0.0,
        y: 0.0,
    });
    let layout = Memo::new(move |_| graph.with(|g| layout(&g.nodes, &g.edges)));
    let drawing = Memo::new(move |_| {
        layout.with(|l| {
            graph.with(|g| focus.with(|f| highlight.with(|h| markup(g, l, f.as_deref(), h.as_ref()))))
        })
    });
    // The screen size of the canvas.
    let size = move || {
        canvas
            .get_untracked()
            .map(|svg| (f64::from(svg.client_width()), f64::from(svg.client_height())))
            .unwrap_or((800.0, 600.0))
    };
    // The whole drawing in view (`all`), or, when that would make it too
    // small to read, the root at a readable scale in the middle.
    let frame = move |all: bool| {
        let (width, height) = size();
        let (w, h, root) = layout.with_untracked(|l| (l.width, l.height, l.at.first().copied()));
        let whole = (width / w).min(height / h).min(1.0);
        let scale = if all { whole.max(0.1) } else { whole.max(READABLE) };
        let centre = |room: f64, extent: f64, at: f64, size: f64| {
            if extent * scale <= room {
                (room - extent * scale) / 2.0
            } else {
                room / 2.0 - (at + size / 2.0) * scale
            }
        };
        let (rx, ry) = root.unwrap_or((0.0, 0.0));
        view_at.set(View {
            scale,
            x: centre(width, w, rx, NODE_W),
            y: centre(height, h, ry, NODE_H),
        });
    };
    let fit = move || frame(true);
    // Frame the drawing when a new graph starts (not when one grows).
    Effect::new(move |previous: Option<Option<String>>| {
        let root = graph.with(|g| g.nodes.first().map(|n| n.id.clone()));
        if root.is_some() && previous.as_ref() != Some(&root) {
            request_animation_frame(move || frame(false));
        }
        root
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
        <div class="graph-tools" role="toolbar" aria-label="Zoom">
            <button type="button" class="button secondary" aria-label="Zoom out" on:click=move |_| zoom_centre(1.0 / ZOOM_STEP)>"−"</button>
            <button type="button" class="button secondary" aria-label="Zoom in" on:click=move |_| zoom_centre(ZOOM_STEP)>"+"</button>
            <button type="button" class="button secondary" data-testid="graph-fit" on:click=move |_| fit()>"Fit"</button>
            <span class="subtle">"Drag to pan, wheel to zoom; with the keyboard: Tab to a node, Enter to expand it, arrows to pan, + and − to zoom, 0 to fit."</span>
        </div>
        <svg
            class="graph-canvas"
            node_ref=canvas
            tabindex="0"
            role="group"
            aria-label="Lineage graph"
            data-testid="graph-canvas"
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

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, kind: NodeKind, depth: u32) -> json::GraphNode {
        json::GraphNode {
            id: id.into(),
            kind,
            entity_id: id.rsplit(':').next().and_then(|n| n.parse().ok()),
            label: id.into(),
            detail: String::new(),
            depth,
            more: None,
            score: None,
            band: None,
        }
    }

    fn edge(from: &str, to: &str, relation: Relation) -> json::GraphEdge {
        json::GraphEdge {
            from: from.into(),
            to: to.into(),
            relation,
            permission: None,
        }
    }

    #[test]
    fn columns_follow_delegation_and_rows_follow_neighbours() {
        let nodes = vec![
            node("credential:1", NodeKind::Credential, 0),
            node("tool:1", NodeKind::Tool, 1),
            node("tool:2", NodeKind::Tool, 1),
            node("agent:2", NodeKind::Agent, 2),
            node("agent:1", NodeKind::Agent, 2),
            node("copy:1", NodeKind::Copy, 1),
            node("resource:1", NodeKind::Resource, 1),
        ];
        let edges = vec![
            edge("tool:1", "credential:1", Relation::AuthenticatesWith),
            edge("tool:2", "credential:1", Relation::AuthenticatesWith),
            edge("agent:1", "tool:1", Relation::Uses),
            edge("agent:2", "tool:2", Relation::Uses),
            edge("credential:1", "copy:1", Relation::StoredAt),
            edge("credential:1", "resource:1", Relation::Reaches),
        ];
        let layout = layout(&nodes, &edges);
        let at = |id: &str| layout.at[nodes.iter().position(|n| n.id == id).unwrap()];
        // Agents, then tools, then the credential, then what it reaches;
        // no team or person here, so no empty columns either.
        assert_eq!(at("agent:1").0, MARGIN);
        assert!(at("agent:1").0 < at("tool:1").0);
        assert!(at("tool:1").0 < at("credential:1").0);
        assert!(at("credential:1").0 < at("resource:1").0);
        assert_eq!(at("resource:1").0, at("copy:1").0);
        assert!(at("resource:1").1 < at("copy:1").1, "resources above copies");
        // Each agent sits level with the tool it uses: no crossing.
        assert_eq!(at("agent:1").1, at("tool:1").1);
        assert_eq!(at("agent:2").1, at("tool:2").1);
        assert_eq!(layout.width, 2.0 * MARGIN + 3.0 * COL_PITCH + NODE_W);
        assert_eq!(layout.height, 2.0 * MARGIN + ROW_PITCH + NODE_H);
    }

    #[test]
    fn merging_adds_only_what_is_new_and_marks_what_was_expanded() {
        let mut graph = Graph::default();
        graph.merge(
            json::Lineage {
                root: "tool:1".into(),
                nodes: vec![
                    node("tool:1", NodeKind::Tool, 0),
                    node("credential:1", NodeKind::Credential, 1),
                ],
                edges: vec![edge("tool:1", "credential:1", Relation::AuthenticatesWith)],
            },
            1,
        );
        graph.merge(
            json::Lineage {
                root: "credential:1".into(),
                nodes: vec![
                    node("credential:1", NodeKind::Credential, 0),
                    node("tool:1", NodeKind::Tool, 1),
                    node("resource:1", NodeKind::Resource, 1),
                ],
                edges: vec![
                    edge("tool:1", "credential:1", Relation::AuthenticatesWith),
                    edge("credential:1", "resource:1", Relation::Reaches),
                ],
            },
            1,
        );
        assert_eq!(graph.nodes.len(), 3);
        assert_eq!(graph.edges.len(), 2);
        assert!(graph.expanded.contains("tool:1") && graph.expanded.contains("credential:1"));
        assert!(!graph.expanded.contains("resource:1"));
        assert_eq!(
            graph.reached_from("credential:1"),
            HashSet::from(["credential:1".to_owned(), "resource:1".to_owned()])
        );
    }

    #[test]
    fn names_in_the_markup_are_escaped() {
        let mut evil = node("agent:1", NodeKind::Agent, 0);
        evil.label = "<script>x</script>\"&".into();
        let graph = Graph {
            nodes: vec![evil],
            ..Graph::default()
        };
        let svg = markup(&graph, &layout(&graph.nodes, &[]), Some("agent:1"), None);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("graph-node kind-agent focus"));
        assert!(svg.contains(r#"data-expanded="false""#));
    }

    #[test]
    fn long_names_are_clipped_with_an_ellipsis() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("a-very-long-name", 6), "a-ver…");
    }
}
