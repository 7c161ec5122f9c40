//! Unit tests of the graph component: merging lineages, fitting the drawing to a readable canvas.

use super::fixtures::{edge, node};
use super::*;

#[test]
fn merging_adds_only_what_is_new_and_marks_what_was_expanded() {
    let mut graph = Graph::default();
    graph.merge(
        json::Lineage {
            root: "tool:1".into(),
            nodes: vec![node("tool:1"), node("credential:1")],
            edges: vec![edge("tool:1", "credential:1", Relation::AuthenticatesWith)],
        },
        1,
    );
    graph.merge(
        json::Lineage {
            root: "credential:1".into(),
            nodes: vec![node("credential:1"), node("tool:1"), node("resource:1")],
            edges: vec![
                edge("tool:1", "credential:1", Relation::AuthenticatesWith),
                edge("credential:1", "resource:1", Relation::Reaches),
            ],
        },
        1,
    );
    assert_eq!(graph.nodes.len(), 3);
    assert_eq!(graph.edges.len(), 2);
    // Each answer's root had all its neighbours loaded; the others not.
    assert!(graph.expanded.contains("tool:1") && graph.expanded.contains("credential:1"));
    assert!(!graph.expanded.contains("resource:1"));
    assert_eq!(
        graph.reached_from("credential:1"),
        HashSet::from(["credential:1".to_owned(), "resource:1".to_owned()])
    );
}

#[test]
fn the_budget_shrinks_until_the_drawing_fits_a_readable_canvas() {
    let mut graph = Graph::default();
    graph.nodes.push(node("tool:1"));
    for i in 0..30 {
        graph.nodes.push(node(&format!("agent:{i}")));
        graph
            .edges
            .push(edge(&format!("agent:{i}"), "tool:1", Relation::Uses));
    }
    let open = HashSet::new();
    let roomy = budget_for(&graph, "tool:1", &open, false, (1200.0, 2000.0));
    assert_eq!(roomy.siblings, MOST_SIBLINGS);
    let tight = budget_for(&graph, "tool:1", &open, false, (900.0, 400.0));
    let drawn = arrange(&visible(&graph, "tool:1", &open, tight), None);
    assert!(tight.siblings < MOST_SIBLINGS);
    assert!(drawn.height * READABLE <= 400.0);
}
