//! The lineage graph around any node, bounded in size, and a credential's
//! blast radius.

use std::collections::{HashMap, HashSet, VecDeque};

use model::api::{self as json, NodeKind, Relation};
use sqlx::Row;

use super::Db;
use super::resources;
use crate::ApiError;

/// The most nodes one lineage answer holds; beyond it, nodes stay unexpanded.
pub const MAX_NODES: usize = 400;

/// One way to step from a node to its neighbours.
struct Hop {
    from: NodeKind,
    to: NodeKind,
    relation: Relation,
    /// Whether `to` lies downstream of `from` (person → agent → tool → credential → resource/copy).
    downstream: bool,
    /// The columns `id, label, detail, permission, score` of the neighbours.
    select: &'static str,
    /// Where they are, for node `$1`.
    from_where: &'static str,
    /// Their order, most telling first: riskiest agents and credentials,
    /// the most sensitive resources and strongest permissions (what stays in
    /// view when the rest is folded).
    order: &'static [&'static str],
}

impl Hop {
    /// Selects the neighbours of node `$1`.
    fn rows(&self) -> String {
        format!(
            "SELECT {} {} ORDER BY {}",
            self.select,
            self.from_where,
            self.order.join(", ")
        )
    }

    /// Counts them.
    fn count(&self) -> String {
        format!("SELECT COUNT(*) {}", self.from_where)
    }
}

macro_rules! hop {
    ($from:ident -> $to:ident, $relation:ident, $downstream:expr, $select:literal, $from_where:literal, $order:expr) => {
        Hop {
            from: NodeKind::$from,
            to: NodeKind::$to,
            relation: Relation::$relation,
            downstream: $downstream,
            select: $select,
            from_where: $from_where,
            order: $order,
        }
    };
}

/// Agents, riskiest first.
const RISKIEST_AGENTS: &[&str] = &["a.risk_score DESC", "a.name", "a.id"];
/// Credentials, riskiest first.
const RISKIEST_CREDENTIALS: &[&str] = &["c.risk_score DESC", "c.name", "c.id"];

