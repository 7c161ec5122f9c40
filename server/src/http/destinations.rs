//! `/api/v1/callback-destinations` (admins): where approval callbacks may
//! go. An agent's callback URL is refused unless its host is one an admin
//! allowed, for that agent or for every agent; private and local addresses
//! are refused (after DNS resolution, when sent) unless the destination
//! says otherwise. Every change is audited.

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
use crate::db::{approvals, destinations};
use crate::{ApiError, AppState, outbound};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_callback_destinations, create_callback_destination))
        .routes(routes!(delete_callback_destination))
}

/// Every allowed destination.
#[utoipa::path(get, path = "/callback-destinations", tag = "approvals",
    responses((status = 200, body = Vec<json::CallbackDestination>), (status = 403, body = json::ErrorBody)))]
async fn list_callback_destinations(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::CallbackDestination>>, ApiError> {
    Ok(Json(
        destinations::list(&mut *state.db.pool().acquire().await?).await?,
    ))
}

/// Allows a destination: a host, an IP address, or every host under a
/// domain (`*.example.com`), on one port or any, for one agent or all.
#[utoipa::path(post, path = "/callback-destinations", tag = "approvals",
    request_body = json::NewCallbackDestination,
    responses((status = 201, body = json::CallbackDestination), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 422, body = json::ErrorBody)))]
async fn create_callback_destination(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(request): ApiJson<json::NewCallbackDestination>,
) -> Result<(StatusCode, Json<json::CallbackDestination>), ApiError> {
    let host = outbound::normalise_pattern(&request.host).map_err(ApiError::BadRequest)?;
    let note = request.note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(ApiError::BadRequest("note must have 1 to 500 characters".into()));
    }
    if request.port == Some(0) {
        return Err(ApiError::BadRequest("port must be 1 to 65535".into()));
    }
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    if let Some(agent) = request.agent
        && approvals::agent_facts(&mut tx, agent).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!("no agent with id {agent}")));
    }
    let id = destinations::create(&mut tx, &request, &host, &caller.0.email, now).await?;
    let destination = destinations::get(&mut tx, id).await?.expect("written above");
    let entry = Entry::new(
        Actor::Person(caller.0.email.clone()),
        "callback_destination.create",
    )
    .target(AuditTarget::new(TargetKind::CallbackDestination, id))
    .details(serde_json::json!({
        "agent": request.agent, "host": host, "port": request.port,
        "allow_private": request.allow_private, "note": note,
    }))
    .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(destination)))
}

/// Removes a destination: callbacks not yet sent to it are no longer sent.
#[utoipa::path(delete, path = "/callback-destinations/{id}", tag = "approvals",
    params(("id" = i64, Path, description = "Destination id")),
    responses((status = 200, body = json::CallbackDestination), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn delete_callback_destination(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::CallbackDestination>, ApiError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let destination = destinations::get(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no callback destination with id {id}")))?;
    destinations::delete(&mut tx, id).await?;
    let entry = Entry::new(
        Actor::Person(caller.0.email.clone()),
        "callback_destination.delete",
    )
    .target(AuditTarget::new(TargetKind::CallbackDestination, id))
    .details(serde_json::json!({ "host": destination.host, "agent": destination.agent }))
    .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Json(destination))
}
