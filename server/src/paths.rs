//! "Who can reach this?" and "how does X reach Y?", BloodHound's question
//! asked of the lineage: every path from the people (or from the agents and
//! credentials nobody owns) down to a resource, credential, tool or agent,
//! shortest first, each with its weakest link.
//!
//! The lineage is layered (person → agent → tool → credential → resource),
//! so a path is at most four steps long and the search needs no recursion:
//! it walks upstream a layer at a time, one query per step kind for the
//! whole layer ([`crate::db::paths`]). Bounded everywhere: at most
//! [`FANOUT`] parents per node (the rest fold into an "N more" node), at
//! most [`FRONTIER`] nodes per layer, [`DEADLINE`] for the walk, and at
//! most [`ENUMERATED`] paths looked at.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use model::api::{self as json, NodeKind, Permission, Relation};

use crate::ApiError;
use crate::db::{Db, lineage, paths as db};

/// Parents kept per node; the rest fold into one "N more" node.
pub const FANOUT: i64 = 25;
/// Nodes kept per layer.
pub const FRONTIER: usize = 2_000;
/// How long the walk may take before it answers with what it has.
pub const DEADLINE: Duration = Duration::from_millis(250);
/// Paths looked at before ordering them.
pub const ENUMERATED: usize = 5_000;

/// One way into a node: its parent, the relation, and the permission of a
/// credential on a resource.
#[derive(Debug, Clone)]
struct Link {
    parent: String,
    relation: Relation,
    permission: Option<Permission>,
}

/// What the walk found: the nodes and each node's ways in.
#[derive(Debug, Default)]
struct Walk {
    nodes: HashMap<String, json::GraphNode>,
    /// A person's `departed` status.
    departed: HashSet<String>,
    links: HashMap<String, Vec<Link>>,
    truncated: Option<String>,
}

fn node_id(kind: NodeKind, id: i64) -> String {
    format!("{kind}:{id}")
}

/// The paths to `to` (through `from`, when given), at most `limit`.
pub async fn paths(
    db: &Db,
    to: (NodeKind, i64),
    from: Option<(NodeKind, i64)>,
    limit: usize,
) -> Result<json::Paths, ApiError> {
    if !matches!(
        to.0,
        NodeKind::Resource | NodeKind::Credential | NodeKind::Tool | NodeKind::Agent
    ) {
        return Err(ApiError::BadRequest(format!(
            "paths end at a resource, a credential, a tool or an agent, not a {}",
            to.0.label().to_lowercase()
        )));
    }
    let target = lineage::node(db, to.0, to.1)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no {} with id {}", to.0.label().to_lowercase(), to.1)))?;
    if let Some((kind, id)) = from
        && lineage::node(db, kind, id).await?.is_none()
    {
        return Err(ApiError::NotFound(format!(
            "no {} with id {id}",
            kind.label().to_lowercase()
        )));
    }
    let walk = walk(db, target).await?;
    let target = node_id(to.0, to.1);
    let from = from.map(|(kind, id)| node_id(kind, id));
    let (mut found, complete) = enumerate(&walk, &target);
    if let Some(from) = &from {
        found.retain(|path| path.contains(from));
    }
    let mut truncated = walk.truncated.clone();
    if !complete {
        truncated.get_or_insert_with(|| {
            format!("more than {ENUMERATED} paths: the first {ENUMERATED} were ordered")
        });
    }
    let mut paths: Vec<json::ReachPath> = found.iter().map(|nodes| describe(&walk, nodes)).collect();
    let key = |path: &json::ReachPath| {
        let strength = match path.permission {
            Some(Permission::Admin) => 0,
            Some(Permission::Write) => 1,
            Some(Permission::Read) => 2,
            None => 3,
        };
        let risk = path
            .nodes
            .iter()
            .filter_map(|id| walk.nodes.get(id).and_then(|n| n.score))
            .max()
            .unwrap_or(0);
        (path.nodes.len(), strength, -risk, path.nodes.clone())
    };
    paths.sort_by_cached_key(key);
    let total = paths.len() as i64;
    paths.truncate(limit);
    let graph = drawing(&walk, &target, &paths);
    Ok(json::Paths {
        to: target,
        from,
        paths,
        total,
        truncated,
        graph,
    })
}

