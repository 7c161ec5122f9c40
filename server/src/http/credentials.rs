//! `/api/v1/credentials` and `/api/v1/copies`: credentials, every stored copy
//! of their secrets (and reports of copies found), and their blast radius.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use model::api::{self as json, CopyStatus};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiQuery, Id};
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::auth::Admin;
use crate::db::{behaviour, credentials, lineage, revocations, risk};
use crate::{ApiError, AppState, revocation};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials))
        .routes(routes!(get_credential))
        .routes(routes!(get_blast_radius))
        .routes(routes!(get_behaviour))
        .routes(routes!(list_behaviour_findings))
        .routes(routes!(list_copies, report_copy))
        .routes(routes!(get_copy))
}

/// Lists credentials, filtered, searched (name, key id, ARN, fingerprint), sorted and paged.
#[utoipa::path(get, path = "/credentials", tag = "inventory", params(json::CredentialQuery),
    responses((status = 200, body = json::Page<json::CredentialSummary>), (status = 400, body = json::ErrorBody)))]
async fn list_credentials(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::CredentialQuery>,
) -> Result<Json<json::Page<json::CredentialSummary>>, ApiError> {
    Ok(Json(credentials::list(&state.db, &query).await?))
}

/// One credential with its tools, agents, copies, reach and recent activity.
#[utoipa::path(get, path = "/credentials/{id}", tag = "inventory",
    params(("id" = i64, Path, description = "Credential id")),
    responses((status = 200, body = json::CredentialDetail), (status = 404, body = json::ErrorBody)))]
async fn get_credential(
    State(state): State<AppState>,
    Id(id): Id,
) -> Result<Json<json::CredentialDetail>, ApiError> {
    Ok(Json(crate::inventory::credential(&state.db, id).await?))
}

/// Everything the credential reaches, with permission and sensitivity, and who else reaches it.
#[utoipa::path(get, path = "/credentials/{id}/blast-radius", tag = "lineage",
    params(("id" = i64, Path, description = "Credential id")),
    responses((status = 200, body = json::BlastRadius), (status = 404, body = json::ErrorBody)))]
async fn get_blast_radius(
    State(state): State<AppState>,
    Id(id): Id,
) -> Result<Json<json::BlastRadius>, ApiError> {
    Ok(Json(lineage::blast_radius(&state.db, id).await?))
}

/// What a credential normally does (its baseline: actions, resources,
/// source networks, user agents, usual hourly rate) and its behaviour findings.
#[utoipa::path(get, path = "/credentials/{id}/behaviour", tag = "inventory",
    params(("id" = i64, Path, description = "Credential id")),
    responses((status = 200, body = json::Behaviour), (status = 404, body = json::ErrorBody)))]
async fn get_behaviour(State(state): State<AppState>, Id(id): Id) -> Result<Json<json::Behaviour>, ApiError> {
    state.db.must_exist("credential", id).await?;
    Ok(Json(behaviour::of_credential(&state.db, id).await?))
}

/// Behaviour findings of the last 30 days: how many of each kind, and the newest 50.
#[utoipa::path(get, path = "/behaviour/findings", tag = "inventory",
    responses((status = 200, body = json::RecentFindings)))]
async fn list_behaviour_findings(
    State(state): State<AppState>,
) -> Result<Json<json::RecentFindings>, ApiError> {
    let since = Utc::now() - Duration::days(crate::risk::FINDING_DAYS);
    Ok(Json(behaviour::recent(&state.db, since, 50).await?))
}

/// Lists stored copies of secrets.
#[utoipa::path(get, path = "/copies", tag = "inventory", params(json::CopyQuery),
    responses((status = 200, body = json::Page<json::CopySummary>), (status = 400, body = json::ErrorBody)))]
async fn list_copies(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::CopyQuery>,
) -> Result<Json<json::Page<json::CopySummary>>, ApiError> {
    if let Some(credential) = query.credential {
        state.db.must_exist("credential", credential).await?;
    }
    Ok(Json(credentials::list_copies(&state.db, &query).await?))
}

/// One stored copy.
#[utoipa::path(get, path = "/copies/{id}", tag = "inventory", params(("id" = i64, Path, description = "Copy id")),
    responses((status = 200, body = json::CopySummary), (status = 404, body = json::ErrorBody)))]
async fn get_copy(State(state): State<AppState>, Id(id): Id) -> Result<Json<json::CopySummary>, ApiError> {
    Ok(Json(credentials::get_copy(&state.db, id).await?))
}

/// Reports a stored copy of a secret found by a scanner, an import or a
/// person. A known copy (same credential, kind and place) is marked present
/// and seen again; if the credential is being revoked, the copy goes on the
/// checklist as pending again (a complete revocation is open again).
#[utoipa::path(post, path = "/copies", tag = "inventory", request_body = json::CopySighting,
    responses((status = 201, body = json::SightedCopy, description = "A new copy"),
        (status = 200, body = json::SightedCopy, description = "A known copy, seen again"),
        (status = 400, body = json::ErrorBody), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn report_copy(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(mut sighting): ApiJson<json::CopySighting>,
) -> Result<(StatusCode, Json<json::SightedCopy>), ApiError> {
    sighting.locator = sighting.locator.trim().to_owned();
    sighting.found_by = sighting.found_by.trim().to_owned();
    let length = |text: &str| text.chars().count();
    if !(1..=1000).contains(&length(&sighting.locator)) {
        return Err(ApiError::BadRequest(
            "locator must have 1 to 1000 characters".into(),
        ));
    }
    if !(1..=200).contains(&length(&sighting.found_by)) {
        return Err(ApiError::BadRequest(
            "found_by must have 1 to 200 characters".into(),
        ));
    }
    if sighting.author_email.as_deref().is_some_and(|e| length(e) > 320) {
        return Err(ApiError::BadRequest(
            "author_email must have at most 320 characters".into(),
        ));
    }
    let now = Utc::now();
    let seen_at = sighting.seen_at.unwrap_or(now);
    if seen_at > now + Duration::minutes(5) {
        return Err(ApiError::BadRequest("seen_at is in the future".into()));
    }
    state.db.must_exist("credential", sighting.credential).await?;
    let actor = Actor::Person(caller.0.email.clone());
    let mut tx = state.db.begin().await?;
    let (copy, before) = revocations::sight_copy(&mut tx, &sighting, seen_at, None).await?;
    if before != Some(CopyStatus::Present) {
        let entry = Entry::new(actor.clone(), "copy.sighted")
            .target(AuditTarget::new(TargetKind::Copy, copy))
            .details(serde_json::json!({
                "credential": sighting.credential,
                "kind": sighting.kind,
                "locator": sighting.locator,
                "found_by": sighting.found_by,
                "before": before,
            }))
            .from(&source);
        audit::record(&mut tx, &entry, now).await?;
    }
    let reopened =
        revocation::copy_found(&mut tx, sighting.credential, copy, &actor, Some(&source), now).await?;
    // A new plaintext copy raises the credential's risk; a copy seen again
    // is audited by no one, yet may move it too.
    let rescored = risk::refresh(&mut tx, &[sighting.credential], &[], now).await?;
    if rescored > 0 && before == Some(CopyStatus::Present) {
        risk::mark_scores_changed(&mut tx, now).await?;
    }
    tx.commit().await?;
    let status = match before {
        None => StatusCode::CREATED,
        Some(_) => StatusCode::OK,
    };
    Ok((
        status,
        Json(json::SightedCopy {
            copy: credentials::get_copy(&state.db, copy).await?,
            created: before.is_none(),
            reopened,
        }),
    ))
}
