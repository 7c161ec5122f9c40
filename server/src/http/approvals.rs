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
//! The rules no configuration turns off are enforced here and in the
//! conditional updates of [`crate::db::approvals`]: no self-approval (owner,
//! deployer or requester), two different people for a two-person rule,
//! expiry checked at decision time, a decision made once (409), agent tokens
//! never decide (they are refused on every route for people).

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use model::api::{self as json, ApprovalKind, ApprovalState, OwnedKind, Role, RuleDecision, Verdict};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiQuery, Id};
use super::ownership::require_in_teams;
use crate::approval::{self, Change, Facts};
use crate::audit::{self, Actor, Entry, Source};
use crate::auth::{Admin, AgentCaller, Caller, InboxReader, OwnershipEditor};
use crate::db::approvals::{self, AgentFacts, Stored};
use crate::db::{accounts, destinations, risk};
use crate::{ApiError, AppState, notify, outbound};

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

/// Who is asking.
enum Requester<'a> {
    Agent(i64),
    Person(&'a str),
}

impl Requester<'_> {
    fn name(&self) -> String {
        match self {
            Self::Agent(id) => format!("agent:{id}"),
            Self::Person(email) => (*email).to_owned(),
        }
    }

    fn actor(&self) -> Actor {
        match self {
            Self::Agent(id) => Actor::Agent(id.to_string()),
            Self::Person(email) => Actor::Person((*email).to_owned()),
        }
    }
}

/// What a request asks, checked.
struct Asked<'a> {
    operation: &'a str,
    resource: Option<&'a str>,
    parameters: &'a serde_json::Value,
    justification: &'a str,
    callback_url: Option<&'a str>,
}

fn check_text(name: &str, text: &str, max: usize) -> Result<(), ApiError> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(ApiError::BadRequest(format!(
            "{name} must have 1 to {max} characters"
        )));
    }
    Ok(())
}

fn check_asked(asked: &Asked<'_>) -> Result<(), ApiError> {
    check_text("operation", asked.operation, 200)?;
    if asked.operation.chars().any(char::is_whitespace) {
        return Err(ApiError::BadRequest("operation must not contain spaces".into()));
    }
    check_text("justification", asked.justification, 2000)?;
    if let Some(resource) = asked.resource {
        check_text("resource", resource, 300)?;
    }
    if let Some(url) = asked.callback_url {
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some() && url.len() <= 2000);
        let Some(parsed) = parsed else {
            return Err(ApiError::BadRequest(format!(
                "callback_url {url:?} is not an http:// or https:// URL"
            )));
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(ApiError::BadRequest(
                "callback_url must not carry a user name or password".into(),
            ));
        }
    }
    Ok(())
}

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

