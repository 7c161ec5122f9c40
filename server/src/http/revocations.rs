//! `/api/v1/revocations` and `/api/v1/credentials/{id}/revocation...`:
//! what revoking a credential breaks, revoking it (admins, or managers for
//! credentials their teams own), moving the revocation on, and ticking off
//! every stored copy of its secret. The workflow itself is in
//! [`crate::revocation`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use model::api::{self as json, ChecklistState, CredentialStatus, OwnedKind, RevocationState};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiQuery, Id};
use super::ownership::reason;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::auth::{Caller, OwnershipEditor};
use crate::db::{revocations, risk};
use crate::ownership::{require_in_teams, require_users_within};
use crate::revocation;
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_revocation_plan))
        .routes(routes!(revoke_credential))
        .routes(routes!(list_revocations))
        .routes(routes!(get_revocation))
        .routes(routes!(transition_revocation))
        .routes(routes!(resolve_copy))
}

/// Refuses (403) unless the caller may revoke this credential: an admin, or
/// a manager of the team of its owner (or of a team above) when every agent
/// that uses it is in their teams too. 404 when there is no such credential.
pub(super) async fn require_steward(
    conn: &mut AnyConnection,
    caller: &Caller,
    credential: i64,
) -> Result<(), ApiError> {
    let (owned, teams) = require_in_teams(conn, caller, OwnedKind::Credential, credential, "revoke").await?;
    require_users_within(conn, &teams, &owned, "revoke").await
}

/// A note of at most 500 characters, trimmed; empty is none.
fn note(text: Option<&str>) -> Result<Option<&str>, ApiError> {
    let note = text.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::BadRequest(
            "note must have at most 500 characters".into(),
        ));
    }
    Ok(note)
}

/// What revoking the credential would break: the agents and tools that use
/// it, its last use, the resources that would lose access, and every stored
/// copy of its secret.
#[utoipa::path(get, path = "/credentials/{id}/revocation-plan", tag = "revocation",
    params(("id" = i64, Path, description = "Credential id")),
    responses((status = 200, body = json::RevocationPlan), (status = 404, body = json::ErrorBody)))]
async fn get_revocation_plan(
    State(state): State<AppState>,
    Id(id): Id,
) -> Result<Json<json::RevocationPlan>, ApiError> {
    Ok(Json(revocations::plan(&state.db, id).await?))
}

/// Revokes a credential: records the revocation with a checklist of every
/// stored copy, and asks the automation webhook (when configured) to revoke
/// it upstream. A credential has at most one revocation: asking again
/// answers the existing one (200) and records nothing.
#[utoipa::path(post, path = "/credentials/{id}/revocation", tag = "revocation",
    params(("id" = i64, Path, description = "Credential id")), request_body = json::NewRevocation,
    responses((status = 201, body = json::Revocation, description = "Revocation recorded"),
        (status = 200, body = json::Revocation, description = "The credential's existing revocation"),
        (status = 400, body = json::ErrorBody), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody), (status = 422, body = json::ErrorBody)))]
async fn revoke_credential(
    State(state): State<AppState>,
    OwnershipEditor(caller): OwnershipEditor,
    Id(id): Id,
    source: Source,
    ApiJson(request): ApiJson<json::NewRevocation>,
) -> Result<(StatusCode, Json<json::Revocation>), ApiError> {
    let reason = reason(&request.reason)?;
    let automated = state.settings.webhook.is_some();
    {
        let mut conn = state.db.pool().acquire().await?;
        require_steward(&mut conn, &caller, id).await?;
    }
    if let Some(replacement) = request.replacement {
        check_replacement(&state, id, replacement).await?;
    }
    let now = Utc::now();
    let by = &caller.0.email;
    // Read before the transaction, which must not wait for a second connection.
    let event = if automated {
        Some(revocation::request_event(&state.db, id, reason, by, request.replacement, now).await?)
    } else {
        None
    };
    let mut tx = state.db.begin().await?;
    let opened = revocation::open(
        &mut tx,
        &revocation::Opening {
            credential: id,
            reason,
            replacement: request.replacement,
            by,
            event,
        },
        Some(&source),
        now,
    )
    .await?;
    let Some(revocation_id) = opened else {
        tx.rollback().await?;
        // Another request recorded it first: answer that one.
        let existing = revocations::brief(&state.db, id)
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("revocation of {id} vanished")))?;
        return Ok((
            StatusCode::OK,
            Json(revocations::get(&state.db, existing.id, automated).await?),
        ));
    };
    tx.commit().await?;
    state.outbox.notify_one();
    Ok((
        StatusCode::CREATED,
        Json(revocations::get(&state.db, revocation_id, automated).await?),
    ))
}

