//! What of the loaded lineage is drawn. Each node hangs off its parent, the
//! neighbour through which a breadth-first walk from the start first reached
//! it; a parent's children of one kind are its siblings. Beyond a budget per
//! parent and kind, siblings are folded into one "N more" node, so that the
//! first drawing shows the start's own chain and fits a screen. A click on
//! the parent (or on its "N more" node) opens the fold. The server lists
//! neighbours riskiest first (resources by sensitivity and permission), so
//! what stays in view is what matters most.

use std::collections::{HashSet, VecDeque};

use model::api::{self as json, NodeKind};

use super::Graph;
use super::layout::layer;

/// The id of the "N more" node folding `parent`'s children of a kind.
pub fn fold_id(kind: NodeKind, parent: &str) -> String {
    format!("fold:{}:{parent}", kind.as_str())
}

/// Whether a node id is a fold's.
pub fn is_fold(id: &str) -> bool {
    id.starts_with("fold:")
}

/// "3 more agents", "1 more person".
fn plural(count: i64, kind: NodeKind) -> String {
    let word = kind.as_str().to_owned();
    let word = match (word.as_str(), count) {
        (_, 1) => word,
        ("person", _) => "people".to_owned(),
        ("copy", _) => "copies".to_owned(),
        _ => format!("{word}s"),
    };
    format!("{count} more {word}")
}

/// How much of a parent's children of one kind to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Children of one kind shown per parent.
    pub siblings: usize,
    /// In blast-radius mode, resources shown for the start credential.
    pub reach: Option<usize>,
    /// When set, the most nodes a column holds: parents nearest the start
    /// fill it first, and what no longer fits is folded (or, when not even
    /// a fold fits, left behind its parent's +).
    pub rows: Option<usize>,
}

