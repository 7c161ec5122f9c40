//! The revocation workflow, shared by the API and the webhook sender: the
//! state machine (`requested` → `disabled` → `revoked` → `complete`, or
//! `failed`), what each state does to the credential, and the rule that a
//! revocation is complete only when the credential is revoked and every copy
//! of its secret on the checklist is removed or accepted.
//!
//! Every function here runs inside the caller's transaction and audits what
//! it changes there.

use chrono::{DateTime, Utc};
use model::api::{self as json, CredentialStatus, RevocationState};
use sqlx::AnyConnection;

use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::{Db, revocations, risk};

/// The event that asks the automation to revoke a credential.
pub const REQUESTED_EVENT: &str = "revocation.requested";

/// Moves a revocation to `to`, one of its state's `next`. Revoked with no
/// copy left, it is complete at once. `outbox` is the webhook body to queue
/// (when a failed revocation is asked for again and a webhook is configured).
/// Returns the state reached.
#[allow(clippy::too_many_arguments)]
pub async fn transition(
    conn: &mut AnyConnection,
    stored: &revocations::Stored,
    to: RevocationState,
    actor: &Actor,
    note: Option<&str>,
    source: Option<&Source>,
    outbox: Option<&str>,
    now: DateTime<Utc>,
) -> Result<RevocationState, ApiError> {
    let from = stored.state;
    if !from.next().contains(&to) {
        let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
        return Err(ApiError::Conflict(match (to, allowed.is_empty()) {
            (RevocationState::Complete, _) => {
                "a revocation becomes complete by itself, once the credential is revoked and every copy is resolved"
                    .into()
            }
            (_, true) => format!("a {from} revocation cannot be moved on by hand"),
            (_, false) => format!(
                "a {from} revocation cannot become {to}; it can become: {}",
                allowed.join(", ")
            ),
        }));
    }
    let reached = if to == RevocationState::Revoked && revocations::copies_left(conn, stored.id).await? == 0 {
        RevocationState::Complete
    } else {
        to
    };
    if !revocations::set_state(conn, stored.id, from, reached, now).await? {
        return Err(ApiError::Conflict(
            "the revocation changed meanwhile; reload it and try again".into(),
        ));
    }
    let status = match to {
        RevocationState::Disabled => Some(CredentialStatus::Disabled),
        RevocationState::Revoked => Some(CredentialStatus::Revoked),
        _ => None,
    };
    if let Some(status) = status {
        revocations::set_credential_status(conn, stored.credential, status).await?;
        // A dead credential scores nothing, and neither do its users for it.
        risk::refresh(conn, &[stored.credential], &[], now).await?;
    }
    if let Some(body) = outbox {
        revocations::enqueue(conn, stored.id, REQUESTED_EVENT, body, now).await?;
    }
    let mut entry = Entry::new(actor.clone(), "revocation.transition")
        .target(AuditTarget::new(TargetKind::Credential, stored.credential))
        .details(serde_json::json!({
            "revocation": stored.id,
            "from": from,
            "to": reached,
            "note": note.filter(|n| !n.is_empty()),
        }));
    if let Some(source) = source {
        entry = entry.from(source);
    }
    audit::record(conn, &entry, now).await?;
    Ok(reached)
}

/// After a copy on the checklist was resolved: a revoked revocation with no
/// copy left becomes complete (audited). Returns the state it is in.
pub async fn complete_if_done(
    conn: &mut AnyConnection,
    stored: &revocations::Stored,
    actor: &Actor,
    source: Option<&Source>,
    now: DateTime<Utc>,
) -> Result<RevocationState, ApiError> {
    if stored.state != RevocationState::Revoked || revocations::copies_left(conn, stored.id).await? > 0 {
        return Ok(stored.state);
    }
    move_by_itself(conn, stored, RevocationState::Complete, actor, source, now).await?;
    Ok(RevocationState::Complete)
}

/// After a copy was found again and put back on the checklist: a complete
/// revocation is open again, as revoked (audited).
pub async fn reopen(
    conn: &mut AnyConnection,
    stored: &revocations::Stored,
    actor: &Actor,
    source: Option<&Source>,
    now: DateTime<Utc>,
) -> Result<RevocationState, ApiError> {
    if stored.state != RevocationState::Complete {
        return Ok(stored.state);
    }
    move_by_itself(conn, stored, RevocationState::Revoked, actor, source, now).await?;
    Ok(RevocationState::Revoked)
}

