//! Queries of ownership: who owns an agent or credential, and which teams a
//! manager may change ownership in.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use model::api::{self as json, OwnedKind, PersonStatus};
use sqlx::{AnyConnection, Row};

use super::sql::{self, Params, get_enum, get_opt_time, get_ref, get_required_ref, timestamp};

/// A person who may become an owner.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Id and name.
    pub person: json::Ref,
    /// Whether they are still with the organisation.
    pub status: PersonStatus,
    /// Their team, if any.
    pub team: Option<i64>,
    /// When they left, if they did.
    pub departed_at: Option<DateTime<Utc>>,
}

/// The person with this id.
pub async fn candidate(conn: &mut AnyConnection, id: i64) -> Result<Option<Candidate>, sqlx::Error> {
    let row = sqlx::query("SELECT id, name, status, team_id, departed_at FROM person WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(Candidate {
            person: get_required_ref(&row, "id", "name")?,
            status: get_enum(&row, "status")?,
            team: row.try_get("team_id")?,
            departed_at: get_opt_time(&row, "departed_at")?,
        })
    })
    .transpose()
}

/// An agent or credential with its current owner and the owner's team.
#[derive(Debug, Clone)]
pub struct Owned {
    /// Id and name.
    pub entity: json::Ref,
    /// Its owner, if any.
    pub owner: Option<json::Ref>,
    /// The owner's team, if any.
    pub owner_team: Option<i64>,
}

/// The agents or credentials with these ids (those that exist), by id.
pub async fn owned(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    ids: &[i64],
) -> Result<Vec<Owned>, sqlx::Error> {
    let mut params = Params::default();
    let list: Vec<String> = ids.iter().map(|id| params.bind(*id)).collect();
    // `kind` names one of our two tables, never caller text.
    let sql = format!(
        "SELECT e.id, e.name, p.id AS owner_id, p.name AS owner_name, p.team_id AS owner_team \
         FROM {} e LEFT JOIN person p ON p.id = e.owner_id WHERE e.id IN ({}) ORDER BY e.id",
        kind.as_str(),
        list.join(", ")
    );
    sqlx::query_with(&sql, params.args())
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok(Owned {
                entity: get_required_ref(row, "id", "name")?,
                owner: get_ref(row, "owner_id", "owner_name")?,
                owner_team: row.try_get("owner_team")?,
            })
        })
        .collect()
}

/// Sets the owner of these agents or credentials.
pub async fn set_owner(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    ids: &[i64],
    owner: i64,
) -> Result<(), sqlx::Error> {
    let mut params = Params::default();
    let owner = params.bind(owner);
    let list: Vec<String> = ids.iter().map(|id| params.bind(*id)).collect();
    let sql = format!(
        "UPDATE {} SET owner_id = {owner} WHERE id IN ({})",
        kind.as_str(),
        list.join(", ")
    );
    sqlx::query_with(&sql, params.args()).execute(conn).await?;
    Ok(())
}

/// The teams a manager may change ownership in: `team` (the team of the
/// person their account is linked to) and every team under it.
pub async fn managed_teams(conn: &mut AnyConnection, team: i64) -> Result<HashSet<i64>, sqlx::Error> {
    let mut params = Params::default();
    let subtree = sql::team_subtree(&mut params, team);
    let teams: Vec<i64> =
        sqlx::query_scalar_with(&format!("SELECT id FROM {subtree} AS teams"), params.args())
            .fetch_all(conn)
            .await?;
    Ok(teams.into_iter().collect())
}

/// The agents that use a credential through their tools, by name, each with
/// the team of its owner (none when it has no owner or the owner no team).
pub async fn credential_users(
    conn: &mut AnyConnection,
    credential: i64,
) -> Result<Vec<(String, Option<i64>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT DISTINCT a.name, p.team_id FROM tool_credential tc \
         JOIN agent_tool at ON at.tool_id = tc.tool_id JOIN agent a ON a.id = at.agent_id \
         LEFT JOIN person p ON p.id = a.owner_id WHERE tc.credential_id = $1 ORDER BY a.name",
    )
    .bind(credential)
    .fetch_all(conn)
    .await
}

/// Every agent or credential (whatever its state) this person owns, by id.
pub async fn owned_by(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    person: i64,
) -> Result<Vec<json::Ref>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT id, name FROM {} WHERE owner_id = $1 ORDER BY id",
        kind.as_str()
    ))
    .bind(person)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| get_required_ref(row, "id", "name"))
    .collect()
}

/// Marks a person as active again, clearing when they left.
pub async fn reactivate(conn: &mut AnyConnection, person: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE person SET status = 'active', departed_at = NULL WHERE id = $1")
        .bind(person)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks a person as having left at `at`.
pub async fn depart(conn: &mut AnyConnection, person: i64, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE person SET status = 'departed', departed_at = $1 WHERE id = $2")
        .bind(timestamp(at))
        .bind(person)
        .execute(conn)
        .await?;
    Ok(())
}
