//! `/api/v1/agents` and `/api/v1/tools`: the agents and what they use.

use axum::Json;
use axum::extract::State;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiQuery, Id};
use crate::db::agents;
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents))
        .routes(routes!(get_agent))
        .routes(routes!(list_tools))
        .routes(routes!(get_tool))
}

/// Lists agents, filtered, searched, sorted and paged.
#[utoipa::path(get, path = "/agents", tag = "inventory", params(json::AgentQuery),
    responses((status = 200, body = json::Page<json::AgentSummary>), (status = 400, body = json::ErrorBody)))]
async fn list_agents(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::AgentQuery>,
) -> Result<Json<json::Page<json::AgentSummary>>, ApiError> {
    Ok(Json(agents::list(&state.db, &query).await?))
}

/// One agent with its tools and credentials.
#[utoipa::path(get, path = "/agents/{id}", tag = "inventory", params(("id" = i64, Path, description = "Agent id")),
    responses((status = 200, body = json::AgentDetail), (status = 404, body = json::ErrorBody)))]
async fn get_agent(State(state): State<AppState>, Id(id): Id) -> Result<Json<json::AgentDetail>, ApiError> {
    Ok(Json(agents::get(&state.db, id).await?))
}

/// Lists tools.
#[utoipa::path(get, path = "/tools", tag = "inventory", params(json::ToolQuery),
    responses((status = 200, body = json::Page<json::ToolSummary>), (status = 400, body = json::ErrorBody)))]
async fn list_tools(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::ToolQuery>,
) -> Result<Json<json::Page<json::ToolSummary>>, ApiError> {
    Ok(Json(agents::list_tools(&state.db, &query).await?))
}

/// One tool with the agents that use it and the credentials it authenticates with.
#[utoipa::path(get, path = "/tools/{id}", tag = "inventory", params(("id" = i64, Path, description = "Tool id")),
    responses((status = 200, body = json::ToolDetail), (status = 404, body = json::ErrorBody)))]
async fn get_tool(State(state): State<AppState>, Id(id): Id) -> Result<Json<json::ToolDetail>, ApiError> {
    Ok(Json(agents::get_tool(&state.db, id).await?))
}
