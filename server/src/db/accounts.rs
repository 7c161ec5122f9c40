//! Queries of accounts and sessions.

use chrono::{DateTime, Utc};
use model::api::{self as json, Role};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Db;
use super::sql::{get_ref, timestamp};

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

pub(crate) fn parse_roles(text: &str) -> Vec<Role> {
    text.split_whitespace()
        .filter_map(|role| role.parse().ok())
        .collect()
}

pub(crate) fn roles_text(roles: &[Role]) -> String {
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
    link_people(conn).await?;
    Ok(id)
}

/// Links each account that is no person yet to the person of the inventory
/// with its email, once: from then on the link is by id, so that who an
/// account is (for self-approval, for the teams a manager manages) does not
/// hang on two emails compared at every read. Run after an account or people
/// are created.
pub async fn link_people(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE account SET person_id = {PERSON_WITH_EMAIL} WHERE person_id IS NULL"
    ))
    .execute(conn)
    .await?;
    Ok(())
}

/// The person of the inventory whose email is the account's, unless another
/// account is that person already: for `UPDATE account SET person_id = …`.
pub(crate) const PERSON_WITH_EMAIL: &str = "(SELECT min(p.id) FROM person p WHERE lower(p.email) = account.email \
     AND NOT EXISTS (SELECT 1 FROM account b WHERE b.person_id = p.id))";

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
    update(conn, id, None, None, Some(password_hash), now).await?;
    Ok(id)
}

const ACCOUNT_COLUMNS: &str = "a.id, a.email, a.roles, a.disabled, a.created_at, \
     (SELECT MAX(s.created_at) FROM session s WHERE s.account_id = a.id) AS last_sign_in";

fn account(row: &AnyRow) -> Result<json::Account, sqlx::Error> {
    Ok(json::Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        roles: parse_roles(&row.try_get::<String, _>("roles")?),
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
        last_sign_in: row.try_get("last_sign_in")?,
    })
}

/// Every account, by email (an organisation has tens or hundreds, not more).
pub async fn list(db: &Db) -> Result<Vec<json::Account>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM account a ORDER BY a.email"
    ))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(account)
    .collect()
}

/// One account, read inside the caller's transaction.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<json::Account>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM account a WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(account)
    .transpose()
}

/// Applies what is given of roles, disabled and password hash. Barring an
/// account or changing its password ends its sessions; role changes apply to
/// its next request, since sessions read the roles afresh each time.
pub async fn update(
    conn: &mut AnyConnection,
    id: i64,
    roles: Option<&[Role]>,
    disabled: Option<bool>,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if let Some(roles) = roles {
        sqlx::query("UPDATE account SET roles = $1 WHERE id = $2")
            .bind(roles_text(roles))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(disabled) = disabled {
        sqlx::query("UPDATE account SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(hash) = password_hash {
        sqlx::query("UPDATE account SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    if disabled == Some(true) || password_hash.is_some() {
        end_sessions(conn, id, now).await?;
    }
    Ok(())
}

/// How many accounts may sign in and hold the `admin` role.
pub async fn active_admins(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    // Roles are stored space-separated; padding makes the match whole-word.
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM account WHERE disabled = 0 AND (' ' || roles || ' ') LIKE '% admin %'",
    )
    .fetch_one(conn)
    .await
}

/// Ends every session of an account.
pub async fn end_sessions(
    conn: &mut AnyConnection,
    account: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE session SET revoked_at = $1, id_token = NULL WHERE account_id = $2 AND revoked_at IS NULL",
    )
    .bind(timestamp(now))
    .bind(account)
    .execute(conn)
    .await?;
    Ok(())
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

/// How a session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInMethod {
    /// An email and a local password.
    Password,
    /// The organisation's identity provider (OpenID Connect).
    Oidc,
}

impl SignInMethod {
    /// As stored in `session.method` and written in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Oidc => "oidc",
        }
    }
}

