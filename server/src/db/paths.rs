//! Queries of the path search ([`crate::paths`]): one step upstream from
//! many nodes at once, at most `cap` parents per node (the strongest and
//! riskiest first) with how many there are in all.

use model::api::{NodeKind, Relation};
use sqlx::FromRow;

use super::Db;
use super::sql::Params;

/// One step upstream, from nodes of kind `from` to the nodes of kind `to`
/// that lead to them.
#[derive(Debug)]
pub struct Upstream {
    /// The kind stepped from.
    pub from: NodeKind,
    /// The kind stepped to.
    pub to: NodeKind,
    /// The relation, read downstream (`to` → `from`).
    pub relation: Relation,
    /// The column naming the node stepped from.
    child: &'static str,
    /// `id, label, detail, score, permission, flag` of the node stepped to.
    select: &'static str,
    /// `FROM … WHERE …` (the `IN` list is added with `AND`).
    from_where: &'static str,
    /// The order of a node's parents: the first `cap` are kept.
    order: &'static str,
}

const PERSON: &str = "pe.id, pe.name AS label, pe.email AS detail, CAST(NULL AS BIGINT) AS score, \
     CAST(NULL AS TEXT) AS permission, pe.status AS flag";

/// Every step upstream of the lineage: a resource is reached by active
/// credentials; a credential is held by its owner and by the tools that
/// authenticate with it; a tool by the agents that use it; an agent by its
/// owner.
pub const UPSTREAM: &[Upstream] = &[
    Upstream {
        from: NodeKind::Resource,
        to: NodeKind::Credential,
        relation: Relation::Reaches,
        child: "r.resource_id",
        select: "c.id, c.name AS label, c.provider || ' · ' || c.kind || ' · ' || c.status AS detail, \
                 c.risk_score AS score, r.permission AS permission, CAST(NULL AS TEXT) AS flag",
        from_where: "FROM reach r JOIN credential c ON c.id = r.credential_id WHERE c.status = 'active'",
        order: "CASE r.permission WHEN 'admin' THEN 0 WHEN 'write' THEN 1 ELSE 2 END, c.risk_score DESC, c.id",
    },
    Upstream {
        from: NodeKind::Credential,
        to: NodeKind::Person,
        relation: Relation::Owns,
        child: "c.id",
        select: PERSON,
        from_where: "FROM credential c JOIN person pe ON pe.id = c.owner_id WHERE 1 = 1",
        order: "pe.name, pe.id",
    },
    Upstream {
        from: NodeKind::Credential,
        to: NodeKind::Tool,
        relation: Relation::AuthenticatesWith,
        child: "tc.credential_id",
        select: "t.id, t.name AS label, t.kind AS detail, CAST(NULL AS BIGINT) AS score, \
                 CAST(NULL AS TEXT) AS permission, CAST(NULL AS TEXT) AS flag",
        from_where: "FROM tool_credential tc JOIN tool t ON t.id = tc.tool_id WHERE 1 = 1",
        order: "t.name, t.id",
    },
    Upstream {
        from: NodeKind::Tool,
        to: NodeKind::Agent,
        relation: Relation::Uses,
        child: "at.tool_id",
        select: "a.id, a.name AS label, a.platform || ' · ' || a.environment AS detail, a.risk_score AS score, \
                 CAST(NULL AS TEXT) AS permission, CAST(NULL AS TEXT) AS flag",
        from_where: "FROM agent_tool at JOIN agent a ON a.id = at.agent_id WHERE 1 = 1",
        order: "a.risk_score DESC, a.name, a.id",
    },
    Upstream {
        from: NodeKind::Agent,
        to: NodeKind::Person,
        relation: Relation::Owns,
        child: "a.id",
        select: PERSON,
        from_where: "FROM agent a JOIN person pe ON pe.id = a.owner_id WHERE 1 = 1",
        order: "pe.name, pe.id",
    },
];

/// A parent found by a step.
#[derive(Debug, FromRow)]
pub struct Parent {
    /// The node stepped from.
    pub child: i64,
    /// The parent's id.
    pub id: i64,
    /// Its name.
    pub label: String,
    /// Its second line.
    pub detail: String,
    /// Its risk score (agents and credentials).
    pub score: Option<i64>,
    /// For a credential reaching a resource: the permission.
    pub permission: Option<String>,
    /// For a person: `active` or `departed`.
    pub flag: Option<String>,
    /// How many parents the child has in all.
    pub total: i64,
}

/// The first `cap` parents of each of `children` by `step`, in order.
pub async fn parents(
    db: &Db,
    step: &Upstream,
    children: &[i64],
    cap: i64,
) -> Result<Vec<Parent>, sqlx::Error> {
    if children.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::in_order(db.backend());
    let list: Vec<String> = children.iter().map(|id| params.bind(*id)).collect();
    let cap = params.bind(cap);
    let sql = format!(
        "SELECT child, id, label, detail, score, permission, flag, total FROM (SELECT {child} AS child, {select}, \
         ROW_NUMBER() OVER (PARTITION BY {child} ORDER BY {order}) AS position, \
         COUNT(*) OVER (PARTITION BY {child}) AS total {from_where} AND {child} IN ({list})) ranked \
         WHERE position <= {cap} ORDER BY child, position",
        child = step.child,
        select = step.select,
        order = step.order,
        from_where = step.from_where,
        list = list.join(", "),
    );
    sqlx::query_as_with(&sql, params.args())
        .fetch_all(db.pool())
        .await
}
