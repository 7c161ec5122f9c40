//! Queries of imports: the run's row, finding or creating (in batches) the
//! credentials found secrets belong to and their copies, and removing the
//! copies a full import no longer finds.

use chrono::{DateTime, Utc};
use model::api as json;
use sqlx::AnyConnection;

use super::sql::{Params, Value, id_time_values, timestamp};
use super::{Backend, Db, bulk};
use crate::import::scanners::Finding;
use sqlx::Row;

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
         copies_created = $5, copies_removed = $6, summary = $7, state = 'done' WHERE id = $8",
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

/// `column IN ($1, …)` over `values`, with its parameters.
fn in_list<T: Clone + Into<Value>>(column: &str, values: &[T], params: &mut Params) -> String {
    let list: Vec<String> = values.iter().map(|v| params.bind(v.clone())).collect();
    format!("{column} IN ({})", list.join(", "))
}

/// Credentials by their provider id (an AWS key id): (id, provider, external id), oldest first.
pub async fn credentials_by_external_id(
    conn: &mut AnyConnection,
    backend: Backend,
    external_ids: &[String],
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    if external_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::in_order(backend);
    let filter = in_list("external_id", external_ids, &mut params);
    sqlx::query_as_with(
        &format!("SELECT id, provider, external_id FROM credential WHERE {filter} ORDER BY id"),
        params.args(),
    )
    .fetch_all(conn)
    .await
}

/// Credentials by the keyed fingerprint of their secret: (id, fingerprint), oldest first.
pub async fn credentials_by_fingerprint(
    conn: &mut AnyConnection,
    backend: Backend,
    fingerprints: &[String],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if fingerprints.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::in_order(backend);
    let filter = in_list("fingerprint", fingerprints, &mut params);
    sqlx::query_as_with(
        &format!("SELECT id, fingerprint FROM credential WHERE {filter} ORDER BY id"),
        params.args(),
    )
    .fetch_all(conn)
    .await
}

/// What else than its fingerprint a credential's secret is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKey {
    /// The scan fingerprint (an endpoint scan found it).
    ScanFingerprint,
    /// The provider's public hash of the token (GitHub's `hashed_token`:
    /// a platform import named it).
    ProviderHash,
}

impl SecretKey {
    fn column(self) -> &'static str {
        match self {
            SecretKey::ScanFingerprint => "scan_fingerprint",
            SecretKey::ProviderHash => "provider_hash",
        }
    }
}

/// Credentials by another key of their secret: (id, key), oldest first.
pub async fn credentials_by_key(
    conn: &mut AnyConnection,
    backend: Backend,
    key: SecretKey,
    values: &[String],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let column = key.column();
    let mut params = Params::in_order(backend);
    let filter = in_list(column, values, &mut params);
    sqlx::query_as_with(
        &format!("SELECT id, {column} FROM credential WHERE {filter} ORDER BY id"),
        params.args(),
    )
    .fetch_all(conn)
    .await
}

