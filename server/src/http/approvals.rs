//! Human-in-the-loop approvals.
//!
//! - Agents, with their own token: `POST /approval-requests` (with an
//!   `Idempotency-Key`), `GET /approval-requests/{id}` (long-poll with
//!   `?wait=30s`), `POST /approval-requests/{id}/consume`.
//! - Anyone, signed in or not: `GET /approvals/keys`, the public key that
//!   signs decisions, so tools verify them offline.
//! - People: the inbox and history (`GET /approvals`), one request with its
//!   context (`GET /approvals/{id}`), deciding it (`POST .../decision`),
//!   change requests (`POST /change-requests`) and the policy
//!   (`/approval-rules`, admins change it).
//!
//! The handlers translate HTTP (headers, long-polls, status codes) and call
//! the approvals service ([`crate::approval`]). The rules no configuration
//! turns off are enforced there and in the conditional updates of
//! [`crate::db::approvals`]: no self-approval (owner,
//! deployer or requester), two different people for a two-person rule,
//! expiry checked at decision time, a decision made once (409), agent tokens
//! never decide (they are refused on every route for people).

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use model::api::{self as json, ApprovalState, OwnedKind};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiQuery, Id};
use crate::approval::submit::{Asked, Requester, Submitted, body_hash, submit_now};
use crate::approval::{self, decide, rules};
use crate::audit::Source;
use crate::auth::{Admin, AgentCaller, InboxReader, OwnershipEditor};
use crate::db::approvals;
use crate::{ApiError, AppState, ownership};

/// Routes for agents with a token.
pub fn agent_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_approval_request))
        .routes(routes!(get_approval_request))
        .routes(routes!(consume_approval))
}

/// Routes open to anyone.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_approval_keys))
}

/// Routes for signed-in people.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_approvals))
        .routes(routes!(get_approval))
        .routes(routes!(decide_approval))
        .routes(routes!(create_change_request))
        .routes(routes!(list_approval_rules, create_approval_rule))
        .routes(routes!(update_approval_rule, delete_approval_rule))
}

/// The header carrying the requester's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The longest long-poll.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// Polls of one request closer together than this are refused (429).
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);

fn idempotency_key(headers: &HeaderMap) -> Result<&str, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or_else(|| ApiError::BadRequest("an Idempotency-Key header is required".into()))?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| {
            ApiError::BadRequest("the Idempotency-Key must be 1 to 200 visible characters".into())
        })?;
    Ok(key)
}

/// A new (201) or replayed (200) request's status.
async fn answer(
    state: &AppState,
    submitted: &Submitted,
) -> Result<(StatusCode, Json<json::ApprovalStatus>), ApiError> {
    let stored = &submitted.stored;
    let votes = approvals::votes(&mut *state.db.pool().acquire().await?, stored.id).await?;
    let now = state.settings.clock.now();
    let code = if submitted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(approval::status(state, stored, &votes, now))))
}

/// Asks for approval of an operation (or a change to the agent itself).
///
/// Answers 201 with the new request, `pending` or already decided by the
/// policy; the same body with the same `Idempotency-Key` answers 200 with the
/// same request; the same key with another body is refused (422).
#[utoipa::path(post, path = "/approval-requests", tag = "approvals",
    params(("Idempotency-Key" = String, Header, description = "The requester's key for this request")),
    request_body = json::NewApprovalRequest,
    responses((status = 201, body = json::ApprovalStatus), (status = 200, body = json::ApprovalStatus),
        (status = 400, body = json::ErrorBody), (status = 401, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 422, body = json::ErrorBody)))]
