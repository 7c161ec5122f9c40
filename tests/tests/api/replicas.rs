//! Several replicas on one database (PostgreSQL in production; each test
//! also runs on one SQLite file, which several servers may share on one
//! host): a request decided at once on two replicas has one outcome, a
//! decision on one replica wakes a long-poll on another within a second,
//! and scheduled work runs once across them. (Webhook deliveries sent once
//! across replicas: `revocation::two_replicas_and_a_slow_receiver_send_each_delivery_once`.)

use std::time::{Duration, Instant};

use chrono::TimeZone;
use model::api::Role;
use muster_server::Settings;
use muster_tests::{Backend, on_every_backend, spawn_app, spawn_app_with_settings};
use serde_json::{Value, json};

on_every_backend!(
    requests_decided_on_two_replicas_at_once_have_one_outcome_each,
    a_decision_on_one_replica_wakes_a_long_poll_on_another_within_a_second,
    scheduled_work_runs_once_across_three_replicas,
);

/// Requests in the concurrent-decisions test (`MUSTER_REPLICA_REQUESTS`, 1,000 by default).
fn requests() -> usize {
    std::env::var("MUSTER_REPLICA_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000)
}

/// The agent asks (on `base`) with idempotency key `key`; answers the request's id.
async fn ask(client: &reqwest::Client, base: &str, key: &str) -> i64 {
    let response = client
        .post(format!("{base}/api/v1/approval-requests"))
        .header("idempotency-key", key)
        .json(&json!({
            "operation": "deploy:production",
            "resource": "billing-db",
            "parameters": { "version": key },
            "justification": "weekly release",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_i64().unwrap()
}

/// `verdict` on request `id`, on `base`; answers the status.
async fn decide(client: &reqwest::Client, base: &str, id: i64, verdict: &str) -> u16 {
    client
        .post(format!("{base}/api/v1/approvals/{id}/decision"))
        .json(&json!({ "verdict": verdict, "comment": "decided in the replica test" }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn requests_decided_on_two_replicas_at_once_have_one_outcome_each(backend: Backend) {
    let app = spawn_app(backend).await;
    let replica = app.replica(Settings::default()).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    // Sessions live in the database: a cookie signed in on one replica works on all.
    let ann = app.signed_in_as("ann@muster.test", &[Role::Approver]).await;
    let ben = app.signed_in_as("ben@muster.test", &[Role::Approver]).await;
    let (_, token) = app.owned_agent(&admin).await;
    let bot = muster_tests::bearer_client(&token);

    let n = requests();
    let ids: Vec<i64> = futures::future::join_all((0..n).map(|i| {
        let (bot, base) = (&bot, &app.address);
        async move { ask(bot, base, &format!("race-{i}")).await }
    }))
    .await;
    // Ann approves on the first replica while Ben denies on the second,
    // sixteen requests at a time.
    let outcomes: Vec<(i64, u16, u16)> = futures::StreamExt::collect(futures::StreamExt::buffer_unordered(
        futures::stream::iter(ids.iter().map(|&id| {
            let (ann, ben, first, second) = (&ann, &ben, &app.address, &replica.address);
            async move {
                let (approved, denied) =
                    tokio::join!(decide(ann, first, id, "approve"), decide(ben, second, id, "deny"));
                (id, approved, denied)
            }
        })),
        16,
    ))
    .await;
    for (id, approved, denied) in outcomes {
        let state: String = sqlx::query_scalar("SELECT state FROM approval_request WHERE id = $1")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        match (approved, denied) {
            (200, 409) => assert_eq!(state, "approved", "request {id}"),
            (409, 200) => assert_eq!(state, "denied", "request {id}"),
            other => panic!("request {id}: exactly one decision must win, got {other:?}"),
        }
        let votes = app
            .count(&format!(
                "SELECT COUNT(*) FROM approval_vote WHERE request_id = {id}"
            ))
            .await;
        assert_eq!(votes, 1, "request {id} has one vote");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('approval.approve', 'approval.deny')")
            .await,
        n as i64,
        "one audited decision a request"
    );
}

async fn a_decision_on_one_replica_wakes_a_long_poll_on_another_within_a_second(backend: Backend) {
    let app = spawn_app(backend).await;
    let second = app.replica(Settings::default()).await;
    let third = app.replica(Settings::default()).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let ann = app.signed_in_as("ann@muster.test", &[Role::Approver]).await;
    let (_, token) = app.owned_agent(&admin).await;
    let bot = muster_tests::bearer_client(&token);
    for round in 0..5 {
        let id = ask(&bot, &second.address, &format!("wake-{round}")).await;
        // The agent waits on the third replica...
        let url = format!("{}/api/v1/approval-requests/{id}?wait=30s", third.address);
        let poller = bot.clone();
        let poll = tokio::spawn(async move {
            let response = poller.get(url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            let status: Value = response.json().await.unwrap();
            (Instant::now(), status["state"].as_str().unwrap().to_owned())
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        // ...and the approver decides on the first.
        assert_eq!(decide(&ann, &app.address, id, "approve").await, 200);
        let decided = Instant::now();
        let (woken, state) = poll.await.unwrap();
        assert_eq!(state, "approved");
        let delay = woken.saturating_duration_since(decided);
        assert!(
            delay < Duration::from_millis(1_500),
            "round {round}: the long-poll answered {delay:?} after the decision"
        );
    }
}

async fn scheduled_work_runs_once_across_three_replicas(backend: Backend) {
    // One clock for the three replicas, so that their day turns together.
    let clock =
        muster_server::clock::Clock::manual(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap());
    let settings = || Settings {
        clock: clock.clone(),
        schedule: Some(Duration::from_millis(50)),
        ..Settings::default()
    };
    let app = spawn_app_with_settings(backend, settings()).await;
    let _second = app.replica(settings()).await;
    let _third = app.replica(settings()).await;
    let runs = |job: &'static str| {
        let app = &app;
        async move {
            app.count(&format!(
                "SELECT COUNT(*) FROM scheduled_run WHERE job = '{job}' AND done_at IS NOT NULL"
            ))
            .await
        }
    };
    let daily = || async {
        app.count(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'risk.recompute' AND actor = 'muster serve (daily)'",
        )
        .await
    };
    // Each replica ticks twenty times a second; the hour's snapshot is
    // claimed (a row a period, so this shows it was taken, not how often:
    // the daily recompute's audit entries below count the runs themselves).
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(runs("posture.snapshot").await, 1);
    assert_eq!(daily().await, 0, "nobody rescores on the day they started");

    // A new day: one replica rescores, for all three; the new hour's snapshot, once.
    clock.advance(chrono::Duration::days(1));
    let deadline = Instant::now() + Duration::from_secs(10);
    while daily().await == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        daily().await,
        1,
        "the daily recompute ran once across the replicas"
    );
    assert_eq!(runs("risk.daily").await, 1);
    assert_eq!(runs("posture.snapshot").await, 2);
}
