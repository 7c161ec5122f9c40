//! Queries of the audit log: its head, its entries, the chain's recorded
//! verifications. What an entry is and how the chain is judged is
//! [`crate::audit`]'s.

use model::api as json;
use sqlx::AnyConnection;

use super::sql::{self, Paging, Params, Sort, timestamp};
use super::{Db, Total};
use crate::ApiError;
use crate::audit::chain::Stored;

/// The head's number and hash, taking its row's write lock first, so that
/// appenders take turns (PostgreSQL's row lock; SQLite has one writer anyway).
pub async fn lock_head(conn: &mut AnyConnection) -> Result<(i64, String), sqlx::Error> {
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    head(conn).await
}

/// The head's number and hash.
pub async fn head(conn: &mut AnyConnection) -> Result<(i64, String), sqlx::Error> {
    sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(conn)
        .await
}

/// Appends an entry and moves the head to it.
pub async fn insert(conn: &mut AnyConnection, stored: &Stored) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_event (seq, occurred_at, actor_kind, actor, action, target, details, \
         source_address, request_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(stored.seq)
    .bind(&stored.occurred_at)
    .bind(&stored.actor_kind)
    .bind(&stored.actor)
    .bind(&stored.action)
    .bind(&stored.target)
    .bind(&stored.details)
    .bind(&stored.source_address)
    .bind(&stored.request_id)
    .bind(&stored.prev_hash)
    .bind(&stored.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(stored.seq)
        .bind(&stored.hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Up to `limit` entries after number `after`, oldest first.
pub async fn page_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<Stored>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await
}

/// Whether an entry after number `seq` has the hash `hash`.
pub async fn later_has_hash(conn: &mut AnyConnection, seq: i64, hash: &str) -> Result<bool, sqlx::Error> {
    let later: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event WHERE seq > $1 AND hash = $2")
        .bind(seq)
        .bind(hash)
        .fetch_one(conn)
        .await?;
    Ok(later > 0)
}

/// How many entries there are.
pub async fn count(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_event")
        .fetch_one(conn)
        .await
}

/// The entries after `after` up to `last` (by number), oldest first.
pub async fn between(conn: &mut AnyConnection, after: i64, last: i64) -> Result<Vec<Stored>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM audit_event WHERE seq > $1 AND seq <= $2 ORDER BY seq")
        .bind(after)
        .bind(last)
        .fetch_all(conn)
        .await
}

/// The entries between two times (inclusive), oldest first.
pub async fn in_period(
    db: &Db,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<Vec<Stored>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM audit_event WHERE occurred_at >= $1 AND occurred_at <= $2 ORDER BY seq")
        .bind(since.unwrap_or(""))
        .bind(until.unwrap_or("9999"))
        .fetch_all(db.pool())
        .await
}

/// How the audit list may be sorted: by number only, newest first by default
/// (numbers follow time, and a number is unique).
const SORTS: &[Sort] = &[Sort::by("-seq", "seq")];

/// `GET /api/v1/audit`: a page of entries matching the filters.
pub async fn list(db: &Db, query: &json::AuditQuery) -> Result<json::Page<json::AuditEntry>, ApiError> {
    let paging = Paging::new(query.page, query.limit, query.sort.as_deref(), SORTS, "seq")?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    for (column, value) in [("actor", &query.actor), ("target", &query.target)] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            conditions.push(format!("{column} = {}", params.bind(value.to_owned())));
        }
    }
    if let Some(action) = query.action.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        // `session.` names a family of actions; anything else one action.
        if action.ends_with('.') {
            let pattern = params.bind(format!("{}%", sql::escape_like(action)));
            conditions.push(format!("action LIKE {pattern} ESCAPE '\\'"));
        } else {
            conditions.push(format!("action = {}", params.bind(action.to_owned())));
        }
    }
    if let Some(since) = query.since {
        conditions.push(format!("occurred_at >= {}", params.bind(timestamp(since))));
    }
    if let Some(until) = query.until {
        conditions.push(format!("occurred_at <= {}", params.bind(timestamp(until))));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::text_match(
            &mut params,
            db.backend(),
            &["details", "actor", "target"],
            text,
        ));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        Total::Counted,
        &format!("SELECT COUNT(*) FROM audit_event {filter}"),
        &format!("SELECT * FROM audit_event {filter} {}", paging.tail()),
        params,
        &paging,
        |row| <Stored as sqlx::FromRow<'_, sqlx::any::AnyRow>>::from_row(row).map(Stored::into_wire),
    )
    .await
}

/// Records a walk of the chain.
pub async fn insert_verification(db: &Db, chain: &json::AuditChain) -> Result<(), sqlx::Error> {
    db.execute(sqlx::query(
        "INSERT INTO audit_verification (checked_at, checked_by, entries, valid, first_bad, tampering, head_hash, \
         took_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&chain.checked_at)
    .bind(&chain.checked_by)
    .bind(chain.entries)
    .bind(chain.valid)
    .bind(chain.first_bad)
    .bind(&chain.tampering)
    .bind(&chain.head_hash)
    .bind(chain.took_ms)
    )
    .await?;
    Ok(())
}

/// A recorded verification's row.
#[derive(Debug, sqlx::FromRow)]
struct VerificationRow {
    checked_at: String,
    checked_by: String,
    entries: i64,
    valid: i64,
    first_bad: Option<i64>,
    tampering: Option<String>,
    head_hash: String,
    took_ms: i64,
}

/// The last recorded verification, if any.
pub async fn last_verification(db: &Db) -> Result<Option<json::AuditChain>, sqlx::Error> {
    let row: Option<VerificationRow> = sqlx::query_as(
        "SELECT checked_at, checked_by, entries, valid, first_bad, tampering, head_hash, took_ms \
         FROM audit_verification ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|row| json::AuditChain {
        intact: row.first_bad.is_none(),
        entries: row.entries,
        valid: row.valid,
        first_bad: row.first_bad,
        tampering: row.tampering,
        head_hash: row.head_hash,
        checked_at: row.checked_at,
        checked_by: row.checked_by,
        took_ms: row.took_ms,
    }))
}
