//! Agents' own API tokens: admins give and revoke them; an agent with one
//! can ask who it is and report facts about itself (`/agent/self`) and,
//! later, ask for approvals.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Id};
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::auth::{self, Admin, AgentCaller};
use crate::db::{agent_tokens, agents, risk};
use crate::{ApiError, AppState};

/// Routes for admins (signed-in people).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_agent_token, list_agent_tokens))
        .routes(routes!(revoke_agent_token))
}

/// Routes for agents with a token.
pub fn agent_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_agent_self, report_agent_self))
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
    let now = Utc::now();
    let (name, expires) = auth::token_terms(&request.name, request.expires_in_days, now)?;
    state.db.must_exist("agent", agent).await?;
    let secret = format!("mst_{}", auth::random_secret());
    let hash = auth::session_hash(&secret);
    let mut tx = state.db.begin().await?;
    let token = agent_tokens::create(&mut tx, agent, name, &hash, &caller.0.email, now, expires).await?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "agent_token.create")
        .target(AuditTarget::new(TargetKind::Agent, agent))
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
    let mut tx = state.db.begin().await?;
    let token = agent_tokens::revoke(&mut tx, id, now)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agent token with id {id}")))?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "agent_token.revoke")
        .target(AuditTarget::new(TargetKind::Agent, token.agent_id))
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

/// An agent reports facts about itself: its description, its platform and
/// tools it uses (added, never removed). Every report marks it as seen now;
/// a report that changes something is audited with before and after.
#[utoipa::path(patch, path = "/agent/self", tag = "agent tokens", request_body = json::AgentFacts,
    responses((status = 200, body = json::AgentDetail), (status = 400, body = json::ErrorBody),
        (status = 401, body = json::ErrorBody)))]
async fn report_agent_self(
    State(state): State<AppState>,
    Extension(agent): Extension<AgentCaller>,
    source: Source,
    ApiJson(facts): ApiJson<json::AgentFacts>,
) -> Result<Json<json::AgentDetail>, ApiError> {
    check_facts(&facts)?;
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let outcome = agents::report(&mut tx, agent.agent_id, &facts, now).await?;
    if !outcome.refused_tools.is_empty() {
        // Nothing of the report is kept: the transaction is dropped.
        return Err(ApiError::Forbidden(format!(
            "{} exists already and is not this agent's: an agent cannot give itself an existing tool (and its \
             credentials); ask for it with a change request (grant_tool), which approvers decide",
            outcome.refused_tools.join(", ")
        )));
    }
    // Being seen, and new tools, change the agent's risk.
    let rescored = risk::refresh(&mut tx, &[], &[agent.agent_id], now).await?;
    if outcome.changed.is_empty() && outcome.tools_added.is_empty() {
        // A check-in that only moved the agent's dormancy is audited by no one.
        if rescored > 0 {
            risk::mark_scores_changed(&mut tx, now).await?;
        }
    } else {
        let entry = Entry::new(Actor::Agent(agent.agent_id.to_string()), "agent.report")
            .target(AuditTarget::new(TargetKind::Agent, agent.agent_id))
            .details(serde_json::json!({ "changed": outcome.changed, "tools_added": outcome.tools_added }))
            .from(&source);
        audit::record(&mut tx, &entry, now).await?;
    }
    tx.commit().await?;
    Ok(Json(agents::get(&state.db, agent.agent_id).await?))
}

/// Bounds on what an agent may say, so that a runaway agent cannot fill the
/// inventory: texts of sane length, at most 50 tools a report.
fn check_facts(facts: &json::AgentFacts) -> Result<(), ApiError> {
    let length = |text: &str| text.trim().chars().count();
    if facts.description.as_deref().is_some_and(|d| length(d) > 2000) {
        return Err(ApiError::BadRequest(
            "description must have at most 2000 characters".into(),
        ));
    }
    if facts
        .platform
        .as_deref()
        .is_some_and(|p| !(1..=100).contains(&length(p)))
    {
        return Err(ApiError::BadRequest(
            "platform must have 1 to 100 characters".into(),
        ));
    }
    if facts.tools.len() > 50 {
        return Err(ApiError::BadRequest(format!(
            "a report may name at most 50 tools, not {}",
            facts.tools.len()
        )));
    }
    if let Some(tool) = facts.tools.iter().find(|t| !(1..=200).contains(&length(&t.name))) {
        return Err(ApiError::BadRequest(format!(
            "tool name {:?} must have 1 to 200 characters",
            tool.name
        )));
    }
    Ok(())
}
