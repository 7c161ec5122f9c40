//! The platform's side of the grants it named: writing them, the revocations
//! at the source of a full import, what a credential's page shows of its
//! grant, and promoting a grant to an agent.

use chrono::{DateTime, Utc};
use model::api::{self as json, Consent, ImportKind};
use sqlx::AnyConnection;

use super::super::Db;
use super::super::sql::{Params, Scope, parse_time, timestamp};

/// The platform's side of a grant.
#[derive(Debug, Clone)]
pub struct GrantRow<'a> {
    /// The credential.
    pub credential: i64,
    /// The platform (the import's kind).
    pub platform: &'a str,
    /// `<kind>[:<source>]`.
    pub found_by: &'a str,
    /// The listing that named it.
    pub family: &'a str,
    /// What the listing covered.
    pub covered_by: &'a str,
    /// The application's client id or slug.
    pub client_id: Option<&'a str>,
    /// The application's name.
    pub app_name: Option<&'a str>,
    /// How it was consented.
    pub consent: Consent,
    /// Who consented (a handle).
    pub consented_by: Option<&'a str>,
    /// The agent it was made into.
    pub agent: Option<i64>,
    /// The import.
    pub import: i64,
    /// Whether a listing named it (else only an event did).
    pub listed: bool,
    /// When the platform said what it is.
    pub state_at: DateTime<Utc>,
}

