//! `/api/v1/ownership` and `/api/v1/people/{id}/depart`: who is accountable
//! for each agent and credential. Managers change ownership inside their
//! teams, admins anywhere; every change is audited with before, after and
//! reason, and rescored.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use chrono::{Duration, SubsecRound, Utc};
use model::api::{self as json, OwnedKind, PersonStatus};
use sqlx::AnyConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiQuery, Id};
use crate::audit::{self, Actor, AuditTarget, Entry, Source};
use crate::auth::OwnershipEditor;
use crate::db::{coverage, ownership, risk};
use crate::ownership::{editable_teams, require_team, require_users_within};
use crate::{ApiError, AppState, people};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(assign_owner))
        .routes(routes!(transfer_ownership))
        .routes(routes!(list_gaps))
        .routes(routes!(depart_person))
        .routes(routes!(get_coverage))
}

/// The reason of a change, trimmed: 1 to 500 characters.
pub(super) fn reason(text: &str) -> Result<&str, ApiError> {
    let reason = text.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::BadRequest(
            "reason must have 1 to 500 characters".into(),
        ));
    }
    Ok(reason)
}

/// The person `id`, who must still be with the organisation to own anything.
async fn new_owner(conn: &mut AnyConnection, id: i64) -> Result<ownership::Candidate, ApiError> {
    let owner = ownership::candidate(conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no person with id {id}")))?;
    if owner.status == PersonStatus::Departed {
        return Err(ApiError::Unprocessable(format!(
            "{} has left the organisation and cannot own anything",
            owner.person.name
        )));
    }
    Ok(owner)
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
    let reason = reason(&request.reason)?;
    let kind = request.kind;
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let owner = new_owner(&mut tx, request.owner).await?;
    let entities = ownership::owned(&mut tx, kind, &ids).await?;
    if let Some(missing) = crate::error::missing_ids(&ids, entities.iter().map(|e| e.entity.id)) {
        return Err(ApiError::NotFound(format!("no {kind} with id {missing}")));
    }
    let teams = editable_teams(&mut tx, &caller).await?;
    require_team(&teams, owner.team, || {
        format!("{} is not in your teams", owner.person.name)
    })?;
    for entity in &entities {
        if entity.owner.is_some() {
            require_team(&teams, entity.owner_team, || {
                format!(
                    "{} {} is owned outside your teams",
                    kind.label().to_lowercase(),
                    entity.entity.name
                )
            })?;
        } else if kind == OwnedKind::Credential {
            // A claim: what no team owns becomes the manager's team's to
            // revoke, so it must not be another team's agents' credential.
            require_users_within(&mut tx, &teams, &entity.entity, "claim").await?;
        }
    }
    let all: Vec<&ownership::Owned> = entities.iter().collect();
    crate::ownership::give(
        &mut tx,
        kind,
        &all,
        &owner.person,
        &caller.0.email,
        reason,
        Some(&source),
        now,
    )
    .await?;
    tx.commit().await?;
    state.events.notify_one();
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

/// Moves everything one person owns (agents and credentials, whatever their
/// state) to another. A manager may do so only when both people are in their
/// team or its sub-teams.
#[utoipa::path(post, path = "/ownership/transfer", tag = "ownership", request_body = json::OwnerTransfer,
    responses((status = 200, body = json::TransferResult), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 422, body = json::ErrorBody)))]
