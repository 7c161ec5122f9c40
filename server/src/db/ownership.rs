//! Queries of ownership: who owns an agent or credential, and which teams a
//! manager may change ownership in.

use std::collections::HashSet;

use model::api::{self as json, OwnedKind, PersonStatus};
use sqlx::{AnyConnection, Row};

use super::sql::{self, Params, get_enum, get_ref, get_required_ref};

/// A person who may become an owner.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Id and name.
    pub person: json::Ref,
    /// Whether they are still with the organisation.
    pub status: PersonStatus,
    /// Their team, if any.
    pub team: Option<i64>,
}

/// The person with this id.
pub async fn candidate(conn: &mut AnyConnection, id: i64) -> Result<Option<Candidate>, sqlx::Error> {
    let row = sqlx::query("SELECT id, name, status, team_id FROM person WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(Candidate {
            person: get_required_ref(&row, "id", "name")?,
            status: get_enum(&row, "status")?,
            team: row.try_get("team_id")?,
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

/// The teams a manager may change ownership in: the team of the person whose
/// email is the account's, and every team under it. Empty when the account
/// matches no person with a team.
pub async fn managed_teams(conn: &mut AnyConnection, email: &str) -> Result<HashSet<i64>, sqlx::Error> {
    let team: Option<Option<i64>> = sqlx::query_scalar("SELECT team_id FROM person WHERE email = $1")
        .bind(email)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(Some(team)) = team else {
        return Ok(HashSet::new());
    };
    let mut params = Params::default();
    let subtree = sql::team_subtree(&mut params, team);
    let teams: Vec<i64> =
        sqlx::query_scalar_with(&format!("SELECT id FROM {subtree} AS teams"), params.args())
            .fetch_all(conn)
            .await?;
    Ok(teams.into_iter().collect())
}
