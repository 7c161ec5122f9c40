//! The harness of Muster's end-to-end tests: [`spawn_app`] starts the real
//! server on a free port with a fresh database (SQLite, or PostgreSQL when
//! `MUSTER_TEST_POSTGRES` is set), and [`browser`] drives headless Chromium.
#![forbid(unsafe_code)]

pub mod approvals;
pub mod bench;
pub mod browser;
pub mod idp;
#[cfg(test)]
mod layers;
pub mod notify;
pub mod reports;
pub mod reviews;
pub mod scim;
#[cfg(test)]
mod sql_values;
pub mod webhook;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use muster_server::db::{Db, Target};
use muster_server::{AppState, Settings};
use sqlx::{Connection, Executor, PgConnection};

/// The database engine a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on the PostgreSQL server named by `MUSTER_TEST_POSTGRES`.
    Postgres,
}

/// The PostgreSQL server used when `MUSTER_TEST_POSTGRES` is `1`/`true`
/// rather than a URL: the machine's local server, as CI has it.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Declares each listed `async fn name(backend: Backend)` as two tests,
/// `sqlite::name` and `postgres::name`. Without `MUSTER_TEST_POSTGRES` the
/// PostgreSQL variants are reported as ignored, with the reason "skipped".
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                #[cfg_attr(
                    not(postgres_tests),
                    ignore = "skipped: set MUSTER_TEST_POSTGRES to run on PostgreSQL"
                )]
                async fn $test() {
                    super::$test($crate::Backend::Postgres).await
                }
            )+
        }
    };
}

