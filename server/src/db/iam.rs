//! Queries of AWS IAM imports: roles and users' access keys as credentials
//! (found by their provider id, created or brought up to date), what their
//! policies let them reach, and the users' policies kept for the access
//! keys a later credential report names.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use model::api::{CredentialKind, CredentialStatus, Permission};
use sqlx::{AnyConnection, Row};

use super::credentials;
use super::sql::{Scope, timestamp};

/// A credential as an IAM report describes it.
#[derive(Debug, Clone)]
pub struct Described {
    /// Access key or role.
    pub kind: CredentialKind,
    /// The role's ARN, or the key's slot (`<user ARN>#access_key_<n>`).
    pub external_id: String,
    /// Its name, when it is created.
    pub name: String,
    /// Its keyed fingerprint, when it is created (of its identifier: it has no secret here).
    pub fingerprint: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its scopes, when its policies are known.
    pub scopes: Option<String>,
    /// When it was last rotated.
    pub last_rotated_at: Option<DateTime<Utc>>,
    /// When it was last used (moves forward only).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Active or disabled, when the report says (a revoked or expired
    /// credential keeps its status).
    pub status: Option<CredentialStatus>,
    /// Who may assume a role, when its trust policy is known.
    pub trusted_by: Option<String>,
}

/// What an upsert did (the same outcome as the inventory file's: made, changed, or as it was).
pub use super::declared::Outcome as Upserted;

/// Finds the AWS credential by its external id and brings it up to date,
/// or creates it (active, without an owner).
pub async fn upsert(conn: &mut AnyConnection, described: &Described) -> Result<Upserted, sqlx::Error> {
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM credential WHERE provider = 'aws' AND external_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(&described.external_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = known else {
        let id = sqlx::query_scalar(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, created_at, last_rotated_at, \
             last_used_at, status, fingerprint, trusted_by) VALUES ($1, $2, 'aws', $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING id",
        )
        .bind(&described.name)
        .bind(described.kind.as_str())
        .bind(&described.external_id)
        .bind(described.scopes.clone().unwrap_or_default())
        .bind(timestamp(described.created_at))
        .bind(described.last_rotated_at.map(timestamp))
        .bind(described.last_used_at.map(timestamp))
        .bind(described.status.unwrap_or(CredentialStatus::Active).as_str())
        .bind(&described.fingerprint)
        .bind(described.trusted_by.clone())
        .fetch_one(&mut *conn)
        .await?;
        return Ok(Upserted::Created(id));
    };
    // Each column changes only when the report says something new, so that
    // the same report again changes nothing.
    let changed = sqlx::query(
        "UPDATE credential SET \
           scopes = COALESCE($1, scopes), \
           last_rotated_at = COALESCE($2, last_rotated_at), \
           last_used_at = CASE WHEN $3 IS NOT NULL AND (last_used_at IS NULL OR last_used_at < $3) \
             THEN $3 ELSE last_used_at END, \
           status = CASE WHEN $4 IS NOT NULL AND status IN ('active', 'disabled') THEN $4 ELSE status END, \
           trusted_by = COALESCE($6, trusted_by) \
         WHERE id = $5 AND ( \
           ($1 IS NOT NULL AND scopes <> $1) \
           OR ($2 IS NOT NULL AND (last_rotated_at IS NULL OR last_rotated_at <> $2)) \
           OR ($3 IS NOT NULL AND (last_used_at IS NULL OR last_used_at < $3)) \
           OR ($4 IS NOT NULL AND status IN ('active', 'disabled') AND status <> $4) \
           OR ($6 IS NOT NULL AND (trusted_by IS NULL OR trusted_by <> $6)))",
    )
    .bind(described.scopes.clone())
    .bind(described.last_rotated_at.map(timestamp))
    .bind(described.last_used_at.map(timestamp))
    .bind(described.status.map(|s| s.as_str()))
    .bind(id)
    .bind(described.trusted_by.clone())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(if changed > 0 {
        Upserted::Updated(id)
    } else {
        Upserted::Unchanged(id)
    })
}

/// The inventory's resources called by the given ARNs (or their short
/// names, see [`crate::arn::resource_names`]), with the
/// permission granted on each; answers the edges.
pub async fn resolve(
    conn: &mut AnyConnection,
    granted: &BTreeMap<String, Permission>,
) -> Result<BTreeMap<i64, Permission>, sqlx::Error> {
    let mut reach: BTreeMap<i64, Permission> = BTreeMap::new();
    for (arn, permission) in granted {
        // A wildcard inside a name (`prod-*`) names no one resource.
        let names: Vec<String> = crate::arn::resource_names(arn.trim_end_matches("/*"))
            .into_iter()
            .filter(|n| !n.contains('*'))
            .collect();
        if let Some(resource) = super::behaviour::resource_named(conn, &names).await? {
            let held = reach.entry(resource.id).or_insert(*permission);
            *held = (*held).max(*permission);
        }
    }
    Ok(reach)
}

/// Replaces what a credential reaches with `reach` (its policies are the
/// truth of it), and its environments with them.
pub async fn set_reach(
    conn: &mut AnyConnection,
    credential: i64,
    reach: &BTreeMap<i64, Permission>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM reach WHERE credential_id = $1")
        .bind(credential)
        .execute(&mut *conn)
        .await?;
    for (resource, permission) in reach {
        sqlx::query("INSERT INTO reach (credential_id, resource_id, permission) VALUES ($1, $2, $3)")
            .bind(credential)
            .bind(resource)
            .bind(permission.as_str())
            .execute(&mut *conn)
            .await?;
    }
    credentials::refresh_reach_environments(conn, &Scope::Ids(&[credential])).await
}

/// Keeps a user's policies (scopes, and the resources they name with their
/// permissions) for its access keys.
pub async fn put_user(
    conn: &mut AnyConnection,
    arn: &str,
    name: &str,
    scopes: &str,
    resources: &BTreeMap<String, Permission>,
    import: i64,
) -> Result<(), sqlx::Error> {
    let resources = serde_json::to_string(resources).expect("a map of strings serialises");
    sqlx::query(
        "INSERT INTO iam_user (arn, name, scopes, resources, import_id) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (arn) DO UPDATE SET name = excluded.name, scopes = excluded.scopes, \
         resources = excluded.resources, import_id = excluded.import_id",
    )
    .bind(arn)
    .bind(name)
    .bind(scopes)
    .bind(resources)
    .bind(import)
    .execute(conn)
    .await?;
    Ok(())
}

/// A user's policies, if an authorization-details import named them.
pub async fn user(
    conn: &mut AnyConnection,
    arn: &str,
) -> Result<Option<(String, BTreeMap<String, Permission>)>, sqlx::Error> {
    let row = sqlx::query("SELECT scopes, resources FROM iam_user WHERE arn = $1")
        .bind(arn)
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        let resources: String = row.try_get("resources")?;
        Ok((
            row.try_get("scopes")?,
            serde_json::from_str(&resources).map_err(|e| sqlx::Error::Decode(e.into()))?,
        ))
    })
    .transpose()
}

