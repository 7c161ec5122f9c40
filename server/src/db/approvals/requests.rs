//! Approval requests as stored: creating one (once per idempotency key),
//! replaying one by its key, reading one back, its agent, and queueing its
//! decision callback in the outbox.

use chrono::{DateTime, Utc};
use model::api::{self as json, ApprovalKind, ApprovalState};
use sqlx::{AnyConnection, Row};

use super::super::sql::{get_enum, get_opt_time, get_time, timestamp};
use crate::approval::policy::Ruling;

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

/// Queues a decision callback, due at once, in the caller's transaction.
pub async fn enqueue_callback(
    conn: &mut AnyConnection,
    request: i64,
    url: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let new = super::super::outbox::New {
        topic: json::OutboxTopic::Callback,
        subject: Some(request),
        dedupe_key: None,
        destination: url,
        event: "approval.decided",
        body,
    };
    super::super::outbox::enqueue(conn, &new, now).await?;
    Ok(())
}

/// The agent a request is about.
pub async fn agent_of(conn: &mut AnyConnection, request: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT agent_id FROM approval_request WHERE id = $1")
        .bind(request)
        .fetch_optional(conn)
        .await
}
