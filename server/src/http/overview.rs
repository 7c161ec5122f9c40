//! `/api/v1/overview`: the CISO's headline figures.

use axum::Json;
use axum::extract::State;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_overview))
}

/// Agents by category, shadow agents, active credentials by kind, static
/// secrets, owner coverage, and credentials with plaintext copies.
#[utoipa::path(get, path = "/overview", tag = "risk",
    responses((status = 200, body = json::Overview), (status = 401, body = json::ErrorBody)))]
async fn get_overview(State(state): State<AppState>) -> Result<Json<json::Overview>, ApiError> {
    Ok(Json(state.aggregates.overview(&state.db).await?))
}
