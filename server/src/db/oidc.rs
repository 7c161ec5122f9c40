//! Queries of sign-in with the identity provider: sign-ins under way, and
//! the accounts the provider made.

use chrono::{DateTime, Utc};
use model::api::Role;
use sqlx::AnyConnection;

use super::Db;
use super::accounts::{PERSON_WITH_EMAIL, parse_roles, roles_text};
use super::sql::timestamp;

/// A sign-in under way, as kept until the browser comes back.
#[derive(Debug, sqlx::FromRow)]
pub struct PendingLogin {
    /// The SHA-256 of the browser-binding cookie's value.
    pub browser_hash: String,
    /// The nonce sent.
    pub nonce: String,
    /// The PKCE verifier.
    pub pkce_verifier: String,
    /// Where in Muster the person was going.
    pub return_to: String,
}

/// Keeps a sign-in under way until `expires`.
#[allow(clippy::too_many_arguments)]
pub async fn insert_login(
    db: &Db,
    state_hash: &str,
    browser_hash: &str,
    nonce: &str,
    pkce_verifier: &str,
    return_to: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    // A transaction, so that it takes its turn with the other writers.
    let mut tx = db.begin().await?;
    // Sign-ins abandoned at the provider go when the next one starts.
    sqlx::query("DELETE FROM oidc_login WHERE expires_at <= $1")
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO oidc_login (state_hash, browser_hash, nonce, pkce_verifier, return_to, address, created_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(state_hash)
    .bind(browser_hash)
    .bind(nonce)
    .bind(pkce_verifier)
    .bind(return_to)
    .bind(address)
    .bind(timestamp(now))
    .bind(timestamp(expires))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How many sign-ins are under way, in all and from `address` (to refuse a
/// flood of started ones without locking everyone else out).
pub async fn pending(db: &Db, address: Option<&str>, now: DateTime<Utc>) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN address = $2 THEN 1 ELSE 0 END), 0) \
         FROM oidc_login WHERE expires_at > $1",
    )
    .bind(timestamp(now))
    .bind(address)
    .fetch_one(db.pool())
    .await
}

/// Takes the sign-in with this state, once: it is deleted as it is read,
/// so a replayed state finds nothing. Expired ones are not answered.
pub async fn take_login(
    conn: &mut AnyConnection,
    state_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<PendingLogin>, sqlx::Error> {
    let login: Option<(PendingLogin, String)> = sqlx::query_as::<_, PendingLoginRow>(
        "DELETE FROM oidc_login WHERE state_hash = $1 \
         RETURNING browser_hash, nonce, pkce_verifier, return_to, expires_at",
    )
    .bind(state_hash)
    .fetch_optional(conn)
    .await?
    .map(PendingLoginRow::split);
    Ok(login.and_then(|(login, expires)| (expires > timestamp(now)).then_some(login)))
}

#[derive(sqlx::FromRow)]
struct PendingLoginRow {
    #[sqlx(flatten)]
    login: PendingLogin,
    expires_at: String,
}

impl PendingLoginRow {
    fn split(self) -> (PendingLogin, String) {
        (self.login, self.expires_at)
    }
}

/// An account as the provider's sign-in needs it.
#[derive(Debug, Clone)]
pub struct ProviderAccount {
    /// Its id.
    pub id: i64,
    /// Its email.
    pub email: String,
    /// Its roles now.
    pub roles: Vec<Role>,
    /// Whether an admin barred it.
    pub disabled: bool,
    /// The provider's subject it is linked to, if any.
    pub subject: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ProviderAccountRow {
    id: i64,
    email: String,
    roles: String,
    disabled: i64,
    oidc_subject: Option<String>,
}

impl From<ProviderAccountRow> for ProviderAccount {
    fn from(row: ProviderAccountRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            roles: parse_roles(&row.roles),
            disabled: row.disabled != 0,
            subject: row.oidc_subject,
        }
    }
}

const PROVIDER_ACCOUNT: &str = "SELECT id, email, roles, disabled, oidc_subject FROM account";

/// The account the provider made (or linked) for this subject.
pub async fn by_subject(
    conn: &mut AnyConnection,
    issuer: &str,
    subject: &str,
) -> Result<Option<ProviderAccount>, sqlx::Error> {
    Ok(sqlx::query_as::<_, ProviderAccountRow>(&format!(
        "{PROVIDER_ACCOUNT} WHERE oidc_issuer = $1 AND oidc_subject = $2"
    ))
    .bind(issuer)
    .bind(subject)
    .fetch_optional(conn)
    .await?
    .map(ProviderAccount::from))
}

/// The account with this (lowercase) email.
pub async fn by_email(conn: &mut AnyConnection, email: &str) -> Result<Option<ProviderAccount>, sqlx::Error> {
    Ok(
        sqlx::query_as::<_, ProviderAccountRow>(&format!("{PROVIDER_ACCOUNT} WHERE email = $1"))
            .bind(email)
            .fetch_optional(conn)
            .await?
            .map(ProviderAccount::from),
    )
}

/// Makes an account for a person the provider signed in: no password.
pub async fn create(
    conn: &mut AnyConnection,
    email: &str,
    roles: &[Role],
    issuer: &str,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    // An empty hash: no password verifies against it.
    sqlx::query(
        "INSERT INTO account (email, password_hash, roles, disabled, created_at, oidc_issuer, oidc_subject) \
         VALUES ($1, '', $2, 0, $3, $4, $5)",
    )
    .bind(email)
    .bind(roles_text(roles))
    .bind(timestamp(now))
    .bind(issuer)
    .bind(subject)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar("SELECT id FROM account WHERE oidc_issuer = $1 AND oidc_subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_one(conn)
        .await
}

/// Links an existing account (a local one with the same email) to the
/// provider's subject.
pub async fn set_subject(
    conn: &mut AnyConnection,
    account: i64,
    issuer: &str,
    subject: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE account SET oidc_issuer = $1, oidc_subject = $2 WHERE id = $3")
        .bind(issuer)
        .bind(subject)
        .bind(account)
        .execute(conn)
        .await?;
    Ok(())
}

/// Links an account that is no person yet to the inventory's person whose
/// `external_id` is the provider's subject, else whose email is the
/// account's (a person is one account's at most).
pub async fn link_person(conn: &mut AnyConnection, account: i64, subject: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE account SET person_id = COALESCE( \
           (SELECT min(p.id) FROM person p WHERE p.external_id = $1 \
              AND NOT EXISTS (SELECT 1 FROM account b WHERE b.person_id = p.id)), \
           {PERSON_WITH_EMAIL}) \
         WHERE id = $2 AND person_id IS NULL"
    ))
    .bind(subject)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(())
}
