//! Unit tests of the graph's layout: columns, crossings, edges round nodes, stability, size.

use super::*;

fn item(id: &str) -> Item<'_> {
    let kind = id.split(':').next().unwrap().parse().unwrap();
    Item { id, kind }
}

fn lay(ids: &[&str], edges: &[(&str, &str)], previous: Option<&Layout>) -> Layout {
    let items: Vec<Item> = ids.iter().map(|id| item(id)).collect();
    let index = |id: &str| ids.iter().position(|i| *i == id).unwrap();
    let edges: Vec<(usize, usize)> = edges.iter().map(|(a, b)| (index(a), index(b))).collect();
    layout(&items, &edges, previous)
}

/// Two nodes overlap when their boxes (with half the gap) meet.
fn overlaps(layout: &Layout) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for i in 0..layout.at.len() {
        for j in i + 1..layout.at.len() {
            let (a, b) = (layout.at[i], layout.at[j]);
            if (a.0 - b.0).abs() < NODE_W && (a.1 - b.1).abs() < NODE_H + NODE_GAP - 0.01 {
                found.push((layout.ids[i].clone(), layout.ids[j].clone()));
            }
        }
    }
    found
}

#[test]
fn columns_follow_delegation_and_empty_ones_are_dropped() {
    let l = lay(
        &["credential:1", "tool:1", "agent:1", "resource:1", "copy:1"],
        &[
            ("tool:1", "credential:1"),
            ("agent:1", "tool:1"),
            ("credential:1", "resource:1"),
            ("credential:1", "copy:1"),
        ],
        None,
    );
    let at = |id| l.position(id).unwrap();
    assert_eq!(at("agent:1").0, MARGIN);
    assert_eq!(at("tool:1").0, MARGIN + COL_PITCH);
    assert_eq!(at("credential:1").0, MARGIN + 2.0 * COL_PITCH);
    assert_eq!(at("resource:1").0, at("copy:1").0);
    assert!(at("resource:1").1 < at("copy:1").1, "resources above copies");
    assert_eq!(l.width, 2.0 * MARGIN + 3.0 * COL_PITCH + NODE_W);
    // A chain is drawn straight.
    assert_eq!(at("agent:1").1, at("tool:1").1);
    assert_eq!(at("tool:1").1, at("credential:1").1);
    assert!(overlaps(&l).is_empty());
}

/// Pairs of edges that cross between two columns.
fn crossed(layout: &Layout) -> usize {
    let spans: Vec<((f64, f64), (f64, f64))> = layout
        .routes
        .iter()
        .flat_map(|r| r.windows(2).map(|w| (w[0], w[1])))
        .filter(|(a, b)| a.0 != b.0)
        .collect();
    let mut count = 0;
    for (i, a) in spans.iter().enumerate() {
        for b in &spans[i + 1..] {
            if a.0.0 == b.0.0 && (a.0.1 - b.0.1) * (a.1.1 - b.1.1) < 0.0 {
                count += 1;
            }
        }
    }
    count
}

#[test]
fn the_sweeps_undo_the_crossings_of_the_first_order() {
    // The walk meets agent:1 → tool:2 first, so the first order crosses.
    let l = lay(
        &[
            "agent:1",
            "agent:2",
            "tool:1",
            "tool:2",
            "credential:1",
            "credential:2",
        ],
        &[
            ("agent:1", "tool:2"),
            ("agent:2", "tool:1"),
            ("tool:1", "credential:1"),
            ("tool:2", "credential:2"),
            ("agent:1", "tool:1"),
        ],
        None,
    );
    assert_eq!(crossed(&l), 0);
    assert!(overlaps(&l).is_empty());
}

#[test]
fn long_edges_go_round_nodes_through_their_own_slots() {
    // A person who owns a credential directly, beside an agent's chain.
    let l = lay(
        &["person:1", "agent:1", "tool:1", "credential:1", "credential:2"],
        &[
            ("person:1", "agent:1"),
            ("agent:1", "tool:1"),
            ("tool:1", "credential:1"),
            ("person:1", "credential:2"),
        ],
        None,
    );
    let route = &l.routes[3];
    // Out of the person, through the agent and tool columns, into the credential.
    assert_eq!(route.len(), 6);
    for &(x, y) in &route[1..5] {
        for (i, &(nx, ny)) in l.at.iter().enumerate() {
            let inside = x >= nx && x <= nx + NODE_W && y > ny && y < ny + NODE_H;
            assert!(!inside, "the edge runs through {}", l.ids[i]);
        }
    }
    assert!(overlaps(&l).is_empty());
}

