//! The facts the policy and the approvers look at: an agent's, a target
//! resource's, the tools and credentials a change names; recording an
//! approved change in the inventory; and the demo's targets.

use model::api::{AgentCategory, Environment, Sensitivity};
use sqlx::{AnyConnection, Row};

use super::super::sql::get_enum;
use crate::approval::policy::Change;

/// What the policy and the self-approval rule need to know of an agent.
#[derive(Debug, Clone)]
pub struct AgentFacts {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: AgentCategory,
    /// Where it runs.
    pub environment: Environment,
    /// Its owner (a person's id).
    pub owner: Option<i64>,
    /// Who deployed it (a person's id).
    pub deployer: Option<i64>,
    /// Its risk score.
    pub risk: i64,
}

/// The facts of an agent, if it exists.
pub async fn agent_facts(conn: &mut AnyConnection, agent: i64) -> Result<Option<AgentFacts>, sqlx::Error> {
    sqlx::query(
        "SELECT a.id, a.name, a.category, a.environment, a.risk_score, a.owner_id, a.deployed_by_id \
         FROM agent a WHERE a.id = $1",
    )
    .bind(agent)
    .fetch_optional(conn)
    .await?
    .map(|row| {
        Ok(AgentFacts {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            category: get_enum(&row, "category")?,
            environment: get_enum(&row, "environment")?,
            owner: row.try_get("owner_id")?,
            deployer: row.try_get("deployed_by_id")?,
            risk: row.try_get("risk_score")?,
        })
    })
    .transpose()
}

/// A target resource found in the inventory by name.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Its id.
    pub id: i64,
    /// Its sensitivity.
    pub sensitivity: Sensitivity,
    /// Its environment.
    pub environment: Environment,
}

/// The resources with this exact name (more than one: the name is ambiguous).
pub async fn targets(conn: &mut AnyConnection, name: &str) -> Result<Vec<Target>, sqlx::Error> {
    sqlx::query("SELECT id, sensitivity, environment FROM resource WHERE name = $1 ORDER BY id LIMIT 2")
        .bind(name)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok(Target {
                id: row.try_get("id")?,
                sensitivity: get_enum(row, "sensitivity")?,
                environment: get_enum(row, "environment")?,
            })
        })
        .collect()
}

/// The credential an agent would use on a resource: of those its tools
/// authenticate with that reach it, the most powerful, then the riskiest.
pub async fn credential_for(
    conn: &mut AnyConnection,
    agent: i64,
    resource: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT c.id FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         JOIN credential c ON c.id = tc.credential_id JOIN reach r ON r.credential_id = c.id \
         WHERE at.agent_id = $1 AND r.resource_id = $2 AND c.status = 'active' \
         ORDER BY CASE r.permission WHEN 'admin' THEN 0 WHEN 'write' THEN 1 ELSE 2 END, c.risk_score DESC, c.id \
         LIMIT 1",
    )
    .bind(agent)
    .bind(resource)
    .fetch_optional(conn)
    .await
}

/// Whether `sql` (a `COUNT(*)` of ids `a` and `b`) counts any row.
async fn counts_any(
    conn: &mut AnyConnection,
    sql: &'static str,
    a: i64,
    b: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let query = sqlx::query_scalar::<_, i64>(sql).bind(a);
    let query = match b {
        Some(b) => query.bind(b),
        None => query,
    };
    Ok(query.fetch_one(conn).await? > 0)
}

/// Whether tool `tool` exists.
pub async fn tool_exists(conn: &mut AnyConnection, tool: i64) -> Result<bool, sqlx::Error> {
    counts_any(conn, "SELECT COUNT(*) FROM tool WHERE id = $1", tool, None).await
}

/// Whether agent `agent` has tool `tool`.
pub async fn agent_has_tool(conn: &mut AnyConnection, agent: i64, tool: i64) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM agent_tool WHERE agent_id = $1 AND tool_id = $2";
    counts_any(conn, sql, agent, Some(tool)).await
}

