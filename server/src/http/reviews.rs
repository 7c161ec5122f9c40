//! Access reviews and evidence packs over HTTP; the work is
//! [`crate::review`]'s and [`crate::evidence`]'s.
//!
//! - `GET /reviews`, `GET /reviews/{id}`, `GET /reviews/{id}/items`: anyone
//!   signed in, each seeing what is theirs (CISOs and admins everything).
//! - `POST /reviews` (start), `POST /reviews/{id}/close` and
//!   `DELETE /reviews/{id}/repeat` (no next cycle): CISOs and admins.
//! - `POST /reviews/{id}/decisions`: an item's reviewer.
//! - `GET /evidence?from=&to=`: the signed pack (CISOs and admins);
//!   `GET /evidence/key`: the key it is signed with (anyone).

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiQuery, Id};
use crate::audit::{Actor, Source};
use crate::auth::{Caller, ReviewLead};
use crate::evidence::{self, Period};
use crate::{ApiError, AppState, review};

/// Routes for signed-in people.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reviews, start_review))
        .routes(routes!(get_review))
        .routes(routes!(list_review_items))
        .routes(routes!(decide_review_items))
        .routes(routes!(close_review))
        .routes(routes!(stop_repeating_review))
        .routes(routes!(get_evidence))
}

/// Routes open to anyone.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_evidence_key))
}

/// Campaigns, newest first, with the progress of the items the caller sees.
#[utoipa::path(get, path = "/reviews", tag = "reviews",
    responses((status = 200, body = Vec<json::Campaign>)))]
async fn list_reviews(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<json::Campaign>>, ApiError> {
    Ok(Json(review::list(&state.db, &caller.0).await?))
}

/// Starts a campaign: every agent and active credential in its scope goes
/// to its reviewer, who is told (CISOs and admins).
#[utoipa::path(post, path = "/reviews", tag = "reviews", request_body = json::NewCampaign,
    responses((status = 201, body = json::Campaign), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 422, body = json::ErrorBody)))]
async fn start_review(
    State(state): State<AppState>,
    ReviewLead(caller): ReviewLead,
    source: Source,
    ApiJson(new): ApiJson<json::NewCampaign>,
) -> Result<(StatusCode, Json<json::Campaign>), ApiError> {
    let now = state.settings.clock.now();
    let campaign = review::start(&state.db, &caller.0, &new, &source, now).await?;
    state.events.notify_one();
    Ok((StatusCode::CREATED, Json(campaign)))
}

/// One campaign, with its progress by team and by reviewer.
#[utoipa::path(get, path = "/reviews/{id}", tag = "reviews",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = json::CampaignDetail), (status = 404, body = json::ErrorBody)))]
async fn get_review(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Id(id): Id,
) -> Result<Json<json::CampaignDetail>, ApiError> {
    Ok(Json(review::detail(&state.db, &caller.0, id).await?))
}

/// A page of a campaign's items the caller sees, riskiest first.
#[utoipa::path(get, path = "/reviews/{id}/items", tag = "reviews",
    params(("id" = i64, Path, description = "Campaign id"), json::ReviewItemQuery),
    responses((status = 200, body = json::Page<json::ReviewItem>), (status = 400, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn list_review_items(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Id(id): Id,
    ApiQuery(query): ApiQuery<json::ReviewItemQuery>,
) -> Result<Json<json::Page<json::ReviewItem>>, ApiError> {
    Ok(Json(review::items(&state.db, &caller.0, id, &query).await?))
}

/// Decides items of a campaign, all alike, all or none: keep (attested),
/// reduce (one credential: change requests remove the scopes named),
/// revoke (revocations are opened), reassign (to `new_owner`).
#[utoipa::path(post, path = "/reviews/{id}/decisions", tag = "reviews",
    params(("id" = i64, Path, description = "Campaign id")), request_body = json::ReviewDecisions,
    responses((status = 200, body = json::ReviewDecided), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 409, body = json::ErrorBody), (status = 422, body = json::ErrorBody)))]
async fn decide_review_items(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Id(id): Id,
    source: Source,
    ApiJson(request): ApiJson<json::ReviewDecisions>,
) -> Result<Json<json::ReviewDecided>, ApiError> {
    let now = state.settings.clock.now();
    let decided = review::decide(&state, &caller.0, id, &request, &source, now).await?;
    state.wake_senders();
    Ok(Json(decided))
}

/// Closes a campaign: no more decisions (CISOs and admins).
#[utoipa::path(post, path = "/reviews/{id}/close", tag = "reviews",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = json::Campaign), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody), (status = 409, body = json::ErrorBody)))]
async fn close_review(
    State(state): State<AppState>,
    ReviewLead(caller): ReviewLead,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::Campaign>, ApiError> {
    let now = state.settings.clock.now();
    Ok(Json(review::close(&state.db, &caller.0, id, &source, now).await?))
}

/// Stops a repeating campaign: its next cycle will not start (CISOs and admins).
#[utoipa::path(delete, path = "/reviews/{id}/repeat", tag = "reviews",
    params(("id" = i64, Path, description = "Campaign id")),
    responses((status = 200, body = json::Campaign), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody), (status = 409, body = json::ErrorBody)))]
async fn stop_repeating_review(
    State(state): State<AppState>,
    ReviewLead(caller): ReviewLead,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::Campaign>, ApiError> {
    let now = state.settings.clock.now();
    Ok(Json(
        review::stop_repeating(&state.db, &caller.0, id, &source, now).await?,
    ))
}

/// The signed evidence pack of a period, a zip (CISOs and admins); taking
/// one is audited.
#[utoipa::path(get, path = "/evidence", tag = "reviews", params(json::EvidenceQuery),
    responses((status = 200, content_type = "application/zip", description = "The pack"),
        (status = 400, body = json::ErrorBody), (status = 403, body = json::ErrorBody)))]
async fn get_evidence(
    State(state): State<AppState>,
    ReviewLead(caller): ReviewLead,
    source: Source,
    ApiQuery(query): ApiQuery<json::EvidenceQuery>,
) -> Result<Response, ApiError> {
    let period = Period::parse(&query.from, &query.to)?;
    let now = state.settings.clock.now();
    let actor = Actor::Person(caller.0.email.clone());
    let pack = evidence::export(
        &state.db,
        &state.settings.approval_key,
        period,
        actor,
        Some(&source),
        now,
    )
    .await?;
    let name = format!(
        "attachment; filename=\"muster-evidence-{}-{}.zip\"",
        period.from.format("%Y%m%d"),
        period.to.format("%Y%m%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, name),
        ],
        pack,
    )
        .into_response())
}

/// The public key evidence packs are signed with, for `muster evidence verify --key`.
#[utoipa::path(get, path = "/evidence/key", tag = "reviews",
    responses((status = 200, body = json::EvidenceKey)))]
async fn get_evidence_key(State(state): State<AppState>) -> Json<json::EvidenceKey> {
    Json(evidence::public_key(&state.settings.approval_key))
}
