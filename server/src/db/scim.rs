//! Queries of SCIM: users (each an inventory person), groups, and the people
//! and teams they become.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::sql::timestamp;

/// A SCIM user or group as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Resource {
    /// The person's id (users) or the group's.
    pub id: i64,
    /// The document the provider last wrote (JSON).
    pub document: String,
    /// Bumped at every change (the ETag).
    pub version: i64,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

/// Which table: users or groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `scim_user`, keyed by person.
    User,
    /// `scim_group`.
    Group,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Self::User => "scim_user",
            Self::Group => "scim_group",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Self::User => "person_id",
            Self::Group => "id",
        }
    }

    fn name_key(self) -> &'static str {
        match self {
            Self::User => "user_name_key",
            Self::Group => "name_key",
        }
    }
}

fn select(kind: Kind) -> String {
    format!(
        "SELECT {} AS id, document, version, created_at, updated_at FROM {}",
        kind.id(),
        kind.table()
    )
}

/// Resources, narrowed by their unique name (lowercase) or external id when given.
pub async fn list(
    conn: &mut AnyConnection,
    kind: Kind,
    name_key: Option<&str>,
    external_id: Option<&str>,
) -> Result<Vec<Resource>, sqlx::Error> {
    let mut sql = select(kind);
    let mut conditions = Vec::new();
    if name_key.is_some() {
        conditions.push(format!("{} = $1", kind.name_key()));
    }
    if external_id.is_some() {
        conditions.push(format!("external_id = ${}", conditions.len() + 1));
    }
    if !conditions.is_empty() {
        sql.push_str(&format!(" WHERE {}", conditions.join(" AND ")));
    }
    sql.push_str(&format!(" ORDER BY {}", kind.id()));
    let mut query = sqlx::query_as::<_, Resource>(&sql);
    if let Some(key) = name_key {
        query = query.bind(key.to_owned());
    }
    if let Some(external) = external_id {
        query = query.bind(external.to_owned());
    }
    query.fetch_all(conn).await
}

/// One resource.
pub async fn get(conn: &mut AnyConnection, kind: Kind, id: i64) -> Result<Option<Resource>, sqlx::Error> {
    sqlx::query_as::<_, Resource>(&format!("{} WHERE {} = $1", select(kind), kind.id()))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The resource holding this unique name (lowercase), if any.
pub async fn by_name(
    conn: &mut AnyConnection,
    kind: Kind,
    name_key: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT {} FROM {} WHERE {} = $1",
        kind.id(),
        kind.table(),
        kind.name_key()
    ))
    .bind(name_key)
    .fetch_optional(conn)
    .await
}

/// Stores a new user for `person`.
pub async fn insert_user(
    conn: &mut AnyConnection,
    person: i64,
    name_key: &str,
    external_id: Option<&str>,
    document: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO scim_user (person_id, user_name_key, external_id, document, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $5)",
    )
    .bind(person)
    .bind(name_key)
    .bind(external_id)
    .bind(document)
    .bind(timestamp(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a new group; answers its id.
pub async fn insert_group(
    conn: &mut AnyConnection,
    name_key: &str,
    external_id: Option<&str>,
    document: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO scim_group (name_key, external_id, document, version, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $4) RETURNING id",
    )
    .bind(name_key)
    .bind(external_id)
    .bind(document)
    .bind(timestamp(now))
    .fetch_one(conn)
    .await
}

/// Replaces a resource's document.
pub async fn update(
    conn: &mut AnyConnection,
    kind: Kind,
    id: i64,
    name_key: &str,
    external_id: Option<&str>,
    document: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE {} SET {} = $1, external_id = $2, document = $3, version = version + 1, updated_at = $4 \
         WHERE {} = $5",
        kind.table(),
        kind.name_key(),
        kind.id()
    ))
    .bind(name_key)
    .bind(external_id)
    .bind(document)
    .bind(timestamp(now))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a resource (a user's person stays).
pub async fn delete(conn: &mut AnyConnection, kind: Kind, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!("DELETE FROM {} WHERE {} = $1", kind.table(), kind.id()))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The person with this email (lowercase), if any.
pub async fn person_by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM person WHERE lower(email) = $1")
        .bind(email)
        .fetch_optional(conn)
        .await
}