const HOPS: &[Hop] = &[
    hop!(Team -> Person, MemberOf, true,
        "pe.id, pe.name AS label, pe.email AS detail, CAST(NULL AS TEXT) AS permission, CAST(NULL AS BIGINT) AS score",
        "FROM person pe WHERE pe.team_id = $1", &["pe.name", "pe.id"]),
    hop!(Person -> Team, MemberOf, false,
        "t.id, t.name AS label, 'team' AS detail, CAST(NULL AS TEXT) AS permission, CAST(NULL AS BIGINT) AS score",
        "FROM team t JOIN person pe ON pe.team_id = t.id WHERE pe.id = $1", &["t.name", "t.id"]),
    hop!(Person -> Agent, Owns, true,
        "a.id, a.name AS label, a.platform || ' · ' || a.environment AS detail, CAST(NULL AS TEXT) AS permission, a.risk_score AS score",
        "FROM agent a WHERE a.owner_id = $1", RISKIEST_AGENTS),
    hop!(Person -> Credential, Owns, true,
        "c.id, c.name AS label, c.provider || ' · ' || c.kind || ' · ' || c.status AS detail, CAST(NULL AS TEXT) AS permission, c.risk_score AS score",
        "FROM credential c WHERE c.owner_id = $1", RISKIEST_CREDENTIALS),
    hop!(Agent -> Person, Owns, false,
        "pe.id, pe.name AS label, pe.email AS detail, CAST(NULL AS TEXT) AS permission, CAST(NULL AS BIGINT) AS score",
        "FROM person pe JOIN agent a ON a.owner_id = pe.id WHERE a.id = $1", &["pe.name", "pe.id"]),
    hop!(Agent -> Tool, Uses, true,
        "t.id, t.name AS label, t.kind AS detail, CAST(NULL AS TEXT) AS permission, CAST(NULL AS BIGINT) AS score",
        "FROM tool t JOIN agent_tool at ON at.tool_id = t.id WHERE at.agent_id = $1", &["t.name", "t.id"]),
    hop!(Tool -> Agent, Uses, false,
        "a.id, a.name AS label, a.platform || ' · ' || a.environment AS detail, CAST(NULL AS TEXT) AS permission, a.risk_score AS score",
        "FROM agent a JOIN agent_tool at ON at.agent_id = a.id WHERE at.tool_id = $1", RISKIEST_AGENTS),
    hop!(Tool -> Credential, AuthenticatesWith, true,
        "c.id, c.name AS label, c.provider || ' · ' || c.kind || ' · ' || c.status AS detail, CAST(NULL AS TEXT) AS permission, c.risk_score AS score",
        "FROM credential c JOIN tool_credential tc ON tc.credential_id = c.id WHERE tc.tool_id = $1", RISKIEST_CREDENTIALS),
    hop!(Credential -> Person, Owns, false,
        "pe.id, pe.name AS label, pe.email AS detail, CAST(NULL AS TEXT) AS permission, CAST(NULL AS BIGINT) AS score",
        "FROM person pe JOIN credential c ON c.owner_id = pe.id WHERE c.id = $1", &["pe.name", "pe.id"]),
    hop!(Credential -> Tool, AuthenticatesWith, false,
        "t.id, t.name AS label, t.kind AS detail, CAST(NULL AS TEXT) AS permission, CAST(NULL AS BIGINT) AS score",
        "FROM tool t JOIN tool_credential tc ON tc.tool_id = t.id WHERE tc.credential_id = $1", &["t.name", "t.id"]),
    hop!(Credential -> Copy, StoredAt, true,
        "cp.id, cp.locator AS label, cp.kind || ' · ' || cp.status AS detail, CAST(NULL AS TEXT) AS permission, CAST(NULL AS BIGINT) AS score",
        "FROM credential_copy cp WHERE cp.credential_id = $1", &["cp.status", "cp.last_seen DESC", "cp.id"]),
    hop!(Credential -> Resource, Reaches, true,
        "res.id, res.name AS label, res.provider || ' · ' || res.environment || ' · ' || res.sensitivity AS detail, r.permission AS permission, CAST(NULL AS BIGINT) AS score",
        "FROM resource res JOIN reach r ON r.resource_id = res.id WHERE r.credential_id = $1",
        &[resources::SENSITIVITY_RANK, resources::PERMISSION_RANK, "res.name", "res.id"]),
    hop!(Copy -> Credential, StoredAt, false,
        "c.id, c.name AS label, c.provider || ' · ' || c.kind || ' · ' || c.status AS detail, CAST(NULL AS TEXT) AS permission, c.risk_score AS score",
        "FROM credential c JOIN credential_copy cp ON cp.credential_id = c.id WHERE cp.id = $1", RISKIEST_CREDENTIALS),
    hop!(Resource -> Credential, Reaches, false,
        "c.id, c.name AS label, c.provider || ' · ' || c.kind || ' · ' || c.status AS detail, r.permission AS permission, c.risk_score AS score",
        "FROM credential c JOIN reach r ON r.credential_id = c.id WHERE r.resource_id = $1",
        &[resources::PERMISSION_RANK, "c.risk_score DESC", "c.name", "c.id"]),
];

/// The label and detail of a single node, by kind.
fn node_sql(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Team => {
            "SELECT t.name AS label, 'team' AS detail, CAST(NULL AS BIGINT) AS score FROM team t WHERE t.id = $1"
        }
        NodeKind::Person => {
            "SELECT pe.name AS label, pe.email AS detail, CAST(NULL AS BIGINT) AS score FROM person pe WHERE pe.id = $1"
        }
        NodeKind::Agent => {
            "SELECT a.name AS label, a.platform || ' · ' || a.environment AS detail, a.risk_score AS score FROM agent a WHERE a.id = $1"
        }
        NodeKind::Tool => {
            "SELECT t.name AS label, t.kind AS detail, CAST(NULL AS BIGINT) AS score FROM tool t WHERE t.id = $1"
        }
        NodeKind::Credential => {
            "SELECT c.name AS label, c.provider || ' · ' || c.kind || ' · ' || c.status AS detail, \
             c.risk_score AS score FROM credential c WHERE c.id = $1"
        }
        NodeKind::Copy => {
            "SELECT cp.locator AS label, cp.kind || ' · ' || cp.status AS detail, CAST(NULL AS BIGINT) AS score FROM credential_copy cp WHERE cp.id = $1"
        }
        NodeKind::Resource => {
            "SELECT res.name AS label, res.provider || ' · ' || res.environment || ' · ' || res.sensitivity AS detail, \
             CAST(NULL AS BIGINT) AS score FROM resource res WHERE res.id = $1"
        }
    }
}

