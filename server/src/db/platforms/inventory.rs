//! The inventory's side of what a platform describes: its credentials
//! (brought up to date or created, found by the provider's hash), the
//! resources it names, and what each credential reaches.

use chrono::{DateTime, Utc};
use model::api::{self as json, CredentialKind};
use sqlx::AnyConnection;

use super::super::sql::timestamp;
use super::Upserted;

/// A credential as a platform describes it.
#[derive(Debug, Clone)]
pub struct Described<'a> {
    /// Its provider.
    pub provider: &'a str,
    /// The provider's identifier.
    pub external_id: &'a str,
    /// Its kind.
    pub kind: CredentialKind,
    /// Its name.
    pub name: &'a str,
    /// Its scopes, space-separated, when the platform says what they are now
    /// (`None`: as they are).
    pub scopes: Option<String>,
    /// The outside application holding it.
    pub third_party: Option<&'a str>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (moves forward only).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Active or revoked, when the platform says what it is now (`None`: as it is).
    pub active: Option<bool>,
    /// Its owner, when the inventory knows them (set only where none is).
    pub owner: Option<i64>,
    /// Its keyed fingerprint, when it is created (of its identifier).
    pub fingerprint: String,
    /// The provider's public hash of the token.
    pub provider_hash: Option<&'a str>,
}