async fn create_approval_request(
    State(state): State<AppState>,
    Extension(caller): Extension<AgentCaller>,
    headers: HeaderMap,
    source: Source,
    ApiJson(request): ApiJson<json::NewApprovalRequest>,
) -> Result<(StatusCode, Json<json::ApprovalStatus>), ApiError> {
    let key = idempotency_key(&headers)?;
    let hash = body_hash(&request)?;
    let mut conn = state.db.pool().acquire().await?;
    let agent = approvals::agent_facts(&mut conn, caller.agent_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    drop(conn);
    let asked = Asked {
        operation: &request.operation,
        resource: request.resource.as_deref(),
        parameters: &request.parameters,
        justification: &request.justification,
        callback_url: request.callback_url.as_deref(),
    };
    let submitted = submit_now(
        &state,
        Requester::Agent(agent.id),
        agent,
        key,
        &hash,
        asked,
        &source,
    )
    .await?;
    answer(&state, &submitted).await
}

/// Parameters of `GET /approval-requests/{id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct WaitQuery {
    /// Wait up to this long for a decision: `30s` or `30` (at most 60 s).
    wait: Option<String>,
}

fn parse_wait(wait: Option<&str>) -> Result<Duration, ApiError> {
    let Some(text) = wait else {
        return Ok(Duration::ZERO);
    };
    let seconds: u64 = text
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("wait must be seconds, like 30s, not {text:?}")))?;
    let wait = Duration::from_secs(seconds);
    if wait > MAX_WAIT {
        return Err(ApiError::BadRequest(format!(
            "wait must be at most {}s",
            MAX_WAIT.as_secs()
        )));
    }
    Ok(wait)
}

/// Refuses a poll of the same request sooner than [`MIN_POLL_INTERVAL`]
/// after an answer that came at once (429 with `Retry-After`). A long-poll
/// that waited may be followed by the next one straight away.
fn check_poll_rate(state: &AppState, id: i64) -> Result<(), ApiError> {
    let polls = state
        .polls
        .lock()
        .expect("the poll table's lock is never poisoned");
    match polls.get(&id) {
        Some(last) if last.elapsed() < MIN_POLL_INTERVAL => Err(ApiError::PolledTooFast(1)),
        _ => Ok(()),
    }
}

/// Remembers when a poll that did not wait was answered.
fn record_poll(state: &AppState, id: i64, waited: Duration) {
    let mut polls = state
        .polls
        .lock()
        .expect("the poll table's lock is never poisoned");
    let now = Instant::now();
    if polls.len() > 10_000 {
        polls.retain(|_, at| now.duration_since(*at) < MIN_POLL_INTERVAL);
    }
    if waited < MIN_POLL_INTERVAL {
        polls.insert(id, now);
    } else {
        polls.remove(&id);
    }
}

/// Follows a request: its state and, once approved, the signed decision.
/// With `?wait=30s` the answer waits until it is decided (or the wait ends).
/// A pending answer carries `Retry-After`; polling the same request again
/// within a second of an answer that came at once is refused (429).
#[utoipa::path(get, path = "/approval-requests/{id}", tag = "approvals",
    params(("id" = i64, Path, description = "Approval request id"), WaitQuery),
    responses((status = 200, body = json::ApprovalStatus), (status = 404, body = json::ErrorBody),
        (status = 429, body = json::ErrorBody)))]
async fn get_approval_request(
    State(state): State<AppState>,
    Extension(caller): Extension<AgentCaller>,
    Id(id): Id,
    ApiQuery(query): ApiQuery<WaitQuery>,
) -> Result<Response, ApiError> {
    let wait = parse_wait(query.wait.as_deref())?;
    check_poll_rate(&state, id)?;
    let _slot = if wait.is_zero() {
        None
    } else {
        Some(crate::serve::long_poll_slot(&state, caller.agent_id)?)
    };
    let started = tokio::time::Instant::now();
    let deadline = started + wait;
    loop {
        // Listen before reading, so that a decision between the read and the wait is not missed.
        let decided = state.decided.notified();
        let mut conn = state.db.pool().acquire().await?;
        let stored = approvals::stored(&mut conn, id)
            .await?
            .filter(|s| s.agent == caller.agent_id)
            .ok_or_else(|| ApiError::NotFound(format!("no approval request {id} of this agent")))?;
        let now = state.settings.clock.now();
        if stored.state_at(now) != ApprovalState::Pending || tokio::time::Instant::now() >= deadline {
            let votes = approvals::votes(&mut conn, id).await?;
            drop(conn);
            record_poll(&state, id, started.elapsed());
            let status = approval::status(&state, &stored, &votes, now);
            let mut response = Json(&status).into_response();
            if status.state == ApprovalState::Pending {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            }
            return Ok(response);
        }
        drop(conn);
        // Another replica may decide it: look again at least every second.
        let _ = tokio::time::timeout_at(
            deadline.min(tokio::time::Instant::now() + Duration::from_secs(1)),
            decided,
        )
        .await;
    }
}