/// The part of `graph` to draw from `start`: every node whose parent is
/// drawn and that is within its parent's budget, plus one "N more" node per
/// fold. `open` holds nodes whose children all show and folds opened.
pub fn visible(graph: &Graph, start: &str, open: &HashSet<String>, budget: Budget) -> Graph {
    let index = graph.index();
    let Some(&root) = index.get(start) else {
        return graph.clone();
    };
    let mut neighbours: Vec<Vec<(usize, usize)>> = vec![Vec::new(); graph.nodes.len()];
    for (e, edge) in graph.edges.iter().enumerate() {
        if let (Some(&a), Some(&b)) = (index.get(edge.from.as_str()), index.get(edge.to.as_str())) {
            neighbours[a].push((b, e));
            neighbours[b].push((a, e));
        }
    }
    // Breadth first from the start: each node's parent, and the edge to it.
    let mut parent: Vec<Option<(usize, usize)>> = vec![None; graph.nodes.len()];
    let mut reached = vec![false; graph.nodes.len()];
    let mut walk = Vec::with_capacity(graph.nodes.len());
    let mut queue = VecDeque::from([root]);
    reached[root] = true;
    while let Some(node) = queue.pop_front() {
        walk.push(node);
        for &(next, edge) in &neighbours[node] {
            if !reached[next] {
                reached[next] = true;
                parent[next] = Some((node, edge));
                queue.push_back(next);
            }
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); graph.nodes.len()];
    for (child, p) in parent.iter().enumerate() {
        if let Some((p, _)) = p {
            children[*p].push(child);
        }
    }
    // A node not connected to the start (none should be) is drawn anyway.
    let mut shown: Vec<bool> = reached.iter().map(|r| !r).collect();
    shown[root] = true;
    let mut used = [0_usize; 5];
    for (i, node) in graph.nodes.iter().enumerate() {
        if shown[i] {
            used[layer(node.kind)] += 1;
        }
    }
    let mut folds: Vec<(json::GraphNode, json::GraphEdge)> = Vec::new();
    // Parents with children left out for want of room, fold and all.
    let mut crowded: Vec<usize> = Vec::new();
    for &p in &walk {
        if !shown[p] {
            continue;
        }
        let mut kinds: Vec<NodeKind> = Vec::new();
        for &c in &children[p] {
            if !kinds.contains(&graph.nodes[c].kind) {
                kinds.push(graph.nodes[c].kind);
            }
        }
        for kind in kinds {
            // The server's own "N more" nodes last: they fold first.
            let mut group: Vec<usize> = children[p]
                .iter()
                .copied()
                .filter(|&c| graph.nodes[c].kind == kind)
                .collect();
            group.sort_by_key(|&c| (graph.nodes[c].more.is_some(), c));
            let parent_id = &graph.nodes[p].id;
            let fold = fold_id(kind, parent_id);
            let limit = if open.contains(parent_id) || open.contains(&fold) {
                usize::MAX
            } else if p == root && kind == NodeKind::Resource {
                budget.reach.unwrap_or(budget.siblings)
            } else {
                budget.siblings
            };
            // Folding a single node would not save any room.
            let mut cut = if group.len() <= limit.saturating_add(1) {
                group.len()
            } else {
                limit
            };
            let column = &mut used[layer(kind)];
            // An opened group shows whole, full column or not.
            if let Some(rows) = budget.rows.filter(|_| limit != usize::MAX) {
                let free = rows.saturating_sub(*column);
                if free == 0 {
                    crowded.push(p);
                    continue;
                }
                if cut + usize::from(cut < group.len()) > free {
                    cut = if group.len() <= free {
                        group.len()
                    } else {
                        free - 1
                    };
                }
            }
            *column += cut + usize::from(cut < group.len());
            for &c in &group[..cut] {
                shown[c] = true;
            }
            let hidden = &group[cut..];
            let Some(&first) = hidden.first() else {
                continue;
            };
            let count: i64 = hidden.iter().map(|&c| graph.nodes[c].more.unwrap_or(1)).sum();
            let (_, edge) = parent[first].expect("a child has a parent");
            let edge = &graph.edges[edge];
            let (from, to) = if edge.from == *parent_id {
                (parent_id.clone(), fold.clone())
            } else {
                (fold.clone(), parent_id.clone())
            };
            folds.push((
                json::GraphNode {
                    id: fold,
                    kind,
                    entity_id: None,
                    label: plural(count, kind),
                    detail: "click to show them".to_owned(),
                    depth: graph.nodes[first].depth,
                    more: Some(count),
                    score: None,
                    band: None,
                },
                json::GraphEdge {
                    from,
                    to,
                    relation: edge.relation,
                    permission: None,
                },
            ));
        }
    }
    let mut nodes: Vec<json::GraphNode> = graph
        .nodes
        .iter()
        .zip(&shown)
        .filter(|(_, s)| **s)
        .map(|(n, _)| n.clone())
        .collect();
    let mut edges: Vec<json::GraphEdge> = graph
        .edges
        .iter()
        .filter(|e| {
            let drawn = |id: &str| index.get(id).is_some_and(|&i| shown[i]);
            drawn(&e.from) && drawn(&e.to)
        })
        .cloned()
        .collect();
    // A node with a fold hanging off it (or children left out) has more to show.
    let mut expanded = graph.expanded.clone();
    for p in crowded {
        expanded.remove(&graph.nodes[p].id);
    }
    for (node, edge) in folds {
        expanded.remove(if edge.from == node.id {
            &edge.to
        } else {
            &edge.from
        });
        nodes.push(node);
        edges.push(edge);
    }
    Graph {
        nodes,
        edges,
        expanded,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{edge, node};
    use super::*;
    use model::api::Relation;

    /// A credential used by one tool, which six agents use, reaching six resources.
    fn wide() -> Graph {
        let mut graph = Graph::default();
        graph.nodes.push(node("credential:1"));
        graph.nodes.push(node("tool:1"));
        graph
            .edges
            .push(edge("tool:1", "credential:1", Relation::AuthenticatesWith));
        for i in 1..=6 {
            graph.nodes.push(node(&format!("agent:{i}")));
            graph
                .edges
                .push(edge(&format!("agent:{i}"), "tool:1", Relation::Uses));
            graph.nodes.push(node(&format!("resource:{i}")));
            graph
                .edges
                .push(edge("credential:1", &format!("resource:{i}"), Relation::Reaches));
        }
        graph
    }

    fn ids(graph: &Graph) -> Vec<&str> {
        graph.nodes.iter().map(|n| n.id.as_str()).collect()
    }

    #[test]
    fn siblings_beyond_the_budget_fold_into_one_node_per_parent_and_kind() {
        let budget = Budget {
            siblings: 3,
            reach: None,
            rows: None,
        };
        let mut graph = wide();
        graph
            .expanded
            .extend(["tool:1".to_owned(), "credential:1".to_owned()]);
        let drawn = visible(&graph, "credential:1", &HashSet::new(), budget);
        let names = ids(&drawn);
        // A node with a fold hanging off it still has more to show.
        assert!(drawn.expanded.is_empty());
        assert!(names.contains(&"agent:1") && names.contains(&"agent:3"));
        assert!(!names.contains(&"agent:4"));
        let fold = drawn.node("fold:agent:tool:1").expect("the agents fold");
        assert_eq!(fold.label, "3 more agents");
        assert!(drawn.node("fold:resource:credential:1").is_some());
        // Its edge keeps the direction of the ones it stands for.
        assert!(
            drawn
                .edges
                .iter()
                .any(|e| e.from == "fold:agent:tool:1" && e.to == "tool:1")
        );
        // Edges to hidden nodes are not drawn.
        assert!(drawn.edges.iter().all(|e| e.from != "agent:5"));
    }

    #[test]
    fn an_open_parent_or_fold_shows_all_and_blast_mode_shows_more_reach() {
        let budget = Budget {
            siblings: 3,
            reach: Some(5),
            rows: None,
        };
        let open = HashSet::from([fold_id(NodeKind::Agent, "tool:1")]);
        let drawn = visible(&wide(), "credential:1", &open, budget);
        assert!(ids(&drawn).contains(&"agent:6"));
        // Five resources would leave one: folding one saves nothing.
        assert!(ids(&drawn).contains(&"resource:6"));
        assert!(drawn.nodes.iter().all(|n| !is_fold(&n.id)));
    }

    #[test]
    fn a_folded_nodes_own_children_are_not_drawn() {
        let mut graph = wide();
        graph.nodes.push(node("person:1"));
        graph.edges.push(edge("person:1", "agent:6", Relation::Owns));
        let budget = Budget {
            siblings: 2,
            reach: None,
            rows: None,
        };
        let drawn = visible(&graph, "credential:1", &HashSet::new(), budget);
        assert!(!ids(&drawn).contains(&"person:1"));
        assert_eq!(plural(1, NodeKind::Person), "1 more person");
        assert_eq!(plural(2, NodeKind::Copy), "2 more copies");
    }

    #[test]
    fn a_full_column_takes_what_is_nearest_the_start_first() {
        let budget = Budget {
            siblings: 8,
            reach: None,
            rows: Some(4),
        };
        let drawn = visible(&wide(), "credential:1", &HashSet::new(), budget);
        let resources = drawn
            .nodes
            .iter()
            .filter(|n| n.kind == NodeKind::Resource)
            .count();
        let agents = drawn.nodes.iter().filter(|n| n.kind == NodeKind::Agent).count();
        // Three resources and their fold; three agents and theirs.
        assert_eq!((resources, agents), (4, 4));
        assert!(drawn.node("fold:resource:credential:1").is_some());
        assert_eq!(
            drawn.node("fold:resource:credential:1").unwrap().label,
            "3 more resources"
        );
    }
}