/// Finds the credential by provider and identifier (or, for a token a
/// scanner found first, by the provider's hash of it) and brings it up to
/// date, or creates it. The platform's word on its state stands over an
/// earlier import's, but a credential Muster revoked stays revoked.
pub async fn upsert_credential(conn: &mut AnyConnection, d: &Described<'_>) -> Result<Upserted, sqlx::Error> {
    let mut known: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM credential WHERE provider = $1 AND external_id = $2 ORDER BY id LIMIT 1",
    )
    .bind(d.provider)
    .bind(d.external_id)
    .fetch_optional(&mut *conn)
    .await?;
    let mut adopted = false;
    if known.is_none()
        && let Some(hash) = d.provider_hash
    {
        // A scanner's copy of the same token: it becomes this credential.
        known = sqlx::query_scalar(
            "SELECT id FROM credential WHERE provider_hash = $1 AND provider = 'github' ORDER BY id LIMIT 1",
        )
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await?;
        adopted = known.is_some();
        if let Some(id) = known {
            // Named and kinded as the platform knows it; its copies stay its own.
            sqlx::query(
                "UPDATE credential SET provider = $1, external_id = $2, name = $3, kind = $4 WHERE id = $5",
            )
            .bind(d.provider)
            .bind(d.external_id)
            .bind(d.name)
            .bind(d.kind.as_str())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    let status = d.active.map(|active| if active { "active" } else { "revoked" });
    let Some(id) = known else {
        let id = sqlx::query_scalar(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, third_party, created_at, expires_at, \
             last_used_at, status, owner_id, fingerprint, provider_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(d.name)
        .bind(d.kind.as_str())
        .bind(d.provider)
        .bind(d.external_id)
        .bind(d.scopes.clone().unwrap_or_default())
        .bind(d.third_party)
        .bind(timestamp(d.created_at))
        .bind(d.expires_at.map(timestamp))
        .bind(d.last_used_at.map(timestamp))
        .bind(status.unwrap_or("active"))
        .bind(d.owner)
        .bind(&d.fingerprint)
        .bind(d.provider_hash)
        .fetch_one(conn)
        .await?;
        return Ok(Upserted::Created(id));
    };
    // Each column changes only when the platform says something new, so that
    // the same records again change nothing. A credential Muster revoked (a
    // revocation asked for) is not made active again by the platform still
    // listing it; the platform saying it is revoked is always recorded.
    let status_moves = "$4 IS NOT NULL AND status IN ('active', 'disabled', 'revoked') AND status <> $4 \
         AND NOT (status = 'revoked' AND EXISTS (SELECT 1 FROM revocation r WHERE r.credential_id = credential.id))";
    let changed = sqlx::query(&format!(
        "UPDATE credential SET \
           scopes = COALESCE($1, scopes), \
           expires_at = COALESCE($2, expires_at), \
           last_used_at = CASE WHEN $3 IS NOT NULL AND (last_used_at IS NULL OR last_used_at < $3) \
             THEN $3 ELSE last_used_at END, \
           status = CASE WHEN {status_moves} THEN $4 ELSE status END, \
           owner_id = COALESCE(owner_id, $5), \
           provider_hash = COALESCE(provider_hash, $6), \
           third_party = COALESCE($8, third_party) \
         WHERE id = $7 AND ( ($1 IS NOT NULL AND scopes <> $1) \
           OR ($2 IS NOT NULL AND (expires_at IS NULL OR expires_at <> $2)) \
           OR ($3 IS NOT NULL AND (last_used_at IS NULL OR last_used_at < $3)) \
           OR ({status_moves}) \
           OR ($5 IS NOT NULL AND owner_id IS NULL) \
           OR ($6 IS NOT NULL AND provider_hash IS NULL) \
           OR ($8 IS NOT NULL AND (third_party IS NULL OR third_party <> $8)))"
    ))
    .bind(d.scopes.clone())
    .bind(d.expires_at.map(timestamp))
    .bind(d.last_used_at.map(timestamp))
    .bind(status)
    .bind(d.owner)
    .bind(d.provider_hash)
    .bind(id)
    .bind(d.third_party)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(if changed > 0 || adopted {
        Upserted::Updated(id)
    } else {
        Upserted::Unchanged(id)
    })
}

/// A resource by name, made (in production, as sensitive as `sensitivity`)
/// if the inventory has none of that name.
pub async fn resource(
    conn: &mut AnyConnection,
    name: &str,
    provider: &str,
    kind: json::ResourceKind,
    sensitivity: json::Sensitivity,
) -> Result<i64, sqlx::Error> {
    if let Some(id) = sqlx::query_scalar("SELECT id FROM resource WHERE name = $1 ORDER BY id LIMIT 1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(id);
    }
    sqlx::query_scalar(
        "INSERT INTO resource (name, provider, kind, environment, sensitivity) VALUES ($1, $2, $3, 'prod', $4) RETURNING id",
    )
    .bind(name)
    .bind(provider)
    .bind(kind.as_str())
    .bind(sensitivity.as_str())
    .fetch_one(conn)
    .await
}

/// Replaces what a credential reaches; answers whether anything changed.
/// The caller refreshes its `reach_environments`.
pub async fn set_reach(
    conn: &mut AnyConnection,
    credential: i64,
    reach: &std::collections::BTreeMap<i64, json::Permission>,
) -> Result<bool, sqlx::Error> {
    let mut changed = false;
    let known: Vec<i64> = sqlx::query_scalar("SELECT resource_id FROM reach WHERE credential_id = $1")
        .bind(credential)
        .fetch_all(&mut *conn)
        .await?;
    for resource in known.iter().filter(|r| !reach.contains_key(r)) {
        sqlx::query("DELETE FROM reach WHERE credential_id = $1 AND resource_id = $2")
            .bind(credential)
            .bind(resource)
            .execute(&mut *conn)
            .await?;
        changed = true;
    }
    changed |= add_reach(conn, credential, reach).await?;
    Ok(changed)
}

/// Adds what a credential reaches (one that reached nothing: a new one);
/// answers whether anything was added. The caller refreshes its
/// `reach_environments`, for many credentials at once.
pub async fn add_reach(
    conn: &mut AnyConnection,
    credential: i64,
    reach: &std::collections::BTreeMap<i64, json::Permission>,
) -> Result<bool, sqlx::Error> {
    let mut changed = false;
    for (resource, permission) in reach {
        changed |= super::super::declared::reach(conn, credential, *resource, permission.as_str()).await?;
    }
    Ok(changed)
}

/// Sets a credential's provider hash where it has none (an audit event
/// named both the token and its hash).
pub async fn learn_hash(conn: &mut AnyConnection, credential: i64, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE credential SET provider_hash = $1 WHERE id = $2 AND provider_hash IS NULL")
        .bind(hash)
        .bind(credential)
        .execute(conn)
        .await?;
    Ok(())
}

/// The credential a provider's hash of a token names, if known.
pub async fn by_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM credential WHERE provider_hash = $1 ORDER BY id LIMIT 1")
        .bind(hash)
        .fetch_optional(conn)
        .await
}
