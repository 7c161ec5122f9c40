//! The drawing as SVG markup: edges as curves along their routes, then the
//! nodes on top, each a button drawn as a card with its kind's stripe and
//! letter, its name, a line of detail and its risk score. Built as text
//! rather than as reactive elements: one string per change draws hundreds
//! of nodes fast and keeps the bundle small; the same text, wrapped with the
//! page's graph styles, is what "Export SVG" saves.

use std::collections::HashSet;
use std::fmt::Write;

use model::api::{self as json, NodeKind, Relation};

use super::Graph;
use super::layout::{Layout, NODE_H, NODE_W};

/// Characters of a name that fit on a card at the label's size.
pub const LABEL_CHARS: usize = 14;
/// Characters of the detail line that fit beside the score.
const DETAIL_CHARS: usize = 13;
/// Characters of the detail line when there is no score.
const DETAIL_CHARS_WIDE: usize = 17;

/// What the drawing brings out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marks<'a> {
    /// The node in focus.
    pub focus: Option<&'a str>,
    /// When set, the nodes to bring out (the others are dimmed).
    pub highlight: Option<&'a HashSet<String>>,
    /// Weak links on the paths shown, marked in red.
    pub weak: Option<&'a HashSet<String>>,
}

/// `text` shortened to `max` characters by cutting its middle, where names
/// are least telling (`payments-prod-readonly-key` → `payment…ly-key`).
pub fn abbreviate(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let tail = (max - 1) / 2;
    let head = max - 1 - tail;
    let mut short: String = text.chars().take(head).collect();
    short.push('…');
    short.extend(text.chars().skip(count - tail));
    short
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

/// What a node says to a screen reader and in its tooltip: its full name.
pub fn describe(node: &json::GraphNode, expanded: bool) -> String {
    let risk = match (node.band, node.score) {
        (Some(band), Some(score)) => format!(", risk {} {score}", band.label().to_lowercase()),
        _ => String::new(),
    };
    let action = if node.more.is_some() {
        if node.id.starts_with("fold:") {
            "show them"
        } else {
            "select"
        }
    } else if expanded {
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

/// `text` made safe inside SVG markup, as content or attribute value.
pub fn escape(text: &str) -> String {
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

/// The letter on a node's stripe: colour is never the only sign of a kind.
fn letter(kind: NodeKind) -> char {
    match kind {
        NodeKind::Team => 'T',
        NodeKind::Person => 'P',
        NodeKind::Agent => 'A',
        NodeKind::Tool => 'L',
        NodeKind::Credential => 'K',
        NodeKind::Resource => 'R',
        NodeKind::Copy => 'C',
    }
}

/// A smooth curve through a route: level where it leaves and enters a node
/// and where it crosses a column, curving in the gaps between columns. A
/// route within one column (a team and a member) bows out to the left.
fn curve(route: &[(f64, f64)]) -> String {
    let mut d = String::new();
    let Some(&(x, y)) = route.first() else {
        return d;
    };
    let _ = write!(d, "M{x:.1},{y:.1}");
    if route.len() == 2 && route[0].0 == route[1].0 {
        let (x2, y2) = route[1];
        let _ = write!(
            d,
            " C{:.1},{y:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}",
            x - 16.0,
            x2 - 16.0
        );
        return d;
    }
    for pair in route.windows(2) {
        let ((x1, y1), (x2, y2)) = (pair[0], pair[1]);
        if y1 == y2 || x2 - x1 >= NODE_W - 0.5 {
            let _ = write!(d, " L{x2:.1},{y2:.1}");
        } else {
            let bend = (x2 - x1) / 2.0;
            let _ = write!(
                d,
                " C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}",
                x1 + bend,
                x2 - bend
            );
        }
    }
    d
}

/// The nodes and edges as SVG elements, in drawing units.
pub fn markup(graph: &Graph, layout: &Layout, marks: &Marks) -> String {
    let dim = |id: &str| marks.highlight.is_some_and(|h| !h.contains(id));
    let index = graph.index();
    let mut svg = String::with_capacity(graph.nodes.len() * 800 + graph.edges.len() * 200);
    for (edge, route) in graph.edges.iter().zip(&layout.routes) {
        if !index.contains_key(edge.from.as_str()) || !index.contains_key(edge.to.as_str()) {
            continue;
        }
        let relation = relation_name(edge.relation);
        let permission = edge.permission.map(|p| p.as_str()).unwrap_or("");
        let title = match edge.permission {
            Some(p) => format!("{relation} ({})", p.label()),
            None => relation.to_owned(),
        };
        let _ = write!(
            svg,
            r#"<path class="edge edge-{}{}{}{}" d="{}"><title>{title}</title></path>"#,
            relation.replace(' ', "-"),
            if permission.is_empty() { "" } else { " " },
            permission,
            if dim(&edge.from) || dim(&edge.to) {
                " dim"
            } else {
                ""
            },
            curve(route),
        );
    }
    for (node, (x, y)) in graph.nodes.iter().zip(&layout.at) {
        let expanded = graph.expanded.contains(&node.id);
        let more = node.more.is_some();
        let described = escape(&describe(node, expanded));
        let _ = write!(
            svg,
            r#"<g class="graph-node kind-{kind}{more}{focus}{dim}{weak}" transform="translate({x:.1} {y:.1})" tabindex="0" role="button" aria-label="{described}" data-node="{id}" data-kind="{kind}" data-expanded="{expanded}"><title>{described}</title><rect class="node-body" width="{NODE_W}" height="{NODE_H}" rx="6"/><rect class="node-stripe" width="16" height="{NODE_H}" rx="3"/><text class="node-letter" x="8" y="27" text-anchor="middle" aria-hidden="true">{letter}</text>"#,
            kind = node.kind.as_str(),
            more = if more { " more" } else { "" },
            focus = if marks.focus == Some(node.id.as_str()) {
                " focus"
            } else {
                ""
            },
            dim = if dim(&node.id) { " dim" } else { "" },
            weak = if marks.weak.is_some_and(|w| w.contains(&node.id)) {
                " weak"
            } else {
                ""
            },
            id = escape(&node.id),
            letter = letter(node.kind),
        );
        let detail_chars = if node.band.is_some() {
            DETAIL_CHARS
        } else {
            DETAIL_CHARS_WIDE
        };
        let _ = write!(
            svg,
            r#"<text class="node-label" x="24" y="19">{}</text><text class="node-detail" x="24" y="36">{}</text>"#,
            escape(&abbreviate(&node.label, LABEL_CHARS)),
            escape(&clip(&node.detail, detail_chars)),
        );
        if let (Some(band), Some(score)) = (node.band, node.score) {
            let _ = write!(
                svg,
                r#"<rect class="node-band risk-{}" x="{}" y="25" width="30" height="15" rx="7.5"/><text class="node-score" x="{}" y="36.5" text-anchor="middle">{score}</text>"#,
                band.as_str(),
                NODE_W - 50.0,
                NODE_W - 35.0,
            );
        }
        if !expanded && !more {
            let _ = write!(
                svg,
                r#"<text class="node-expand" x="{}" y="38" aria-hidden="true">+</text>"#,
                NODE_W - 14.0
            );
        }
        svg.push_str("</g>");
    }
    svg
}

/// A standalone SVG document of the drawing, with `styles` (the page's
/// graph rules) inside it so that it looks the same anywhere.
pub fn standalone(body: &str, layout: &Layout, styles: &str, title: &str) -> String {
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" class="graph-canvas" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}"><title>{title}</title><style>{styles}</style><rect width="100%" height="100%" fill="#f1f3f6"/>{body}</svg>
"##,
        w = layout.width,
        h = layout.height,
        title = escape(title),
        // CSS needs no escaping in XML but its `>` and `&` might: keep it a text node.
        styles = escape(styles),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::node;
    use super::super::layout::{Item, layout};
    use super::*;

    #[test]
    fn names_in_the_markup_are_escaped() {
        let mut evil = node("agent:1");
        evil.label = "<script>x</script>\"&".into();
        let graph = Graph {
            nodes: vec![evil],
            ..Graph::default()
        };
        let items = [Item {
            id: "agent:1",
            kind: NodeKind::Agent,
        }];
        let marks = Marks {
            focus: Some("agent:1"),
            ..Marks::default()
        };
        let svg = markup(&graph, &layout(&items, &[], None), &marks);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("graph-node kind-agent focus"));
        assert!(svg.contains(r#"data-expanded="false""#));
        let document = standalone(&svg, &layout(&items, &[], None), "a > b {}", "<x>");
        assert!(document.contains("a &gt; b {}") && document.contains("<title>&lt;x&gt;</title>"));
    }

    #[test]
    fn long_names_lose_their_middle_and_details_their_end() {
        assert_eq!(abbreviate("short", 10), "short");
        assert_eq!(abbreviate("payments-prod-readonly-key", 14), "payment…ly-key");
        assert_eq!(abbreviate("payments-prod-readonly-key", 14).chars().count(), 14);
        assert_eq!(clip("a-very-long-name", 6), "a-ver…");
    }

    #[test]
    fn a_route_is_level_across_a_column_and_curved_between() {
        let d = curve(&[
            (0.0, 10.0),
            (40.0, 50.0),
            (40.0 + NODE_W, 50.0),
            (80.0 + NODE_W, 90.0),
        ]);
        assert!(d.starts_with("M0.0,10.0 C20.0,10.0 20.0,50.0 40.0,50.0 L196.0,50.0 C"));
        let bracket = curve(&[(24.0, 10.0), (24.0, 70.0)]);
        assert!(bracket.contains("C8.0,10.0 8.0,70.0 24.0,70.0"));
    }
}
