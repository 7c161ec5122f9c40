//! The sanctioned list (admins): clients, MCP packages, images and remote
//! hosts the organisation allows; what an endpoint scan finds that matches
//! is sanctioned, the rest shadow. Admins can also sanction (or mark
//! shadow) one agent or one MCP server. Every change is audited and
//! rescores the agents it moves in the same transaction.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Id};
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::auth::Admin;
use crate::db::{endpoint as endpoint_db, risk};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sanction_rules, create_sanction_rule))
        .routes(routes!(delete_sanction_rule))
        .routes(routes!(sanction_agent))
        .routes(routes!(sanction_tool))
}

/// The sanctioned list, each rule with how much it matches now.
#[utoipa::path(get, path = "/sanction-rules", tag = "endpoint discovery",
    responses((status = 200, body = Vec<json::SanctionRule>), (status = 403, body = json::ErrorBody)))]
async fn list_sanction_rules(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::SanctionRule>>, ApiError> {
    Ok(Json(endpoint_db::list_rules(&state.db).await?))
}

/// Adds a rule; what it matches is sanctioned at once.
#[utoipa::path(post, path = "/sanction-rules", tag = "endpoint discovery",
    request_body = json::NewSanctionRule,
    responses((status = 201, body = json::SanctionRule), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 409, body = json::ErrorBody)))]
async fn create_sanction_rule(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(request): ApiJson<json::NewSanctionRule>,
) -> Result<(StatusCode, Json<json::SanctionRule>), ApiError> {
    let value = request.value.trim();
    if value.is_empty() || value.chars().count() > 300 {
        return Err(ApiError::BadRequest("value must have 1 to 300 characters".into()));
    }
    let value = match request.kind {
        // Hosts and clients are compared in lower case, as scans report them.
        json::SanctionKind::UrlHost | json::SanctionKind::Client => value.to_ascii_lowercase(),
        _ => value.to_owned(),
    };
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let id = endpoint_db::create_rule(&mut tx, request.kind, &value, &caller.0.email, now)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "the list has {} {value:?} already",
                request.kind.as_str()
            ))
        })?;
    let moved = endpoint_db::apply_sanctions(&mut tx).await?;
    risk::refresh(&mut tx, &[], &moved, now).await?;
    let rule = endpoint_db::get_rule(&mut tx, id).await?.expect("written above");
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "sanction_rule.create")
        .target(AuditTarget::new(TargetKind::SanctionRule, id))
        .details(serde_json::json!({ "kind": request.kind.as_str(), "value": value, "agents_moved": moved }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Removes a rule; what only it sanctioned becomes shadow again.
#[utoipa::path(delete, path = "/sanction-rules/{id}", tag = "endpoint discovery",
    params(("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = json::SanctionRule), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn delete_sanction_rule(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::SanctionRule>, ApiError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let rule = endpoint_db::get_rule(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no sanction rule with id {id}")))?;
    endpoint_db::delete_rule(&mut tx, id).await?;
    let moved = endpoint_db::apply_sanctions(&mut tx).await?;
    risk::refresh(&mut tx, &[], &moved, now).await?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "sanction_rule.delete")
        .target(AuditTarget::new(TargetKind::SanctionRule, id))
        .details(
            serde_json::json!({ "kind": rule.kind.as_str(), "value": rule.value, "agents_moved": moved }),
        )
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Json(rule))
}

fn check_reason(sanction: &json::Sanction) -> Result<&str, ApiError> {
    let reason = sanction.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::BadRequest(
            "reason must have 1 to 500 characters".into(),
        ));
    }
    Ok(reason)
}

/// Sanctions one agent, or marks it shadow, over the list; rescored at once.
#[utoipa::path(put, path = "/agents/{id}/sanctioned", tag = "endpoint discovery",
    params(("id" = i64, Path, description = "Agent id")), request_body = json::Sanction,
    responses((status = 200, body = json::AgentDetail), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody)))]
async fn sanction_agent(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
    ApiJson(sanction): ApiJson<json::Sanction>,
) -> Result<Json<json::AgentDetail>, ApiError> {
    let reason = check_reason(&sanction)?;
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let before = endpoint_db::mark_agent(&mut tx, id, sanction.sanctioned)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no agent with id {id}")))?;
    risk::refresh(&mut tx, &[], &[id], now).await?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "agent.sanction")
        .target(AuditTarget::new(TargetKind::Agent, id))
        .details(serde_json::json!({ "before": before, "after": sanction.sanctioned, "reason": reason }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Json(crate::db::agents::get(&state.db, id).await?))
}

/// Sanctions one MCP server a scan found, or marks it shadow, over the list.
#[utoipa::path(put, path = "/tools/{id}/sanctioned", tag = "endpoint discovery",
    params(("id" = i64, Path, description = "Tool id")), request_body = json::Sanction,
    responses((status = 200, body = json::ToolDetail), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody)))]
async fn sanction_tool(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
    ApiJson(sanction): ApiJson<json::Sanction>,
) -> Result<Json<json::ToolDetail>, ApiError> {
    let reason = check_reason(&sanction)?;
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let before = endpoint_db::mark_tool(&mut tx, id, sanction.sanctioned)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no MCP server found by a scan with tool id {id}")))?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "tool.sanction")
        .target(AuditTarget::new(TargetKind::Tool, id))
        .details(serde_json::json!({ "before": before, "after": sanction.sanctioned, "reason": reason }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Json(crate::db::agents::get_tool(&state.db, id).await?))
}
