//! Deciding requests: who may vote, a vote recorded (and an approved change
//! with it), expiry, and an approval used once by its agent.

use chrono::{DateTime, Utc};
use model::api::{self as json, ApprovalState, OwnedKind, Role, Verdict};
use sqlx::AnyConnection;

use super::policy::Change;
use super::submit::{queue_callback, record_change, status};
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::auth::Caller;
use crate::db::accounts;
use crate::db::approvals::{self, AgentFacts, Stored};
use crate::{ApiError, AppState, notify, ownership};

/// Why a caller may not decide a request now.
#[derive(Debug)]
pub enum Refusal {
    /// Not theirs to decide (403).
    Forbidden(String),
    /// Not decidable now (409).
    Conflict(String),
}

impl Refusal {
    /// The reason, in words.
    pub fn reason(self) -> String {
        match self {
            Self::Forbidden(why) | Self::Conflict(why) => why,
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Forbidden(why) => ApiError::Forbidden(why),
            Refusal::Conflict(why) => ApiError::Conflict(why),
        }
    }
}

/// Why `caller` may not decide this request now, if they may not.
pub async fn cannot_decide(
    conn: &mut AnyConnection,
    caller: &Caller,
    stored: &Stored,
    agent: &AgentFacts,
    now: DateTime<Utc>,
) -> Result<Option<Refusal>, ApiError> {
    let me = caller.0.email.as_str();
    let state = stored.state_at(now);
    Ok(if state != ApprovalState::Pending {
        Some(Refusal::Conflict(match state {
            ApprovalState::Expired => format!(
                "request {} expired at {}; it can no longer be decided",
                stored.id, stored.expires_at
            ),
            other => format!(
                "request {} is {} already; a decision is never changed",
                stored.id,
                other.as_str()
            ),
        }))
    } else if let Some(why) = party(caller, stored, agent) {
        Some(Refusal::Forbidden(why))
    } else if stored.requested_by == me {
        Some(Refusal::Forbidden(
            "you asked for this: nobody approves their own request".to_owned(),
        ))
    } else if !caller.0.roles.contains(&stored.approver_role) {
        Some(Refusal::Forbidden(format!(
            "this request needs the role {} to decide it",
            stored.approver_role.as_str()
        )))
    } else if approvals::has_voted(conn, stored.id, me).await? {
        Some(Refusal::Conflict(
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
    conn: &mut AnyConnection,
    stored: &Stored,
) -> Result<Option<String>, ApiError> {
    let reduces = match change_of(stored) {
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
    match ownership::require_in_teams(conn, &Caller(session), OwnedKind::Agent, stored.agent, "change").await
    {
        Ok(_) => Ok(None),
        Err(ApiError::Forbidden(why)) => Ok(Some(format!(
            "{who}, who asked for this change, may no longer ask for it ({why}): it cannot be approved"
        ))),
        Err(other) => Err(other),
    }
}

/// A request and its agent; 404 when either is gone.
pub async fn stored_with_agent(conn: &mut AnyConnection, id: i64) -> Result<(Stored, AgentFacts), ApiError> {
    let stored = approvals::stored(&mut *conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval request with id {id}")))?;
    let agent = approvals::agent_facts(conn, stored.agent)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agent with id {}", stored.agent)))?;
    Ok((stored, agent))
}

/// One request with everything needed to decide it, and why `caller`
/// cannot decide it, if they cannot.
pub async fn detail(state: &AppState, caller: &Caller, id: i64) -> Result<json::ApprovalDetail, ApiError> {
    let now = state.settings.clock.now();
    let mut detail = approvals::detail(&state.db, id, now).await?;
    let mut conn = state.db.pool().acquire().await?;
    let (stored, agent) = stored_with_agent(&mut conn, id).await?;
    detail.cannot_decide = cannot_decide(&mut conn, caller, &stored, &agent, now)
        .await?
        .map(Refusal::reason);
    Ok(detail)
}

/// Records `caller`'s vote: a denial decides at once; an approval decides
/// when it is the last one the rule needs, and records an approved change.
/// Refused: a party to the request or its requester, a role the rule does
/// not name (403); a second approval by the same person, a decided or
/// expired request (409), whose expiry is recorded on the way.
pub async fn decide(
    state: &AppState,
    caller: &Caller,
    id: i64,
    vote: &json::NewVote,
    source: &Source,
) -> Result<(), ApiError> {
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
    if let Some(refusal) = cannot_decide(&mut tx, caller, &stored, &agent, now).await? {
        if stored.state_at(now) == ApprovalState::Expired {
            expire_in(state, &mut tx, &stored, now).await?;
            tx.commit().await?;
        }
        return Err(refusal.into());
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
        .target(AuditTarget::new(TargetKind::Agent, stored.agent))
        .details(serde_json::json!({
            "request": id, "operation": stored.operation, "comment": comment, "state": new_state.as_str(),
            "approvals": stored.approvals + i64::from(vote.verdict == Verdict::Approve),
            "required_approvals": stored.required_approvals,
        }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    if new_state != ApprovalState::Pending {
        if new_state == ApprovalState::Approved
            && let Some(Ok(change)) = change_of(&stored)
        {
            record_change(&mut tx, stored.agent, id, &change, now).await?;
        }
        let decided = approvals::stored(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no approval request {id}")))?;
        queue_callback(state, &mut tx, &decided, now).await?;
        notify::approval_decided(&mut tx, id, now).await?;
    }
    tx.commit().await?;
    state.decided.notify_waiters();
    state.wake_senders();
    Ok(())
}

/// Records a pending request's expiry (audited, callback queued) in `conn`'s
/// transaction; nothing when another request recorded it first.
pub async fn expire_in(
    state: &AppState,
    conn: &mut AnyConnection,
    stored: &Stored,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if approvals::expire(&mut *conn, stored.id, now).await? {
        let entry = Entry::new(Actor::System("approvals".into()), "approval.expire")
            .target(AuditTarget::new(TargetKind::Agent, stored.agent))
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

/// Marks agent `agent`'s approval `id` as used. An approval is used once: a
/// second use, or one after it expired, is refused (409).
pub async fn consume(
    state: &AppState,
    agent: i64,
    id: i64,
    source: &Source,
) -> Result<json::ApprovalStatus, ApiError> {
    let now = state.settings.clock.now();
    let mut tx = state.db.begin().await?;
    let stored = approvals::stored(&mut tx, id)
        .await?
        .filter(|s| s.agent == agent)
        .ok_or_else(|| ApiError::NotFound(format!("no approval request {id} of this agent")))?;
    if !approvals::consume(&mut tx, id, agent, now).await? {
        return Err(ApiError::Conflict(
            match (stored.state_at(now), stored.consumed_at) {
                (_, Some(at)) => format!("approval {id} was used already, at {at}"),
                (ApprovalState::Approved, None) => format!("approval {id} expired at {}", stored.expires_at),
                (other, None) => format!("request {id} is {}, not approved", other.as_str()),
            },
        ));
    }
    let entry = Entry::new(Actor::Agent(agent.to_string()), "approval.consume")
        .target(AuditTarget::new(TargetKind::Agent, agent))
        .details(serde_json::json!({ "request": id, "operation": stored.operation }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    let stored = approvals::stored(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval request {id}")))?;
    let votes = approvals::votes(&mut tx, id).await?;
    tx.commit().await?;
    Ok(status(state, &stored, &votes, now))
}

/// Records the expiry of requests that expired undecided, a hundred at a
/// time (the approvals worker); wakes whoever waits on them.
pub async fn sweep(state: &AppState) -> Result<(), ApiError> {
    let now = state.settings.clock.now();
    let overdue = approvals::overdue(&mut *state.db.pool().acquire().await?, now, 100).await?;
    for id in &overdue {
        let mut tx = state.db.begin().await?;
        if let Some(stored) = approvals::stored(&mut tx, *id).await? {
            expire_in(state, &mut tx, &stored, now).await?;
        }
        tx.commit().await?;
    }
    if !overdue.is_empty() {
        state.decided.notify_waiters();
        state.wake_senders();
    }
    Ok(())
}

/// The change a change request records once approved, if it is one.
fn change_of(stored: &Stored) -> Option<Result<Change, String>> {
    Change::parse(
        &stored.operation,
        &serde_json::from_str(&stored.parameters).unwrap_or_default(),
    )
}
