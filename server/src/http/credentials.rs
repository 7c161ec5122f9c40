//! `/api/v1/credentials` and `/api/v1/copies`: credentials, every stored copy
//! of their secrets, and their blast radius.

use axum::Json;
use axum::extract::State;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiQuery, Id};
use crate::db::{credentials, lineage};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials))
        .routes(routes!(get_credential))
        .routes(routes!(get_blast_radius))
        .routes(routes!(list_copies))
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
    Ok(Json(credentials::get(&state.db, id).await?))
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