/// Marks an approval as used. An approval is used once: a second consume,
/// or one after it expired, is refused (409).
#[utoipa::path(post, path = "/approval-requests/{id}/consume", tag = "approvals",
    params(("id" = i64, Path, description = "Approval request id")),
    responses((status = 200, body = json::ApprovalStatus), (status = 404, body = json::ErrorBody),
        (status = 409, body = json::ErrorBody)))]
async fn consume_approval(
    State(state): State<AppState>,
    Extension(caller): Extension<AgentCaller>,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::ApprovalStatus>, ApiError> {
    Ok(Json(decide::consume(&state, caller.agent_id, id, &source).await?))
}

/// The public keys that sign decisions (a JSON Web Key Set), for tools that
/// verify decisions offline.
#[utoipa::path(get, path = "/approvals/keys", tag = "approvals",
    responses((status = 200, body = json::KeySet)))]
async fn get_approval_keys(State(state): State<AppState>) -> Json<json::KeySet> {
    Json(state.settings.approval_key.key_set())
}

/// The inbox (pending, most urgent and riskiest first) or, with
/// `decided=true`, the history.
#[utoipa::path(get, path = "/approvals", tag = "approvals", params(json::ApprovalQuery),
    responses((status = 200, body = json::Page<json::ApprovalSummary>), (status = 403, body = json::ErrorBody)))]
async fn list_approvals(
    State(state): State<AppState>,
    InboxReader(_): InboxReader,
    ApiQuery(query): ApiQuery<json::ApprovalQuery>,
) -> Result<Json<json::Page<json::ApprovalSummary>>, ApiError> {
    Ok(Json(
        approvals::list(&state.db, &query, state.settings.clock.now()).await?,
    ))
}

/// One request with everything needed to decide it: the agent, its owner and
/// risk factors, the credential it would use, the resource and its
/// sensitivity, the exact parameters, recent activity, the votes so far, and
/// why the caller cannot decide it, if they cannot.
#[utoipa::path(get, path = "/approvals/{id}", tag = "approvals",
    params(("id" = i64, Path, description = "Approval request id")),
    responses((status = 200, body = json::ApprovalDetail), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn get_approval(
    State(state): State<AppState>,
    InboxReader(caller): InboxReader,
    Id(id): Id,
) -> Result<Json<json::ApprovalDetail>, ApiError> {
    Ok(Json(decide::detail(&state, &caller, id).await?))
}

/// Approves or denies a request. A denial decides at once; an approval
/// decides when it is the last one the rule needs. Refused: your own agent's
/// or your own request (403), a role the rule does not name (403), a second
/// approval by the same person, a decided or expired request (409).
#[utoipa::path(post, path = "/approvals/{id}/decision", tag = "approvals",
    params(("id" = i64, Path, description = "Approval request id")), request_body = json::NewVote,
    responses((status = 200, body = json::ApprovalDetail), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 409, body = json::ErrorBody)))]
async fn decide_approval(
    State(state): State<AppState>,
    InboxReader(caller): InboxReader,
    Id(id): Id,
    source: Source,
    ApiJson(vote): ApiJson<json::NewVote>,
) -> Result<Json<json::ApprovalDetail>, ApiError> {
    decide::decide(&state, &caller, id, &vote, &source).await?;
    Ok(Json(decide::detail(&state, &caller, id).await?))
}