/// Writes the platform's side of a grant seen by import `row.import`. Only
/// a listing says what covers the grant and that it is present now: an
/// event (an authorisation, a use) leaves those as the last listing said,
/// and does not count as this import having listed it (a full import
/// whose listing omits it revokes it).
pub async fn put_grant(
    conn: &mut AnyConnection,
    row: &GrantRow<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO platform_grant (credential_id, platform, found_by, family, covered_by, client_id, app_name, \
         consent, consented_by, agent_id, present, import_id, seen_at, state_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, CASE WHEN $13 = 1 THEN $11 ELSE 0 END, $12, $14) \
         ON CONFLICT (credential_id) DO UPDATE SET platform = excluded.platform, found_by = excluded.found_by, \
         family = CASE WHEN $13 = 1 THEN excluded.family ELSE platform_grant.family END, \
         covered_by = CASE WHEN $13 = 1 THEN excluded.covered_by ELSE platform_grant.covered_by END, \
         client_id = excluded.client_id, app_name = COALESCE(excluded.app_name, platform_grant.app_name), \
         consent = excluded.consent, consented_by = excluded.consented_by, \
         agent_id = COALESCE(excluded.agent_id, platform_grant.agent_id), \
         present = CASE WHEN $13 = 1 THEN 1 ELSE platform_grant.present END, \
         import_id = CASE WHEN $13 = 1 THEN excluded.import_id ELSE platform_grant.import_id END, \
         seen_at = excluded.seen_at, \
         state_at = CASE WHEN excluded.state_at > platform_grant.state_at THEN excluded.state_at \
           ELSE platform_grant.state_at END",
    )
    .bind(row.credential)
    .bind(row.platform)
    .bind(row.found_by)
    .bind(row.family)
    .bind(row.covered_by)
    .bind(row.client_id)
    .bind(row.app_name)
    .bind(row.consent.as_str())
    .bind(row.consented_by)
    .bind(row.agent)
    .bind(row.import)
    .bind(timestamp(now))
    .bind(i64::from(row.listed))
    .bind(timestamp(row.state_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// When the platform last said what a grant is, if an import recorded it.
pub async fn grant_state_at(
    conn: &mut AnyConnection,
    provider: &str,
    external_id: &str,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT g.state_at FROM platform_grant g JOIN credential c ON c.id = g.credential_id \
         WHERE c.provider = $1 AND c.external_id = $2",
    )
    .bind(provider)
    .bind(external_id)
    .fetch_optional(conn)
    .await?;
    text.map(|t| parse_time("state_at", &t)).transpose()
}

/// Marks revoked at the source the grants a listing covered that import
/// `import` did not see; answers their credentials.
pub async fn revoke_unseen(
    conn: &mut AnyConnection,
    found_by: &str,
    family: &str,
    covered_by: &str,
    import: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let gone: Vec<i64> = sqlx::query_scalar(
        "UPDATE platform_grant SET present = 0 WHERE found_by = $1 AND family = $2 AND covered_by = $3 \
         AND import_id <> $4 AND present = 1 RETURNING credential_id",
    )
    .bind(found_by)
    .bind(family)
    .bind(covered_by)
    .bind(import)
    .fetch_all(&mut *conn)
    .await?;
    // Revoked at the source: it opens nothing any more.
    for chunk in gone.chunks(500) {
        let mut params = Params::default();
        let list: Vec<String> = chunk.iter().map(|id| params.bind(*id)).collect();
        let list = list.join(", ");
        sqlx::query_with(
            &format!("UPDATE credential SET status = 'revoked' WHERE id IN ({list}) AND status IN ('active', 'disabled')"),
            params.args(),
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query_with(
            &format!("DELETE FROM reach WHERE credential_id IN ({list})"),
            params.args(),
        )
        .execute(&mut *conn)
        .await?;
    }
    super::super::credentials::refresh_reach_environments(conn, &Scope::Ids(&gone)).await?;
    Ok(gone)
}

#[derive(sqlx::FromRow)]
struct PlatformGrantRow {
    platform: String,
    client_id: Option<String>,
    app_name: Option<String>,
    consent: String,
    consented_by: Option<String>,
    present: i64,
    seen_at: String,
    agent_id: Option<i64>,
    agent_name: Option<String>,
}

/// What a platform import said of a credential, if one did.
pub async fn grant_facts(db: &Db, credential: i64) -> Result<Option<json::PlatformGrant>, sqlx::Error> {
    let row: Option<PlatformGrantRow> = sqlx::query_as(
        "SELECT g.platform, g.client_id, g.app_name, g.consent, g.consented_by, g.present, g.seen_at, \
         a.id AS agent_id, a.name AS agent_name FROM platform_grant g LEFT JOIN agent a ON a.id = g.agent_id \
         WHERE g.credential_id = $1",
    )
    .bind(credential)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(json::PlatformGrant {
        platform: row.platform.parse().unwrap_or(ImportKind::Inventory),
        client_id: row.client_id,
        app_name: row.app_name,
        consent: row.consent.parse().unwrap_or(Consent::User),
        consented_by: row.consented_by,
        present: row.present != 0,
        agent: row
            .agent_id
            .zip(row.agent_name)
            .map(|(id, name)| json::Ref { id, name }),
        seen_at: parse_time("seen_at", &row.seen_at)?,
    }))
}

/// The grant's facts needed to make it an agent, if a platform import named it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Promotable {
    /// The platform.
    pub platform: String,
    /// The application's client id or slug.
    pub client_id: Option<String>,
    /// The application's name.
    pub app_name: Option<String>,
    /// How it was consented.
    pub consent: String,
    /// Who consented.
    pub consented_by: Option<String>,
    /// Its agent, if it has one already.
    pub agent_id: Option<i64>,
}

/// A grant's facts, to promote it to an agent.
pub async fn promotable(
    conn: &mut AnyConnection,
    credential: i64,
) -> Result<Option<Promotable>, sqlx::Error> {
    sqlx::query_as(
        "SELECT platform, client_id, app_name, consent, consented_by, agent_id FROM platform_grant WHERE credential_id = $1",
    )
    .bind(credential)
    .fetch_optional(conn)
    .await
}

/// A credential's kind and owner, as a promotion names its agent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Held {
    /// Its kind.
    pub kind: String,
    /// Its owner.
    pub owner_id: Option<i64>,
    /// Their name.
    pub owner_name: Option<String>,
}

/// The kind and owner of credential `id` (it exists: a grant names it).
pub async fn held_by(conn: &mut AnyConnection, id: i64) -> Result<Held, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.kind, c.owner_id, p.name AS owner_name FROM credential c LEFT JOIN person p ON p.id = c.owner_id \
         WHERE c.id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

/// Links a grant to the agent made of it.
pub async fn set_grant_agent(
    conn: &mut AnyConnection,
    credential: i64,
    agent: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE platform_grant SET agent_id = $1 WHERE credential_id = $2")
        .bind(agent)
        .bind(credential)
        .execute(conn)
        .await?;
    Ok(())
}
