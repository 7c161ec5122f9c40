//! Queries of the approval workflow: the policy's rules, approval requests
//! and their votes, the facts the policy and approvers look at, and
//! queueing decision callbacks in the one outbox.
//!
//! Deciding is a conditional update (`WHERE state = 'pending' AND
//! expires_at > now`), so that of two approvers deciding at the same instant
//! exactly one changes the row, on both engines and across replicas.

use chrono::{DateTime, Utc};
use model::api::{
    self as json, AgentCategory, ApprovalKind, ApprovalState, Environment, Sensitivity, Verdict,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::credentials::activity_event;
use super::sql::{
    self, Paging, Params, Sort, get_enum, get_opt_time, get_ref, get_required_ref, get_time, timestamp,
};
use super::{Db, scores};
use crate::ApiError;
use crate::approval::policy::{Change, Ruling};

fn split_set<T: std::str::FromStr<Err = json::UnknownValue>>(text: &str) -> Result<Vec<T>, sqlx::Error> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|e: json::UnknownValue| sqlx::Error::Decode(e.into()))
        })
        .collect()
}

fn joined<T: Copy>(values: &[T], name: impl Fn(T) -> &'static str) -> String {
    let mut names: Vec<&str> = values.iter().map(|v| name(*v)).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

fn rule(row: &AnyRow) -> Result<json::ApprovalRule, sqlx::Error> {
    Ok(json::ApprovalRule {
        id: row.try_get("id")?,
        position: row.try_get("position")?,
        name: row.try_get("name")?,
        operation: row.try_get("operation")?,
        sensitivities: split_set(row.try_get("sensitivities")?)?,
        environments: split_set(row.try_get("environments")?)?,
        categories: split_set(row.try_get("categories")?)?,
        decision: get_enum(row, "decision")?,
        approvals: row.try_get("approvals")?,
        approver_role: get_enum(row, "approver_role")?,
        expires_in: row.try_get("expires_in")?,
        channel: get_ref(row, "channel_id", "channel_name")?,
        updated_by: row.try_get("updated_by")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

const RULE_SELECT: &str = "SELECT r.id, r.position, r.name, r.operation, r.sensitivities, r.environments, \
     r.categories, r.decision, r.approvals, r.approver_role, r.expires_in, r.channel_id, ch.name AS channel_name, \
     r.updated_by, r.updated_at FROM approval_rule r LEFT JOIN notification_channel ch ON ch.id = r.channel_id";

/// The policy's rules, in the order they are tried.
pub async fn rules(conn: &mut AnyConnection) -> Result<Vec<json::ApprovalRule>, sqlx::Error> {
    sqlx::query(&format!("{RULE_SELECT} ORDER BY r.position, r.id"))
        .fetch_all(conn)
        .await?
        .iter()
        .map(rule)
        .collect()
}

/// One rule.
pub async fn rule_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<json::ApprovalRule>, sqlx::Error> {
    sqlx::query(&format!("{RULE_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(rule)
        .transpose()
}

/// Writes a rule: a new one (`id` `None`, returning its id) or over an existing one.
pub async fn save_rule(
    conn: &mut AnyConnection,
    id: Option<i64>,
    rule: &json::NewApprovalRule,
    position: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let query = match id {
        None => {
            "INSERT INTO approval_rule (position, name, operation, sensitivities, environments, categories, \
             decision, approvals, approver_role, expires_in, updated_by, updated_at, channel_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
        }
        Some(_) => {
            "UPDATE approval_rule SET position = $1, name = $2, operation = $3, sensitivities = $4, \
             environments = $5, categories = $6, decision = $7, approvals = $8, approver_role = $9, \
             expires_in = $10, updated_by = $11, updated_at = $12, channel_id = $13 WHERE id = $14 RETURNING id"
        }
    };
    sqlx::query_scalar(query)
        .bind(position)
        .bind(rule.name.trim())
        .bind(rule.operation.trim())
        .bind(joined(&rule.sensitivities, Sensitivity::as_str))
        .bind(joined(&rule.environments, Environment::as_str))
        .bind(joined(&rule.categories, AgentCategory::as_str))
        .bind(rule.decision.as_str())
        .bind(rule.approvals)
        .bind(rule.approver_role.as_str())
        .bind(rule.expires_in)
        .bind(by)
        .bind(timestamp(now))
        .bind(rule.channel)
        .bind(id.unwrap_or_default())
        .fetch_one(conn)
        .await
}

/// Deletes a rule; false when there was none.
pub async fn delete_rule(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM approval_rule WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The position after the last rule.
pub async fn next_position(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 10 FROM approval_rule")
        .fetch_one(conn)
        .await
}

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

/// A new approval request's row.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// Operation or change.
    pub kind: ApprovalKind,
    /// The agent.
    pub agent: i64,
    /// `agent:<id>` or an email.
    pub requested_by: &'a str,
    /// The requester's idempotency key.
    pub idempotency_key: &'a str,
    /// SHA-256 of the canonical request body.
    pub body_hash: &'a str,
    /// The operation.
    pub operation: &'a str,
    /// The target as named.
    pub resource_name: Option<&'a str>,
    /// The target in the inventory.
    pub resource: Option<i64>,
    /// The credential the agent would use.
    pub credential: Option<i64>,
    /// Canonical parameters.
    pub parameters: &'a str,
    /// Their hash.
    pub parameters_hash: &'a str,
    /// Why.
    pub justification: &'a str,
    /// Where to call back.
    pub callback_url: Option<&'a str>,
    /// The policy's ruling.
    pub ruling: &'a Ruling,
    /// The risk shown to approvers.
    pub risk: i64,
    /// Pending, or decided by the policy.
    pub state: ApprovalState,
    /// Now.
    pub now: DateTime<Utc>,
    /// The deadline.
    pub expires_at: DateTime<Utc>,
}

/// Records a request unless the requester used this idempotency key before:
/// returns the new id, or `None` (the unique index decides, even between replicas).
pub async fn create(conn: &mut AnyConnection, new: &NewRequest<'_>) -> Result<Option<i64>, sqlx::Error> {
    let decided = (new.state != ApprovalState::Pending).then(|| timestamp(new.now));
    sqlx::query_scalar(
        "INSERT INTO approval_request (kind, agent_id, requested_by, idempotency_key, body_hash, operation, \
         resource_name, resource_id, credential_id, parameters, parameters_hash, justification, callback_url, \
         rule_id, rule_name, required_approvals, approver_role, approvals, risk_score, state, created_at, \
         expires_at, decided_at, owner_id, deployer_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, $18, $19, $20, \
         $21, $22, (SELECT owner_id FROM agent WHERE id = $2), (SELECT deployed_by_id FROM agent WHERE id = $2)) \
         ON CONFLICT (requested_by, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(new.kind.as_str())
    .bind(new.agent)
    .bind(new.requested_by)
    .bind(new.idempotency_key)
    .bind(new.body_hash)
    .bind(new.operation)
    .bind(new.resource_name)
    .bind(new.resource)
    .bind(new.credential)
    .bind(new.parameters)
    .bind(new.parameters_hash)
    .bind(new.justification)
    .bind(new.callback_url)
    .bind(new.ruling.rule)
    .bind(&new.ruling.name)
    .bind(new.ruling.approvals)
    .bind(new.ruling.role.as_str())
    .bind(new.risk)
    .bind(new.state.as_str())
    .bind(timestamp(new.now))
    .bind(timestamp(new.expires_at))
    .bind(decided)
    .fetch_optional(conn)
    .await
}

/// The request a requester made with an idempotency key: its id and body hash.
pub async fn by_key(
    conn: &mut AnyConnection,
    requested_by: &str,
    key: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query("SELECT id, body_hash FROM approval_request WHERE requested_by = $1 AND idempotency_key = $2")
        .bind(requested_by)
        .bind(key)
        .fetch_optional(conn)
        .await?
        .map(|row| Ok((row.try_get("id")?, row.try_get("body_hash")?)))
        .transpose()
}

/// An approval request as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its id.
    pub id: i64,
    /// The agent.
    pub agent: i64,
    /// The agent's name.
    pub agent_name: String,
    /// Who asked.
    pub requested_by: String,
    /// The operation.
    pub operation: String,
    /// The target as named.
    pub resource_name: Option<String>,
    /// Canonical parameters.
    pub parameters: String,
    /// Their hash.
    pub parameters_hash: String,
    /// Where to call back.
    pub callback_url: Option<String>,
    /// The rule's name.
    pub rule: String,
    /// Approvals needed.
    pub required_approvals: i64,
    /// The approvers' role.
    pub approver_role: json::Role,
    /// Approvals given.
    pub approvals: i64,
    /// As stored (a pending request past its expiry is expired: see [`Stored::state_at`]).
    pub state: ApprovalState,
    /// When asked.
    pub created_at: DateTime<Utc>,
    /// The deadline.
    pub expires_at: DateTime<Utc>,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// When used.
    pub consumed_at: Option<DateTime<Utc>>,
    /// The agent's owner when the request was made (a person's id): they
    /// may not decide it, wherever ownership has moved since.
    pub owner: Option<i64>,
    /// Who had deployed the agent when the request was made.
    pub deployer: Option<i64>,
}

impl Stored {
    /// Where it stands at `now`: a pending request at or past its expiry is
    /// expired, whether or not the sweeper has recorded it yet.
    pub fn state_at(&self, now: DateTime<Utc>) -> ApprovalState {
        if self.state == ApprovalState::Pending && now >= self.expires_at {
            ApprovalState::Expired
        } else {
            self.state
        }
    }
}

/// The approval request with this id.
pub async fn stored(conn: &mut AnyConnection, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query(
        "SELECT q.id, q.agent_id, a.name AS agent_name, q.requested_by, q.operation, q.resource_name, \
         q.parameters, q.parameters_hash, q.callback_url, q.rule_name, q.required_approvals, q.approver_role, \
         q.approvals, q.state, q.created_at, q.expires_at, q.decided_at, q.consumed_at, q.owner_id, \
         q.deployer_id FROM approval_request q JOIN agent a ON a.id = q.agent_id WHERE q.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(|row| {
        Ok(Stored {
            id: row.try_get("id")?,
            agent: row.try_get("agent_id")?,
            agent_name: row.try_get("agent_name")?,
            requested_by: row.try_get("requested_by")?,
            operation: row.try_get("operation")?,
            resource_name: row.try_get("resource_name")?,
            parameters: row.try_get("parameters")?,
            parameters_hash: row.try_get("parameters_hash")?,
            callback_url: row.try_get("callback_url")?,
            rule: row.try_get("rule_name")?,
            required_approvals: row.try_get("required_approvals")?,
            approver_role: get_enum(&row, "approver_role")?,
            approvals: row.try_get("approvals")?,
            state: get_enum(&row, "state")?,
            created_at: get_time(&row, "created_at")?,
            expires_at: get_time(&row, "expires_at")?,
            decided_at: get_opt_time(&row, "decided_at")?,
            consumed_at: get_opt_time(&row, "consumed_at")?,
            owner: row.try_get("owner_id")?,
            deployer: row.try_get("deployer_id")?,
        })
    })
    .transpose()
}

/// The votes on a request, in order.
pub async fn votes(conn: &mut AnyConnection, id: i64) -> Result<Vec<json::Vote>, sqlx::Error> {
    sqlx::query(
        "SELECT approver, verdict, comment, decided_at FROM approval_vote WHERE request_id = $1 \
         ORDER BY decided_at, approver",
    )
    .bind(id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(json::Vote {
            approver: row.try_get("approver")?,
            verdict: get_enum(row, "verdict")?,
            comment: row.try_get("comment")?,
            decided_at: get_time(row, "decided_at")?,
        })
    })
    .collect()
}

/// Counts one vote, if the request is still pending and not expired at `now`:
/// a denial decides at once; an approval decides when it is the last one
/// needed. Returns the new state, or `None` when the request could not be
/// decided (already decided, or expired).
pub async fn vote(
    conn: &mut AnyConnection,
    id: i64,
    approver: &str,
    verdict: Verdict,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApprovalState>, sqlx::Error> {
    let now_text = timestamp(now);
    let sql = match verdict {
        Verdict::Deny => {
            "UPDATE approval_request SET state = 'denied', decided_at = $2 \
             WHERE id = $1 AND state = 'pending' AND expires_at > $2 RETURNING state"
        }
        Verdict::Approve => {
            "UPDATE approval_request SET approvals = approvals + 1, \
             state = CASE WHEN approvals + 1 >= required_approvals THEN 'approved' ELSE 'pending' END, \
             decided_at = CASE WHEN approvals + 1 >= required_approvals THEN $2 ELSE NULL END \
             WHERE id = $1 AND state = 'pending' AND expires_at > $2 RETURNING state"
        }
    };
    let state: Option<String> = sqlx::query_scalar(sql)
        .bind(id)
        .bind(&now_text)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(state) = state else { return Ok(None) };
    sqlx::query(
        "INSERT INTO approval_vote (request_id, approver, verdict, comment, decided_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(approver)
    .bind(verdict.as_str())
    .bind(comment)
    .bind(&now_text)
    .execute(&mut *conn)
    .await?;
    state
        .parse()
        .map(Some)
        .map_err(|e: json::UnknownValue| sqlx::Error::Decode(e.into()))
}

/// Whether this person has voted on the request.
pub async fn has_voted(conn: &mut AnyConnection, id: i64, approver: &str) -> Result<bool, sqlx::Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_vote WHERE request_id = $1 AND approver = $2")
            .bind(id)
            .bind(approver)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// Marks the request expired if it is pending and past its expiry at `now`;
/// false when it was not.
pub async fn expire(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE approval_request SET state = 'expired', decided_at = expires_at \
         WHERE id = $1 AND state = 'pending' AND expires_at <= $2",
    )
    .bind(id)
    .bind(timestamp(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pending requests past their expiry at `now` (at most `limit`).
pub async fn overdue(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM approval_request WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2",
    )
    .bind(timestamp(now))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Marks an approval used, once: false when it is not this agent's, not
/// approved, already used or expired at `now`.
pub async fn consume(
    conn: &mut AnyConnection,
    id: i64,
    agent: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE approval_request SET consumed_at = $3 WHERE id = $1 AND agent_id = $2 AND state = 'approved' \
         AND consumed_at IS NULL AND expires_at > $3",
    )
    .bind(id)
    .bind(agent)
    .bind(timestamp(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

const SUMMARY_COLUMNS: &str = "q.id, q.kind, q.state, q.requested_by, q.operation, q.resource_name, q.rule_name, \
     q.required_approvals, q.approvals, q.created_at, q.expires_at, q.decided_at, q.risk_score, \
     a.id AS agent_id, a.name AS agent_name, a.environment AS agent_environment, a.risk_factors AS agent_factors, \
     o.id AS owner_id, o.name AS owner_name, r.id AS resource_id, r.name AS resource_ref_name, r.sensitivity, \
     r.environment AS resource_environment";

const SUMMARY_FROM: &str = "FROM approval_request q JOIN agent a ON a.id = q.agent_id \
     LEFT JOIN person o ON o.id = a.owner_id LEFT JOIN resource r ON r.id = q.resource_id";

fn summary(row: &AnyRow, now: DateTime<Utc>) -> Result<json::ApprovalSummary, sqlx::Error> {
    let state: ApprovalState = get_enum(row, "state")?;
    let expires_at = get_time(row, "expires_at")?;
    let sensitivity: Option<String> = row.try_get("sensitivity")?;
    let resource_environment: Option<String> = row.try_get("resource_environment")?;
    let environment = match resource_environment {
        Some(_) => get_enum(row, "resource_environment")?,
        None => get_enum(row, "agent_environment")?,
    };
    Ok(json::ApprovalSummary {
        id: row.try_get("id")?,
        kind: get_enum(row, "kind")?,
        state: if state == ApprovalState::Pending && now >= expires_at {
            ApprovalState::Expired
        } else {
            state
        },
        agent: get_required_ref(row, "agent_id", "agent_name")?,
        owner: get_ref(row, "owner_id", "owner_name")?,
        requested_by: row.try_get("requested_by")?,
        operation: row.try_get("operation")?,
        resource_name: row.try_get("resource_name")?,
        resource: get_ref(row, "resource_id", "resource_ref_name")?,
        sensitivity: sensitivity.map(|_| get_enum(row, "sensitivity")).transpose()?,
        environment,
        risk: scores::brief(row.try_get("risk_score")?, row.try_get("agent_factors")?),
        rule: row.try_get("rule_name")?,
        required_approvals: row.try_get("required_approvals")?,
        approvals: row.try_get("approvals")?,
        created_at: get_time(row, "created_at")?,
        expires_at,
        decided_at: get_opt_time(row, "decided_at")?,
    })
}

const INBOX_SORTS: &[Sort] = &[
    Sort::by("expires_at", "q.expires_at"),
    Sort::by("-risk", "q.risk_score"),
    Sort::by("-created_at", "q.created_at"),
];

const HISTORY_SORTS: &[Sort] = &[
    Sort::nullable("-decided_at", "q.decided_at"),
    Sort::by("-risk", "q.risk_score"),
];

/// `GET /api/v1/approvals`: the inbox (pending, not expired, most urgent
/// first, riskiest first among equally urgent) or the history (decided,
/// newest first).
pub async fn list(
    db: &Db,
    query: &json::ApprovalQuery,
    now: DateTime<Utc>,
) -> Result<json::Page<json::ApprovalSummary>, ApiError> {
    let decided = query.decided.unwrap_or(false);
    let sorts = if decided { HISTORY_SORTS } else { INBOX_SORTS };
    let mut paging = Paging::new(query.page, query.limit, query.sort.as_deref(), sorts, "q.id")?;
    if !decided && query.sort.is_none() {
        // Equally urgent requests: the riskiest first.
        paging.order_by = "q.expires_at ASC, q.risk_score DESC, q.id ASC".into();
    }
    let mut params = Params::default();
    let mut conditions = Vec::new();
    let now_text = timestamp(now);
    match (query.state, decided) {
        (Some(ApprovalState::Expired), _) => conditions.push(format!(
            "(q.state = 'expired' OR (q.state = 'pending' AND q.expires_at <= {}))",
            params.bind(now_text)
        )),
        (Some(ApprovalState::Pending), _) | (None, false) => conditions.push(format!(
            "q.state = 'pending' AND q.expires_at > {}",
            params.bind(now_text)
        )),
        (Some(state), _) => conditions.push(format!("q.state = {}", params.bind(state.as_str()))),
        (None, true) => conditions.push(format!(
            "(q.state <> 'pending' OR q.expires_at <= {})",
            params.bind(now_text)
        )),
    }
    if let Some(agent) = query.agent {
        conditions.push(format!("q.agent_id = {}", params.bind(agent)));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::text_match(
            &mut params,
            db.backend(),
            &["q.operation", "a.name", "q.resource_name"],
            text,
        ));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        super::Total::Counted,
        &format!("SELECT COUNT(*) {SUMMARY_FROM} {filter}"),
        &format!(
            "SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} {filter} {}",
            paging.tail()
        ),
        params,
        &paging,
        |row| summary(row, now),
    )
    .await
}

/// Pending, unexpired requests (the overview's figure).
pub async fn pending_count(db: &Db, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM approval_request WHERE state = 'pending' AND expires_at > $1")
        .bind(timestamp(now))
        .fetch_one(db.pool())
        .await
}

/// `GET /api/v1/approvals/{id}` without the caller-specific part
/// (`cannot_decide`), read from one snapshot.
pub async fn detail(db: &Db, id: i64, now: DateTime<Utc>) -> Result<json::ApprovalDetail, ApiError> {
    let mut tx = db.begin_read().await?;
    let row = sqlx::query(&format!(
        "SELECT {SUMMARY_COLUMNS}, q.justification, q.parameters, q.parameters_hash, q.consumed_at, \
         q.credential_id, a.category, a.risk_score AS agent_score, \
         d.id AS deployer_id, d.name AS deployer_name, c.name AS credential_name, \
         c.risk_score AS credential_score, c.risk_factors AS credential_factors \
         {SUMMARY_FROM} LEFT JOIN person d ON d.id = a.deployed_by_id \
         LEFT JOIN credential c ON c.id = q.credential_id WHERE q.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no approval request with id {id}")))?;
    let agent: i64 = row.try_get("agent_id")?;
    let recent_activity = sqlx::query(
        "SELECT e.id, e.occurred_at, e.action, e.source_address, e.user_agent, e.outcome, \
         r.id AS resource_id, r.name AS resource_name \
         FROM activity_event e LEFT JOIN resource r ON r.id = e.resource_id \
         WHERE e.credential_id IN (SELECT tc.credential_id FROM agent_tool at \
             JOIN tool_credential tc ON tc.tool_id = at.tool_id WHERE at.agent_id = $1) \
         ORDER BY e.occurred_at DESC, e.id DESC LIMIT 10",
    )
    .bind(agent)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(activity_event)
    .collect::<Result<_, _>>()?;
    let votes = votes(&mut tx, id).await?;
    tx.commit().await?;
    let parameters: String = row.try_get("parameters")?;
    let credential_score: Option<i64> = row.try_get("credential_score")?;
    Ok(json::ApprovalDetail {
        summary: summary(&row, now)?,
        justification: row.try_get("justification")?,
        parameters: serde_json::from_str(&parameters).map_err(|e| sqlx::Error::Decode(e.into()))?,
        parameters_hash: row.try_get("parameters_hash")?,
        category: get_enum(&row, "category")?,
        deployed_by: get_ref(&row, "deployer_id", "deployer_name")?,
        agent_risk: scores::detail(row.try_get("agent_score")?, row.try_get("agent_factors")?),
        credential: get_ref(&row, "credential_id", "credential_name")?,
        credential_risk: match credential_score {
            Some(score) => Some(scores::brief(score, row.try_get("credential_factors")?)),
            None => None,
        },
        recent_activity,
        votes,
        consumed_at: get_opt_time(&row, "consumed_at")?,
        cannot_decide: None,
    })
}

/// Queues a decision callback, due at once, in the caller's transaction.
pub async fn enqueue_callback(
    conn: &mut AnyConnection,
    request: i64,
    url: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let new = super::outbox::New {
        topic: json::OutboxTopic::Callback,
        subject: Some(request),
        dedupe_key: None,
        destination: url,
        event: "approval.decided",
        body,
    };
    super::outbox::enqueue(conn, &new, now).await?;
    Ok(())
}

/// The agent a request is about.
pub async fn agent_of(conn: &mut AnyConnection, request: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT agent_id FROM approval_request WHERE id = $1")
        .bind(request)
        .fetch_optional(conn)
        .await
}