#[test]
fn teams_sit_above_their_members_in_the_first_column() {
    let l = lay(
        &["agent:1", "person:1", "team:1", "person:2", "team:2", "person:3"],
        &[
            ("team:1", "person:1"),
            ("team:2", "person:2"),
            ("team:1", "person:3"),
            ("person:1", "agent:1"),
            ("person:2", "agent:1"),
            ("person:3", "agent:1"),
        ],
        None,
    );
    let at = |id| l.position(id).unwrap();
    assert_eq!(at("team:1").0, at("person:1").0);
    assert_eq!(l.routes[0].len(), 2, "a bracket within the column");
    // Each team heads its own members: team, members, team, members.
    let mut column: Vec<(f64, &str)> = l
        .ids
        .iter()
        .zip(&l.at)
        .filter(|(id, _)| !id.starts_with("agent"))
        .map(|(id, at)| (at.1, id.as_str()))
        .collect();
    column.sort_by(|a, b| a.0.total_cmp(&b.0));
    let kinds: Vec<&str> = column
        .iter()
        .map(|(_, id)| id.split(':').next().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"team"));
    let team2 = column.iter().position(|(_, id)| *id == "team:2").unwrap();
    let person2 = column.iter().position(|(_, id)| *id == "person:2").unwrap();
    assert_eq!(person2, team2 + 1, "{column:?}");
    assert!(overlaps(&l).is_empty());
}

#[test]
fn a_drawing_that_grows_keeps_its_nodes_where_they_were() {
    let ids = [
        "credential:1",
        "tool:1",
        "tool:2",
        "agent:1",
        "agent:2",
        "resource:1",
    ];
    let edges = [
        ("tool:1", "credential:1"),
        ("tool:2", "credential:1"),
        ("agent:1", "tool:1"),
        ("agent:2", "tool:2"),
        ("credential:1", "resource:1"),
    ];
    let first = lay(&ids, &edges, None);
    let mut more = ids.to_vec();
    more.extend(["tool:3", "tool:4", "tool:5"]);
    let mut more_edges = edges.to_vec();
    more_edges.extend([
        ("agent:1", "tool:3"),
        ("agent:1", "tool:4"),
        ("agent:1", "tool:5"),
    ]);
    let second = lay(&more, &more_edges, Some(&first));
    assert!(overlaps(&second).is_empty());
    // Every node keeps its column and its order within it.
    for a in ids {
        for b in ids {
            let (pa, pb) = (first.position(a).unwrap(), first.position(b).unwrap());
            let (qa, qb) = (second.position(a).unwrap(), second.position(b).unwrap());
            assert_eq!(pa.0 == pb.0, qa.0 == qb.0);
            if pa.0 == pb.0 && pa.1 < pb.1 {
                assert!(qa.1 < qb.1, "{a} and {b} swapped");
            }
        }
    }
    // The new tools open beside the agent that uses them.
    let agent = second.position("agent:1").unwrap().1;
    for tool in ["tool:3", "tool:4", "tool:5"] {
        let y = second.position(tool).unwrap().1;
        assert!(
            (y - agent).abs() <= 3.0 * (NODE_H + NODE_GAP),
            "{tool} is far from its agent"
        );
    }
}

#[test]
fn two_hundred_nodes_are_laid_out_without_overlap() {
    let (ids, edges) = sample(200);
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let pairs: Vec<(&str, &str)> = edges.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let l = lay(&refs, &pairs, None);
    assert!(overlaps(&l).is_empty());
}

#[test]
fn crossings_are_counted_as_inversions() {
    assert_eq!(inversions(&mut [0.0, 1.0, 2.0]), 0);
    assert_eq!(inversions(&mut [2.0, 1.0, 0.0]), 3);
    assert_eq!(inversions(&mut [1.0, 1.0, 0.0]), 2);
}

/// A lineage shaped like the demo's: people owning agents, agents using
/// tools, tools holding credentials that reach resources, `n` nodes.
pub(crate) fn sample(n: usize) -> (Vec<String>, Vec<(String, String)>) {
    let mut ids = vec!["team:0".to_owned()];
    let mut edges = Vec::new();
    let mut i = 0;
    while ids.len() < n {
        let person = format!("person:{i}");
        let agent = format!("agent:{i}");
        let tool = format!("tool:{i}");
        let credential = format!("credential:{i}");
        let resource = format!("resource:{i}");
        edges.push(("team:0".to_owned(), person.clone()));
        edges.push((person.clone(), agent.clone()));
        edges.push((agent.clone(), tool.clone()));
        if i > 0 {
            edges.push((agent.clone(), format!("tool:{}", i - 1)));
            edges.push((format!("credential:{}", i - 1), resource.clone()));
        }
        edges.push((tool.clone(), credential.clone()));
        edges.push((credential.clone(), resource.clone()));
        if i % 3 == 0 {
            edges.push((person.clone(), credential.clone()));
        }
        ids.extend([person, agent, tool, credential, resource]);
        i += 1;
    }
    (ids, edges)
}