/// A replacement must be another credential that is still usable.
async fn check_replacement(state: &AppState, id: i64, replacement: i64) -> Result<(), ApiError> {
    if replacement == id {
        return Err(ApiError::Unprocessable(
            "a credential cannot replace itself".into(),
        ));
    }
    let candidate = revocations::credential(&state.db, replacement).await?;
    if candidate.status != CredentialStatus::Active {
        return Err(ApiError::Unprocessable(format!(
            "the replacement {} is {}, not active",
            candidate.name,
            candidate.status.label().to_lowercase()
        )));
    }
    Ok(())
}

/// Lists revocations, newest change first.
#[utoipa::path(get, path = "/revocations", tag = "revocation", params(json::RevocationQuery),
    responses((status = 200, body = json::Page<json::RevocationSummary>), (status = 400, body = json::ErrorBody)))]
async fn list_revocations(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::RevocationQuery>,
) -> Result<Json<json::Page<json::RevocationSummary>>, ApiError> {
    Ok(Json(revocations::list(&state.db, &query).await?))
}

/// One revocation: its state, what it may become, the consumers to move,
/// the checklist of copies and the webhook's deliveries.
#[utoipa::path(get, path = "/revocations/{id}", tag = "revocation",
    params(("id" = i64, Path, description = "Revocation id")),
    responses((status = 200, body = json::Revocation), (status = 404, body = json::ErrorBody)))]
async fn get_revocation(
    State(state): State<AppState>,
    Id(id): Id,
) -> Result<Json<json::Revocation>, ApiError> {
    Ok(Json(
        revocations::get(&state.db, id, state.settings.webhook.is_some()).await?,
    ))
}

/// The revocation `id`, and a refusal unless the caller may act on it.
async fn stored_for(state: &AppState, caller: &Caller, id: i64) -> Result<revocations::Stored, ApiError> {
    let mut conn = state.db.pool().acquire().await?;
    let stored = revocations::stored(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no revocation with id {id}")))?;
    require_steward(&mut conn, caller, stored.credential).await?;
    Ok(stored)
}

/// Moves a revocation on by hand: the credential was disabled or revoked
/// upstream (or that failed), or a failed revocation is asked for again
/// (which calls the webhook again). `complete` is never chosen: it follows
/// when the credential is revoked and every copy is resolved.
#[utoipa::path(post, path = "/revocations/{id}/transitions", tag = "revocation",
    params(("id" = i64, Path, description = "Revocation id")), request_body = json::RevocationTransition,
    responses((status = 200, body = json::Revocation), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 409, body = json::ErrorBody)))]
