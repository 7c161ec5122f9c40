//! `/api/v1/resources`: what credentials reach.

use axum::Json;
use axum::extract::State;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiQuery, Id};
use crate::db::resources;
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_resources))
        .routes(routes!(get_resource))
}

/// Lists resources.
#[utoipa::path(get, path = "/resources", tag = "inventory", params(json::ResourceQuery),
    responses((status = 200, body = json::Page<json::ResourceSummary>), (status = 400, body = json::ErrorBody)))]
async fn list_resources(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::ResourceQuery>,
) -> Result<Json<json::Page<json::ResourceSummary>>, ApiError> {
    Ok(Json(resources::list(&state.db, &query).await?))
}

/// One resource with the credentials that reach it.
#[utoipa::path(get, path = "/resources/{id}", tag = "inventory",
    params(("id" = i64, Path, description = "Resource id")),
    responses((status = 200, body = json::ResourceDetail), (status = 404, body = json::ErrorBody)))]
async fn get_resource(
    State(state): State<AppState>,
    Id(id): Id,
) -> Result<Json<json::ResourceDetail>, ApiError> {
    Ok(Json(resources::get(&state.db, id).await?))
}
