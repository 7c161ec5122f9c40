//! The approvals list (the inbox and the history), the pending count, and
//! one request's detail as approvers read it.

use chrono::{DateTime, Utc};
use model::api::{self as json, ApprovalState};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::super::credentials::activity_event;
use super::super::sql::{
    self, Paging, Params, Sort, get_enum, get_opt_time, get_ref, get_required_ref, get_time, timestamp,
};
use super::super::{Db, scores};
use super::decisions::votes;
use crate::ApiError;

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
        super::super::Total::Counted,
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