/// The password of every test account.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub address: String,
    /// A client signed in as `viewer@muster.test` (role viewer), sending the
    /// web app's `X-Muster-Client` header. It never follows redirects.
    pub client: reqwest::Client,
    /// A client nobody signed in with.
    pub anonymous: reqwest::Client,
    /// The server's own pool, for checks behind the API's back.
    pub db: Db,
    /// The running server's tasks (the HTTP server and its workers).
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl TestApp {
    /// Creates an account with `roles` (and [`TEST_PASSWORD`]) unless it
    /// exists, signs in, and returns a client carrying its session cookie and
    /// the web app's header.
    pub async fn signed_in_as(&self, email: &str, roles: &[model::api::Role]) -> reqwest::Client {
        if muster_server::db::accounts::by_email(&self.db, email)
            .await
            .unwrap()
            .is_none()
        {
            let hash = muster_server::auth::hash_password(TEST_PASSWORD);
            let mut conn = self.db.pool().acquire().await.unwrap();
            muster_server::db::accounts::create(&mut conn, email, &hash, roles, chrono::Utc::now())
                .await
                .unwrap();
        }
        // Tests insert people with SQL, not through an import that would link
        // them to their accounts: link them as an import does.
        let mut conn = self.db.pool().acquire().await.unwrap();
        muster_server::db::accounts::link_people(&mut conn).await.unwrap();
        drop(conn);
        let response = self.sign_in(email, TEST_PASSWORD).await;
        assert_eq!(response.status(), 200, "signing in as {email}");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        let pair = cookie.split(';').next().unwrap().to_owned();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::COOKIE, pair.parse().unwrap());
        headers.insert("x-muster-client", "web".parse().unwrap());
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap()
    }

    /// `POST /api/v1/session` from a new, anonymous browser.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.anonymous
            .post(self.url("/api/v1/session"))
            .header("x-muster-client", "web")
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("the server answers")
    }

    /// A client authenticating as a new agent with its own token, which
    /// `admin` (a client signed in as an admin) creates through the API.
    pub async fn agent_client(&self, admin: &reqwest::Client) -> reqwest::Client {
        let agent: i64 = sqlx::query_scalar(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, first_seen) \
             VALUES ('test-agent', 'self_hosted', 'LangChain', 'prod', 1, '2026-01-01T00:00:00Z') RETURNING id",
        )
        .fetch_one(self.db.pool())
        .await
        .unwrap();
        self.agent_client_for(admin, agent).await
    }

    /// A production agent, `release-bot`, owned by Olga Owner of team
    /// Platform (not an approver), and a new token of it that `admin`
    /// creates through the API: an agent that asks for approvals.
    pub async fn owned_agent(&self, admin: &reqwest::Client) -> (i64, String) {
        let team = self.insert("INSERT INTO team (name) VALUES ('Platform')").await;
        let owner = self
            .insert(&format!(
                "INSERT INTO person (name, email, team_id, status) \
                 VALUES ('Olga Owner', 'olga@muster.test', {team}, 'active')"
            ))
            .await;
        let agent = self
            .insert(&format!(
                "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen) \
                 VALUES ('release-bot', 'self_hosted', 'LangChain', 'prod', 1, {owner}, '2026-01-01T00:00:00Z')"
            ))
            .await;
        (agent, self.agent_token(admin, agent).await)
    }

    /// A new token of agent `agent`, which `admin` creates through the API.
    pub async fn agent_token(&self, admin: &reqwest::Client, agent: i64) -> String {
        new_agent_token(admin, &self.address, agent).await
    }

    /// A client authenticating as agent `agent` with a new token of its own,
    /// which `admin` creates through the API.
    pub async fn agent_client_for(&self, admin: &reqwest::Client, agent: i64) -> reqwest::Client {
        bearer_client(&self.agent_token(admin, agent).await)
    }

    /// Stops the server as a crash would (its tasks end wherever they are)
    /// and starts a new one, with `settings`, on the same database and a new
    /// port. Sessions live in the database, so signed-in clients stay so.
    pub async fn restart(&mut self, settings: Settings) {
        for task in self.tasks.drain(..) {
            task.abort();
            let _ = task.await;
        }
        self.db.close().await;
        self.db = Db::open(&self._database.target)
            .await
            .expect("the test database opens again");
        let (address, tasks) = start(self.db.clone(), settings).await;
        self.address = address;
        self.tasks = tasks;
    }

    /// Starts a second server on this app's database, as another replica
    /// would run: its own workers and port, with `settings`. It stops when
    /// the answer is dropped.
    pub async fn replica(&self, settings: Settings) -> Replica {
        let db = Db::open(&self._database.target)
            .await
            .expect("the test database opens for a replica");
        let (address, tasks) = start(db, settings).await;
        Replica { address, tasks }
    }

    /// Runs an `INSERT` with `RETURNING id` added, and answers the new row's
    /// id: the tests' fixtures, written in SQL.
    pub async fn insert(&self, sql: &str) -> i64 {
        sqlx::query_scalar(&format!("{sql} RETURNING id"))
            .fetch_one(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs a statement (a link row, a change behind Muster's back).
    pub async fn execute(&self, sql: &str) {
        sqlx::query(sql)
            .execute(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The `--database` argument of its database, for the command line.
    pub fn database_argument(&self) -> String {
        self._database.argument()
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
    }
}

/// A new token (30 days) of agent `agent`, which `admin` creates through
/// the API of the server at `base`; answers its secret.
pub async fn new_agent_token(admin: &reqwest::Client, base: &str, agent: i64) -> String {
    let created: model::api::CreatedAgentToken = admin
        .post(format!("{base}/api/v1/agents/{agent}/tokens"))
        .json(&serde_json::json!({ "name": "test", "expires_in_days": 30 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created.secret
}

/// A client that sends `Authorization: Bearer <token>` with every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A second server on a test app's database (see [`TestApp::replica`]).
pub struct Replica {
    /// Its base URL.
    pub address: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the server on a free port with a fresh database and no built web app.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with_dist(backend, PathBuf::from("/nonexistent-dist")).await
}

/// Starts the server on a free port with a fresh database, hosting `dist`.
pub async fn spawn_app_with_dist(backend: Backend, dist: PathBuf) -> TestApp {
    spawn_app_with_settings(
        backend,
        Settings {
            dist,
            spool: Some(test_spool()),
            ..Settings::default()
        },
    )
    .await
}

/// A spool folder the tests' servers share (each upload takes a folder of
/// its own in it), so that uploads take the spool's path as in production.
fn test_spool() -> PathBuf {
    let spool = std::env::temp_dir().join("muster-test-spool");
    std::fs::create_dir_all(&spool).expect("the test spool folder");
    spool
}

/// Starts the server on a free port with a fresh database and `settings`.
pub async fn spawn_app_with_settings(backend: Backend, settings: Settings) -> TestApp {
    spawn_app_with(backend, async |_| settings).await
}

/// Starts the server on a free port with a fresh database and the settings
/// that `settings` makes knowing the server's base URL (its public URL, an
/// identity provider registered with its redirect URI).
pub async fn spawn_app_with(backend: Backend, settings: impl AsyncFnOnce(&str) -> Settings) -> TestApp {
    // The server's errors (a 500's cause) in the output of a failing test.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        // MUSTER_TEST_LOG=muster_server=warn shows more, to find why a test fails.
        .with_env_filter(std::env::var("MUSTER_TEST_LOG").unwrap_or_else(|_| "muster_server=error".into()))
        .try_init();
    let database = TestDatabase::create(backend).await;
    let db = Db::open(&database.target).await.expect("the test database opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let settings = settings(&address).await;
    // The harness's own viewer signs in with a password, where passwords are on.
    let passwords = settings.passwords == model::api::PasswordSignIn::All;
    let tasks = serve_on(listener, db.clone(), settings);
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut app = TestApp {
        address,
        client: anonymous.clone(),
        anonymous,
        db,
        tasks,
        _database: database,
    };
    if passwords {
        app.client = app
            .signed_in_as("viewer@muster.test", &[model::api::Role::Viewer])
            .await;
    }
    app
}

/// Serves `db` on a free port, with the server's workers; returns the base
/// URL and the tasks that make up the running server.
async fn start(db: Db, settings: Settings) -> (String, Vec<tokio::task::JoinHandle<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address: SocketAddr = listener.local_addr().unwrap();
    (format!("http://{address}"), serve_on(listener, db, settings))
}

/// Serves the app on `listener` with its workers; the tasks to abort.
fn serve_on(
    listener: tokio::net::TcpListener,
    db: Db,
    settings: Settings,
) -> Vec<tokio::task::JoinHandle<()>> {
    let state = AppState::new(db, settings);
    let mut tasks: Vec<_> = state.spawn_workers().into_iter().collect();
    tasks.push(tokio::spawn(async move {
        // The server loop of `muster serve`, with its timeouts; it stops
        // when the test aborts this task.
        muster_server::serve::run(
            listener,
            muster_server::app(state),
            muster_server::serve::Limits::default(),
            std::future::pending(),
        )
        .await;
    }));
    tasks
}

/// A database that exists for one test and is removed after it.
pub struct TestDatabase {
    target: Target,
    /// Keeps the SQLite folder alive; removed on drop.
    _folder: Option<tempfile::TempDir>,
    /// PostgreSQL: the admin URL and the database to drop.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A fresh database on `backend`: an SQLite file in a new folder, or a
    /// new database on the PostgreSQL server.
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let folder = tempfile::tempdir().expect("a temporary folder");
                let target = Target::Sqlite(folder.path().join("muster.sqlite"));
                Self {
                    target,
                    _folder: Some(folder),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = unique_database_name();
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .unwrap();
                conn.close().await.ok();
                let url = replace_database(&admin, &name);
                Self {
                    target: Target::Postgres(url),
                    _folder: None,
                    postgres: Some((admin, name)),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop is synchronous and may run inside the test's runtime: use a
        // thread with its own runtime. FORCE ends the server's connections.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin).await {
                    let _ = conn
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}

impl TestDatabase {
    /// Where it is, as `--database` takes it.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Its `--database` argument.
    pub fn argument(&self) -> String {
        match &self.target {
            Target::Sqlite(path) => path.display().to_string(),
            Target::Postgres(url) => url.clone(),
        }
    }
}

fn postgres_admin_url() -> String {
    match std::env::var("MUSTER_TEST_POSTGRES") {
        Ok(url) if url.starts_with("postgres") => url,
        _ => DEFAULT_POSTGRES_URL.to_owned(),
    }
}

fn unique_database_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "muster_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `postgres://u@h:5432/test?x` with the database replaced by `name`.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// The `muster` binary `cargo test --workspace` builds (its command line is
/// tested as people run it).
pub fn muster_binary() -> PathBuf {
    let path = workspace_root().join("target/debug/muster");
    assert!(
        path.exists(),
        "{} is missing: `cargo test --workspace --exclude muster-app --no-run` builds it (make test does)",
        path.display()
    );
    path
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The fingerprint key of the test demo organisations.
pub const TEST_FINGERPRINT_KEY: [u8; 32] = [42; 32];

/// The day the test demo organisations count back from.
pub fn demo_anchor() -> chrono::DateTime<chrono::Utc> {
    "2026-11-01T00:00:00Z".parse().unwrap()
}

/// Starts the server with a fresh database holding the small demo organisation (seed 1).
pub async fn spawn_demo_app(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    app.fill_with_demo().await;
    app
}

impl TestApp {
    /// Fills the (empty) database with the small demo organisation (seed 1,
    /// anchored at [`demo_anchor`]).
    pub async fn fill_with_demo(&self) {
        let fingerprinter = muster_server::fingerprint::Fingerprinter::new(TEST_FINGERPRINT_KEY);
        muster_server::demo::generate(
            &self.db,
            muster_server::demo::ScaleName::Small.scale(),
            1,
            demo_anchor(),
            &fingerprinter,
            |_, _, _| {},
        )
        .await
        .expect("the demo organisation is generated");
    }
}

/// Every file under `tests/fixtures/<folder>` (recursively, by path), as
/// `(path under the folder, bytes)`: a platform's pages.
pub fn fixtures_under(folder: &str) -> Vec<(String, Vec<u8>)> {
    let root = workspace_root().join("tests/fixtures").join(folder);
    let mut found = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(dir) = folders.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                found.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// A fixture file's bytes (`tests/fixtures/<path>`): reports in the tools' own formats.
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(workspace_root().join("tests/fixtures").join(path))
        .unwrap_or_else(|e| panic!("tests/fixtures/{path}: {e}"))
}

impl TestApp {
    /// `POST /api/v1/imports/{kind_and_query}` with `report` as the body,
    /// as `client`; answers the status and the JSON answer.
    pub async fn import(
        &self,
        client: &reqwest::Client,
        kind_and_query: &str,
        report: Vec<u8>,
    ) -> (u16, serde_json::Value) {
        let response = client
            .post(self.url(&format!("/api/v1/imports/{kind_and_query}")))
            .body(report)
            .send()
            .await
            .expect("the server answers");
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// `POST /api/v1/imports/{kind_and_query}` with several files at once
    /// (`multipart/form-data`, each a part named by its file name), as
    /// `client`; answers the status and the JSON answer.
    pub async fn import_files(
        &self,
        client: &reqwest::Client,
        kind_and_query: &str,
        files: Vec<(String, Vec<u8>)>,
    ) -> (u16, serde_json::Value) {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        }
        let response = client
            .post(self.url(&format!("/api/v1/imports/{kind_and_query}")))
            .multipart(form)
            .send()
            .await
            .expect("the server answers");
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// `GET path` as `client`, expecting 200 and a JSON body.
    pub async fn get_json_as<T: serde::de::DeserializeOwned>(
        &self,
        client: &reqwest::Client,
        path: &str,
    ) -> T {
        let response = client
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// `GET path`, expecting 200 and a JSON body.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let response = self.get(path).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    /// `GET path`, expecting `status` and the API's error shape with `code`; returns the message.
    pub async fn get_error(&self, path: &str, status: u16, code: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        let body: model::api::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error.code, code, "GET {path}");
        body.error.message
    }

    /// The bytes of an SQLite database's files (the database, its WAL), to
    /// check what is kept on disk; empty on PostgreSQL.
    pub fn database_bytes(&self) -> Vec<u8> {
        let Target::Sqlite(path) = &self._database.target else {
            return Vec::new();
        };
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            bytes.extend(std::fs::read(format!("{}{suffix}", path.display())).unwrap_or_default());
        }
        bytes
    }

    /// A single number from SQL, for checks behind the API's back.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}