/// Records a request (or answers the one made before with the same key):
/// checks it, applies the policy, audits, and queues the callback of a
/// request the policy decided at once.
async fn submit(
    state: &AppState,
    requester: Requester<'_>,
    agent: AgentFacts,
    key: &str,
    body_hash: &str,
    asked: Asked<'_>,
    source: &Source,
) -> Result<(StatusCode, Stored), ApiError> {
    check_asked(&asked)?;
    let (parameters, parameters_hash) =
        approval::canonical(asked.parameters).map_err(ApiError::BadRequest)?;
    let change = Change::parse(asked.operation, asked.parameters)
        .transpose()
        .map_err(ApiError::Unprocessable)?;
    let kind = if change.is_some() {
        ApprovalKind::Change
    } else {
        ApprovalKind::Operation
    };
    let requested_by = requester.name();
    let mut conn = state.db.pool().acquire().await?;
    if let Some(existing) = replay(&mut conn, &requested_by, key, body_hash).await? {
        return Ok((StatusCode::OK, existing));
    }
    if let Some(change) = &change {
        approvals::check_change(&mut conn, agent.id, change).await?;
    }
    if let Some(url) = asked.callback_url.and_then(|url| reqwest::Url::parse(url).ok()) {
        let allowed = destinations::for_agent(&mut conn, agent.id).await?;
        outbound::destination(&allowed, &url)
            .map_err(|why| ApiError::Unprocessable(format!("callback_url: {why}")))?;
    }
    let target = match asked.resource {
        Some(name) => match approvals::targets(&mut conn, name.trim()).await?.as_slice() {
            [] => None,
            [one] => Some(*one),
            _ => {
                return Err(ApiError::Unprocessable(format!(
                    "several resources are named {name:?}; ask about one of them by a unique name"
                )));
            }
        },
        None => None,
    };
    let credential = match target {
        Some(target) => approvals::credential_for(&mut conn, agent.id, target.id).await?,
        None => None,
    };
    let rules = approvals::rules(&mut conn).await?;
    drop(conn);
    let facts = Facts {
        operation: asked.operation,
        sensitivity: target.map(|t| t.sensitivity),
        environment: target.map_or(agent.environment, |t| t.environment),
        category: agent.category,
    };
    let ruling = approval::evaluate(&rules, &facts);
    let now = state.settings.clock.now();
    let request_state = match ruling.decision {
        RuleDecision::AutoApprove => ApprovalState::Approved,
        RuleDecision::AutoDeny => ApprovalState::Denied,
        RuleDecision::Require => ApprovalState::Pending,
    };
    let new = approvals::NewRequest {
        kind,
        agent: agent.id,
        requested_by: &requested_by,
        idempotency_key: key,
        body_hash,
        operation: asked.operation,
        resource_name: asked.resource.map(str::trim),
        resource: target.map(|t| t.id),
        credential,
        parameters: &parameters,
        parameters_hash: &parameters_hash,
        justification: asked.justification.trim(),
        callback_url: asked.callback_url,
        ruling: &ruling,
        risk: agent.risk,
        state: request_state,
        now,
        expires_at: now + chrono::Duration::seconds(ruling.expires_in),
    };
    let mut tx = state.db.begin().await?;
    let Some(id) = approvals::create(&mut tx, &new).await? else {
        // Another request with the same key won the race.
        tx.rollback().await?;
        let mut conn = state.db.pool().acquire().await?;
        return match replay(&mut conn, &requested_by, key, body_hash).await? {
            Some(existing) => Ok((StatusCode::OK, existing)),
            None => Err(ApiError::Conflict(
                "the request could not be recorded; try again".into(),
            )),
        };
    };
    let target_ref = format!("agent:{}", agent.id);
    let entry = Entry::new(requester.actor(), "approval.request")
        .target(target_ref.clone())
        .details(serde_json::json!({
            "request": id, "kind": kind.as_str(), "operation": asked.operation, "resource": asked.resource,
            "parameters_sha256": parameters_hash, "rule": ruling.name, "decision": ruling.decision.as_str(),
            "required_approvals": ruling.approvals, "expires_at": new.expires_at,
        }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    if request_state != ApprovalState::Pending {
        let action = if request_state == ApprovalState::Approved {
            "approval.auto_approve"
        } else {
            "approval.auto_deny"
        };
        let entry = Entry::new(Actor::System("policy".into()), action)
            .target(target_ref.clone())
            .details(serde_json::json!({ "request": id, "rule": ruling.name }));
        audit::record(&mut tx, &entry, now).await?;
        if let (ApprovalState::Approved, Some(change)) = (request_state, &change) {
            record_change(&mut tx, agent.id, id, change, now).await?;
        }
    }
    let stored = approvals::stored(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval request with id {id}")))?;
    if request_state == ApprovalState::Pending {
        notify::approval_requested(&mut tx, id, now).await?;
    } else {
        queue_callback(state, &mut tx, &stored, now).await?;
    }
    tx.commit().await?;
    state.callbacks.notify_one();
    state.events.notify_one();
    Ok((StatusCode::CREATED, stored))
}

/// The request made before with this key: the same body gets it back, another is refused (422).
async fn replay(
    conn: &mut sqlx::AnyConnection,
    requested_by: &str,
    key: &str,
    body_hash: &str,
) -> Result<Option<Stored>, ApiError> {
    let Some((id, hash)) = approvals::by_key(&mut *conn, requested_by, key).await? else {
        return Ok(None);
    };
    if hash != body_hash {
        return Err(ApiError::Unprocessable(format!(
            "the Idempotency-Key {key:?} was used for a different request ({id}); use a new key for a new request"
        )));
    }
    Ok(approvals::stored(conn, id).await?)
}

/// Records an approved change in the inventory, rescored and audited.
async fn record_change(
    conn: &mut sqlx::AnyConnection,
    agent: i64,
    request: i64,
    change: &Change,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (credentials, agents) = approvals::apply_change(&mut *conn, agent, change).await?;
    risk::refresh(&mut *conn, &credentials, &agents, now).await?;
    let details = match change {
        Change::Tool { tool } => serde_json::json!({ "request": request, "tool": tool }),
        Change::Credential { tool, credential } => {
            serde_json::json!({ "request": request, "tool": tool, "credential": credential })
        }
        Change::Scope { credential, scope } | Change::RemoveScope { credential, scope } => {
            serde_json::json!({ "request": request, "credential": credential, "scope": scope })
        }
    };
    let action = if change.reduces() {
        "inventory.reduce"
    } else {
        "inventory.grant"
    };
    let entry = Entry::new(Actor::System("approvals".into()), action)
        .target(format!("agent:{agent}"))
        .details(details);
    audit::record(conn, &entry, now).await?;
    Ok(())
}

/// Queues the callback of a decided request, if it asked for one.
async fn queue_callback(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    stored: &Stored,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Some(url) = &stored.callback_url {
        let votes = approvals::votes(&mut *conn, stored.id).await?;
        let status = approval_status(state, stored, &votes, now);
        let body = serde_json::json!({ "type": "approval.decided", "data": status }).to_string();
        approvals::enqueue_callback(conn, stored.id, url, &body, now).await?;
    }
    Ok(())
}

/// The demo's requests: what agents of a demo organisation might ask.
const DEMO_REQUESTS: &[(&str, &str, &str)] = &[
    (
        "rds:DeleteDBInstance",
        r#"{"DBInstanceIdentifier":"{r}","SkipFinalSnapshot":false}"#,
        "Decommissioning after the move to Aurora",
    ),
    (
        "db:export",
        r#"{"table":"customers","format":"csv","columns":["id","plan","mrr"],"rows":120000}"#,
        "Quarterly churn analysis for finance",
    ),
    (
        "deploy:production",
        r#"{"service":"checkout","version":"2026.11.4","canary_percent":10}"#,
        "Weekly release train",
    ),
    (
        "s3:PutBucketPolicy",
        r#"{"Bucket":"{r}","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Principal":"analytics"}]}"#,
        "Let the analytics role read the exports",
    ),
    (
        "iam:CreateAccessKey",
        r#"{"UserName":"ci-deployer"}"#,
        "Rotate the deployer's key before it turns 90 days old",
    ),
    (
        "github:DeleteBranch",
        r#"{"repository":"{r}","branch":"release/2026.10"}"#,
        "Clean up a merged release branch",
    ),
];

/// Gives a demo organisation a few pending requests to decide, unless some
/// are pending already; returns how many were made.
pub async fn seed_demo(state: &AppState) -> Result<usize, ApiError> {
    let now = state.settings.clock.now();
    if approvals::pending_count(&state.db, now).await? > 0 {
        return Ok(0);
    }
    let mut conn = state.db.pool().acquire().await?;
    let pairs = approvals::demo_targets(&mut conn, DEMO_REQUESTS.len() as i64).await?;
    drop(conn);
    let source = Source::default();
    let mut made = 0;
    for ((operation, parameters, justification), (agent, resource)) in DEMO_REQUESTS.iter().zip(pairs) {
        let mut conn = state.db.pool().acquire().await?;
        let Some(facts) = approvals::agent_facts(&mut conn, agent).await? else {
            continue;
        };
        drop(conn);
        let parameters: serde_json::Value = serde_json::from_str(&parameters.replace("{r}", &resource))
            .map_err(|e| ApiError::Internal(e.into()))?;
        let asked = Asked {
            operation,
            resource: Some(&resource),
            parameters: &parameters,
            justification,
            callback_url: None,
        };
        let key = format!("demo-{}-{operation}", now.timestamp());
        submit(state, Requester::Agent(agent), facts, &key, &key, asked, &source).await?;
        made += 1;
    }
    Ok(made)
}

/// What the requester sees of a request; an approval carries its signed decision.
fn approval_status(
    state: &AppState,
    stored: &Stored,
    votes: &[json::Vote],
    now: DateTime<Utc>,
) -> json::ApprovalStatus {
    let current = stored.state_at(now);
    let decision = (current == ApprovalState::Approved)
        .then(|| approval::decision_token(&state.settings.approval_key, stored, votes));
    let reason = match current {
        ApprovalState::Denied => Some(votes.iter().find(|v| v.verdict == Verdict::Deny).map_or_else(
            || format!("denied by the policy: {}", stored.rule),
            |v| v.comment.clone(),
        )),
        ApprovalState::Expired => Some("not decided before it expired".to_owned()),
        _ => None,
    };
    json::ApprovalStatus {
        id: stored.id,
        state: current,
        operation: stored.operation.clone(),
        resource: stored.resource_name.clone(),
        parameters_hash: stored.parameters_hash.clone(),
        rule: stored.rule.clone(),
        required_approvals: stored.required_approvals,
        approvals: stored.approvals,
        created_at: stored.created_at,
        expires_at: stored.expires_at,
        decided_at: stored.decided_at,
        consumed_at: stored.consumed_at,
        reason,
        decision,
    }
}

/// A new (201) or replayed (200) request's status.
async fn answer(
    state: &AppState,
    status: StatusCode,
    stored: &Stored,
) -> Result<(StatusCode, Json<json::ApprovalStatus>), ApiError> {
    let votes = approvals::votes(&mut *state.db.pool().acquire().await?, stored.id).await?;
    let now = state.settings.clock.now();
    Ok((status, Json(approval_status(state, stored, &votes, now))))
}

/// The body hash that tells a retry from a different request: SHA-256 of
/// the canonical JSON of the whole body.
fn body_hash(body: &impl serde::Serialize) -> Result<String, ApiError> {
    let value = serde_json::to_value(body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (_, hash) = approval::canonical(&value).map_err(ApiError::BadRequest)?;
    Ok(hash)
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
    let (status, stored) = submit(
        &state,
        Requester::Agent(agent.id),
        agent,
        key,
        &hash,
        asked,
        &source,
    )
    .await?;
    answer(&state, status, &stored).await
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
            let status = approval_status(&state, &stored, &votes, now);
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
    let now = state.settings.clock.now();
    let mut tx = state.db.begin().await?;
    let stored = approvals::stored(&mut tx, id)
        .await?
        .filter(|s| s.agent == caller.agent_id)
        .ok_or_else(|| ApiError::NotFound(format!("no approval request {id} of this agent")))?;
    if !approvals::consume(&mut tx, id, caller.agent_id, now).await? {
        return Err(ApiError::Conflict(
            match (stored.state_at(now), stored.consumed_at) {
                (_, Some(at)) => format!("approval {id} was used already, at {at}"),
                (ApprovalState::Approved, None) => format!("approval {id} expired at {}", stored.expires_at),
                (other, None) => format!("request {id} is {}, not approved", other.as_str()),
            },
        ));
    }
    let entry = Entry::new(Actor::Agent(caller.agent_id.to_string()), "approval.consume")
        .target(format!("agent:{}", caller.agent_id))
        .details(serde_json::json!({ "request": id, "operation": stored.operation }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    let stored = approvals::stored(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval request {id}")))?;
    let votes = approvals::votes(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(approval_status(&state, &stored, &votes, now)))
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

/// Why `caller` may not decide this request now, if they may not.
async fn cannot_decide(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    stored: &Stored,
    agent: &AgentFacts,
    now: DateTime<Utc>,
) -> Result<Option<(StatusCode, String)>, ApiError> {
    let me = caller.0.email.as_str();
    let state = stored.state_at(now);
    Ok(if state != ApprovalState::Pending {
        Some((
            StatusCode::CONFLICT,
            match state {
                ApprovalState::Expired => format!(
                    "request {} expired at {}; it can no longer be decided",
                    stored.id, stored.expires_at
                ),
                other => format!(
                    "request {} is {} already; a decision is never changed",
                    stored.id,
                    other.as_str()
                ),
            },
        ))
    } else if let Some(why) = party(caller, stored, agent) {
        Some((StatusCode::FORBIDDEN, why))
    } else if stored.requested_by == me {
        Some((
            StatusCode::FORBIDDEN,
            "you asked for this: nobody approves their own request".to_owned(),
        ))
    } else if !caller.0.roles.contains(&stored.approver_role) {
        Some((
            StatusCode::FORBIDDEN,
            format!(
                "this request needs the role {} to decide it",
                stored.approver_role.as_str()
            ),
        ))
    } else if approvals::has_voted(conn, stored.id, me).await? {
        Some((
            StatusCode::CONFLICT,
            "you approved this already; a second approver must be someone else".to_owned(),
        ))
    } else {
        None
    })
}

/// Why the caller is a party to this request who may not decide it, if they
/// are: the agent's owner or deployer, when the request was made or now. The
/// parties are people of the inventory, matched by the account's link to its
/// person, so moving ownership away and back around a decision changes
/// nothing.
fn party(caller: &Caller, stored: &Stored, agent: &AgentFacts) -> Option<String> {
    let me = caller.0.person.as_ref()?.id;
    let name = &agent.name;
    if agent.owner == Some(me) {
        Some(format!(
            "you own agent {name}: nobody approves for their own agent"
        ))
    } else if stored.owner == Some(me) {
        Some(format!(
            "you owned agent {name} when this was asked: nobody approves for their own agent"
        ))
    } else if agent.deployer == Some(me) || stored.deployer == Some(me) {
        Some(format!(
            "you deployed agent {name}: nobody approves for an agent they deployed"
        ))
    } else {
        None
    }
}

/// Why a person's change request can no longer be approved, if it cannot:
/// since they asked, their account was disabled, lost the manager and admin
/// roles, or the agent left their teams. An agent's own request, a request
/// that changes nothing in the inventory, or one that only takes access
/// away, is not re-checked.
async fn requester_cannot_change(
    conn: &mut sqlx::AnyConnection,
    stored: &Stored,
) -> Result<Option<String>, ApiError> {
    let parameters = serde_json::from_str(&stored.parameters).unwrap_or_default();
    let reduces = match Change::parse(&stored.operation, &parameters) {
        Some(Ok(change)) => change.reduces(),
        _ => true,
    };
    if stored.requested_by.starts_with("agent:") || reduces {
        return Ok(None);
    }
    let who = &stored.requested_by;
    let Some(session) = accounts::standing(conn, who).await? else {
        return Ok(Some(format!(
            "{who}, who asked for this change, can no longer sign in: it cannot be approved"
        )));
    };
    if !session
        .roles
        .iter()
        .any(|r| matches!(r, Role::Admin | Role::Manager))
    {
        return Ok(Some(format!(
            "{who}, who asked for this change, is no longer a manager or an admin: it cannot be approved"
        )));
    }
    match require_in_teams(conn, &Caller(session), OwnedKind::Agent, stored.agent, "change").await {
        Ok(_) => Ok(None),
        Err(ApiError::Forbidden(why)) => Ok(Some(format!(
            "{who}, who asked for this change, may no longer ask for it ({why}): it cannot be approved"
        ))),
        Err(other) => Err(other),
    }
}

async fn stored_with_agent(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<(Stored, AgentFacts), ApiError> {
    let stored = approvals::stored(&mut *conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval request with id {id}")))?;
    let agent = approvals::agent_facts(conn, stored.agent)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agent with id {}", stored.agent)))?;
    Ok((stored, agent))
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
    let now = state.settings.clock.now();
    let mut detail = approvals::detail(&state.db, id, now).await?;
    let mut conn = state.db.pool().acquire().await?;
    let (stored, agent) = stored_with_agent(&mut conn, id).await?;
    detail.cannot_decide = cannot_decide(&mut conn, &caller, &stored, &agent, now)
        .await?
        .map(|(_, why)| why);
    Ok(Json(detail))
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
    let comment = vote.comment.trim();
    if comment.chars().count() > 1000 {
        return Err(ApiError::BadRequest(
            "comment must have at most 1000 characters".into(),
        ));
    }
    if vote.verdict == Verdict::Deny && comment.is_empty() {
        return Err(ApiError::BadRequest("say why in a comment when you deny".into()));
    }
    let now = state.settings.clock.now();
    let mut tx = state.db.begin().await?;
    let (stored, agent) = stored_with_agent(&mut tx, id).await?;
    if let Some((status, why)) = cannot_decide(&mut tx, &caller, &stored, &agent, now).await? {
        if stored.state_at(now) == ApprovalState::Expired {
            expire_in(&state, &mut tx, &stored, now).await?;
            tx.commit().await?;
        }
        return Err(if status == StatusCode::FORBIDDEN {
            ApiError::Forbidden(why)
        } else {
            ApiError::Conflict(why)
        });
    }
    if vote.verdict == Verdict::Approve
        && let Some(why) = requester_cannot_change(&mut tx, &stored).await?
    {
        return Err(ApiError::Conflict(why));
    }
    let me = caller.0.email.as_str();
    let Some(new_state) = approvals::vote(&mut tx, id, me, vote.verdict, comment, now).await? else {
        // Decided by someone else between the read and the update (PostgreSQL
        // re-checks the condition after the other's commit).
        return Err(ApiError::Conflict(format!(
            "request {id} was decided by someone else a moment ago"
        )));
    };
    let action = match vote.verdict {
        Verdict::Approve => "approval.approve",
        Verdict::Deny => "approval.deny",
    };
    let entry = Entry::new(Actor::Person(me.to_owned()), action)
        .target(format!("agent:{}", stored.agent))
        .details(serde_json::json!({
            "request": id, "operation": stored.operation, "comment": comment, "state": new_state.as_str(),
            "approvals": stored.approvals + i64::from(vote.verdict == Verdict::Approve),
            "required_approvals": stored.required_approvals,
        }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    if new_state != ApprovalState::Pending {
        if new_state == ApprovalState::Approved
            && let Some(Ok(change)) = Change::parse(
                &stored.operation,
                &serde_json::from_str(&stored.parameters).unwrap_or_default(),
            )
        {
            record_change(&mut tx, stored.agent, id, &change, now).await?;
        }
        let decided = approvals::stored(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no approval request {id}")))?;
        queue_callback(&state, &mut tx, &decided, now).await?;
        notify::approval_decided(&mut tx, id, now).await?;
    }
    tx.commit().await?;
    state.decided.notify_waiters();
    state.callbacks.notify_one();
    state.events.notify_one();
    let mut detail = approvals::detail(&state.db, id, now).await?;
    let mut conn = state.db.pool().acquire().await?;
    let (stored, agent) = stored_with_agent(&mut conn, id).await?;
    detail.cannot_decide = cannot_decide(&mut conn, &caller, &stored, &agent, now)
        .await?
        .map(|(_, why)| why);
    Ok(Json(detail))
}

/// Records a pending request's expiry (audited, callback queued) in `conn`'s
/// transaction; nothing when another request recorded it first.
pub(crate) async fn expire_in(
    state: &AppState,
    conn: &mut sqlx::AnyConnection,
    stored: &Stored,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if approvals::expire(&mut *conn, stored.id, now).await? {
        let entry = Entry::new(Actor::System("approvals".into()), "approval.expire")
            .target(format!("agent:{}", stored.agent))
            .details(serde_json::json!({ "request": stored.id, "expires_at": stored.expires_at }));
        audit::record(&mut *conn, &entry, now).await?;
        let expired = approvals::stored(&mut *conn, stored.id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no approval request {}", stored.id)))?;
        queue_callback(state, &mut *conn, &expired, now).await?;
        notify::approval_decided(conn, stored.id, now).await?;
    }
    Ok(())
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
    require_in_teams(&mut conn, &caller, OwnedKind::Agent, agent.id, "change").await?;
    drop(conn);
    let asked = Asked {
        operation: &request.operation,
        resource: None,
        parameters: &request.parameters,
        justification: &request.justification,
        callback_url: None,
    };
    let email = caller.0.email.clone();
    let (status, stored) = submit(
        &state,
        Requester::Person(&email),
        agent,
        key,
        &hash,
        asked,
        &source,
    )
    .await?;
    answer(&state, status, &stored).await
}

/// Opens a change request for a person, as `POST /change-requests` does but
/// for a right checked elsewhere (an access review's reviewer asking to
/// reduce what an item holds). Idempotent by `key`: asking again answers the
/// request made before. Answers its id and state (the policy may decide at once).
pub(crate) async fn request_change(
    state: &AppState,
    email: &str,
    request: &json::NewChangeRequest,
    key: &str,
    source: &Source,
) -> Result<(i64, ApprovalState), ApiError> {
    let hash = body_hash(request)?;
    let agent = approvals::agent_facts(&mut *state.db.pool().acquire().await?, request.agent)
        .await?
        .ok_or_else(|| ApiError::Unprocessable(format!("no agent with id {}", request.agent)))?;
    let asked = Asked {
        operation: &request.operation,
        resource: None,
        parameters: &request.parameters,
        justification: &request.justification,
        callback_url: None,
    };
    let (_, stored) = submit(state, Requester::Person(email), agent, key, &hash, asked, source).await?;
    Ok((stored.id, stored.state))
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

fn check_rule(rule: &json::NewApprovalRule) -> Result<(), ApiError> {
    check_text("name", &rule.name, 200)?;
    check_text("operation", &rule.operation, 200)?;
    if !(1..=2).contains(&rule.approvals) {
        return Err(ApiError::BadRequest(format!(
            "approvals must be 1 or 2, not {}",
            rule.approvals
        )));
    }
    if !(60..=604_800).contains(&rule.expires_in) {
        return Err(ApiError::BadRequest(format!(
            "expires_in must be between 60 and 604800 seconds (a week), not {}",
            rule.expires_in
        )));
    }
    if rule.approver_role == Role::Viewer {
        return Err(ApiError::BadRequest(
            "viewers cannot approve; choose another approver_role".into(),
        ));
    }
    if rule.position.is_some_and(|p| !(0..=1_000_000).contains(&p)) {
        return Err(ApiError::BadRequest(
            "position must be between 0 and 1000000".into(),
        ));
    }
    Ok(())
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
    check_rule(&rule)?;
    let saved = save_rule(&state, &caller, None, &rule, &source).await?;
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
    check_rule(&rule)?;
    Ok(Json(save_rule(&state, &caller, Some(id), &rule, &source).await?))
}

async fn save_rule(
    state: &AppState,
    caller: &Caller,
    id: Option<i64>,
    rule: &json::NewApprovalRule,
    source: &Source,
) -> Result<json::ApprovalRule, ApiError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let before = match id {
        Some(id) => Some(
            approvals::rule_by_id(&mut tx, id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no approval rule with id {id}")))?,
        ),
        None => None,
    };
    let position = match (rule.position, &before) {
        (Some(position), _) => position,
        (None, Some(before)) => before.position,
        (None, None) => approvals::next_position(&mut tx).await?,
    };
    if let Some(channel) = rule.channel
        && crate::db::notify::channel(&mut tx, channel).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "no notification channel with id {channel}; admins add them at /api/v1/notification-channels"
        )));
    }
    let saved = approvals::save_rule(&mut tx, id, rule, position, &caller.0.email, now).await?;
    let after = approvals::rule_by_id(&mut tx, saved)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval rule with id {saved}")))?;
    let action = if before.is_some() {
        "approval_rule.update"
    } else {
        "approval_rule.create"
    };
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), action)
        .target(format!("approval_rule:{saved}"))
        .details(serde_json::json!({ "before": before, "after": after }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(after)
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
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let before = approvals::rule_by_id(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval rule with id {id}")))?;
    approvals::delete_rule(&mut tx, id).await?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "approval_rule.delete")
        .target(format!("approval_rule:{id}"))
        .details(serde_json::json!({ "before": before }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
