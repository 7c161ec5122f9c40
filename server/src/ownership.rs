//! Giving agents and credentials an owner, as the ownership API and access
//! reviews ("reassign") both do: in the caller's transaction, each change
//! audited, the new owner told, and the scores the owner feeds recomputed;
//! and who may change whose: an admin anywhere, a manager inside their teams
//! (the same checks guard change requests and revocations).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use model::api::{self as json, OwnedKind, Role};
use sqlx::AnyConnection;

use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source};
use crate::auth::Caller;
use crate::db::{ownership, risk};

/// Gives `entities` (of one `kind`) to `owner`; those that are theirs
/// already are left as they are. Answers the ids that changed hands.
#[allow(clippy::too_many_arguments)]
pub async fn give(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    entities: &[&ownership::Owned],
    owner: &json::Ref,
    by: &str,
    reason: &str,
    source: Option<&Source>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, ApiError> {
    let changed: Vec<&&ownership::Owned> = entities
        .iter()
        .filter(|e| e.owner.as_ref().map(|o| o.id) != Some(owner.id))
        .collect();
    let ids: Vec<i64> = changed.iter().map(|e| e.entity.id).collect();
    if ids.is_empty() {
        return Ok(ids);
    }
    ownership::set_owner(conn, kind, &ids, owner.id).await?;
    for entity in &changed {
        let mut entry = Entry::new(Actor::Person(by.to_owned()), "owner.assign")
            .target(AuditTarget::new(kind, entity.entity.id))
            .details(serde_json::json!({
                "before": entity.owner,
                "after": owner,
                "reason": reason,
            }));
        if let Some(source) = source {
            entry = entry.from(source);
        }
        audit::record(conn, &entry, now).await?;
    }
    let given: Vec<json::Ref> = changed.iter().map(|e| e.entity.clone()).collect();
    crate::notify::assigned(conn, owner, kind, &given, by, now).await?;
    // An owner changes the owner factors of these and of what they touch.
    match kind {
        OwnedKind::Agent => risk::refresh(conn, &[], &ids, now).await?,
        OwnedKind::Credential => risk::refresh(conn, &ids, &[], now).await?,
    };
    Ok(ids)
}

/// The teams a caller may change ownership in: `None` means everywhere (an
/// admin); a manager gets their team and its sub-teams.
pub async fn editable_teams(
    conn: &mut AnyConnection,
    caller: &Caller,
) -> Result<Option<HashSet<i64>>, ApiError> {
    if caller.0.roles.contains(&Role::Admin) {
        return Ok(None);
    }
    let teams = match &caller.0.team {
        Some(team) => ownership::managed_teams(conn, team.id).await?,
        None => HashSet::new(),
    };
    if teams.is_empty() {
        return Err(ApiError::Forbidden(format!(
            "{} is not a person with a team in the inventory, so it manages no team",
            caller.0.email
        )));
    }
    Ok(Some(teams))
}

/// Refuses unless `team` is one the caller may change ownership in.
pub fn require_team(
    teams: &Option<HashSet<i64>>,
    team: Option<i64>,
    refusal: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    match teams {
        Some(teams) if !team.is_some_and(|team| teams.contains(&team)) => Err(ApiError::Forbidden(refusal())),
        _ => Ok(()),
    }
}

/// Refuses (403) unless `caller` may act on this agent or credential: an
/// admin, or a manager of its owner's team (or a team above); what nobody
/// owns is an admin's to `verb`. 404 when it does not exist. Answers it and
/// the caller's teams (`None`: everywhere).
pub async fn require_in_teams(
    conn: &mut AnyConnection,
    caller: &Caller,
    kind: OwnedKind,
    id: i64,
    verb: &str,
) -> Result<(json::Ref, Option<HashSet<i64>>), ApiError> {
    let owned = ownership::owned(&mut *conn, kind, &[id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("no {kind} with id {id}")))?;
    let teams = editable_teams(conn, caller).await?;
    let label = kind.label().to_lowercase();
    require_team(&teams, owned.owner_team, || match &owned.owner {
        Some(owner) => format!(
            "{label} {} is owned by {}, outside your teams",
            owned.entity.name, owner.name
        ),
        None => format!(
            "{label} {} has no owner, so only an admin may {verb} it",
            owned.entity.name
        ),
    })?;
    Ok((owned.entity, teams))
}

/// Refuses a manager (403) when an agent outside their teams, or an agent
/// nobody owns, uses the credential: claiming it or revoking it would reach
/// beyond their teams, so that is an admin's call. `verb` says which.
pub async fn require_users_within(
    conn: &mut AnyConnection,
    teams: &Option<HashSet<i64>>,
    credential: &json::Ref,
    verb: &str,
) -> Result<(), ApiError> {
    let Some(teams) = teams else { return Ok(()) };
    let users = ownership::credential_users(conn, credential.id).await?;
    match users
        .into_iter()
        .find(|(_, team)| !team.is_some_and(|team| teams.contains(&team)))
    {
        Some((agent, team)) => Err(ApiError::Forbidden(format!(
            "credential {} is used by agent {agent}, {}, so only an admin may {verb} it",
            credential.name,
            if team.is_some() {
                "outside your teams"
            } else {
                "which no team owns"
            }
        ))),
        None => Ok(()),
    }
}