/// Stores a new session (by the hash of its id).
pub async fn create_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    account: i64,
    method: SignInMethod,
    id_token: Option<&str>,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO session (id_hash, account_id, method, id_token, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(id_hash)
    .bind(account)
    .bind(method.as_str())
    .bind(id_token)
    .bind(timestamp(now))
    .bind(timestamp(expires))
    .execute(conn)
    .await?;
    Ok(())
}

/// The ID token of a live session the identity provider opened, if any
/// (for the provider's sign-out).
pub async fn session_id_token(db: &Db, id_hash: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "SELECT id_token FROM session WHERE id_hash = $1 AND method = 'oidc' AND revoked_at IS NULL",
    )
    .bind(id_hash)
    .fetch_optional(db.pool())
    .await?
    .flatten())
}

/// Whether the person an account is has left the organisation: they may
/// not sign in, and their sessions do not work.
pub async fn has_left(conn: &mut AnyConnection, account: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT a.id FROM account a JOIN person p ON p.id = a.person_id WHERE a.id = $1 AND p.status = 'departed'",
    )
    .bind(account)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Ends the sessions of the account a person is (they left).
pub async fn end_person_sessions(
    conn: &mut AnyConnection,
    person: i64,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE session SET revoked_at = $1, id_token = NULL WHERE revoked_at IS NULL \
         AND account_id IN (SELECT id FROM account WHERE person_id = $2)",
    )
    .bind(timestamp(now))
    .bind(person)
    .execute(conn)
    .await?
    .rows_affected())
}

/// The person an account is linked to, and that person's team.
pub async fn identity(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<(Option<json::Ref>, Option<json::Ref>), sqlx::Error> {
    let row = sqlx::query(
        "SELECT p.id AS person_id, p.name AS person_name, t.id AS team_id, t.name AS team_name \
         FROM account a JOIN person p ON p.id = a.person_id LEFT JOIN team t ON t.id = p.team_id \
         WHERE a.id = $1",
    )
    .bind(account)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok((
            get_ref(&row, "person_id", "person_name")?,
            get_ref(&row, "team_id", "team_name")?,
        )),
        None => Ok((None, None)),
    }
}

/// What an enabled account may do now, as a session would carry it: for
/// re-checking, when it is decided, what a person asked for earlier.
pub async fn standing(conn: &mut AnyConnection, email: &str) -> Result<Option<json::Session>, sqlx::Error> {
    let row = sqlx::query("SELECT id, email, roles FROM account WHERE email = $1 AND disabled = 0")
        .bind(email)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let (person, team) = identity(conn, row.try_get("id")?).await?;
    Ok(Some(json::Session {
        email: row.try_get("email")?,
        roles: parse_roles(&row.try_get::<String, _>("roles")?),
        person,
        team,
        sign_out_url: None,
    }))
}

/// Ends a session.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE session SET revoked_at = $1, id_token = NULL WHERE id_hash = $2 AND revoked_at IS NULL",
    )
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
        "SELECT a.email, a.roles, s.last_seen_at, p.id AS person_id, p.name AS person_name, \
           t.id AS team_id, t.name AS team_name \
         FROM session s JOIN account a ON a.id = s.account_id \
           LEFT JOIN person p ON p.id = a.person_id LEFT JOIN team t ON t.id = p.team_id \
         WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3 \
         AND a.disabled = 0 AND (p.id IS NULL OR p.status = 'active')",
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
        // In a transaction of its own, so that it takes its turn with the
        // other writers rather than polling for SQLite's lock (`Db::begin`).
        let mut tx = db.begin().await?;
        sqlx::query("UPDATE session SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(timestamp(now))
            .bind(id_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(Some(json::Session {
        email: row.try_get("email")?,
        roles: parse_roles(&row.try_get::<String, _>("roles")?),
        person: get_ref(&row, "person_id", "person_name")?,
        team: get_ref(&row, "team_id", "team_name")?,
        sign_out_url: None,
    }))
}
