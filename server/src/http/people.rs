//! `/api/v1/teams` and `/api/v1/people`: the humans accountable for agents.

use axum::Json;
use axum::extract::State;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiQuery, Id};
use crate::db::people;
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams))
        .routes(routes!(get_team))
        .routes(routes!(list_people))
        .routes(routes!(get_person))
}

/// Lists teams.
#[utoipa::path(get, path = "/teams", tag = "inventory", params(json::TeamQuery),
    responses((status = 200, body = json::Page<json::TeamSummary>), (status = 400, body = json::ErrorBody)))]
async fn list_teams(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::TeamQuery>,
) -> Result<Json<json::Page<json::TeamSummary>>, ApiError> {
    Ok(Json(people::list_teams(&state.db, &query).await?))
}

/// One team with its sub-teams, members and what they own.
#[utoipa::path(get, path = "/teams/{id}", tag = "inventory", params(("id" = i64, Path, description = "Team id")),
    responses((status = 200, body = json::TeamDetail), (status = 404, body = json::ErrorBody)))]
async fn get_team(State(state): State<AppState>, Id(id): Id) -> Result<Json<json::TeamDetail>, ApiError> {
    Ok(Json(people::get_team(&state.db, id).await?))
}

/// Lists people.
#[utoipa::path(get, path = "/people", tag = "inventory", params(json::PersonQuery),
    responses((status = 200, body = json::Page<json::PersonSummary>), (status = 400, body = json::ErrorBody)))]
async fn list_people(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::PersonQuery>,
) -> Result<Json<json::Page<json::PersonSummary>>, ApiError> {
    Ok(Json(people::list_people(&state.db, &query, None).await?))
}

/// One person with what they own.
#[utoipa::path(get, path = "/people/{id}", tag = "inventory", params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = json::PersonDetail), (status = 404, body = json::ErrorBody)))]
async fn get_person(State(state): State<AppState>, Id(id): Id) -> Result<Json<json::PersonDetail>, ApiError> {
    Ok(Json(people::get_person(&state.db, id).await?))
}
