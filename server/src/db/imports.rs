//! Queries of imports: the run's row, finding or creating the credential a
//! found secret belongs to, and removing the copies a full import no longer
//! finds.

use chrono::{DateTime, Utc};
use model::api as json;
use sqlx::AnyConnection;

use super::Db;
use super::sql::timestamp;
use crate::import::scanners::Finding;

/// Starts an import's row; its counts are written by [`finish_run`].
pub async fn start_run(
    conn: &mut AnyConnection,
    kind: json::ImportKind,
    found_by: &str,
    full: bool,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO import_run (kind, source, full_import, started_at, finished_at, imported_by, findings, \
         skipped, credentials_created, copies_created, copies_removed) \
         VALUES ($1, $2, $3, $4, $4, $5, 0, 0, 0, 0, 0) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(found_by)
    .bind(i32::from(full))
    .bind(timestamp(now))
    .bind(by)
    .fetch_one(conn)
    .await
}

/// Writes an import's counts.
pub async fn finish_run(conn: &mut AnyConnection, summary: &json::ImportSummary) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE import_run SET finished_at = $1, findings = $2, skipped = $3, credentials_created = $4, \
         copies_created = $5, copies_removed = $6, summary = $7 WHERE id = $8",
    )
    .bind(timestamp(summary.finished_at))
    .bind(summary.findings)
    .bind(summary.skipped)
    .bind(summary.credentials_created)
    .bind(summary.copies_created)
    .bind(summary.copies_removed)
    .bind(serde_json::to_string(summary).unwrap_or_default())
    .bind(summary.id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The credential a found secret belongs to: by its provider's identifier
/// when the finding has one (an AWS key id), else by the secret's keyed
/// fingerprint. `None` when it is not in the inventory yet.
pub async fn find_credential(
    conn: &mut AnyConnection,
    finding: &Finding,
) -> Result<Option<i64>, sqlx::Error> {
    if let Some(external_id) = &finding.external_id {
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM credential WHERE provider = $1 AND external_id = $2 ORDER BY id LIMIT 1",
        )
        .bind(&finding.provider)
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await?;
        if known.is_some() {
            return Ok(known);
        }
    }
    sqlx::query_scalar("SELECT id FROM credential WHERE fingerprint = $1 ORDER BY id LIMIT 1")
        .bind(&finding.fingerprint)
        .fetch_optional(conn)
        .await
}

/// Adds the credential of a secret found for the first time: active, with
/// no owner yet (it shows among the ownership gaps).
pub async fn create_credential(
    conn: &mut AnyConnection,
    finding: &Finding,
    first_seen: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let short = finding.fingerprint.get(..12).unwrap_or(&finding.fingerprint);
    let external_id = finding
        .external_id
        .clone()
        .unwrap_or_else(|| format!("fp:{short}"));
    let mut name = format!(
        "{} {}",
        finding.rule,
        finding.external_id.as_deref().unwrap_or(short)
    );
    if let Some(principal) = &finding.principal {
        name.push_str(&format!(" ({principal})"));
    }
    sqlx::query_scalar(
        "INSERT INTO credential (name, kind, provider, external_id, created_at, status, fingerprint) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6) RETURNING id",
    )
    .bind(name)
    .bind(finding.kind.as_str())
    .bind(&finding.provider)
    .bind(external_id)
    .bind(timestamp(first_seen))
    .bind(&finding.fingerprint)
    .fetch_one(conn)
    .await
}

/// Marks removed the present copies attributed to `found_by` that the
/// import `import` did not see; returns the credentials they belonged to.
pub async fn remove_unseen(
    conn: &mut AnyConnection,
    found_by: &str,
    import: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE credential_copy SET status = 'removed' WHERE found_by = $1 AND status = 'present' \
         AND (import_id IS NULL OR import_id <> $2) RETURNING credential_id",
    )
    .bind(found_by)
    .bind(import)
    .fetch_all(conn)
    .await
}

/// The most recent imports, newest first, as each one's summary.
pub async fn recent(db: &Db, limit: i64) -> Result<Vec<json::ImportSummary>, sqlx::Error> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT summary FROM import_run WHERE summary <> '' ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|text| serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(e.into())))
        .collect()
}
