//! Asking for approval: a request is checked, the policy applied, the request
//! recorded and audited, and a request the policy decided at once has its
//! change recorded and its callback queued, all in the caller's transaction
//! (an access review's reduction opens its requests inside its decision's).

use chrono::{DateTime, Utc};
use model::api::{self as json, ApprovalKind, ApprovalState, RuleDecision, Verdict};
use sqlx::AnyConnection;

use super::policy::{self, Change, Facts};
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::approvals::{self, AgentFacts, Stored};
use crate::db::{destinations, risk};
use crate::{ApiError, AppState, notify, outbound};

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    /// An agent, with its own token.
    Agent(i64),
    /// A person (a manager's or admin's change request, a reviewer's reduction).
    Person(&'a str),
}

impl Requester<'_> {
    /// The name a request records as its requester.
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

/// What a request asks.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The operation, such as `rds:DeleteDBInstance` or `muster:grant_scope`.
    pub operation: &'a str,
    /// The resource it acts on, by name.
    pub resource: Option<&'a str>,
    /// Its exact parameters, which the approval binds to.
    pub parameters: &'a serde_json::Value,
    /// Why.
    pub justification: &'a str,
    /// Where to send the decision.
    pub callback_url: Option<&'a str>,
}

impl<'a> Asked<'a> {
    /// What a change request asks: a change operation on the agent itself,
    /// about no resource, with no callback.
    pub fn change(request: &'a json::NewChangeRequest) -> Self {
        Self {
            operation: &request.operation,
            resource: None,
            parameters: &request.parameters,
            justification: &request.justification,
            callback_url: None,
        }
    }
}

/// A recorded request: new, or the one made before with the same key.
#[derive(Debug)]
pub struct Submitted {
    /// Whether this call recorded it (false: a retry answered the earlier one).
    pub created: bool,
    /// The request.
    pub stored: Stored,
}

