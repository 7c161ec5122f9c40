//! Queries of the bearer tokens admins issue to machines: enrolment tokens
//! (endpoint collectors) and SCIM tokens (the identity provider). Both live
//! the same way: stored by the SHA-256 of the secret, expiring, revocable,
//! their last use noted.

use chrono::{DateTime, Utc};
use model::api as json;
use sqlx::AnyConnection;

use super::Db;
use super::sql::timestamp;

/// Which kind of issued token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// An endpoint collector's (`enrolment_token`).
    Enrolment,
    /// The identity provider's SCIM client's (`scim_token`).
    Scim,
}

impl Issued {
    fn table(self) -> &'static str {
        match self {
            Self::Enrolment => "enrolment_token",
            Self::Scim => "scim_token",
        }
    }

    /// The prefix of its secrets.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Enrolment => "mse_",
            Self::Scim => "msc_",
        }
    }

    /// Its name in the audit log (`enrolment_token.create`, `scim_token:4`).
    pub fn noun(self) -> &'static str {
        self.table()
    }

    fn columns(self) -> &'static str {
        match self {
            Self::Enrolment => {
                "id, name, created_by, created_at, expires_at, revoked_at, last_used_at, reports"
            }
            Self::Scim => {
                "id, name, created_by, created_at, expires_at, revoked_at, last_used_at, CAST(NULL AS BIGINT) AS reports"
            }
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    created_by: String,
    created_at: String,
    expires_at: String,
    revoked_at: Option<String>,
    last_used_at: Option<String>,
    reports: Option<i64>,
}

impl From<TokenRow> for json::IssuedToken {
    fn from(row: TokenRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            created_by: row.created_by,
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            last_used_at: row.last_used_at,
            reports: row.reports,
        }
    }
}

/// Stores a token by the hash of its secret; answers its id.
pub async fn create(
    conn: &mut AnyConnection,
    kind: Issued,
    name: &str,
    token_hash: &str,
    created_by: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "INSERT INTO {} (name, token_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        kind.table()
    ))
    .bind(name)
    .bind(token_hash)
    .bind(created_by)
    .bind(timestamp(now))
    .bind(timestamp(expires))
    .fetch_one(conn)
    .await
}

/// One token.
pub async fn get(
    conn: &mut AnyConnection,
    kind: Issued,
    id: i64,
) -> Result<Option<json::IssuedToken>, sqlx::Error> {
    Ok(sqlx::query_as::<_, TokenRow>(&format!(
        "SELECT {} FROM {} WHERE id = $1",
        kind.columns(),
        kind.table()
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(json::IssuedToken::from))
}

/// Every token of a kind, newest first.
pub async fn list(db: &Db, kind: Issued) -> Result<Vec<json::IssuedToken>, sqlx::Error> {
    Ok(sqlx::query_as::<_, TokenRow>(&format!(
        "SELECT {} FROM {} ORDER BY id DESC",
        kind.columns(),
        kind.table()
    ))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(json::IssuedToken::from)
    .collect())
}

/// Revokes a token; answers whether it was live (revoking twice changes nothing).
pub async fn revoke(
    conn: &mut AnyConnection,
    kind: Issued,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE {} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        kind.table()
    ))
    .bind(timestamp(now))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The live token (not revoked, not expired) with this hash: its id and
/// name. Notes its use (once a minute at most).
pub async fn live(
    db: &Db,
    kind: Issued,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let found: Option<(i64, String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT id, name, last_used_at FROM {} WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        kind.table()
    ))
    .bind(token_hash)
    .bind(timestamp(now))
    .fetch_optional(db.pool())
    .await?;
    let Some((id, name, last_used)) = found else {
        return Ok(None);
    };
    if last_used.is_none_or(|at| at < timestamp(now - chrono::Duration::minutes(1))) {
        db.execute(
            sqlx::query(&format!(
                "UPDATE {} SET last_used_at = $1 WHERE id = $2",
                kind.table()
            ))
            .bind(timestamp(now))
            .bind(id),
        )
        .await?;
    }
    Ok(Some((id, name)))
}