async fn transition_revocation(
    State(state): State<AppState>,
    OwnershipEditor(caller): OwnershipEditor,
    Id(id): Id,
    source: Source,
    ApiJson(request): ApiJson<json::RevocationTransition>,
) -> Result<Json<json::Revocation>, ApiError> {
    let note = note(request.note.as_deref())?;
    let stored = stored_for(&state, &caller, id).await?;
    let now = Utc::now();
    let by = &caller.0.email;
    // Asked for again: the automation hears of it again, with today's facts.
    let body = match (request.to, state.settings.webhook.is_some()) {
        (RevocationState::Requested, true) => {
            let (reason, replacement) = revocations::request_of(&state.db, id).await?;
            let mut event =
                revocation::request_event(&state.db, stored.credential, &reason, by, replacement, now)
                    .await?;
            event.data.revocation = id;
            Some(serde_json::to_string(&event).map_err(|e| ApiError::Internal(e.into()))?)
        }
        _ => None,
    };
    let mut tx = state.db.begin().await?;
    // The state as of now, inside the transaction: another request may have moved it.
    let current = revocations::stored(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no revocation with id {id}")))?;
    let actor = Actor::Person(by.clone());
    revocation::transition(
        &mut tx,
        &current,
        request.to,
        &actor,
        note,
        Some(&source),
        body.as_deref(),
        now,
    )
    .await?;
    tx.commit().await?;
    state.outbox.notify_one();
    Ok(Json(
        revocations::get(&state.db, stored.id, state.settings.webhook.is_some()).await?,
    ))
}

/// Ticks off one copy on a revocation's checklist: `removed` (the copy is
/// then marked removed in the inventory too) or `accepted`, with a reason,
/// for one that cannot be removed. The last one completes a revoked revocation.
#[utoipa::path(post, path = "/revocations/{id}/checklist", tag = "revocation",
    params(("id" = i64, Path, description = "Revocation id")), request_body = json::CopyResolution,
    responses((status = 200, body = json::Revocation), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 409, body = json::ErrorBody)))]
async fn resolve_copy(
    State(state): State<AppState>,
    OwnershipEditor(caller): OwnershipEditor,
    Id(id): Id,
    source: Source,
    ApiJson(request): ApiJson<json::CopyResolution>,
) -> Result<Json<json::Revocation>, ApiError> {
    let why = match request.state {
        ChecklistState::Pending => {
            return Err(ApiError::BadRequest(
                "a copy is resolved as removed or accepted; it is pending again only when found again".into(),
            ));
        }
        ChecklistState::Accepted => Some(reason(request.reason.as_deref().unwrap_or_default()).map_err(
            |_| ApiError::BadRequest("an accepted copy needs a reason of 1 to 500 characters".into()),
        )?),
        ChecklistState::Removed => note(request.reason.as_deref())?,
    };
    stored_for(&state, &caller, id).await?;
    let now = Utc::now();
    let by = &caller.0.email;
    let mut tx = state.db.begin().await?;
    let current = revocations::stored(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no revocation with id {id}")))?;
    match revocations::checklist_state(&mut tx, id, request.copy).await? {
        None => {
            return Err(ApiError::NotFound(format!(
                "copy {} is not on the checklist of revocation {id}",
                request.copy
            )));
        }
        Some(ChecklistState::Pending) => {}
        Some(done) => {
            return Err(ApiError::Conflict(format!(
                "copy {} is {} already",
                request.copy,
                done.as_str()
            )));
        }
    }
    if !revocations::resolve_copy(&mut tx, id, request.copy, request.state, why, by, now).await? {
        return Err(ApiError::Conflict(
            "the copy was resolved meanwhile; reload the revocation".into(),
        ));
    }
    let actor = Actor::Person(by.clone());
    let entry = Entry::new(actor.clone(), "revocation.copy")
        .target(AuditTarget::new(TargetKind::Credential, current.credential))
        .details(serde_json::json!({
            "revocation": id,
            "copy": request.copy,
            "state": request.state,
            "reason": why,
        }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    revocation::complete_if_done(&mut tx, &current, &actor, Some(&source), now).await?;
    // Fewer plaintext copies, less risk.
    risk::refresh(&mut tx, &[current.credential], &[], now).await?;
    tx.commit().await?;
    Ok(Json(
        revocations::get(&state.db, id, state.settings.webhook.is_some()).await?,
    ))
}
