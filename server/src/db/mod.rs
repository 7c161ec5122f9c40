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
pub mod behaviour;
pub mod bulk;
pub mod coverage;
pub mod credentials;
pub mod declared;
pub mod destinations;
pub mod endpoint;
pub mod iam;
pub mod imports;
pub mod issued_tokens;
pub mod lineage;
pub mod oidc;
pub mod overview;
pub mod ownership;
pub mod paths;
pub mod people;
pub mod platforms;
pub mod resources;
pub mod revocations;
pub mod risk;
pub mod schedule;
pub mod scim;
pub mod search;
pub mod sql;
pub mod staged;
pub mod throttle;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use model::api as json;
use sqlx::any::{AnyPoolOptions, AnyRow, install_default_drivers};
use sqlx::{AnyPool, Executor};

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The name reported by `/api/health`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Where the database is, as given by `--database`: a `postgres://` URL, or an
/// SQLite file given by path (or by a `sqlite:` URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An SQLite file, created on first use with its parent folders.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl FromStr for Target {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return Ok(Self::Postgres(value.to_owned()));
        }
        let path = value
            .strip_prefix("sqlite://")
            .or_else(|| value.strip_prefix("sqlite:"))
            .unwrap_or(value);
        Ok(Self::Sqlite(path.into()))
    }
}

impl Target {
    /// How the target is named in logs: never with a password.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite file {}", path.display()),
            Self::Postgres(url) => match url.split_once('@') {
                Some((_, host)) => format!("postgres://…@{host}"),
                None => url.clone(),
            },
        }
    }
}

/// The errors of opening a database.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The folder for the SQLite file could not be created.
    #[error("cannot create the folder {0} for the database: {1}")]
    Folder(String, #[source] std::io::Error),
    /// The database did not accept the connection.
    #[error("cannot connect to the {0}: {1}")]
    Connect(String, #[source] sqlx::Error),
    /// A schema migration failed.
    #[error("cannot apply the schema migrations: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Brings an SQLite schema up to date on one connection with foreign keys
/// off, as SQLite's procedure for changing a table's constraints needs (a
/// new table replaces the old under its name, and the tables that refer to
/// it must keep their references): the switch works only outside a
/// transaction, and each migration runs inside one. The foreign keys are
/// checked after, and switched back on.
async fn migrate_sqlite(pool: &AnyPool) -> Result<(), OpenError> {
    let mut conn = pool.acquire().await.map_err(|e| OpenError::Migrate(e.into()))?;
    conn.execute("PRAGMA foreign_keys = OFF")
        .await
        .map_err(|e| OpenError::Migrate(e.into()))?;
    let migrated = SQLITE_MIGRATIONS.run(&mut *conn).await;
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_optional(&mut *conn)
        .await;
    conn.execute("PRAGMA foreign_keys = ON")
        .await
        .map_err(|e| OpenError::Migrate(e.into()))?;
    migrated.map_err(OpenError::Migrate)?;
    match broken {
        Ok(None) => Ok(()),
        Ok(Some(_)) => Err(OpenError::Migrate(sqlx::migrate::MigrateError::Execute(
            sqlx::Error::Protocol(
                "a migration left rows whose foreign keys point nowhere (PRAGMA foreign_key_check)".into(),
            ),
        ))),
        Err(e) => Err(OpenError::Migrate(e.into())),
    }
}

/// A pool of connections to Muster's database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// Transactions of this process waiting for SQLite's write lock
    /// ([`Db::begin`]), which long work lets go first ([`Db::yield_to_writers`]).
    writers: std::sync::Arc<Writers>,
}

/// The transactions of this process that wait for SQLite's write lock.
#[derive(Debug, Default)]
struct Writers {
    /// Waiting now.
    waiting: AtomicUsize,
    /// Done waiting (the lock taken, or given up), ever.
    served: AtomicUsize,
}

/// Counts a transaction waiting for the write lock while it waits.
struct Waiting<'a>(&'a Writers);