/// One node of the lineage, by kind and id, at depth 0.
pub async fn node(db: &Db, kind: NodeKind, id: i64) -> Result<Option<json::GraphNode>, sqlx::Error> {
    let Some(row) = sqlx::query(node_sql(kind))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let score: Option<i64> = row.try_get("score")?;
    Ok(Some(json::GraphNode {
        id: node_id(kind, id),
        kind,
        entity_id: Some(id),
        label: row.try_get("label")?,
        detail: row.try_get("detail")?,
        depth: 0,
        score,
        band: score.map(json::RiskBand::of),
        more: None,
    }))
}

/// Parses `<kind>:<id>`.
pub fn parse_node(node: &str) -> Result<(NodeKind, i64), ApiError> {
    let (kind, id) = node.split_once(':').ok_or_else(|| {
        ApiError::BadRequest(format!(
            "node must be <kind>:<id>, e.g. credential:12, not {node:?}"
        ))
    })?;
    let kind: NodeKind = kind
        .parse()
        .map_err(|e: json::UnknownValue| ApiError::BadRequest(e.to_string()))?;
    let id: i64 = id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::BadRequest(format!("node id must be a positive integer, not {id:?}")))?;
    Ok((kind, id))
}

fn node_id(kind: NodeKind, id: i64) -> String {
    format!("{kind}:{id}")
}

/// Which way a node was reached from the root: the walk keeps going that
/// way, so that it draws the root's own chain (its owner, agents, tools,
/// resources, copies) and not its siblings (the other credentials of a
/// tool it shares, the other agents of its owner), which a click on a node
/// brings in on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// The root: both ways.
    Both,
    /// Upstream of the root: towards the people.
    Up,
    /// Downstream of the root: towards the resources and copies.
    Down,
}

impl Way {
    fn follows(self, hop: &Hop) -> bool {
        match self {
            Way::Both => true,
            Way::Up => !hop.downstream,
            Way::Down => hop.downstream,
        }
    }
}

