//! Agents' own API tokens: admins give and revoke them; an agent with one
//! can ask who it is (`/agent/self`) and, later, ask for approvals.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{Duration, Utc};
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Id};
use crate::audit::{self, Actor, Entry, Source};
use crate::auth::{self, Admin, AgentCaller};
use crate::db::{agent_tokens, agents};
use crate::{ApiError, AppState};

/// Routes for admins (signed-in people).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_agent_token, list_agent_tokens))
        .routes(routes!(revoke_agent_token))
}

/// Routes for agents with a token.
pub fn agent_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_agent_self))
}

/// Gives an agent an API token. The secret is in this answer only.
#[utoipa::path(post, path = "/agents/{id}/tokens", tag = "agent tokens",
    params(("id" = i64, Path, description = "Agent id")), request_body = json::NewAgentToken,
    responses((status = 201, body = json::CreatedAgentToken), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody)))]
async fn create_agent_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(agent): Id,
    source: Source,
    ApiJson(request): ApiJson<json::NewAgentToken>,
) -> Result<(StatusCode, Json<json::CreatedAgentToken>), ApiError> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::BadRequest("name must have 1 to 100 characters".into()));
    }
    if !(1..=365).contains(&request.expires_in_days) {
        return Err(ApiError::BadRequest(format!(
            "expires_in_days must be between 1 and 365, not {}",
            request.expires_in_days
        )));
    }
    state.db.must_exist("agent", agent).await?;
    let secret = format!("mst_{}", auth::random_secret());
    let hash = auth::session_hash(&secret);
    let now = Utc::now();
    let expires = now + Duration::days(i64::from(request.expires_in_days));
    let mut tx = state.db.pool().begin().await?;
    let token = agent_tokens::create(&mut tx, agent, name, &hash, &caller.0.email, now, expires).await?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "agent_token.create")
        .target(format!("agent:{agent}"))
        .details(serde_json::json!({ "token": token.id, "name": name, "expires_at": token.expires_at }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json::CreatedAgentToken { token, secret }),
    ))
}

/// An agent's tokens, without their secrets.
#[utoipa::path(get, path = "/agents/{id}/tokens", tag = "agent tokens",
    params(("id" = i64, Path, description = "Agent id")),
    responses((status = 200, body = Vec<json::AgentToken>), (status = 403, body = json::ErrorBody)))]
async fn list_agent_tokens(
    State(state): State<AppState>,
    Admin(_): Admin,
    Id(agent): Id,
) -> Result<Json<Vec<json::AgentToken>>, ApiError> {
    state.db.must_exist("agent", agent).await?;
    Ok(Json(agent_tokens::list(&state.db, agent).await?))
}

/// Revokes a token at once. Revoking it again changes nothing.
#[utoipa::path(delete, path = "/agent-tokens/{id}", tag = "agent tokens",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = json::AgentToken), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn revoke_agent_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::AgentToken>, ApiError> {
    let now = Utc::now();
    let mut tx = state.db.pool().begin().await?;
    let token = agent_tokens::revoke(&mut tx, id, now)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agent token with id {id}")))?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "agent_token.revoke")
        .target(format!("agent:{}", token.agent_id))
        .details(serde_json::json!({ "token": id }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Json(token))
}

/// The agent whose token makes the request.
#[utoipa::path(get, path = "/agent/self", tag = "agent tokens",
    responses((status = 200, body = json::AgentDetail), (status = 401, body = json::ErrorBody)))]
async fn get_agent_self(
    State(state): State<AppState>,
    Extension(agent): Extension<AgentCaller>,
) -> Result<Json<json::AgentDetail>, ApiError> {
    Ok(Json(agents::get(&state.db, agent.agent_id).await?))
}