/// Whether credential `credential` exists and is active.
pub async fn credential_active(conn: &mut AnyConnection, credential: i64) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM credential WHERE id = $1 AND status = 'active'";
    counts_any(conn, sql, credential, None).await
}

/// Whether tool `tool` authenticates with credential `credential`.
pub async fn tool_uses_credential(
    conn: &mut AnyConnection,
    tool: i64,
    credential: i64,
) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COUNT(*) FROM tool_credential WHERE tool_id = $1 AND credential_id = $2";
    counts_any(conn, sql, tool, Some(credential)).await
}

/// The scopes of `credential` when it is active and agent `agent` uses it.
pub async fn agents_credential_scopes(
    conn: &mut AnyConnection,
    agent: i64,
    credential: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT c.scopes FROM credential c WHERE c.id = $1 AND c.status = 'active' AND EXISTS \
         (SELECT 1 FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
          WHERE at.agent_id = $2 AND tc.credential_id = c.id)",
    )
    .bind(credential)
    .bind(agent)
    .fetch_optional(conn)
    .await
}

/// Records an approved change in the inventory; returns the credentials and
/// agents whose risk must be recomputed.
pub async fn apply_change(
    conn: &mut AnyConnection,
    agent: i64,
    change: &Change,
) -> Result<(Vec<i64>, Vec<i64>), sqlx::Error> {
    match change {
        Change::Tool { tool } => {
            sqlx::query("INSERT INTO agent_tool (agent_id, tool_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(agent)
                .bind(*tool)
                .execute(&mut *conn)
                .await?;
            let credentials =
                sqlx::query_scalar("SELECT credential_id FROM tool_credential WHERE tool_id = $1")
                    .bind(*tool)
                    .fetch_all(&mut *conn)
                    .await?;
            Ok((credentials, vec![agent]))
        }
        Change::Credential { tool, credential } => {
            sqlx::query(
                "INSERT INTO tool_credential (tool_id, credential_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(*tool)
            .bind(*credential)
            .execute(&mut *conn)
            .await?;
            Ok((vec![*credential], vec![agent]))
        }
        Change::Scope { credential, scope } => {
            sqlx::query(
                "UPDATE credential SET scopes = CASE WHEN scopes = '' THEN $1 ELSE scopes || ' ' || $1 END \
                 WHERE id = $2",
            )
            .bind(scope)
            .bind(*credential)
            .execute(&mut *conn)
            .await?;
            Ok((vec![*credential], vec![agent]))
        }
        Change::RemoveScope { credential, scope } => {
            let scopes: Option<String> = sqlx::query_scalar("SELECT scopes FROM credential WHERE id = $1")
                .bind(*credential)
                .fetch_optional(&mut *conn)
                .await?;
            let kept: Vec<&str> = scopes
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .filter(|s| s != scope)
                .collect();
            sqlx::query("UPDATE credential SET scopes = $1 WHERE id = $2")
                .bind(kept.join(" "))
                .bind(*credential)
                .execute(&mut *conn)
                .await?;
            Ok((vec![*credential], vec![agent]))
        }
    }
}

/// Pairs of an owned agent and a resource it reaches, for the demo's
/// requests: the most sensitive resources first, one pair per agent.
pub async fn demo_targets(conn: &mut AnyConnection, limit: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT at.agent_id, r.name FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         JOIN reach rc ON rc.credential_id = tc.credential_id JOIN resource r ON r.id = rc.resource_id \
         JOIN agent a ON a.id = at.agent_id WHERE a.owner_id IS NOT NULL \
         ORDER BY CASE r.sensitivity WHEN 'restricted' THEN 0 WHEN 'confidential' THEN 1 ELSE 2 END, \
         a.risk_score DESC, at.agent_id, r.id LIMIT 500",
    )
    .fetch_all(conn)
    .await?;
    let mut pairs: Vec<(i64, String)> = Vec::new();
    for row in &rows {
        let agent: i64 = row.try_get("agent_id")?;
        if !pairs.iter().any(|(a, _)| *a == agent) {
            pairs.push((agent, row.try_get("name")?));
        }
        if pairs.len() as i64 >= limit {
            break;
        }
    }
    Ok(pairs)
}
