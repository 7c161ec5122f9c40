//! What the benchmark binaries share: serving an existing database (the
//! `large` demo organisation) on a free port, a signed-in client, fresh
//! databases and medians of rounds.

use std::path::{Path, PathBuf};

use muster_server::db::{Db, Target};
use muster_server::{AppState, Settings};

/// The account the benchmarks sign in with (a viewer, created if missing).
pub const BENCH_EMAIL: &str = "bench@muster.test";

/// The database named by the first argument (default
/// `target/bench/large.sqlite`); exits with a hint when it is empty.
pub async fn open_large() -> (PathBuf, Db) {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| "target/bench/large.sqlite".into());
    open_large_at(&path).await
}

/// The `large` organisation at `path`; exits with a hint when it is empty.
pub async fn open_large_at(path: &Path) -> (PathBuf, Db) {
    let db = Db::open(&Target::Sqlite(path.to_owned()))
        .await
        .expect("the database opens");
    if muster_server::demo::is_empty(&db).await.unwrap() {
        eprintln!(
            "{} is empty: run `make bench` (or `muster demo --scale large --database {}`) first",
            path.display(),
            path.display()
        );
        std::process::exit(2);
    }
    (path.to_owned(), db)
}

/// Serves `db` (and the web app in `dist`) on a free port; returns its base URL.
pub async fn serve(db: &Db, dist: &Path) -> String {
    let state = AppState::new(
        db.clone(),
        Settings {
            dist: dist.to_owned(),
            ..Settings::default()
        },
    );
    serve_router(muster_server::app(state)).await
}

/// Serves `router` on a free port; returns its base URL.
pub async fn serve_router(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    base
}

/// Serves `db` with the built web app (`dist/`); exits with a hint when it
/// is not built.
pub async fn serve_web_app(db: &Db) -> String {
    let dist = Path::new("dist");
    if !dist.join("index.html").exists() {
        eprintln!("no built web app in dist/: run `make dist` first");
        std::process::exit(2);
    }
    serve(db, dist).await
}

/// Creates [`BENCH_EMAIL`] with [`crate::TEST_PASSWORD`] unless it exists.
pub async fn ensure_account(db: &Db) {
    ensure_account_as(db, BENCH_EMAIL, &[model::api::Role::Viewer]).await;
}

/// Creates `email` with `roles` and [`crate::TEST_PASSWORD`] unless it exists.
pub async fn ensure_account_as(db: &Db, email: &str, roles: &[model::api::Role]) {
    if muster_server::db::accounts::by_email(db, email)
        .await
        .unwrap()
        .is_none()
    {
        let hash = muster_server::auth::hash_password(crate::TEST_PASSWORD);
        let mut conn = db.pool().acquire().await.unwrap();
        muster_server::db::accounts::create(&mut conn, email, &hash, roles, chrono::Utc::now())
            .await
            .unwrap();
    }
}

/// A client signed in as [`BENCH_EMAIL`].
pub async fn signed_in_client(db: &Db, base: &str) -> reqwest::Client {
    signed_in_as(db, base, BENCH_EMAIL, &[model::api::Role::Viewer]).await
}

/// A client signed in as `email` (created with `roles` if missing), sending
/// the web app's `X-Muster-Client` header, as the web app's changes do.
pub async fn signed_in_as(db: &Db, base: &str, email: &str, roles: &[model::api::Role]) -> reqwest::Client {
    ensure_account_as(db, email, roles).await;
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/session"))
        .header("x-muster-client", "web")
        .json(&serde_json::json!({ "email": email, "password": crate::TEST_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "signing in: {}",
        response.status()
    );
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, pair.parse().unwrap());
    headers.insert("x-muster-client", "web".parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Signs [`BENCH_EMAIL`] in on the web app at `base`, in `browser`.
pub async fn sign_in_browser(browser: &crate::browser::Browser, base: &str) {
    browser.goto(&format!("{base}/")).await;
    browser
        .wait_for("[data-testid=sign-in] input[name=email]")
        .await
        .send_keys(BENCH_EMAIL)
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=sign-in] input[name=password]")
        .await
        .send_keys(crate::TEST_PASSWORD)
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=sign-in] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for("[data-testid=answer]").await;
}

/// A fresh SQLite database `name` in `dir` (its files from an earlier run removed).
pub async fn fresh(dir: &Path, name: &str) -> Db {
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Db::open(&Target::Sqlite(path)).await.expect("the database opens")
}

/// The median of `times` (rounds of a measurement on a shared machine).
pub fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// Logs what the import code says of its phases (how long it read,
/// finished and scored) to standard error, for the import benchmarks.
pub fn log_import_phases() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("muster_server::import=info"))
        .with_writer(std::io::stderr)
        .init();
}