/// `GET /api/v1/graph/lineage`: a breadth-first walk of up to `depth` hops
/// along the root's own chain: upstream from the nodes upstream of it,
/// downstream from the nodes downstream of it. Around each node at most
/// [`json::LINEAGE_FANOUT`] neighbours of each kind are drawn; the rest
/// become one aggregate "N more" node.
pub async fn lineage(db: &Db, kind: NodeKind, id: i64, depth: u32) -> Result<json::Lineage, ApiError> {
    let root = sqlx::query(node_sql(kind))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no {} with id {id}", kind.label().to_lowercase())))?;
    let root_id = node_id(kind, id);
    let mut nodes = vec![json::GraphNode {
        id: root_id.clone(),
        kind,
        entity_id: Some(id),
        label: root.try_get("label")?,
        detail: root.try_get("detail")?,
        depth: 0,
        more: None,
        score: root.try_get("score")?,
        band: None,
    }];
    let mut seen: HashMap<String, usize> = HashMap::from([(root_id.clone(), 0)]);
    let mut edges = Vec::new();
    let mut edge_keys = HashSet::new();
    let mut queue = VecDeque::from([(kind, id, 0_u32, Way::Both)]);
    let fanout = json::LINEAGE_FANOUT;
    while let Some((from_kind, from_id, level, way)) = queue.pop_front() {
        if level >= depth || nodes.len() >= MAX_NODES {
            continue;
        }
        let from = node_id(from_kind, from_id);
        for hop in HOPS
            .iter()
            .filter(|hop| hop.from == from_kind && way.follows(hop))
        {
            let rows = sqlx::query(&format!("{} LIMIT {}", hop.rows(), fanout + 1))
                .bind(from_id)
                .fetch_all(db.pool())
                .await?;
            let total = if rows.len() > fanout {
                sqlx::query_scalar::<_, i64>(&hop.count())
                    .bind(from_id)
                    .fetch_one(db.pool())
                    .await?
            } else {
                rows.len() as i64
            };
            for row in rows.iter().take(fanout) {
                let to_id: i64 = row.try_get("id")?;
                let to = node_id(hop.to, to_id);
                if !seen.contains_key(&to) {
                    seen.insert(to.clone(), nodes.len());
                    nodes.push(json::GraphNode {
                        id: to.clone(),
                        kind: hop.to,
                        entity_id: Some(to_id),
                        label: row.try_get("label")?,
                        detail: row.try_get("detail")?,
                        depth: level + 1,
                        more: None,
                        score: row.try_get("score")?,
                        band: None,
                    });
                    let onward = if hop.downstream { Way::Down } else { Way::Up };
                    queue.push_back((hop.to, to_id, level + 1, onward));
                }
                let permission: Option<String> = row.try_get("permission")?;
                let permission =
                    permission
                        .map(|p| p.parse())
                        .transpose()
                        .map_err(|e: json::UnknownValue| {
                            ApiError::Internal(anyhow::anyhow!("bad permission in the database: {e}"))
                        })?;
                let (up, down) = if hop.downstream {
                    (&from, &to)
                } else {
                    (&to, &from)
                };
                if edge_keys.insert((up.clone(), down.clone())) {
                    edges.push(json::GraphEdge {
                        from: up.clone(),
                        to: down.clone(),
                        relation: hop.relation,
                        permission,
                    });
                }
            }
            if total > fanout as i64 {
                let more = total - fanout as i64;
                let aggregate = format!("{}:more:{from}", hop.to);
                nodes.push(json::GraphNode {
                    id: aggregate.clone(),
                    kind: hop.to,
                    entity_id: None,
                    label: format!("{more} more"),
                    detail: format!("{} {}", more, plural(hop.to, more)),
                    depth: level + 1,
                    more: Some(more),
                    score: None,
                    band: None,
                });
                let (up, down) = if hop.downstream {
                    (from.clone(), aggregate)
                } else {
                    (aggregate, from.clone())
                };
                edges.push(json::GraphEdge {
                    from: up,
                    to: down,
                    relation: hop.relation,
                    permission: None,
                });
            }
        }
    }
    for node in &mut nodes {
        node.band = node.score.map(json::RiskBand::of);
    }
    Ok(json::Lineage {
        root: root_id,
        nodes,
        edges,
    })
}

fn plural(kind: NodeKind, count: i64) -> String {
    let word = match kind {
        NodeKind::Team => "team",
        NodeKind::Person => "person",
        NodeKind::Agent => "agent",
        NodeKind::Tool => "tool",
        NodeKind::Credential => "credential",
        NodeKind::Copy => "copy",
        NodeKind::Resource => "resource",
    };
    match (word, count) {
        (word, 1) => word.to_owned(),
        ("person", _) => "people".to_owned(),
        ("copy", _) => "copies".to_owned(),
        (word, _) => format!("{word}s"),
    }
}

/// `GET /api/v1/credentials/{id}/blast-radius`.
pub async fn blast_radius(db: &Db, id: i64) -> Result<json::BlastRadius, ApiError> {
    let name: String = sqlx::query_scalar("SELECT name FROM credential WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no credential with id {id}")))?;
    let reach = resources::reached_by_credential(db, id, None).await?;
    let mut entries = Vec::with_capacity(reach.len());
    for entry in reach {
        let (others, others_total) = resources::reaching(db, entry.resource.id, Some(id), 10).await?;
        entries.push(json::BlastEntry {
            resource: entry.resource,
            permission: entry.permission,
            others,
            others_total,
        });
    }
    let by_sensitivity = json::Sensitivity::ALL
        .iter()
        .rev()
        .map(|sensitivity| json::SensitivityCount {
            sensitivity: *sensitivity,
            count: entries
                .iter()
                .filter(|e| e.resource.sensitivity == *sensitivity)
                .count() as i64,
        })
        .collect();
    Ok(json::BlastRadius {
        credential: json::Ref { id, name },
        resources: entries,
        by_sensitivity,
    })
}
