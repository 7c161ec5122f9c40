//! `/api/v1/graph/lineage` and `/api/v1/search`: the lineage around any node,
//! and the one box that finds anything.

use axum::Json;
use axum::extract::State;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::db::{lineage, search};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_lineage))
        .routes(routes!(get_search))
}

/// The subgraph around a node: person → agent → tool → credential → resource, plus copies.
/// Neighbourhoods larger than 12 of a kind fold into an aggregate "N more" node.
#[utoipa::path(get, path = "/graph/lineage", tag = "lineage", params(json::LineageQuery),
    responses((status = 200, body = json::Lineage), (status = 400, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn get_lineage(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::LineageQuery>,
) -> Result<Json<json::Lineage>, ApiError> {
    let (kind, id) = lineage::parse_node(&query.node)?;
    let depth = query.depth.unwrap_or(2);
    if !(1..=json::MAX_LINEAGE_DEPTH).contains(&depth) {
        return Err(ApiError::BadRequest(format!(
            "depth must be between 1 and {}, not {depth}",
            json::MAX_LINEAGE_DEPTH
        )));
    }
    Ok(Json(lineage::lineage(&state.db, kind, id, depth).await?))
}

/// Finds any entity by name, email, key id, ARN or fingerprint.
#[utoipa::path(get, path = "/search", tag = "lineage", params(json::SearchQuery),
    responses((status = 200, body = json::SearchResults), (status = 400, body = json::ErrorBody)))]
async fn get_search(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::SearchQuery>,
) -> Result<Json<json::SearchResults>, ApiError> {
    let text = query.q.trim();
    if text.chars().count() < 2 {
        return Err(ApiError::BadRequest("search needs at least 2 characters".into()));
    }
    let limit = query.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and 50, not {limit}"
        )));
    }
    Ok(Json(search::search(&state.db, text, limit as usize).await?))
}
