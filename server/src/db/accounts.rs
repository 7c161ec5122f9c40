//! Queries of accounts and sessions.

use chrono::{DateTime, Utc};
use model::api::{self as json, Role};
use sqlx::{AnyConnection, Row};

use super::Db;
use super::sql::timestamp;

/// An account as the sign-in needs it.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its id.
    pub id: i64,
    /// Its email address (lowercase).
    pub email: String,
    /// Its argon2id hash.
    pub password_hash: String,
    /// Its roles.
    pub roles: Vec<Role>,
    /// Whether it may sign in.
    pub disabled: bool,
}

/// The errors of changing accounts.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// An account with this email exists.
    #[error("an account for {0} exists already")]
    Exists(String),
    /// No account with this email.
    #[error("no account for {0}")]
    Missing(String),
    /// A database error.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn parse_roles(text: &str) -> Vec<Role> {
    text.split_whitespace()
        .filter_map(|role| role.parse().ok())
        .collect()
}

fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" ")
}

/// Creates an account with an already hashed password.
pub async fn create(
    conn: &mut AnyConnection,
    email: &str,
    password_hash: &str,
    roles: &[Role],
    now: DateTime<Utc>,
) -> Result<i64, AccountError> {
    let email = email.trim().to_lowercase();
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM account WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_some() {
        return Err(AccountError::Exists(email));
    }
    sqlx::query(
        "INSERT INTO account (email, password_hash, roles, disabled, created_at) VALUES ($1, $2, $3, 0, $4)",
    )
    .bind(&email)
    .bind(password_hash)
    .bind(roles_text(roles))
    .bind(timestamp(now))
    .execute(&mut *conn)
    .await?;
    let id: i64 = sqlx::query_scalar("SELECT id FROM account WHERE email = $1")
        .bind(&email)
        .fetch_one(&mut *conn)
        .await?;
    Ok(id)
}

/// Replaces an account's password hash and ends its sessions.
pub async fn set_password(
    conn: &mut AnyConnection,
    email: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, AccountError> {
    let email = email.trim().to_lowercase();
    let id: i64 = sqlx::query_scalar("SELECT id FROM account WHERE email = $1")
        .bind(&email)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AccountError::Missing(email))?;
    sqlx::query("UPDATE account SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE session SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
        .bind(timestamp(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// The account with this email, if any.
pub async fn by_email(db: &Db, email: &str) -> Result<Option<Account>, sqlx::Error> {
    let row = sqlx::query("SELECT id, email, password_hash, roles, disabled FROM account WHERE email = $1")
        .bind(email.trim().to_lowercase())
        .fetch_optional(db.pool())
        .await?;
    row.map(|row| {
        Ok(Account {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            roles: parse_roles(&row.try_get::<String, _>("roles")?),
            disabled: row.try_get::<i64, _>("disabled")? != 0,
        })
    })
    .transpose()
}

/// Stores a new session (by the hash of its id).
pub async fn create_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    account: i64,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO session (id_hash, account_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(id_hash)
    .bind(account)
    .bind(timestamp(now))
    .bind(timestamp(expires))
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends a session.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE session SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL")
        .bind(timestamp(now))
        .bind(id_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// The account behind a live session: not revoked, not past its absolute
/// expiry, and used since `idle_since`. Marks the session as used now.
pub async fn session_account(
    db: &Db,
    id_hash: &str,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
) -> Result<Option<json::Session>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT a.email, a.roles, s.last_seen_at FROM session s JOIN account a ON a.id = s.account_id \
         WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3 \
         AND a.disabled = 0",
    )
    .bind(id_hash)
    .bind(timestamp(now))
    .bind(timestamp(idle_since))
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let last_seen: String = row.try_get("last_seen_at")?;
    // One write a minute at most per session, not one per request.
    if last_seen < timestamp(now - chrono::Duration::minutes(1)) {
        sqlx::query("UPDATE session SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(timestamp(now))
            .bind(id_hash)
            .execute(db.pool())
            .await?;
    }
    Ok(Some(json::Session {
        email: row.try_get("email")?,
        roles: parse_roles(&row.try_get::<String, _>("roles")?),
    }))
}
