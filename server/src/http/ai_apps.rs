//! `/api/v1/ai-apps` (admins): the catalogue of AI applications that tells
//! a grant to an AI agent from any other application's; and
//! `POST /api/v1/credentials/{id}/promote`, an admin making an agent of a
//! grant no entry matched. See [`crate::discovery`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Id};
use crate::audit::{Actor, Source};
use crate::auth::Admin;
use crate::db::agents;
use crate::{ApiError, AppState, discovery};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_ai_apps, create_ai_app))
        .routes(routes!(delete_ai_app))
        .routes(routes!(promote_credential))
}

/// The catalogue: the admins' entries, then the built-in ones.
#[utoipa::path(get, path = "/ai-apps", tag = "saas and cloud discovery",
    responses((status = 200, body = Vec<json::AiApp>), (status = 403, body = json::ErrorBody)))]
async fn list_ai_apps(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::AiApp>>, ApiError> {
    Ok(Json(discovery::list_apps(&state.db).await?))
}

/// Adds an entry; the grants it matches become agents from the next import.
#[utoipa::path(post, path = "/ai-apps", tag = "saas and cloud discovery", request_body = json::NewAiApp,
    responses((status = 201, body = json::AiApp), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody)))]
async fn create_ai_app(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(app): ApiJson<json::NewAiApp>,
) -> Result<(StatusCode, Json<json::AiApp>), ApiError> {
    let actor = Actor::Person(caller.0.email.clone());
    Ok((
        StatusCode::CREATED,
        Json(discovery::add_app(&state.db, &app, &actor, &source).await?),
    ))
}

/// Deletes an admin's entry (`admin-<n>`); the built-in ones are refused.
#[utoipa::path(delete, path = "/ai-apps/{key}", tag = "saas and cloud discovery",
    params(("key" = String, Path, description = "The entry's key")),
    responses((status = 204), (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 409, body = json::ErrorBody)))]
async fn delete_ai_app(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(key): Path<String>,
    source: Source,
) -> Result<StatusCode, ApiError> {
    let actor = Actor::Person(caller.0.email.clone());
    discovery::delete_app(&state.db, &key, &actor, &source).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a SaaS agent of a grant a platform import found; answers the agent.
#[utoipa::path(post, path = "/credentials/{id}/promote", tag = "saas and cloud discovery",
    params(("id" = i64, Path, description = "Credential id")),
    responses((status = 201, body = json::AgentDetail), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody), (status = 409, body = json::ErrorBody)))]
async fn promote_credential(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<(StatusCode, Json<json::AgentDetail>), ApiError> {
    let actor = Actor::Person(caller.0.email.clone());
    let agent = discovery::promote(&state.db, id, &actor, &source).await?;
    Ok((StatusCode::CREATED, Json(agents::get(&state.db, agent).await?)))
}
