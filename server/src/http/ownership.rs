//! `/api/v1/ownership`: who is accountable for each agent and credential.
//! Managers change ownership inside their teams, admins anywhere; every
//! change is audited with before, after and reason, and rescored.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use model::api::{self as json, OwnedKind, PersonStatus, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiJson;
use crate::audit::{self, Actor, Entry, Source};
use crate::auth::OwnershipEditor;
use crate::db::{ownership, risk};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(assign_owner))
}

/// Gives one or many agents or credentials an owner, all or none. A manager
/// may do so only when the new owner and every current owner are in their
/// team or its sub-teams.
#[utoipa::path(post, path = "/ownership/assign", tag = "ownership", request_body = json::OwnerAssignment,
    responses((status = 200, body = Vec<json::OwnerChange>), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 422, body = json::ErrorBody)))]
async fn assign_owner(
    State(state): State<AppState>,
    OwnershipEditor(caller): OwnershipEditor,
    source: Source,
    ApiJson(request): ApiJson<json::OwnerAssignment>,
) -> Result<Json<Vec<json::OwnerChange>>, ApiError> {
    let ids: Vec<i64> = request
        .ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() || ids.len() > json::MAX_ASSIGNMENT {
        return Err(ApiError::BadRequest(format!(
            "ids must name 1 to {} entities, not {}",
            json::MAX_ASSIGNMENT,
            ids.len()
        )));
    }
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::BadRequest(
            "reason must have 1 to 500 characters".into(),
        ));
    }
    let kind = request.kind;
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let owner = ownership::candidate(&mut tx, request.owner)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no person with id {}", request.owner)))?;
    if owner.status == PersonStatus::Departed {
        return Err(ApiError::Unprocessable(format!(
            "{} has left the organisation and cannot own anything",
            owner.person.name
        )));
    }
    let entities = ownership::owned(&mut tx, kind, &ids).await?;
    if entities.len() < ids.len() {
        let found: BTreeSet<i64> = entities.iter().map(|e| e.entity.id).collect();
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !found.contains(id))
            .map(i64::to_string)
            .collect();
        return Err(ApiError::NotFound(format!(
            "no {kind} with id {}",
            missing.join(", ")
        )));
    }
    if !caller.0.roles.contains(&Role::Admin) {
        let teams = ownership::managed_teams(&mut tx, &caller.0.email).await?;
        if teams.is_empty() {
            return Err(ApiError::Forbidden(format!(
                "{} is not a person with a team in the inventory, so it manages no team",
                caller.0.email
            )));
        }
        if !owner.team.is_some_and(|team| teams.contains(&team)) {
            return Err(ApiError::Forbidden(format!(
                "{} is not in your teams",
                owner.person.name
            )));
        }
        if let Some(outside) = entities
            .iter()
            .find(|e| e.owner.is_some() && !e.owner_team.is_some_and(|team| teams.contains(&team)))
        {
            return Err(ApiError::Forbidden(format!(
                "{} {} is owned outside your teams",
                kind.label().to_lowercase(),
                outside.entity.name
            )));
        }
    }
    let changed: Vec<&ownership::Owned> = entities
        .iter()
        .filter(|e| e.owner.as_ref().map(|o| o.id) != Some(owner.person.id))
        .collect();
    let changed_ids: Vec<i64> = changed.iter().map(|e| e.entity.id).collect();
    if !changed_ids.is_empty() {
        ownership::set_owner(&mut tx, kind, &changed_ids, owner.person.id).await?;
    }
    for entity in &changed {
        let entry = Entry::new(Actor::Person(caller.0.email.clone()), "owner.assign")
            .target(format!("{kind}:{}", entity.entity.id))
            .details(serde_json::json!({
                "before": entity.owner,
                "after": owner.person,
                "reason": reason,
            }))
            .from(&source);
        audit::record(&mut tx, &entry, now).await?;
    }
    // An owner changes the owner factors of these and of what they touch.
    match kind {
        OwnedKind::Agent => risk::refresh(&mut tx, &[], &changed_ids, now).await?,
        OwnedKind::Credential => risk::refresh(&mut tx, &changed_ids, &[], now).await?,
    }
    tx.commit().await?;
    Ok(Json(
        entities
            .into_iter()
            .map(|e| json::OwnerChange {
                kind,
                entity: e.entity,
                before: e.owner,
                after: owner.person.clone(),
            })
            .collect(),
    ))
}
