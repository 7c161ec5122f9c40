//! `/api/v1/scim-tokens`: admins create, list and revoke the bearer tokens
//! the identity provider's SCIM client calls `/scim/v2` with.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Id};
use crate::audit::{Actor, Source};
use crate::auth::Admin;
use crate::db::scim as queries;
use crate::identity::scim;
use crate::{ApiError, AppState};

/// Routes for admins.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_scim_token, list_scim_tokens))
        .routes(routes!(revoke_scim_token))
}

/// Creates a SCIM token. The secret is in this answer only.
#[utoipa::path(post, path = "/scim-tokens", tag = "identity provider", request_body = json::NewScimToken,
    responses((status = 201, body = json::CreatedScimToken), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody)))]
async fn create_scim_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(request): ApiJson<json::NewScimToken>,
) -> Result<(StatusCode, Json<json::CreatedScimToken>), ApiError> {
    let actor = Actor::Person(caller.0.email.clone());
    let created = scim::create_token(
        &state.db,
        &request.name,
        request.expires_in_days,
        actor,
        &source,
        Utc::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Every SCIM token, without its secret, newest first.
#[utoipa::path(get, path = "/scim-tokens", tag = "identity provider",
    responses((status = 200, body = Vec<json::ScimToken>), (status = 403, body = json::ErrorBody)))]
async fn list_scim_tokens(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::ScimToken>>, ApiError> {
    Ok(Json(queries::tokens(&state.db).await?))
}

/// Revokes a SCIM token at once. Revoking it again changes nothing.
#[utoipa::path(delete, path = "/scim-tokens/{id}", tag = "identity provider",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = json::ScimToken), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn revoke_scim_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::ScimToken>, ApiError> {
    let actor = Actor::Person(caller.0.email.clone());
    Ok(Json(
        scim::revoke_token(&state.db, id, actor, &source, Utc::now()).await?,
    ))
}