/// What a SCIM user says of its person.
#[derive(Debug, Clone)]
pub struct PersonFields<'a> {
    /// The name.
    pub name: &'a str,
    /// The email (lowercase).
    pub email: &'a str,
    /// The team, if any.
    pub team: Option<i64>,
    /// The manager, if any.
    pub manager: Option<i64>,
    /// The provider's id of the person.
    pub external_id: Option<&'a str>,
}

/// Makes a person (active); answers their id.
pub async fn insert_person(conn: &mut AnyConnection, fields: &PersonFields<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO person (name, email, team_id, manager_id, status, external_id) \
         VALUES ($1, $2, $3, $4, 'active', $5) RETURNING id",
    )
    .bind(fields.name)
    .bind(fields.email)
    .bind(fields.team)
    .bind(fields.manager)
    .bind(fields.external_id)
    .fetch_one(conn)
    .await
}

/// Writes what a SCIM user says of its person.
pub async fn update_person(
    conn: &mut AnyConnection,
    id: i64,
    fields: &PersonFields<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE person SET name = $1, email = $2, team_id = COALESCE($3, team_id), \
         manager_id = COALESCE($4, manager_id), external_id = $5 WHERE id = $6",
    )
    .bind(fields.name)
    .bind(fields.email)
    .bind(fields.team)
    .bind(fields.manager)
    .bind(fields.external_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a person with this id exists.
pub async fn person_exists(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM person WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// The team of this name, made (at the top) when there is none: its id,
/// and whether it was made.
pub async fn team_named(conn: &mut AnyConnection, name: &str) -> Result<(i64, bool), sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM team WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    match found {
        Some(id) => Ok((id, false)),
        None => {
            let id = sqlx::query_scalar("INSERT INTO team (name) VALUES ($1) RETURNING id")
                .bind(name)
                .fetch_one(conn)
                .await?;
            Ok((id, true))
        }
    }
}

/// A person as they were, for the audit log.
#[derive(Debug, sqlx::FromRow)]
pub struct PersonSnapshot {
    /// The name.
    pub name: String,
    /// The email.
    pub email: String,
    /// The team.
    pub team_id: Option<i64>,
    /// The manager.
    pub manager_id: Option<i64>,
    /// `active` or `departed`.
    pub status: String,
    /// The identity provider's id of the person.
    pub external_id: Option<String>,
}

impl PersonSnapshot {
    /// As the audit log's `before`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name, "email": self.email, "team": self.team_id, "manager": self.manager_id,
            "status": self.status, "external_id": self.external_id,
        })
    }
}

/// A person as they are now.
pub async fn person_snapshot(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<PersonSnapshot>, sqlx::Error> {
    sqlx::query_as::<_, PersonSnapshot>(
        "SELECT name, email, team_id, manager_id, status, external_id FROM person WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A person's team, if any.
pub async fn team_of(conn: &mut AnyConnection, person: i64) -> Result<Option<i64>, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, Option<i64>>("SELECT team_id FROM person WHERE id = $1")
            .bind(person)
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

/// Puts a person in a team.
pub async fn set_team(conn: &mut AnyConnection, person: i64, team: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE person SET team_id = $1 WHERE id = $2")
        .bind(team)
        .bind(person)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes a person out of a team, if they are in it.
pub async fn leave_team(conn: &mut AnyConnection, person: i64, team: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE person SET team_id = NULL WHERE id = $1 AND team_id = $2")
        .bind(person)
        .bind(team)
        .execute(conn)
        .await?;
    Ok(())
}

/// A team's parent, if any.
pub async fn team_parent(conn: &mut AnyConnection, team: i64) -> Result<Option<i64>, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, Option<i64>>("SELECT parent_id FROM team WHERE id = $1")
            .bind(team)
            .fetch_optional(conn)
            .await?
            .flatten(),
    )
}

/// Puts a team under another.
pub async fn set_team_parent(conn: &mut AnyConnection, team: i64, parent: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE team SET parent_id = $1 WHERE id = $2 AND parent_id IS NULL")
        .bind(parent)
        .bind(team)
        .execute(conn)
        .await?;
    Ok(())
}
