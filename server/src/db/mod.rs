//! Storage: one connection pool over SQLite (the default, one file, zero set-up)
//! or PostgreSQL (for several replicas), with the same schema on both.
//!
//! Queries are written once, in portable SQL with `$1`-style placeholders
//! (which SQLite also understands), and run through sqlx's `Any` driver. Only
//! the DDL differs where the two dialects must (identity columns), so each
//! backend has its own, checked-in migration folder with the same tables.

pub mod accounts;
pub mod agent_tokens;
pub mod agents;
pub mod approvals;
pub mod audit;
pub mod behaviour;
pub mod bulk;
pub mod coverage;
pub mod credentials;
pub mod declared;
pub mod destinations;
pub mod endpoint;
pub mod evidence;
pub mod iam;
pub mod imports;
pub mod issued_tokens;
pub mod lineage;
pub mod migrations;
pub mod notify;
pub mod oidc;
pub mod outbox;
pub mod overview;
pub mod ownership;
pub mod paths;
pub mod people;
pub mod platforms;
pub mod resources;
pub mod reviews;
pub mod revocations;
pub mod risk;
pub mod schedule;
pub mod scim;
pub mod scores;
pub mod search;
pub mod sql;
pub mod staged;
pub mod throttle;

mod list;
mod open;
mod steps;

use std::collections::HashMap;
use std::time::Duration;

use sqlx::{AnyPool, Executor};

pub(crate) use list::Total;
pub use open::{Backend, OpenError, Target};
pub(crate) use steps::Pace;

/// A pool of connections to Muster's database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// This process's turn to write to SQLite ([`Db::begin`]).
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// SQLite's write-ahead log, kept short by [`Db::keep_wal_short`].
    wal: Option<std::sync::Arc<std::path::PathBuf>>,
    /// When emptying the write-ahead log last failed.
    wal_failed: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// The inventory lists' totals, by count query and parameters, with
    /// the generation they were counted at ([`Total::KeptUntilChange`]).
    totals: std::sync::Arc<std::sync::Mutex<HashMap<String, (Generation, i64)>>>,
}

/// The inventory's state as far as counting it goes ([`Db::generation`]):
/// equal generations, equal counts.
pub type Generation = (i64, String);

/// A transaction that writes ([`Db::begin`]), used as the connection it
/// runs on. On SQLite it holds this process's turn to write until it is
/// committed or rolled back; dropped, it is rolled back and only then
/// passes the turn on (else the next writer would find SQLite still locked
/// and wait in its busy handler).
#[derive(Debug)]
pub struct Tx {
    /// Always present until committed, rolled back or dropped.
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Tx {
    /// Commits, then passes the turn on.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.tx.take().expect("a live transaction").commit().await
    }

    /// Rolls back, then passes the turn on.
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        self.tx.take().expect("a live transaction").rollback().await
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        let (Some(tx), Some(turn)) = (self.tx.take(), self.turn.take()) else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = tx.rollback().await {
                        tracing::warn!(error = ?error, "rolling back an abandoned transaction failed");
                    }
                    drop(turn);
                });
            }
            // No runtime left (the process is ending): sqlx rolls back on drop.
            Err(_) => drop((tx, turn)),
        }
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        self.tx.as_ref().expect("a live transaction")
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.tx.as_mut().expect("a live transaction")
    }
}

/// Begins a transaction in a task of its own, so that a caller cancelled
/// while it begins (a client that hung up, a `select!`) does not cancel the
/// `BEGIN` half-way: sqlx would then hand the connection back to the pool
/// inside a transaction that nothing rolls back (launchbadge/sqlx#3932 for
/// SQLite, #4385 for PostgreSQL), and on SQLite it would hold the write lock
/// for good. Finished in its task, an abandoned transaction is dropped
/// whole, and rolled back.
async fn uncancelled<T: Send + 'static>(
    begin: impl Future<Output = Result<T, sqlx::Error>> + Send + 'static,
) -> Result<T, sqlx::Error> {
    tokio::spawn(begin)
        .await
        .map_err(|join| sqlx::Error::Protocol(format!("beginning a transaction failed: {join}")))?
}

/// The size past which SQLite's write-ahead log is emptied ([`Db::keep_wal_short`]).
const WAL_LIMIT: u64 = 64 << 20;

