//! Queries of large imports read in steps ([`crate::import::staged`]): the
//! run's state and heartbeat, its staged records, and taking over a run
//! whose importer stopped.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::sql::{Value, parse_time, timestamp};
use super::{Backend, Db, bulk};

/// A run's state ([`crate::import::staged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Its reports are being read into `import_item`; nothing is applied.
    Staging,
    /// Its records are being joined to the inventory.
    Applying,
    /// Applied, or discarded: over.
    Done,
}

impl RunState {
    /// Every state.
    pub const ALL: [RunState; 3] = [Self::Staging, Self::Applying, Self::Done];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staging => "staging",
            Self::Applying => "applying",
            Self::Done => "done",
        }
    }

    /// The state stored as `text`, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

/// Starts a run in the `staging` state held by `holder`, its heartbeat
/// beating from `now`; `None` when an import of the same source is under
/// way (one at a time: `import_run_one_at_a_time`).
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &Db,
    kind: model::api::ImportKind,
    found_by: &str,
    full: bool,
    by: &str,
    request: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let created = sqlx::query_scalar(
        "INSERT INTO import_run (kind, source, full_import, started_at, finished_at, imported_by, findings, \
         skipped, credentials_created, copies_created, copies_removed, state, heartbeat_at, request, holder) \
         VALUES ($1, $2, $3, $4, $4, $5, 0, 0, 0, 0, 0, 'staging', $4, $6, $7) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(found_by)
    .bind(i32::from(full))
    .bind(timestamp(now))
    .bind(by)
    .bind(request)
    .bind(holder)
    .fetch_one(&mut *tx)
    .await;
    match created {
        Ok(id) => {
            tx.commit().await?;
            Ok(Some(id))
        }
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            tx.rollback().await?;
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// The run of `found_by` under way, if any.
pub async fn under_way(db: &Db, found_by: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM import_run WHERE source = $1 AND state <> 'done'")
        .bind(found_by)
        .fetch_optional(db.pool())
        .await
}

/// Stores records `first..` of run `run`, each as its JSON.
pub async fn stage(
    conn: &mut AnyConnection,
    backend: Backend,
    run: i64,
    first: i64,
    items: Vec<String>,
) -> Result<(), sqlx::Error> {
    let mut rows = Vec::with_capacity(items.len() * 3);
    for (seq, item) in (first..).zip(items) {
        rows.extend([Value::Int(run), Value::Int(seq), Value::Text(item)]);
    }
    bulk::insert(conn, backend, "import_item", &["import_id", "seq", "item"], &rows).await
}

/// Moves a run read whole from `staging` to `applying`, with the counts
/// its reading made; answers whether `holder` still held it.
pub async fn start_applying(
    db: &Db,
    run: i64,
    holder: &str,
    findings: i64,
    skipped: i64,
) -> Result<bool, sqlx::Error> {
    db.execute(
        sqlx::query(
            "UPDATE import_run SET state = 'applying', findings = $2, skipped = $3 \
         WHERE id = $1 AND state = 'staging' AND holder = $4",
        )
        .bind(run)
        .bind(findings)
        .bind(skipped)
        .bind(holder),
    )
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Inside a step's transaction: beats the heartbeat and records the
/// counts so far, if `holder` still holds the run; answers whether it does.
/// The row stays locked until the step commits, so a takeover waits for the
/// step or wins before it (and the step then rolls back).
pub async fn fence(
    conn: &mut AnyConnection,
    run: i64,
    holder: &str,
    progress: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "UPDATE import_run SET heartbeat_at = $3, progress = $4 WHERE id = $1 AND holder = $2 AND state = 'applying'",
    )
    .bind(run)
    .bind(holder)
    .bind(timestamp(now))
    .bind(progress)
    .execute(conn)
    .await
    .map(|done| done.rows_affected() == 1)
}

/// Deletes the activity events a run's earlier importer recorded before it
/// stopped, so that applying it again records (and rolls up) each once.
pub async fn forget_events(db: &Db, run: i64) -> Result<(), sqlx::Error> {
    db.execute(sqlx::query("DELETE FROM activity_event WHERE import_id = $1").bind(run))
        .await
        .map(|_| ())
}

/// Deletes a run `holder` holds that never left `staging` (its records
/// first): nothing of it was applied, and an import that failed leaves
/// nothing behind.
pub async fn forget(db: &Db, run: i64, holder: &str) -> Result<(), sqlx::Error> {
    db.execute(
        sqlx::query("DELETE FROM import_run WHERE id = $1 AND state = 'staging' AND holder = $2")
            .bind(run)
            .bind(holder),
    )
    .await
    .map(|_| ())
}

/// Beats a run's heartbeat while `holder` holds it: its importer is alive.
/// A transaction of its own, so that long work lets it go first.
pub async fn beat(db: &Db, run: i64, holder: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE import_run SET heartbeat_at = $2 WHERE id = $1 AND holder = $3 AND state IN ('staging', 'applying')",
    )
    .bind(run)
    .bind(timestamp(now))
    .bind(holder)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// A run as stored, to apply it (again).
#[derive(Debug, sqlx::FromRow)]
struct RunRow {
    request: String,
    started_at: String,
    findings: i64,
    skipped: i64,
    progress: String,
}

/// What [`run`] answers: the request as stored (JSON), when the run
/// started, and its reading's counts.
#[derive(Debug)]
pub struct Run {
    /// The request, as JSON.
    pub request: String,
    /// When it started: the time its findings are seen at.
    pub started_at: DateTime<Utc>,
    /// Records read.
    pub findings: i64,
    /// Records read with nothing to import (a redacted secret).
    pub skipped: i64,
    /// The counts its steps recorded (JSON), empty before the first.
    pub progress: String,
}

/// Run `run`, if it exists.
pub async fn run(db: &Db, run: i64) -> Result<Option<Run>, sqlx::Error> {
    let row: Option<RunRow> = sqlx::query_as(
        "SELECT request, started_at, findings, skipped, progress FROM import_run WHERE id = $1",
    )
    .bind(run)
    .fetch_optional(db.pool())
    .await?;
    row.map(|row| {
        Ok(Run {
            started_at: parse_time("started_at", &row.started_at)?,
            request: row.request,
            findings: row.findings,
            skipped: row.skipped,
            progress: row.progress,
        })
    })
    .transpose()
}

/// A staged record: its place in the run, and its JSON.
#[derive(Debug, sqlx::FromRow)]
pub struct Item {
    /// Its place.
    pub seq: i64,
    /// Its JSON.
    pub item: String,
}

/// Up to `limit` of a run's records after `after`, in the order read.
pub async fn items(db: &Db, run: i64, after: i64, limit: i64) -> Result<Vec<Item>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, item FROM import_item WHERE import_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(run)
    .bind(after)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Deletes up to `limit` of a run's records; answers how many went.
pub async fn drop_items(db: &Db, run: i64, limit: i64) -> Result<u64, sqlx::Error> {
    db.execute(
        sqlx::query(
            "DELETE FROM import_item WHERE import_id = $1 AND seq IN \
         (SELECT seq FROM import_item WHERE import_id = $1 ORDER BY seq LIMIT $2)",
        )
        .bind(run)
        .bind(limit),
    )
    .await
    .map(|done| done.rows_affected())
}

/// Runs in `staging` or `applying` whose heartbeat stopped before `stale`.
pub async fn stale(db: &Db, stale: DateTime<Utc>) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, state FROM import_run WHERE state IN ('staging', 'applying') \
         AND (heartbeat_at IS NULL OR heartbeat_at < $1) ORDER BY id",
    )
    .bind(timestamp(stale))
    .fetch_all(db.pool())
    .await
}

/// Takes over a run whose heartbeat stopped before `stale` for `holder`,
/// beating it at `now`: a compare-and-set that one replica wins, after
/// which its earlier importer's steps no longer commit ([`fence`]).
pub async fn take_over(
    db: &Db,
    run: i64,
    state: RunState,
    holder: &str,
    stale: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = db
        .execute(
            sqlx::query(
                "UPDATE import_run SET heartbeat_at = $4, holder = $5 WHERE id = $1 AND state = $2 \
         AND (heartbeat_at IS NULL OR heartbeat_at < $3)",
            )
            .bind(run)
            .bind(state.as_str())
            .bind(timestamp(stale))
            .bind(timestamp(now))
            .bind(holder),
        )
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Finished runs that still have staged records (their importer stopped
/// while deleting them).
pub async fn leftovers(db: &Db) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM import_run WHERE state = 'done' \
         AND EXISTS (SELECT 1 FROM import_item i WHERE i.import_id = import_run.id) ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
}