/// Asks for a change to an agent's capabilities (a new tool, credential or
/// scope): the same machinery as an agent's request; approved, the change is
/// recorded in the inventory. Admins may ask for any agent, managers for
/// the agents their teams own; both are checked again at each approval.
#[utoipa::path(post, path = "/change-requests", tag = "approvals",
    params(("Idempotency-Key" = String, Header, description = "The requester's key for this request")),
    request_body = json::NewChangeRequest,
    responses((status = 201, body = json::ApprovalStatus), (status = 200, body = json::ApprovalStatus),
        (status = 400, body = json::ErrorBody), (status = 403, body = json::ErrorBody),
        (status = 422, body = json::ErrorBody)))]
async fn create_change_request(
    State(state): State<AppState>,
    OwnershipEditor(caller): OwnershipEditor,
    headers: HeaderMap,
    source: Source,
    ApiJson(request): ApiJson<json::NewChangeRequest>,
) -> Result<(StatusCode, Json<json::ApprovalStatus>), ApiError> {
    let key = idempotency_key(&headers)?;
    if !json::CHANGE_OPERATIONS.contains(&request.operation.as_str()) {
        return Err(ApiError::Unprocessable(format!(
            "a change request's operation is one of: {}",
            json::CHANGE_OPERATIONS.join(", ")
        )));
    }
    let hash = body_hash(&request)?;
    let mut conn = state.db.pool().acquire().await?;
    let agent = approvals::agent_facts(&mut conn, request.agent)
        .await?
        .ok_or_else(|| ApiError::Unprocessable(format!("no agent with id {}", request.agent)))?;
    ownership::require_in_teams(&mut conn, &caller, OwnedKind::Agent, agent.id, "change").await?;
    drop(conn);
    let asked = Asked::change(&request);
    let email = caller.0.email.clone();
    let submitted = submit_now(
        &state,
        Requester::Person(&email),
        agent,
        key,
        &hash,
        asked,
        &source,
    )
    .await?;
    answer(&state, &submitted).await
}

/// The approval policy, in the order its rules are tried.
#[utoipa::path(get, path = "/approval-rules", tag = "approvals",
    responses((status = 200, body = Vec<json::ApprovalRule>)))]
async fn list_approval_rules(
    State(state): State<AppState>,
) -> Result<Json<Vec<json::ApprovalRule>>, ApiError> {
    Ok(Json(
        approvals::rules(&mut *state.db.pool().acquire().await?).await?,
    ))
}

/// Adds a rule to the policy (admins).
#[utoipa::path(post, path = "/approval-rules", tag = "approvals", request_body = json::NewApprovalRule,
    responses((status = 201, body = json::ApprovalRule), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody)))]
async fn create_approval_rule(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(rule): ApiJson<json::NewApprovalRule>,
) -> Result<(StatusCode, Json<json::ApprovalRule>), ApiError> {
    let saved = rules::save(&state, &caller, None, &rule, &source).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Changes a rule of the policy (admins).
#[utoipa::path(put, path = "/approval-rules/{id}", tag = "approvals",
    params(("id" = i64, Path, description = "Rule id")), request_body = json::NewApprovalRule,
    responses((status = 200, body = json::ApprovalRule), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody)))]
async fn update_approval_rule(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
    ApiJson(rule): ApiJson<json::NewApprovalRule>,
) -> Result<Json<json::ApprovalRule>, ApiError> {
    Ok(Json(
        rules::save(&state, &caller, Some(id), &rule, &source).await?,
    ))
}

/// Removes a rule from the policy (admins).
#[utoipa::path(delete, path = "/approval-rules/{id}", tag = "approvals",
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 204), (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody)))]
async fn delete_approval_rule(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<StatusCode, ApiError> {
    rules::delete(&state, &caller, id, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}
