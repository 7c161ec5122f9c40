//! Crash safety: the real `muster serve` process, killed with SIGKILL at
//! random moments of imports, approval requests and decisions, revocations
//! and their webhook deliveries, then started again on the same database.
//! After every restart: no acknowledged write is lost, no import is left
//! half-applied (each is whole, or gone with nothing applied, once the
//! restarted server has taken over what the killed one left), the audit
//! chain is intact; at the end every webhook delivery has reached the receiver.
//!
//! `MUSTER_CRASH_KILLS` kills (50 by default; `make crash` runs more) on
//! SQLite, and as many on PostgreSQL when `MUSTER_TEST_POSTGRES` is set.
//! The server is `target/debug/muster`, which `cargo test --workspace`
//! builds before any test runs (`make test`, `make crash`).
#![forbid(unsafe_code)]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use model::api::Role;
use muster_tests::webhook::{Receiver, SECRET};
use muster_tests::{Backend, TEST_PASSWORD, TestDatabase, on_every_backend};
use serde_json::{Value, json};

on_every_backend!(
    killed_at_random_moments_the_server_loses_no_acknowledged_write_and_leaves_nothing_half_done
);

/// Kills per engine.
fn kills() -> usize {
    std::env::var("MUSTER_CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50)
}

/// Findings in each import: enough that a kill often lands inside one.
const FINDINGS: usize = 2_000;
/// How long an import's heartbeat may stop before a restarted server takes it over.
const TAKEOVER_SECONDS: u64 = 5;

/// A small pseudo-random sequence (the kills' moments), the same every run
/// for one seed so that a failure can be replayed (`MUSTER_CRASH_SEED`).
struct Moments(u64);

impl Moments {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// One running `muster serve`.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    /// Starts the server on `database` with its keys and spool in `dir`, and
    /// waits until it answers.
    async fn start(dir: &Path, database: &str, receiver: &Receiver) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .unwrap();
        let child = std::process::Command::new(muster_tests::muster_binary())
            .arg("serve")
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args(["--database", database])
            .args(["--dist", "/nonexistent-dist"])
            .arg("--fingerprint-key-file")
            .arg(dir.join("fingerprint.key"))
            .arg("--approval-key-file")
            .arg(dir.join("approval.key"))
            .arg("--spool")
            .arg(dir.join("spool"))
            .args(["--webhook-url", &receiver.url, "--webhook-secret", SECRET])
            .args(["--webhook-retry-seconds", "1", "--webhook-max-attempts", "100"])
            .args(["--import-takeover-seconds", &TAKEOVER_SECONDS.to_string()])
            .env("RUST_LOG", "muster_server=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("muster serve starts");
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{base}/api/health")).send().await
                && response.status() == 200
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start: see {}",
                dir.join("server.log").display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, base }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill(mut self) {
        self.child.kill().expect("the server is killed");
        self.child.wait().expect("the killed server is reaped");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A client carrying a session cookie of `email` (sessions live in the
/// database: they outlive the process).
async fn signed_in(server: &Server, email: &str) -> reqwest::Client {
    let response = reqwest::Client::new()
        .post(server.url("/api/v1/session"))
        .header("x-muster-client", "web")
        .json(&json!({ "email": email, "password": TEST_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "signing in as {email}");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        cookie.split(';').next().unwrap().parse().unwrap(),
    );
    headers.insert("x-muster-client", "web".parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// What the operations acknowledged (answered 2xx) before a kill.
#[derive(Default)]
struct Acknowledged {
    imports: Vec<String>,
    requests: Vec<i64>,
    decisions: Vec<i64>,
    revocations: Vec<i64>,
}

/// One operation under way when the kill comes; answers what it acknowledged.
enum Done {
    Import(String),
    Request(i64),
    Decision(i64),
    Revocation(i64),
    Nothing,
}

async fn count(db: &muster_server::db::Db, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn killed_at_random_moments_the_server_loses_no_acknowledged_write_and_leaves_nothing_half_done(
    backend: Backend,
) {
    let database = TestDatabase::create(backend).await;
    let argument = database.argument();
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(&[(200, "")]).await;
    let mut server = Server::start(dir.path(), &argument, &receiver).await;
    let db = muster_server::db::Db::open(database.target()).await.unwrap();

    // People and an agent, written as the tests' fixtures are; tokens and
    // sessions through the API.
    for (email, role) in [
        ("admin@muster.test", Role::Admin),
        ("ann@muster.test", Role::Approver),
    ] {
        let hash = muster_server::auth::hash_password(TEST_PASSWORD);
        let mut conn = db.pool().acquire().await.unwrap();
        muster_server::db::accounts::create(&mut conn, email, &hash, &[role], chrono::Utc::now())
            .await
            .unwrap();
    }
    let agent: i64 = sqlx::query_scalar(
        "INSERT INTO agent (name, category, platform, environment, sanctioned, first_seen) \
         VALUES ('release-bot', 'self_hosted', 'LangChain', 'prod', 1, '2026-01-01T00:00:00Z') RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let mut credentials = Vec::new();
    for i in 0..kills() {
        let id: i64 = sqlx::query_scalar(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, created_at, status, fingerprint) \
             VALUES ('key-{i}', 'api_key', 'openai', 'key-{i}', '', '2026-01-01T00:00:00Z', 'active', 'fp-crash-{i}') RETURNING id"
        ))
        .fetch_one(db.pool())
        .await
        .unwrap();
        credentials.push(id);
    }
    let admin = signed_in(&server, "admin@muster.test").await;
    let ann = signed_in(&server, "ann@muster.test").await;
    let created: Value = admin
        .post(server.url(&format!("/api/v1/agents/{agent}/tokens")))
        .json(&json!({ "name": "crash", "expires_in_days": 30 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bot = muster_tests::bearer_client(created["secret"].as_str().unwrap());

    let seed = std::env::var("MUSTER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261205);
    let mut moments = Moments(seed);
    let mut acknowledged = Acknowledged::default();
    let mut pending: Vec<i64> = Vec::new();
    for (round, &credential) in credentials.iter().enumerate() {
        let base = server.base.clone();
        let operation = async {
            let url = |path: &str| format!("{base}{path}");
            match round % 4 {
                0 => {
                    let source = format!("crash-{round}");
                    let report = muster_tests::reports::trufflehog(FINDINGS, FINDINGS, &source);
                    let answer = admin
                        .post(url(&format!(
                            "/api/v1/imports/trufflehog?source={source}&full=true"
                        )))
                        .body(report)
                        .send()
                        .await;
                    match answer {
                        Ok(answer) if answer.status() == 200 => Done::Import(source),
                        _ => Done::Nothing,
                    }
                }
                1 => {
                    let answer = bot
                        .post(url("/api/v1/approval-requests"))
                        .header("idempotency-key", format!("crash-{round}"))
                        .json(&json!({
                            "operation": "deploy:production",
                            "parameters": { "round": round },
                            "justification": "crash test",
                        }))
                        .send()
                        .await;
                    match answer {
                        Ok(answer) if answer.status() == 201 => {
                            let body: Value = answer.json().await.unwrap_or_default();
                            body["id"].as_i64().map_or(Done::Nothing, Done::Request)
                        }
                        _ => Done::Nothing,
                    }
                }
                2 => {
                    let Some(&id) = pending.first() else {
                        return Done::Nothing;
                    };
                    let answer = ann
                        .post(url(&format!("/api/v1/approvals/{id}/decision")))
                        .json(&json!({ "verdict": "approve", "comment": "" }))
                        .send()
                        .await;
                    match answer {
                        Ok(answer) if answer.status() == 200 => Done::Decision(id),
                        _ => Done::Nothing,
                    }
                }
                _ => {
                    let answer = admin
                        .post(url(&format!("/api/v1/credentials/{credential}/revocation")))
                        .json(&json!({ "reason": "crash test" }))
                        .send()
                        .await;
                    match answer {
                        Ok(answer) if answer.status() == 201 || answer.status() == 200 => {
                            Done::Revocation(credential)
                        }
                        _ => Done::Nothing,
                    }
                }
            }
        };
        // Imports take seconds: the kill lands in their upload, reading,
        // applying or finishing; the others take milliseconds.
        let window = if round % 4 == 0 { 4_000 } else { 60 };
        let moment = Duration::from_millis(moments.next(window));
        let done = tokio::select! {
            done = operation => { tokio::time::sleep(moment).await; done }
            () = tokio::time::sleep(moment) => Done::Nothing,
        };
        server.kill();
        match done {
            Done::Import(source) => acknowledged.imports.push(source),
            Done::Request(id) => {
                acknowledged.requests.push(id);
                pending.push(id);
            }
            Done::Decision(id) => {
                acknowledged.decisions.push(id);
                pending.retain(|p| *p != id);
            }
            Done::Revocation(id) => acknowledged.revocations.push(id),
            Done::Nothing => {}
        }
        server = Server::start(dir.path(), &argument, &receiver).await;
        check(&db, &server, &admin, &acknowledged, round).await;
        // An import whose answer the kill cut off is sent again, as its
        // sender would: after the takeover it changes nothing, or it finishes
        // what was dropped.
        if round % 4 == 0 && !acknowledged.imports.contains(&format!("crash-{round}")) {
            let source = format!("crash-{round}");
            let answer = admin
                .post(server.url(&format!("/api/v1/imports/trufflehog?source={source}&full=true")))
                .body(muster_tests::reports::trufflehog(FINDINGS, FINDINGS, &source))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200, "round {round}: the import sent again");
            acknowledged.imports.push(source);
            check(&db, &server, &admin, &acknowledged, round).await;
        }
        // A decision cut short may have been made: ask nothing more of it.
        if round % 4 == 2
            && let Some(&id) = pending.first()
            && count(
                &db,
                &format!("SELECT COUNT(*) FROM approval_request WHERE id = {id} AND state <> 'pending'"),
            )
            .await
                > 0
        {
            pending.remove(0);
        }
    }

    // Every delivery the outbox holds goes out, however often its sender was killed.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = count(
            &db,
            "SELECT COUNT(*) FROM outbox WHERE topic = 'revocation' AND state <> 'delivered'",
        )
        .await;
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{left} webhook deliveries never went out"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent: std::collections::HashSet<String> = receiver.received().into_iter().map(|r| r.id).collect();
    let queued: Vec<i64> = sqlx::query_scalar("SELECT id FROM outbox WHERE topic = 'revocation'")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for id in &queued {
        assert!(
            sent.contains(&format!("msg_{id}")),
            "delivery {id} reached the receiver"
        );
    }
    assert!(
        acknowledged.imports.len() + acknowledged.decisions.len() + acknowledged.revocations.len() > 0,
        "some operations were acknowledged before their kill"
    );
    server.kill();
    // The kills landed inside imports too: the takeover was exercised.
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    let (reread, deleted) = (
        log.matches("cut short while applying").count(),
        log.matches("cut short while reading").count(),
    );
    eprintln!(
        "{} kills: {} imports, {} requests, {} decisions, {} revocations acknowledged; \
         imports taken over: {reread} applied again, {deleted} deleted",
        kills(),
        acknowledged.imports.len(),
        acknowledged.requests.len(),
        acknowledged.decisions.len(),
        acknowledged.revocations.len()
    );
    if kills() >= 40 {
        assert!(reread + deleted > 0, "some kill landed inside an import");
    }
    // The command line's walk of the chain agrees.
    let verified = std::process::Command::new(muster_tests::muster_binary())
        .args(["audit", "verify", "--database", &argument])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "muster audit verify: {}",
        String::from_utf8_lossy(&verified.stdout)
    );
    db.close().await;
}

/// The invariants after a restart (see the module's description).
async fn check(
    db: &muster_server::db::Db,
    server: &Server,
    admin: &reqwest::Client,
    acknowledged: &Acknowledged,
    round: usize,
) {
    // Imports the killed process left are taken over (applied again, or
    // deleted if still being read) once their heartbeat is stale.
    let deadline = Instant::now() + Duration::from_secs(TAKEOVER_SECONDS + 120);
    while count(
        db,
        "SELECT COUNT(*) FROM import_run WHERE state IN ('staging', 'applying')",
    )
    .await
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "round {round}: an import was never finished or deleted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let runs: Vec<(String, String)> = sqlx::query_as("SELECT source, state FROM import_run")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for (found_by, state) in &runs {
        assert_eq!(state, "done", "round {round}: {found_by}");
    }
    // Every source's copies: all of its report, or none (an import cut
    // short while read, or before it began, left nothing).
    let sources: Vec<(String, i64)> = sqlx::query_as(
        "SELECT found_by, COUNT(*) FROM credential_copy WHERE status = 'present' GROUP BY found_by",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    for (found_by, copies) in sources {
        assert_eq!(copies, FINDINGS as i64, "round {round}: {found_by} is whole");
        assert!(
            runs.iter().any(|(source, _)| *source == found_by),
            "round {round}: {found_by} has its finished run"
        );
    }
    // Each finished import was audited once.
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM import_run r WHERE r.state = 'done' AND (SELECT COUNT(*) FROM audit_event a \
             WHERE a.action = 'import.run' AND a.target = 'import:' || r.id) <> 1"
        )
        .await,
        0,
        "round {round}: every finished import has one audit entry"
    );
    for source in &acknowledged.imports {
        let done = count(
            db,
            &format!(
                "SELECT COUNT(*) FROM import_run WHERE source = 'trufflehog:{source}' AND state = 'done'"
            ),
        )
        .await;
        assert!(
            done >= 1,
            "round {round}: the acknowledged import {source} is kept"
        );
    }
    for id in &acknowledged.requests {
        assert_eq!(
            count(
                db,
                &format!("SELECT COUNT(*) FROM approval_request WHERE id = {id}")
            )
            .await,
            1,
            "round {round}: request {id} is kept"
        );
    }
    for id in &acknowledged.decisions {
        assert_eq!(
            count(
                db,
                &format!("SELECT COUNT(*) FROM approval_request WHERE id = {id} AND state = 'approved'")
            )
            .await,
            1,
            "round {round}: the decision on {id} is kept"
        );
    }
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM (SELECT request_id FROM approval_vote GROUP BY request_id HAVING COUNT(*) > 1) v"
        )
        .await,
        0,
        "round {round}: no decision is recorded twice"
    );
    for credential in &acknowledged.revocations {
        assert_eq!(
            count(
                db,
                &format!("SELECT COUNT(*) FROM revocation WHERE credential_id = {credential}")
            )
            .await,
            1,
            "round {round}: the revocation of {credential} is kept"
        );
    }
    let chain: Value = admin
        .post(server.url("/api/v1/audit/chain"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        chain["intact"], true,
        "round {round}: the audit chain is intact: {chain}"
    );
}
