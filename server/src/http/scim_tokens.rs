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
use crate::db::issued_tokens::{self as issued, Issued};
use crate::{ApiError, AppState, issued_tokens};

/// Routes for admins.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_scim_token, list_scim_tokens))
        .routes(routes!(revoke_scim_token))
}

/// Creates a SCIM token. The secret is in this answer only.
#[utoipa::path(post, path = "/scim-tokens", tag = "identity provider", request_body = json::NewIssuedToken,
    responses((status = 201, body = json::CreatedIssuedToken), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody)))]
async fn create_scim_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(request): ApiJson<json::NewIssuedToken>,
) -> Result<(StatusCode, Json<json::CreatedIssuedToken>), ApiError> {
    let actor = Actor::Person(caller.0.email.clone());
    let created = issued_tokens::create(
        &state.db,
        Issued::Scim,
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
    responses((status = 200, body = Vec<json::IssuedToken>), (status = 403, body = json::ErrorBody)))]
async fn list_scim_tokens(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::IssuedToken>>, ApiError> {
    Ok(Json(issued::list(&state.db, Issued::Scim).await?))
}

/// Revokes a SCIM token at once. Revoking it again changes nothing.
#[utoipa::path(delete, path = "/scim-tokens/{id}", tag = "identity provider",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = json::IssuedToken), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn revoke_scim_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::IssuedToken>, ApiError> {
    let actor = Actor::Person(caller.0.email.clone());
    Ok(Json(
        issued_tokens::revoke(&state.db, Issued::Scim, id, actor, &source, Utc::now()).await?,
    ))
}
