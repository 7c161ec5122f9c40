//! Queries of the evidence pack ([`crate::evidence`]): a period's posture,
//! approvals, revocations, imports and leavers, and the audit chain's heads
//! at its ends, read in the pack's one read transaction.

use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

/// A day of the organisation's posture.
#[derive(Debug, FromRow, Serialize)]
pub struct PostureRow {
    pub day: String,
    pub agents: i64,
    pub agents_owned: i64,
    pub credentials: i64,
    pub credentials_owned: i64,
    pub orphaned: i64,
    pub critical: i64,
    pub high: i64,
}

/// A revocation with how many of its copies were resolved.
#[derive(Debug, FromRow, Serialize)]
pub struct RevocationRow {
    pub id: i64,
    pub credential_id: i64,
    pub credential: String,
    pub state: String,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: String,
    pub updated_at: String,
    pub copies: i64,
    pub copies_resolved: i64,
}

/// An import run.
#[derive(Debug, FromRow, Serialize)]
pub struct ImportRow {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub full_import: i64,
    pub started_at: String,
    pub finished_at: String,
    pub imported_by: String,
    pub findings: i64,
    pub skipped: i64,
    pub credentials_created: i64,
    pub copies_created: i64,
    pub copies_removed: i64,
}

/// A person who left, with what they still own.
#[derive(Debug, FromRow)]
pub struct LeaverRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub departed_at: String,
    pub agents_left: i64,
    pub credentials_left: i64,
}

/// The organisation's posture, a row a day, from `start` to before `end`.
pub async fn posture(
    conn: &mut AnyConnection,
    start: &str,
    end: &str,
) -> Result<Vec<PostureRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT day, agents, agents_owned, credentials, credentials_owned, orphaned, critical, high \
         FROM posture_snapshot WHERE team_id = 0 AND day >= $1 AND day < $2 ORDER BY day",
    )
    .bind(start)
    .bind(end)
    .fetch_all(conn)
    .await
}

/// The approval requests made in the period.
pub async fn approval_requests(
    conn: &mut AnyConnection,
    start: &str,
    end: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM approval_request WHERE created_at >= $1 AND created_at < $2 ORDER BY id",
    )
    .bind(start)
    .bind(end)
    .fetch_all(conn)
    .await
}

/// The revocations under way during the period.
pub async fn revocations(
    conn: &mut AnyConnection,
    start: &str,
    end: &str,
) -> Result<Vec<RevocationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT v.id, v.credential_id, c.name AS credential, v.state, v.reason, v.requested_by, v.requested_at, \
         v.updated_at, (SELECT COUNT(*) FROM revocation_copy rc WHERE rc.revocation_id = v.id) AS copies, \
         (SELECT COUNT(*) FROM revocation_copy rc WHERE rc.revocation_id = v.id AND rc.state <> 'pending') \
         AS copies_resolved FROM revocation v JOIN credential c ON c.id = v.credential_id \
         WHERE v.requested_at < $2 AND v.updated_at >= $1 ORDER BY v.id",
    )
    .bind(start)
    .bind(end)
    .fetch_all(conn)
    .await
}

/// The imports started in the period.
pub async fn imports(
    conn: &mut AnyConnection,
    start: &str,
    end: &str,
) -> Result<Vec<ImportRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, kind, source, full_import, started_at, finished_at, imported_by, findings, skipped, \
         credentials_created, copies_created, copies_removed FROM import_run \
         WHERE started_at >= $1 AND started_at < $2 ORDER BY id",
    )
    .bind(start)
    .bind(end)
    .fetch_all(conn)
    .await
}

/// The number and hash of the last audit entry before `before`, if any.
pub async fn head_before(
    conn: &mut AnyConnection,
    before: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, hash FROM audit_event WHERE seq = (SELECT MAX(seq) FROM audit_event WHERE occurred_at < $1)",
    )
    .bind(before)
    .fetch_optional(conn)
    .await
}

/// When the oldest audit entry kept was appended.
pub async fn oldest_entry(conn: &mut AnyConnection) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT MIN(occurred_at) FROM audit_event")
        .fetch_one(conn)
        .await
}

/// The people who left in the period, with what they still own.
pub async fn leavers(
    conn: &mut AnyConnection,
    start: &str,
    end: &str,
) -> Result<Vec<LeaverRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.name, p.email, p.departed_at, \
         (SELECT COUNT(*) FROM agent a WHERE a.owner_id = p.id) AS agents_left, \
         (SELECT COUNT(*) FROM credential c WHERE c.owner_id = p.id AND c.status = 'active') AS credentials_left \
         FROM person p WHERE p.status = 'departed' AND p.departed_at >= $1 AND p.departed_at < $2 ORDER BY p.departed_at",
    )
    .bind(start)
    .bind(end)
    .fetch_all(conn)
    .await
}

/// Every change of ownership audited since `since`: when, and its details.
pub async fn ownership_moves_since(
    conn: &mut AnyConnection,
    since: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT occurred_at, details FROM audit_event WHERE action IN ('owner.assign', 'owner.transfer') \
         AND occurred_at >= $1 ORDER BY seq",
    )
    .bind(since)
    .fetch_all(conn)
    .await
}