/// A copy of a credential's secret was found (again): it joins (or rejoins)
/// the checklist of the credential's revocation, if there is one, and a
/// complete revocation is reopened. Returns the revocation when it changed.
pub async fn copy_found(
    conn: &mut AnyConnection,
    credential: i64,
    copy: i64,
    actor: &Actor,
    source: Option<&Source>,
    now: DateTime<Utc>,
) -> Result<Option<json::RevocationBrief>, ApiError> {
    let Some(stored) = revocations::of_credential(&mut *conn, credential).await? else {
        return Ok(None);
    };
    if !revocations::reopen_copy(&mut *conn, stored.id, copy).await? {
        return Ok(None);
    }
    let state = reopen(conn, &stored, actor, source, now).await?;
    Ok(Some(json::RevocationBrief { id: stored.id, state }))
}

/// The moves no one chooses: to complete, and back from it.
async fn move_by_itself(
    conn: &mut AnyConnection,
    stored: &revocations::Stored,
    to: RevocationState,
    actor: &Actor,
    source: Option<&Source>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if !revocations::set_state(conn, stored.id, stored.state, to, now).await? {
        return Err(ApiError::Conflict(
            "the revocation changed meanwhile; reload it and try again".into(),
        ));
    }
    let action = if to == RevocationState::Complete {
        "revocation.complete"
    } else {
        "revocation.reopen"
    };
    let mut entry = Entry::new(actor.clone(), action)
        .target(AuditTarget::new(TargetKind::Credential, stored.credential))
        .details(serde_json::json!({ "revocation": stored.id, "from": stored.state, "to": to }));
    if let Some(source) = source {
        entry = entry.from(source);
    }
    audit::record(conn, &entry, now).await?;
    Ok(())
}

/// A revocation to open.
pub struct Opening<'a> {
    /// The credential.
    pub credential: i64,
    /// Why.
    pub reason: &'a str,
    /// The credential that replaces it, if any.
    pub replacement: Option<i64>,
    /// Who asks (an email).
    pub by: &'a str,
    /// What the automation webhook is told ([`request_event`]), when one is configured.
    pub event: Option<json::RevocationEvent>,
}

/// Opens a revocation in the caller's transaction: records it with the
/// checklist of every present copy, audits it, and queues the webhook's
/// request (or, for a credential revoked already, completes it when no copy
/// is left). Answers its id, or `None` when the credential has one already
/// (nothing is written then).
pub async fn open(
    conn: &mut AnyConnection,
    opening: &Opening<'_>,
    source: Option<&Source>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, ApiError> {
    let id = opening.credential;
    // A credential revoked elsewhere needs no upstream action, only its copies cleaned up.
    let already_revoked = revocations::credential_status(conn, id).await? == CredentialStatus::Revoked;
    let initial = if already_revoked {
        RevocationState::Revoked
    } else {
        RevocationState::Requested
    };
    let Some(revocation_id) = revocations::create(
        conn,
        id,
        initial,
        opening.reason,
        opening.replacement,
        opening.by,
        now,
    )
    .await?
    else {
        return Ok(None);
    };
    let copies = revocations::list_present_copies(conn, revocation_id, id).await?;
    let actor = Actor::Person(opening.by.to_owned());
    let mut entry = Entry::new(actor.clone(), "revocation.request")
        .target(AuditTarget::new(TargetKind::Credential, id))
        .details(serde_json::json!({
            "revocation": revocation_id,
            "reason": opening.reason,
            "replacement": opening.replacement,
            "state": initial,
            "copies": copies,
        }));
    if let Some(source) = source {
        entry = entry.from(source);
    }
    audit::record(conn, &entry, now).await?;
    match (already_revoked, &opening.event) {
        (true, _) => {
            let stored = revocations::Stored {
                id: revocation_id,
                credential: id,
                state: initial,
            };
            complete_if_done(conn, &stored, &actor, source, now).await?;
        }
        (false, Some(event)) => {
            let mut event = event.clone();
            event.data.revocation = revocation_id;
            let body = serde_json::to_string(&event).map_err(|e| ApiError::Internal(e.into()))?;
            revocations::enqueue(conn, revocation_id, REQUESTED_EVENT, &body, now).await?;
        }
        (false, None) => {}
    }
    Ok(Some(revocation_id))
}

/// What the automation is told to revoke, read before the change's
/// transaction (so that the transaction holds no second connection). The
/// revocation's id is filled in once known.
pub async fn request_event(
    db: &Db,
    credential: i64,
    reason: &str,
    requested_by: &str,
    replacement: Option<i64>,
    now: DateTime<Utc>,
) -> Result<json::RevocationEvent, ApiError> {
    Ok(json::RevocationEvent {
        event: REQUESTED_EVENT.to_owned(),
        timestamp: now,
        data: json::RevocationRequested {
            revocation: 0,
            credential: revocations::credential(db, credential).await?,
            reason: reason.to_owned(),
            requested_by: requested_by.to_owned(),
            replacement: match replacement {
                Some(id) => Some(revocations::credential(db, id).await?),
                None => None,
            },
            consumers: revocations::consumers(db, credential).await?,
            copies: revocations::present_copies(db, credential).await?,
        },
    })
}