/// Gives credentials stored before that key was known theirs:
/// (credential, key); one that has one keeps it.
pub async fn set_keys(
    conn: &mut AnyConnection,
    backend: Backend,
    key: SecretKey,
    pairs: &[(i64, String)],
) -> Result<(), sqlx::Error> {
    let column = key.column();
    for chunk in pairs.chunks(2000) {
        let mut params = Params::in_order(backend);
        let values = chunk
            .iter()
            .map(|(id, value)| format!("({}, {})", params.bind(*id), params.bind(value.clone())))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query_with(
            &format!(
                "UPDATE credential SET {column} = v.column2 FROM (VALUES {values}) AS v \
                 WHERE credential.id = v.column1 AND credential.{column} IS NULL"
            ),
            params.args(),
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Adds the credentials of secrets found for the first time (active, with
/// no owner yet: they show among the ownership gaps), each with when it was
/// first seen; answers (id, fingerprint) of each.
pub async fn create_credentials(
    conn: &mut AnyConnection,
    backend: Backend,
    found: &[(&Finding, DateTime<Utc>)],
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let mut rows = Vec::with_capacity(found.len() * 9);
    for (finding, first_seen) in found {
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
        rows.extend([
            name.into(),
            finding.kind.as_str().into(),
            finding.provider.clone().into(),
            external_id.into(),
            timestamp(*first_seen).into(),
            "active".into(),
            finding.fingerprint.clone().into(),
            finding.scan_fingerprint.clone().into(),
            finding.provider_hash.clone().into(),
        ]);
    }
    bulk::insert_returning(
        conn,
        backend,
        "credential",
        &[
            "name",
            "kind",
            "provider",
            "external_id",
            "created_at",
            "status",
            "fingerprint",
            "scan_fingerprint",
            "provider_hash",
        ],
        &rows,
        "RETURNING id, fingerprint",
    )
    .await?
    .iter()
    .map(|row| Ok((row.try_get("id")?, row.try_get("fingerprint")?)))
    .collect()
}

/// A stored copy, as an import matches it: (id, credential, kind, locator, status).
pub type StoredCopy = (i64, i64, String, String, String);

/// The copies of these credentials at these places (and, rarely, a few
/// more: each credential's copies at any of the places), found through the
/// index on the credential, so that only candidates leave the database.
pub async fn copies_at(
    conn: &mut AnyConnection,
    backend: Backend,
    credentials: &[i64],
    locators: &[String],
) -> Result<Vec<StoredCopy>, sqlx::Error> {
    if credentials.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::in_order(backend);
    let by_credential = in_list("credential_id", credentials, &mut params);
    let by_place = in_list("locator", locators, &mut params);
    sqlx::query_as_with(
        &format!(
            "SELECT id, credential_id, kind, locator, status FROM credential_copy \
             WHERE {by_credential} AND {by_place}"
        ),
        params.args(),
    )
    .fetch_all(conn)
    .await
}

/// The columns of a copy an import adds.
const COPY_COLUMNS: &[&str] = &[
    "credential_id",
    "kind",
    "locator",
    "found_by",
    "author_email",
    "first_seen",
    "last_seen",
    "status",
    "import_id",
];

/// The rows adding `copies` (found by import `import`), in [`COPY_COLUMNS`].
fn copy_rows(import: i64, copies: &[json::CopySighting]) -> Vec<Value> {
    let mut rows = Vec::with_capacity(copies.len() * COPY_COLUMNS.len());
    for copy in copies {
        let seen = copy.seen_at.map(timestamp).unwrap_or_default();
        rows.extend([
            Value::Int(copy.credential),
            copy.kind.as_str().into(),
            copy.locator.clone().into(),
            copy.found_by.clone().into(),
            copy.author_email.clone().into(),
            seen.clone().into(),
            seen.into(),
            "present".into(),
            Value::Int(import),
        ]);
    }
    rows
}

/// Adds copies (of credential, kind, locator, found by, author, seen);
/// answers how many went in.
pub async fn insert_copies(
    conn: &mut AnyConnection,
    backend: Backend,
    import: i64,
    copies: &[json::CopySighting],
) -> Result<u64, sqlx::Error> {
    bulk::insert_counting(
        conn,
        backend,
        "credential_copy",
        COPY_COLUMNS,
        &copy_rows(import, copies),
        "",
    )
    .await
}

/// Adds copies like [`insert_copies`]; answers (id, credential) of each,
/// for the copies a revocation must hear of. Every other copy is added
/// without: the driver hands rows back one by one, and a report may add a
/// million copies.
pub async fn insert_copies_returning(
    conn: &mut AnyConnection,
    backend: Backend,
    import: i64,
    copies: &[json::CopySighting],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    bulk::insert_returning(
        conn,
        backend,
        "credential_copy",
        COPY_COLUMNS,
        &copy_rows(import, copies),
        "RETURNING id, credential_id",
    )
    .await?
    .iter()
    .map(|row| Ok((row.try_get("id")?, row.try_get("credential_id")?)))
    .collect()
}

/// Marks known copies found again by import `import`: present, and seen
/// at the given time if that is later than they were.
pub async fn copies_seen_again(
    conn: &mut AnyConnection,
    backend: Backend,
    import: i64,
    seen: &[(i64, DateTime<Utc>)],
) -> Result<(), sqlx::Error> {
    for chunk in seen.chunks(2000) {
        let mut params = Params::in_order(backend);
        let import = params.bind(import);
        let values = id_time_values(&mut params, chunk);
        sqlx::query_with(
            &format!(
                "UPDATE credential_copy SET status = 'present', import_id = {import}, \
                 last_seen = CASE WHEN credential_copy.last_seen < v.column2 THEN v.column2 \
                 ELSE credential_copy.last_seen END \
                 FROM (VALUES {values}) AS v WHERE credential_copy.id = v.column1"
            ),
            params.args(),
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Those of these credentials that are being (or were) revoked.
pub async fn with_revocation(
    conn: &mut AnyConnection,
    backend: Backend,
    credentials: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    if credentials.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::in_order(backend);
    let filter = in_list("credential_id", credentials, &mut params);
    sqlx::query_scalar_with(
        &format!("SELECT credential_id FROM revocation WHERE {filter}"),
        params.args(),
    )
    .fetch_all(conn)
    .await
}
