//! `/api/v1/graph/lineage`, `/api/v1/graph/paths` and `/api/v1/search`: the
//! lineage around any node, every way to reach one, and the one box that
//! finds anything.

use axum::Json;
use axum::extract::State;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::db::{lineage, search};
use crate::{ApiError, AppState, paths};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_lineage))
        .routes(routes!(get_paths))
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

/// Every way to reach a resource, credential, tool or agent: from the people
/// (or the agents and credentials nobody owns) at their start, shortest
/// first, each with its weakest link; with `from`, only the paths through
/// that node. Bounded: 25 parents a node (the rest fold into "N more"),
/// 2,000 nodes a layer, 250 ms, `limit` paths.
#[utoipa::path(get, path = "/graph/paths", tag = "lineage", params(json::PathsQuery),
    responses((status = 200, body = json::Paths), (status = 400, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn get_paths(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::PathsQuery>,
) -> Result<Json<json::Paths>, ApiError> {
    let to = lineage::parse_node(&query.to)?;
    let from = query.from.as_deref().map(lineage::parse_node).transpose()?;
    let limit = query.limit.unwrap_or(25);
    if !(1..=json::MAX_PATHS).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {}, not {limit}",
            json::MAX_PATHS
        )));
    }
    Ok(Json(paths::paths(&state.db, to, from, limit as usize).await?))
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