/// Refuses (400) a text that is blank or longer than `max` characters.
pub(super) fn check_text(name: &str, text: &str, max: usize) -> Result<(), ApiError> {
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

/// The body hash that tells a retry from a different request: SHA-256 of
/// the canonical JSON of the whole body.
pub fn body_hash(body: &impl serde::Serialize) -> Result<String, ApiError> {
    let value = serde_json::to_value(body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let (_, hash) = policy::canonical(&value).map_err(ApiError::BadRequest)?;
    Ok(hash)
}

/// Refuses (422) a change the agent cannot take: a tool it has, a
/// credential its tool uses already, a scope held (or, to remove, not held).
async fn check_change(conn: &mut AnyConnection, agent: i64, change: &Change) -> Result<(), ApiError> {
    let refusal = match change {
        Change::Tool { tool } => {
            if !approvals::tool_exists(&mut *conn, *tool).await? {
                Some(format!("no tool with id {tool}"))
            } else if approvals::agent_has_tool(conn, agent, *tool).await? {
                Some(format!("the agent has tool {tool} already"))
            } else {
                None
            }
        }
        Change::Credential { tool, credential } => {
            if !approvals::agent_has_tool(&mut *conn, agent, *tool).await? {
                Some(format!("tool {tool} is not one of the agent's tools"))
            } else if !approvals::credential_active(&mut *conn, *credential).await? {
                Some(format!("no active credential with id {credential}"))
            } else if approvals::tool_uses_credential(conn, *tool, *credential).await? {
                Some(format!("tool {tool} uses credential {credential} already"))
            } else {
                None
            }
        }
        Change::Scope { credential, scope } | Change::RemoveScope { credential, scope } => {
            match approvals::agents_credential_scopes(conn, agent, *credential).await? {
                None => Some(format!(
                    "credential {credential} is not an active credential of the agent"
                )),
                Some(scopes) => {
                    let held = scopes.split_whitespace().any(|s| s == scope);
                    match (change.reduces(), held) {
                        (false, true) => Some(format!("credential {credential} has scope {scope:?} already")),
                        (true, false) => Some(format!("credential {credential} has no scope {scope:?}")),
                        _ => None,
                    }
                }
            }
        }
    };
    refusal.map_or(Ok(()), |why| Err(ApiError::Unprocessable(why)))
}

/// Records a request in `conn`'s transaction (or answers the one made
/// before with the same key): checks it, applies the policy, audits, and
/// records the change and queues the callback of a request the policy
/// decided at once. The caller commits, then wakes the senders ([`AppState::wake_senders`]).
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    state: &AppState,
    conn: &mut AnyConnection,
    requester: Requester<'_>,
    agent: AgentFacts,
    key: &str,
    body_hash: &str,
    asked: Asked<'_>,
    source: &Source,
) -> Result<Submitted, ApiError> {
    check_asked(&asked)?;
    let (parameters, parameters_hash) = policy::canonical(asked.parameters).map_err(ApiError::BadRequest)?;
    let change = Change::parse(asked.operation, asked.parameters)
        .transpose()
        .map_err(ApiError::Unprocessable)?;
    let kind = if change.is_some() {
        ApprovalKind::Change
    } else {
        ApprovalKind::Operation
    };
    let requested_by = requester.name();
    if let Some(earlier) = replay(&mut *conn, &requested_by, key, body_hash).await? {
        return Ok(earlier);
    }
    if let Some(change) = &change {
        check_change(&mut *conn, agent.id, change).await?;
    }
    if let Some(url) = asked.callback_url.and_then(|url| reqwest::Url::parse(url).ok()) {
        let allowed = destinations::for_agent(&mut *conn, agent.id).await?;
        outbound::destination(&allowed, &url)
            .map_err(|why| ApiError::Unprocessable(format!("callback_url: {why}")))?;
    }
    let target = match asked.resource {
        Some(name) => match approvals::targets(&mut *conn, name.trim()).await?.as_slice() {
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
        Some(target) => approvals::credential_for(&mut *conn, agent.id, target.id).await?,
        None => None,
    };
    let rules = approvals::rules(&mut *conn).await?;
    let facts = Facts {
        operation: asked.operation,
        sensitivity: target.map(|t| t.sensitivity),
        environment: target.map_or(agent.environment, |t| t.environment),
        category: agent.category,
    };
    let ruling = policy::evaluate(&rules, &facts);
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
    let Some(id) = approvals::create(&mut *conn, &new).await? else {
        // Another request with the same key won the race: it is committed
        // (PostgreSQL's insert waited for it), so it is read here.
        return replay(&mut *conn, &requested_by, key, body_hash)
            .await?
            .ok_or_else(|| ApiError::Conflict("the request could not be recorded; try again".into()));
    };
    let target_ref = AuditTarget::new(TargetKind::Agent, agent.id);
    let entry = Entry::new(requester.actor(), "approval.request")
        .target(target_ref.clone())
        .details(serde_json::json!({
            "request": id, "kind": kind.as_str(), "operation": asked.operation, "resource": asked.resource,
            "parameters_sha256": parameters_hash, "rule": ruling.name, "decision": ruling.decision.as_str(),
            "required_approvals": ruling.approvals, "expires_at": new.expires_at,
        }))
        .from(source);
    audit::record(&mut *conn, &entry, now).await?;
    if request_state != ApprovalState::Pending {
        let action = if request_state == ApprovalState::Approved {
            "approval.auto_approve"
        } else {
            "approval.auto_deny"
        };
        let entry = Entry::new(Actor::System("policy".into()), action)
            .target(target_ref)
            .details(serde_json::json!({ "request": id, "rule": ruling.name }));
        audit::record(&mut *conn, &entry, now).await?;
        if let (ApprovalState::Approved, Some(change)) = (request_state, &change) {
            record_change(&mut *conn, agent.id, id, change, now).await?;
        }
    }
    let stored = approvals::stored(&mut *conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval request with id {id}")))?;
    if request_state == ApprovalState::Pending {
        notify::approval_requested(&mut *conn, id, now).await?;
    } else {
        queue_callback(state, conn, &stored, now).await?;
    }
    Ok(Submitted {
        created: true,
        stored,
    })
}

/// Records a request in a transaction of its own and wakes the senders.
pub async fn submit_now(
    state: &AppState,
    requester: Requester<'_>,
    agent: AgentFacts,
    key: &str,
    body_hash: &str,
    asked: Asked<'_>,
    source: &Source,
) -> Result<Submitted, ApiError> {
    // A bad request, or a retry of one made before, is answered without
    // waiting for a turn to write.
    check_asked(&asked)?;
    let before = replay(
        &mut *state.db.pool().acquire().await?,
        &requester.name(),
        key,
        body_hash,
    )
    .await?;
    if let Some(earlier) = before {
        return Ok(earlier);
    }
    let mut tx = state.db.begin().await?;
    let submitted = submit(state, &mut tx, requester, agent, key, body_hash, asked, source).await?;
    tx.commit().await?;
    state.wake_senders();
    Ok(submitted)
}

/// The request made before with this key: the same body gets it back, another is refused (422).
async fn replay(
    conn: &mut AnyConnection,
    requested_by: &str,
    key: &str,
    body_hash: &str,
) -> Result<Option<Submitted>, ApiError> {
    let Some((id, hash)) = approvals::by_key(&mut *conn, requested_by, key).await? else {
        return Ok(None);
    };
    if hash != body_hash {
        return Err(ApiError::Unprocessable(format!(
            "the Idempotency-Key {key:?} was used for a different request ({id}); use a new key for a new request"
        )));
    }
    Ok(approvals::stored(conn, id).await?.map(|stored| Submitted {
        created: false,
        stored,
    }))
}

/// Records an approved change in the inventory, rescored and audited.
pub(super) async fn record_change(
    conn: &mut AnyConnection,
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
        .target(AuditTarget::new(TargetKind::Agent, agent))
        .details(details);
    audit::record(conn, &entry, now).await?;
    Ok(())
}

/// Queues the callback of a decided request, if it asked for one.
pub(super) async fn queue_callback(
    state: &AppState,
    conn: &mut AnyConnection,
    stored: &Stored,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if let Some(url) = &stored.callback_url {
        let votes = approvals::votes(&mut *conn, stored.id).await?;
        let status = status(state, stored, &votes, now);
        let body = serde_json::json!({ "type": "approval.decided", "data": status }).to_string();
        approvals::enqueue_callback(conn, stored.id, url, &body, now).await?;
    }
    Ok(())
}

/// What the requester sees of a request; an approval carries its signed decision.
pub fn status(
    state: &AppState,
    stored: &Stored,
    votes: &[json::Vote],
    now: DateTime<Utc>,
) -> json::ApprovalStatus {
    let current = stored.state_at(now);
    let decision = (current == ApprovalState::Approved)
        .then(|| super::keys::decision_token(&state.settings.approval_key, stored, votes));
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

/// Opens a change request for a person in `conn`'s transaction, as `POST
/// /change-requests` does but for a right checked elsewhere (an access
/// review's reviewer asking to reduce what an item holds). Idempotent by
/// `key`: asking again answers the request made before. The caller commits
/// and wakes the senders ([`AppState::wake_senders`]).
pub async fn request_change(
    state: &AppState,
    conn: &mut AnyConnection,
    email: &str,
    request: &json::NewChangeRequest,
    key: &str,
    source: &Source,
) -> Result<Stored, ApiError> {
    let hash = body_hash(request)?;
    let agent = approvals::agent_facts(&mut *conn, request.agent)
        .await?
        .ok_or_else(|| ApiError::Unprocessable(format!("no agent with id {}", request.agent)))?;
    let asked = Asked::change(request);
    let submitted = submit(
        state,
        conn,
        Requester::Person(email),
        agent,
        key,
        &hash,
        asked,
        source,
    )
    .await?;
    Ok(submitted.stored)
}