/// The longest emptying the write-ahead log waits for the readers using it
/// (and holds other writers back meanwhile).
const WAL_WAIT: Duration = Duration::from_millis(500);

/// How long after a failed try the write-ahead log is left alone.
const WAL_RETRY: Duration = Duration::from_secs(5);

/// SQLite's busy timeout: writers queue this long for the write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Db {
    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool itself, for the query modules.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Runs one statement that writes, in a turn of its own ([`Db::begin`]):
    /// a write sent to the pool directly would wait for SQLite's lock in the
    /// busy handler, which polls, and loses to the writers queued for their
    /// turn (sign-ins waited seconds behind an import's steps that way).
    /// The structure test `every_write_takes_its_turn` keeps it so.
    pub async fn execute<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> Result<sqlx::any::AnyQueryResult, sqlx::Error> {
        if self.backend == Backend::Postgres {
            // Row locks, no turns: a statement is a transaction of its own.
            return query.execute(&self.pool).await;
        }
        let mut tx = self.begin().await?;
        let done = query.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Begins a transaction that will write. On SQLite, writers take turns:
    /// first this process's turn, in the order asked (a fair queue, handed
    /// on the moment the transaction before ends), then the write lock at
    /// once (`BEGIN IMMEDIATE`: a transaction that read first and wrote
    /// later would have to upgrade its lock, which SQLite may refuse at once
    /// with "database is locked").
    ///
    /// Without the queue, writers waited in SQLite's busy handler, which
    /// polls with sleeps of up to 100 ms: the lock stood idle between two
    /// writers, and under `make bench-load` an import applied about 120
    /// findings a second between the decisions and sign-ins. Other
    /// processes on the same file (the command line) still wait in the busy
    /// handler. A turn not given within the busy timeout is a busy database
    /// (503), as SQLite's own would be.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let pool = self.pool.clone();
        match self.backend {
            Backend::Sqlite => {
                // Waiting for the turn can be cancelled: the waiter leaves the queue.
                let turn = tokio::time::timeout(BUSY_TIMEOUT, self.turn.clone().lock_owned())
                    .await
                    .map_err(|_| sqlx::Error::PoolTimedOut)?;
                // The turn goes with the `BEGIN` into its task: a caller
                // cancelled meanwhile drops the transaction there, which
                // rolls it back before passing the turn on.
                uncancelled(async move {
                    let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    Ok(Tx {
                        tx: Some(tx),
                        turn: Some(turn),
                    })
                })
                .await
            }
            Backend::Postgres => {
                uncancelled(async move {
                    Ok(Tx {
                        tx: Some(pool.begin().await?),
                        turn: None,
                    })
                })
                .await
            }
        }
    }

    /// Between two steps of long work (an import's chunks): the writers
    /// that asked for their turn meanwhile are ahead in the queue
    /// ([`Db::begin`]), and go first; then the write-ahead log is emptied
    /// if the work grew it ([`Db::keep_wal_short`]). PostgreSQL locks rows,
    /// not the database, and needs no turns.
    pub async fn between_steps(&self) {
        tokio::task::yield_now().await;
        self.keep_wal_short().await;
    }

    /// Empties SQLite's write-ahead log once it has grown past [`WAL_LIMIT`]
    /// (between two steps of long work, and at every tick of the scheduled
    /// work). SQLite copies the log into the database after commits, but
    /// writes it from its start again only when a writer begins at a moment
    /// no reader is using it; under overlapping reads (sessions browsing
    /// while an import writes) that moment never came, and the log grew by
    /// gigabytes in one import. `wal_checkpoint(TRUNCATE)` holds new writers
    /// back and waits for the readers still using the log, at most
    /// [`WAL_WAIT`] (a reader that begins meanwhile reads the database
    /// itself), then truncates it. If the readers are not done by then it
    /// gives up, and the next call tries again.
    pub async fn keep_wal_short(&self) {
        let Some(wal) = &self.wal else {
            return;
        };
        if std::fs::metadata(wal.as_ref()).map_or(true, |file| file.len() < WAL_LIMIT) {
            return;
        }
        // Each try holds writers back for up to `WAL_WAIT`: after one that
        // failed (a long reader), the next waits a while.
        {
            let mut tried = self.wal_failed.lock().expect("never poisoned");
            if tried.is_some_and(|at| at.elapsed() < WAL_RETRY) {
                return;
            }
            *tried = None;
        }
        let pool = self.pool.clone();
        // In a task of its own, so that a cancelled caller cannot hand the
        // connection back with the short busy timeout.
        let emptied = tokio::spawn(async move {
            let mut conn = pool.acquire().await?;
            let emptied = async {
                conn.execute(format!("PRAGMA busy_timeout = {}", WAL_WAIT.as_millis()).as_str())
                    .await?;
                let emptied: Result<(i64, i64, i64), sqlx::Error> =
                    sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                        .fetch_one(&mut *conn)
                        .await;
                conn.execute(format!("PRAGMA busy_timeout = {}", BUSY_TIMEOUT.as_millis()).as_str())
                    .await?;
                emptied
            }
            .await;
            if emptied.is_err() {
                // It may still have the short busy timeout: not back to the pool.
                conn.close_on_drop();
            }
            emptied
        })
        .await;
        let done = match emptied {
            Ok(Ok((0, _, _))) => true,
            // Readers still used it: the next call tries again.
            Ok(Ok(_)) => false,
            Ok(Err(sqlx::Error::Database(error)))
                if crate::error::is_contention(error.code().as_deref(), error.message()) =>
            {
                false
            }
            Ok(Err(error)) => {
                tracing::warn!(error = ?error, "cannot empty the write-ahead log");
                false
            }
            Err(join) => {
                tracing::warn!(error = ?join, "cannot empty the write-ahead log");
                false
            }
        };
        if !done {
            *self.wal_failed.lock().expect("never poisoned") = Some(std::time::Instant::now());
        }
    }

    /// Begins a transaction that only reads, from one consistent snapshot
    /// (PostgreSQL's repeatable read; on SQLite, any read transaction in WAL
    /// mode), for answers assembled from several queries.
    pub async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let pool = self.pool.clone();
        match self.backend {
            Backend::Sqlite => uncancelled(async move { pool.begin().await }).await,
            Backend::Postgres => {
                uncancelled(async move {
                    pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                        .await
                })
                .await
            }
        }
    }

    /// Refreshes PostgreSQL's statistics of `tables` (ours, never user
    /// text), after an import grew them: a plan cached while a table was
    /// nearly empty (a nested loop over what is now a million rows) is
    /// planned again. SQLite plans without such statistics.
    pub async fn analyze(&self, tables: &[&'static str]) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Postgres {
            sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }

    /// The inventory's generation: the newest audit entry of a change to
    /// the inventory (every change is audited in its own transaction;
    /// approvals and sign-ins change no count kept) and the newest
    /// unaudited score change (`risk::SCORES_CHANGED`). Read from the
    /// database, so that a change made on another replica counts too; two
    /// index lookups.
    pub async fn generation(&self) -> Result<Generation, sqlx::Error> {
        sqlx::query_as(
            // The same condition as the partial index `audit_event_inventory`.
            "SELECT (SELECT COALESCE(MAX(seq), 0) FROM audit_event \
             WHERE substr(action, 1, 9) <> 'approval.' AND substr(action, 1, 8) <> 'session.'), \
             COALESCE((SELECT value FROM setting WHERE name = $1), '')",
        )
        .bind(risk::SCORES_CHANGED)
        .fetch_one(&self.pool)
        .await
    }

    /// Answers 404 unless `table` (one of ours, never user text, named as the
    /// entity it holds) has a row with this id.
    pub(crate) async fn must_exist(&self, table: &'static str, id: i64) -> Result<(), crate::ApiError> {
        let found: Option<i64> = sqlx::query_scalar(&format!("SELECT id FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        found
            .map(|_| ())
            .ok_or_else(|| crate::ApiError::NotFound(format!("no {table} with id {id}")))
    }

    /// Closes every connection (at shutdown, so SQLite checkpoints its WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// How long one step of a long piece of work should hold the write lock:
/// long enough to amortise a commit, short enough that a decision or a
/// sign-in waiting behind it does not notice.
pub(crate) const STEP: std::time::Duration = std::time::Duration::from_millis(100);