/// The access keys of a user known by their slot (`<user ARN>#access_key_<n>`).
pub async fn key_slots(conn: &mut AnyConnection, user_arn: &str) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM credential WHERE provider = 'aws' AND kind = 'access_key' \
         AND external_id IN ($1, $2) ORDER BY id",
    )
    .bind(crate::arn::slot_id(user_arn, 1))
    .bind(crate::arn::slot_id(user_arn, 2))
    .fetch_all(conn)
    .await
}

/// The one active access key of a user known by its slot, if it has exactly
/// one: an event signed by an unknown key of that user was signed by it.
pub async fn only_active_key(conn: &mut AnyConnection, user_arn: &str) -> Result<Option<i64>, sqlx::Error> {
    let active: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM credential WHERE provider = 'aws' AND kind = 'access_key' AND status = 'active' \
         AND external_id IN ($1, $2) ORDER BY id",
    )
    .bind(crate::arn::slot_id(user_arn, 1))
    .bind(crate::arn::slot_id(user_arn, 2))
    .fetch_all(conn)
    .await?;
    Ok(match active[..] {
        [only] => Some(only),
        _ => None,
    })
}

/// Records whether a person can sign in with the identity behind a
/// credential (`None`: nobody); answers whether that changed.
pub async fn set_console_access(
    conn: &mut AnyConnection,
    credential: i64,
    evidence: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query(
        "UPDATE credential SET console_access = $1 WHERE id = $2 \
         AND (console_access <> $1 OR (console_access IS NULL) <> ($1 IS NULL))",
    )
    .bind(evidence)
    .bind(credential)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// Sets credential `id`'s scopes; answers whether they changed.
pub async fn set_scopes(conn: &mut AnyConnection, id: i64, scopes: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE credential SET scopes = $1 WHERE id = $2 AND scopes <> $1")
        .bind(scopes)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
