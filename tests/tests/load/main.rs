//! Work under load: a large import runs while people sign in and read,
//! approvers decide and agents ask and long-poll. Nobody else is answered
//! 5xx, nobody waits for the import, and each decision is recorded once.
//!
//! The import has `MUSTER_LOAD_FINDINGS` findings (200,000 by default, as
//! `make load` runs it; `make test` runs 50,000 to keep CI in its time).
//! This is a test binary of its own, so that no other test shares the
//! machine with it, and its engines take turns: the latencies it checks are
//! this load's, not the test suite's.
#![forbid(unsafe_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use model::api::{ApprovalState, Role};
use muster_tests::{Backend, TEST_PASSWORD, TestApp, on_every_backend, spawn_app};
use serde_json::{Value, json};

on_every_backend!(a_large_import_leaves_sign_ins_reads_decisions_and_long_polls_answered);

/// Held by the engine whose turn it is.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Findings in the import under load.
fn findings() -> usize {
    std::env::var("MUSTER_LOAD_FINDINGS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000)
}

/// One answer: to what, its status, how long it took.
type Answer = (&'static str, u16, Duration);

/// Every answer the others got while the import ran.
#[derive(Clone, Default)]
struct Tally(Arc<Mutex<Vec<Answer>>>);

impl Tally {
    fn record(&self, what: &'static str, status: u16, took: Duration) {
        self.0.lock().unwrap().push((what, status, took));
    }

    /// The answers to `what`: their count, and the 99th percentile of their times.
    fn p99(&self, what: &str) -> (usize, Duration) {
        let mut times: Vec<Duration> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|(w, _, _)| *w == what)
            .map(|(_, _, took)| *took)
            .collect();
        times.sort();
        let at = (times.len() * 99 / 100).min(times.len().saturating_sub(1));
        (times.len(), times.get(at).copied().unwrap_or_default())
    }

    fn server_errors(&self) -> Vec<(&'static str, u16)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, status, _)| *status >= 500)
            .map(|(what, status, _)| (*what, *status))
            .collect()
    }
}

fn deploy() -> Value {
    json!({
        "operation": "deploy:production",
        "resource": "billing-db",
        "parameters": { "version": "2026.11.3" },
        "justification": "weekly release",
    })
}

/// The approvals loop: the agent asks, long-polls, the approver decides
/// (about two a second); answers the requests decided.
async fn approvals(
    app: &TestApp,
    agent: reqwest::Client,
    approver: reqwest::Client,
    tally: Tally,
    until: Arc<tokio::sync::Notify>,
) -> Vec<i64> {
    let mut decided = Vec::new();
    let mut polls = Vec::new();
    let stop = until.notified();
    tokio::pin!(stop);
    for i in 0.. {
        let started = Instant::now();
        let asked = agent
            .post(app.url("/api/v1/approval-requests"))
            .header("idempotency-key", format!("load-{i}"))
            .json(&deploy())
            .send()
            .await
            .unwrap();
        tally.record("ask", asked.status().as_u16(), started.elapsed());
        let body: Value = asked.json().await.unwrap();
        let Some(id) = body["id"].as_i64() else {
            continue;
        };
        let (poller, url, polled) = (
            agent.clone(),
            app.url(&format!("/api/v1/approval-requests/{id}?wait=30s")),
            tally.clone(),
        );
        polls.push(tokio::spawn(async move {
            let started = Instant::now();
            let response = poller.get(url).send().await.unwrap();
            polled.record("long-poll", response.status().as_u16(), started.elapsed());
            let status: Value = response.json().await.unwrap();
            status["state"].as_str().map(str::to_owned)
        }));
        tokio::time::sleep(Duration::from_millis(150)).await;
        let started = Instant::now();
        let response = approver
            .post(app.url(&format!("/api/v1/approvals/{id}/decision")))
            .json(&json!({ "verdict": "approve", "comment": "" }))
            .send()
            .await
            .unwrap();
        tally.record("decide", response.status().as_u16(), started.elapsed());
        if response.status() == 200 {
            decided.push(id);
        }
        tokio::select! {
            () = &mut stop => break,
            () = tokio::time::sleep(Duration::from_millis(300)) => {}
        }
    }
    for poll in polls {
        let state = poll.await.unwrap();
        assert_eq!(
            state.as_deref(),
            Some(ApprovalState::Approved.as_str()),
            "each long-poll was woken by its decision"
        );
    }
    decided
}

/// Sign-ins and reads in a loop until told to stop.
async fn browsing(app: &TestApp, tally: Tally, until: Arc<tokio::sync::Notify>) {
    let stop = until.notified();
    tokio::pin!(stop);
    loop {
        let started = Instant::now();
        let response = app.sign_in("viewer@muster.test", TEST_PASSWORD).await;
        tally.record("sign-in", response.status().as_u16(), started.elapsed());
        for path in [
            "/api/v1/overview",
            "/api/v1/credentials?limit=50",
            "/api/v1/agents",
            "/api/v1/search?q=svc",
            "/api/v1/risk/summary",
        ] {
            let started = Instant::now();
            let response = app.get(path).await;
            tally.record("read", response.status().as_u16(), started.elapsed());
            tally.record(path, response.status().as_u16(), started.elapsed());
        }
        tokio::select! {
            () = &mut stop => break,
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

async fn a_large_import_leaves_sign_ins_reads_decisions_and_long_polls_answered(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let approver = app.signed_in_as("ann@muster.test", &[Role::Approver]).await;
    let (_, token) = app.owned_agent(&admin).await;
    let agent = muster_tests::bearer_client(&token);
    let n = findings();
    // A first scan: every secret new, as the slowest mix to import.
    let report = muster_tests::reports::trufflehog(n, n, "load");

    let (tally, done) = (Tally::default(), Arc::new(tokio::sync::Notify::new()));
    let started = Instant::now();
    let importing = async {
        let outcome = app.import(&admin, "trufflehog?source=acme", report).await;
        done.notify_waiters();
        outcome
    };
    let ((status, summary), decided, ()) = tokio::join!(
        importing,
        approvals(&app, agent, approver, tally.clone(), done.clone()),
        browsing(&app, tally.clone(), done.clone()),
    );
    let took = started.elapsed();
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["findings"], n as i64);
    assert_eq!(summary["credentials_created"], n as i64);

    assert_eq!(
        tally.server_errors(),
        vec![],
        "nobody was answered 5xx during the import"
    );
    for what in [
        "ask",
        "long-poll",
        "decide",
        "sign-in",
        "read",
        "/api/v1/overview",
        "/api/v1/credentials?limit=50",
        "/api/v1/agents",
        "/api/v1/search?q=svc",
        "/api/v1/risk/summary",
    ] {
        let (count, p99) = tally.p99(what);
        eprintln!("{what}: {count} answers during a {took:.1?} import, p99 {p99:.0?}");
        assert!(count > 0, "some {what} ran during the import");
    }
    // Nobody waits for the import: a step of it is short, and writers
    // waiting go first (the budget is generous for a debug build on a
    // small, busy machine; the figures are in docs/benchmarks.md).
    for what in ["decide", "sign-in", "ask"] {
        let (_, p99) = tally.p99(what);
        assert!(p99 < Duration::from_secs(2), "{what}: p99 {p99:?}");
    }
    // Each decision was recorded once: one vote, one audit entry.
    assert!(!decided.is_empty());
    for id in &decided {
        let votes = app
            .count(&format!(
                "SELECT COUNT(*) FROM approval_vote WHERE request_id = {id}"
            ))
            .await;
        assert_eq!(votes, 1, "request {id}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'approval.approve'")
            .await,
        decided.len() as i64
    );
    // The import finished whole: its records are gone, the run is done.
    assert_eq!(app.count("SELECT COUNT(*) FROM import_item").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM import_run WHERE state <> 'done'")
            .await,
        0
    );
}
