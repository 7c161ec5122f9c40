//! Opening the database: which engine ([`Backend`]) and where ([`Target`]),
//! connecting to it and bringing its schema up to date ([`Db::open`]).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use super::{BUSY_TIMEOUT, Db, migrations};

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
    let migrator = migrations::migrator(Backend::Sqlite)
        .await
        .map_err(OpenError::Migrate)?;
    let migrated = migrator.run(&mut *conn).await;
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

/// How much of an SQLite file is read through a memory map (SQLite's
/// largest by default, 2 GiB; the rest is read as usual).
const MMAP_SIZE: u64 = 0x7fff_0000;

impl Db {
    /// Connects to `target` and brings its schema up to date.
    pub async fn open(target: &Target) -> Result<Self, OpenError> {
        install_default_drivers();
        let (url, backend, options, wal) = match target {
            Target::Sqlite(path) => {
                create_parent(path)?;
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let options = AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers proceed during a write; the busy
                            // timeout queues writers instead of failing them.
                            // Mapped rather than read, pages cost no copy: every
                            // commit empties the other connections' page caches,
                            // and under load their reads were mostly `pread`.
                            conn.execute(
                                format!(
                                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {}; \
                                     PRAGMA mmap_size = {MMAP_SIZE};",
                                    BUSY_TIMEOUT.as_millis()
                                )
                                .as_str(),
                            )
                            .await?;
                            Ok(())
                        })
                    });
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                (
                    url,
                    Backend::Sqlite,
                    options,
                    Some(std::sync::Arc::new(wal.into())),
                )
            }
            Target::Postgres(url) => (
                url.clone(),
                Backend::Postgres,
                AnyPoolOptions::new().max_connections(16),
                None,
            ),
        };
        let pool = options
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await
            .map_err(|e| OpenError::Connect(target.redacted(), e))?;
        match backend {
            Backend::Sqlite => migrate_sqlite(&pool).await?,
            Backend::Postgres => migrations::migrator(Backend::Postgres)
                .await
                .map_err(OpenError::Migrate)?
                .run(&pool)
                .await
                .map_err(OpenError::Migrate)?,
        }
        Ok(Self {
            pool,
            backend,
            turn: std::sync::Arc::default(),
            wal,
            wal_failed: std::sync::Arc::default(),
            totals: std::sync::Arc::default(),
        })
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
    fn a_redacted_postgres_target_hides_its_password() {
        let target: Target = "postgres://muster:s3cret@db.internal:5432/muster"
            .parse()
            .unwrap();
        assert_eq!(target.redacted(), "postgres://…@db.internal:5432/muster");
    }
}