impl<'a> Waiting<'a> {
    fn new(writers: &'a Writers) -> Self {
        writers.waiting.fetch_add(1, Ordering::SeqCst);
        Self(writers)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.served.fetch_add(1, Ordering::SeqCst);
        self.0.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Begins a transaction in a task of its own, so that a caller cancelled
/// while it begins (a client that hung up, a `select!`) does not cancel the
/// `BEGIN` half-way: sqlx would then hand the connection back to the pool
/// inside a transaction that nothing rolls back (launchbadge/sqlx#3932 for
/// SQLite, #4385 for PostgreSQL), and on SQLite it would hold the write lock
/// for good. Finished in its task, an abandoned transaction is dropped
/// whole, and rolled back.
async fn uncancelled(
    begin: impl Future<Output = Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error>> + Send + 'static,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    tokio::spawn(begin)
        .await
        .map_err(|join| sqlx::Error::Protocol(format!("beginning a transaction failed: {join}")))?
}

/// The longest long work waits for other writers between two of its steps.
const YIELD_AT_MOST: Duration = Duration::from_secs(2);

impl Db {
    /// Connects to `target` and brings its schema up to date.
    pub async fn open(target: &Target) -> Result<Self, OpenError> {
        install_default_drivers();
        let (url, backend, options) = match target {
            Target::Sqlite(path) => {
                create_parent(path)?;
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let options = AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers proceed during a write; the busy
                            // timeout queues writers instead of failing them.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            Ok(())
                        })
                    });
                (url, Backend::Sqlite, options)
            }
            Target::Postgres(url) => (
                url.clone(),
                Backend::Postgres,
                AnyPoolOptions::new().max_connections(16),
            ),
        };
        let pool = options
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await
            .map_err(|e| OpenError::Connect(target.redacted(), e))?;
        match backend {
            Backend::Sqlite => migrate_sqlite(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await.map_err(OpenError::Migrate)?,
        }
        Ok(Self {
            pool,
            backend,
            writers: std::sync::Arc::default(),
        })
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool itself, for the query modules.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`), waiting its turn under the busy
    /// timeout: a transaction that read first and wrote later would have to
    /// upgrade its lock, which SQLite may refuse at once with "database is
    /// locked" while another connection writes.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let (pool, writers) = (self.pool.clone(), self.writers.clone());
        match self.backend {
            Backend::Sqlite => {
                uncancelled(async move {
                    let _waiting = Waiting::new(&writers);
                    pool.begin_with("BEGIN IMMEDIATE").await
                })
                .await
            }
            Backend::Postgres => uncancelled(async move { pool.begin().await }).await,
        }
    }

    /// Between two steps of long work (an import's chunks), lets the
    /// transactions of this process that wait for SQLite's write lock go
    /// first: SQLite's busy handler polls with growing sleeps, so a writer
    /// that commits and begins again at once would win the lock nearly every
    /// time, and a decision or a sign-in would wait for the whole import.
    /// Only the writers waiting when it is called go first: waiting until
    /// nobody waits would starve the long work under a steady stream of
    /// writers (`make bench-load`: 120 findings a second). Waits at most
    /// [`YIELD_AT_MOST`]; PostgreSQL locks rows, not the database, and needs
    /// no turn-taking.
    pub async fn yield_to_writers(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        // `served` first: a writer done between the two reads then counts
        // as served, not as one still ahead.
        let served = self.writers.served.load(Ordering::SeqCst);
        let ahead = self.writers.waiting.load(Ordering::SeqCst);
        let started = std::time::Instant::now();
        while self.writers.waiting.load(Ordering::SeqCst) > 0
            && self.writers.served.load(Ordering::SeqCst).wrapping_sub(served) < ahead
            && started.elapsed() < YIELD_AT_MOST
        {
            tokio::time::sleep(Duration::from_millis(2)).await;
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

    /// Runs a list's page query and, when the page does not tell the total
    /// by itself, its count query (both sharing `params`); maps the rows.
    pub(crate) async fn list_page<T>(
        &self,
        count_sql: &str,
        rows_sql: &str,
        params: sql::Params,
        paging: &sql::Paging,
        map: impl Fn(&AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<json::Page<T>, crate::ApiError> {
        let rows = sqlx::query_with(rows_sql, params.args())
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(&map).collect::<Result<Vec<_>, _>>()?;
        // A short first page is the whole list: no need to count.
        let total = if paging.page == 1 && items.len() < paging.limit as usize {
            items.len() as i64
        } else {
            sqlx::query_scalar_with(count_sql, params.args())
                .fetch_one(&self.pool)
                .await?
        };
        Ok(paging.page(items, total))
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

fn create_parent(path: &Path) -> Result<(), OpenError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(|e| OpenError::Folder(parent.display().to_string(), e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_a_postgres_target_and_anything_else_a_file() {
        assert_eq!(
            "postgres://u:p@db/muster".parse::<Target>().unwrap(),
            Target::Postgres("postgres://u:p@db/muster".into())
        );
        assert_eq!(
            "data/m.sqlite".parse::<Target>().unwrap(),
            Target::Sqlite("data/m.sqlite".into())
        );
        assert_eq!(
            "sqlite:///tmp/m.db".parse::<Target>().unwrap(),
            Target::Sqlite("/tmp/m.db".into())
        );
    }

    #[test]
    fn both_engines_have_the_same_migrations_but_for_identity_columns_and_storage() {
        let folder = |engine: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(engine);
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            files
        };
        let (sqlite, postgres) = (folder("sqlite"), folder("postgres"));
        assert_eq!(
            sqlite
                .iter()
                .map(|p| p.file_name().unwrap().to_owned())
                .collect::<Vec<_>>(),
            postgres
                .iter()
                .map(|p| p.file_name().unwrap().to_owned())
                .collect::<Vec<_>>()
        );
        for (a, b) in sqlite.iter().zip(&postgres) {
            let a = std::fs::read_to_string(a).unwrap();
            // A change each engine can only make its own way says so on its first line.
            if a.starts_with("-- Engine-specific:") {
                assert!(
                    std::fs::read_to_string(b)
                        .unwrap()
                        .starts_with("-- Engine-specific:")
                );
                continue;
            }
            // `WITHOUT ROWID` is how SQLite stores a table, not what it holds.
            let a = a.replace(") WITHOUT ROWID;", ");");
            // SQLite's AUTOINCREMENT is PostgreSQL's identity: neither reuses an id.
            let a = a.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER PRIMARY KEY");
            let b = std::fs::read_to_string(b).unwrap().replace(
                "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                "INTEGER PRIMARY KEY",
            );
            assert_eq!(a, b, "the two engines' schemas differ");
        }
    }

    #[test]
    fn a_redacted_postgres_target_hides_its_password() {
        let target: Target = "postgres://muster:s3cret@db.internal:5432/muster"
            .parse()
            .unwrap();
        assert_eq!(target.redacted(), "postgres://…@db.internal:5432/muster");
    }
}