/// Walks upstream from `target` a layer at a time.
async fn walk(db: &Db, target: json::GraphNode) -> Result<Walk, ApiError> {
    let started = Instant::now();
    let mut walk = Walk::default();
    let mut frontier: Vec<(NodeKind, i64)> = vec![(target.kind, target.entity_id.unwrap_or_default())];
    walk.nodes.insert(target.id.clone(), target);
    for depth in 1..=4_u32 {
        let mut next: Vec<(NodeKind, i64)> = Vec::new();
        let mut queued: HashSet<String> = HashSet::new();
        for step in db::UPSTREAM {
            let children: Vec<i64> = frontier
                .iter()
                .filter(|(kind, _)| *kind == step.from)
                .map(|(_, id)| *id)
                .collect();
            let mut folded: HashSet<i64> = HashSet::new();
            for parent in db::parents(db, step, &children, FANOUT).await? {
                let child = node_id(step.from, parent.child);
                let id = node_id(step.to, parent.id);
                if parent.flag.as_deref() == Some("departed") {
                    walk.departed.insert(id.clone());
                }
                walk.nodes.entry(id.clone()).or_insert_with(|| json::GraphNode {
                    id: id.clone(),
                    kind: step.to,
                    entity_id: Some(parent.id),
                    label: parent.label.clone(),
                    detail: parent.detail.clone(),
                    depth,
                    score: parent.score,
                    band: parent.score.map(json::RiskBand::of),
                    more: None,
                });
                let permission = parent.permission.as_deref().and_then(|p| p.parse().ok());
                walk.links.entry(child.clone()).or_default().push(Link {
                    parent: id.clone(),
                    relation: step.relation,
                    permission,
                });
                if parent.total > FANOUT && folded.insert(parent.child) {
                    let more = parent.total - FANOUT;
                    let aggregate = format!("{}:more:{child}", step.to);
                    walk.nodes.insert(
                        aggregate.clone(),
                        json::GraphNode {
                            id: aggregate.clone(),
                            kind: step.to,
                            entity_id: None,
                            label: format!("{more} more"),
                            detail: format!("{more} more {}", step.to.label().to_lowercase()),
                            depth,
                            score: None,
                            band: None,
                            more: Some(more),
                        },
                    );
                    walk.links.entry(child).or_default().push(Link {
                        parent: aggregate,
                        relation: step.relation,
                        permission: None,
                    });
                }
                if queued.insert(id) {
                    next.push((step.to, parent.id));
                }
            }
        }
        if next.len() > FRONTIER {
            next.truncate(FRONTIER);
            walk.truncated = Some(format!(
                "more than {FRONTIER} nodes {depth} steps up: the first {FRONTIER} were followed"
            ));
        }
        if started.elapsed() > DEADLINE && !next.is_empty() {
            walk.truncated = Some(format!(
                "the walk stopped after {} ms, {depth} steps up",
                DEADLINE.as_millis()
            ));
            break;
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Ok(walk)
}

/// Every path from a start (a node with no way in) down to `target`, each
/// from its start; `false` when there were more than [`ENUMERATED`].
fn enumerate(walk: &Walk, target: &str) -> (Vec<Vec<String>>, bool) {
    let mut found = Vec::new();
    // Paths are built upwards, from the target.
    let mut stack: Vec<Vec<String>> = vec![vec![target.to_owned()]];
    while let Some(path) = stack.pop() {
        let top = path.last().expect("a path has a node");
        match walk.links.get(top) {
            Some(links) if !links.is_empty() => {
                for link in links.iter().rev() {
                    let mut longer = path.clone();
                    longer.push(link.parent.clone());
                    stack.push(longer);
                }
            }
            _ if path.len() > 1 => {
                if found.len() == ENUMERATED {
                    return (found, false);
                }
                let mut path = path;
                path.reverse();
                found.push(path);
            }
            _ => {}
        }
    }
    (found, true)
}

/// A path with its permission and weakest link.
fn describe(walk: &Walk, nodes: &[String]) -> json::ReachPath {
    let permission = nodes.windows(2).find_map(|pair| {
        walk.links
            .get(&pair[1])
            .and_then(|links| links.iter().find(|l| l.parent == pair[0]))
            .and_then(|link| link.permission)
    });
    let start = walk.nodes.get(&nodes[0]);
    let (weakest, weakness) = match start {
        Some(node) if node.more.is_some() => (None, None),
        Some(node) if matches!(node.kind, NodeKind::Agent | NodeKind::Credential) => (
            Some(node.id.clone()),
            Some(format!(
                "{} {} has no owner",
                node.kind.label().to_lowercase(),
                node.label
            )),
        ),
        Some(node) if node.kind == NodeKind::Tool => (
            Some(node.id.clone()),
            Some(format!("no known agent uses tool {}", node.label)),
        ),
        Some(node) if walk.departed.contains(&node.id) => (
            Some(node.id.clone()),
            Some(format!("{} has left the organisation", node.label)),
        ),
        _ => nodes
            .iter()
            .filter_map(|id| walk.nodes.get(id))
            .filter(|n| n.score.is_some())
            .max_by_key(|n| n.score)
            .map_or((None, None), |n| {
                (
                    Some(n.id.clone()),
                    Some(format!(
                        "{} {} scores {} ({})",
                        n.kind.label().to_lowercase(),
                        n.label,
                        n.score.unwrap_or_default(),
                        n.band.map(|b| b.label()).unwrap_or_default()
                    )),
                )
            }),
    };
    json::ReachPath {
        nodes: nodes.to_vec(),
        permission,
        weakest,
        weakness,
    }
}

/// The nodes and edges of `paths`, the target first.
fn drawing(walk: &Walk, target: &str, paths: &[json::ReachPath]) -> json::Lineage {
    let mut order = vec![target.to_owned()];
    let mut seen: HashSet<&str> = HashSet::from([target]);
    let mut edges = Vec::new();
    let mut edge_seen: HashSet<(&str, &str)> = HashSet::new();
    for path in paths {
        for id in &path.nodes {
            if seen.insert(id) {
                order.push(id.clone());
            }
        }
        for pair in path.nodes.windows(2) {
            if edge_seen.insert((&pair[0], &pair[1]))
                && let Some(link) = walk
                    .links
                    .get(&pair[1])
                    .and_then(|links| links.iter().find(|l| l.parent == pair[0]))
            {
                edges.push(json::GraphEdge {
                    from: pair[0].clone(),
                    to: pair[1].clone(),
                    relation: link.relation,
                    permission: link.permission,
                });
            }
        }
    }
    json::Lineage {
        root: target.to_owned(),
        nodes: order
            .iter()
            .filter_map(|id| walk.nodes.get(id).cloned())
            .collect(),
        edges,
    }
}