async fn transfer_ownership(
    State(state): State<AppState>,
    OwnershipEditor(caller): OwnershipEditor,
    source: Source,
    ApiJson(request): ApiJson<json::OwnerTransfer>,
) -> Result<Json<json::TransferResult>, ApiError> {
    let reason = reason(&request.reason)?;
    if request.from == request.to {
        return Err(ApiError::BadRequest(
            "from and to must be two different people".into(),
        ));
    }
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let from = ownership::candidate(&mut tx, request.from)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no person with id {}", request.from)))?;
    let to = new_owner(&mut tx, request.to).await?;
    let teams = editable_teams(&mut tx, &caller).await?;
    require_team(&teams, from.team, || {
        format!("{} is not in your teams", from.person.name)
    })?;
    require_team(&teams, to.team, || {
        format!("{} is not in your teams", to.person.name)
    })?;
    let mut moved = Vec::new();
    for kind in [OwnedKind::Agent, OwnedKind::Credential] {
        let entities = ownership::owned_by(&mut tx, kind, from.person.id).await?;
        let ids: Vec<i64> = entities.iter().map(|e| e.id).collect();
        if !ids.is_empty() {
            ownership::set_owner(&mut tx, kind, &ids, to.person.id).await?;
        }
        for entity in &entities {
            let entry = Entry::new(Actor::Person(caller.0.email.clone()), "owner.transfer")
                .target(AuditTarget::new(kind, entity.id))
                .details(serde_json::json!({
                    "before": from.person,
                    "after": to.person,
                    "reason": reason,
                }))
                .from(&source);
            audit::record(&mut tx, &entry, now).await?;
        }
        crate::notify::assigned(&mut tx, &to.person, kind, &entities, &caller.0.email, now).await?;
        moved.push(ids);
    }
    risk::refresh(&mut tx, &moved[1], &moved[0], now).await?;
    tx.commit().await?;
    state.events.notify_one();
    Ok(Json(json::TransferResult {
        from: from.person,
        to: to.person,
        agents: moved[0].len() as i64,
        credentials: moved[1].len() as i64,
    }))
}

/// Agents and active credentials whose owner is missing or has left, with
/// the team they count against and hints of who should own them. The
/// managers' claim inbox and the orphan queue (`?state=orphaned&sort=due`).
#[utoipa::path(get, path = "/ownership/gaps", tag = "ownership", params(json::GapQuery),
    responses((status = 200, body = json::Page<json::Gap>), (status = 400, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn list_gaps(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::GapQuery>,
) -> Result<Json<json::Page<json::Gap>>, ApiError> {
    Ok(Json(coverage::gaps(&state.db, &query, Utc::now()).await?))
}

/// Owner coverage of a team (sub-teams included) or of the organisation, with
/// its sub-teams, its riskiest gaps and its daily history.
#[utoipa::path(get, path = "/coverage", tag = "ownership", params(json::CoverageQuery),
    responses((status = 200, body = json::Coverage), (status = 400, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn get_coverage(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<json::CoverageQuery>,
) -> Result<Json<json::Coverage>, ApiError> {
    Ok(Json(coverage::coverage(&state.db, query.team, Utc::now()).await?))
}

/// Marks a person as having left: everything they own becomes orphaned, due
/// to be re-homed within the grace period, and its risk rises. A manager may
/// do so only for people of their team or its sub-teams. Marking someone who
/// already left changes nothing.
#[utoipa::path(post, path = "/people/{id}/depart", tag = "ownership", request_body = json::Departure,
    params(("id" = i64, Path, description = "Person id")),
    responses((status = 200, body = json::DepartureResult), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody)))]
async fn depart_person(
    State(state): State<AppState>,
    OwnershipEditor(caller): OwnershipEditor,
    source: Source,
    Id(id): Id,
    ApiJson(request): ApiJson<json::Departure>,
) -> Result<Json<json::DepartureResult>, ApiError> {
    let reason = reason(&request.reason)?;
    // Whole seconds, as stored, so that the answer matches later reads.
    let now = Utc::now().trunc_subsecs(0);
    let mut tx = state.db.begin().await?;
    let person = ownership::candidate(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no person with id {id}")))?;
    let teams = editable_teams(&mut tx, &caller).await?;
    require_team(&teams, person.team, || {
        format!("{} is not in your teams", person.person.name)
    })?;
    let actor = Actor::Person(caller.0.email.clone());
    let departed = people::depart(&mut tx, &person, actor, reason, &source, now).await?;
    tx.commit().await?;
    state.events.notify_one();
    Ok(Json(json::DepartureResult {
        person: person.person,
        departed_at: departed.departed_at,
        changed: departed.changed,
        agents: departed.agents.len() as i64,
        credentials: departed.credentials.len() as i64,
        due: departed.departed_at + Duration::days(json::ORPHAN_GRACE_DAYS),
    }))
}
