//! Benchmark of the one outbox: 10,000 queued notifications delivered to a
//! receiver on loopback by `muster`'s own notice courier (claimed with a
//! lease, posted, recorded, each in its own transactions on a fresh SQLite
//! database), against a baseline measured in the same run: the same 10,000
//! POSTs sent straight to the same receiver by a plain loop with the same
//! concurrency (16), no database. Then the delay from an event to its
//! delivery: 1,000 events raised one by one, 50 a second, each in its own
//! transaction, fanned out to a channel and delivered; the delay is from the
//! event's commit to the receiver's receipt. Prints the figures and ratios.
//!
//! `make bench-notify` runs it; `--count N` queues N notifications. The
//! database goes to `target/bench/notify/`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::StreamExt;
use model::api::{ChannelKind, NotifyEvent, OutboxTopic};
use muster_server::db::{notify, outbox};
use muster_server::{AppState, Settings};
use muster_tests::bench::fresh;
use serde_json::json;

/// When the receiver got each message, by its number.
type Receipts = Arc<Mutex<HashMap<u64, Instant>>>;

/// A receiver on loopback that answers 200 and notes when each message came.
async fn receiver() -> (String, Receipts) {
    let receipts: Receipts = Arc::default();
    let shared = receipts.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let shared = shared.clone();
            async move {
                let at = Instant::now();
                let value: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                // A queued message carries its number; an event's, its key.
                let n = value["n"].as_u64().or_else(|| {
                    value["key"]
                        .as_str()
                        .and_then(|k| k.rsplit(':').next())
                        .and_then(|n| n.parse().ok())
                });
                if let Some(n) = n {
                    shared.lock().unwrap().insert(n, at);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, receipts)
}

async fn wait_for(receipts: &Receipts, count: usize, from: u64) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while receipts.lock().unwrap().keys().filter(|n| **n >= from).count() < count {
        assert!(Instant::now() < deadline, "every message arrives");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: u64 = args
        .iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(10_000);
    let dir = std::path::Path::new("target/bench/notify");
    std::fs::create_dir_all(dir).unwrap();
    let (url, receipts) = receiver().await;

    // The baseline: the same POSTs, 16 at a time, straight from a loop.
    let client = reqwest::Client::new();
    let started = Instant::now();
    futures::stream::iter(0..count)
        .map(|n| {
            let (client, url) = (client.clone(), url.clone());
            async move {
                client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(json!({ "n": n }).to_string())
                    .send()
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let raw = started.elapsed().as_secs_f64();
    receipts.lock().unwrap().clear();

    // The outbox: every message queued first, then the courier started.
    let db = fresh(dir, "notify.db").await;
    let now = Utc::now();
    let mut tx = db.begin().await.unwrap();
    let channel = notify::NewChannel {
        name: "bench",
        kind: ChannelKind::Webhook,
        url: &url,
        secret: None,
        events: &[],
    };
    let channel = notify::create_channel(&mut tx, &channel, "bench", now)
        .await
        .unwrap();
    let destination = format!("channel:{channel}");
    for n in 0..count {
        let body = json!({ "n": n }).to_string();
        let message = outbox::New {
            topic: OutboxTopic::Notification,
            subject: None,
            dedupe_key: None,
            destination: &destination,
            event: "bench",
            body: &body,
        };
        outbox::enqueue(&mut tx, &message, now).await.unwrap();
    }
    tx.commit().await.unwrap();
    let state = AppState::new(db.clone(), Settings::default());
    let started = Instant::now();
    let _workers = state.spawn_workers();
    wait_for(&receipts, count as usize, 0).await;
    let queued = started.elapsed().as_secs_f64();
    let mut delays: Vec<f64> = receipts
        .lock()
        .unwrap()
        .values()
        .map(|at| at.duration_since(started).as_secs_f64())
        .collect();
    delays.sort_by(f64::total_cmp);

    // Events one by one, 50 a second, each fanned out to the channel.
    let credential: i64 = sqlx::query_scalar(
        "INSERT INTO credential (name, kind, provider, external_id, scopes, created_at, status, fingerprint) \
         VALUES ('bench-key', 'access_key', 'aws', 'AKIABENCH', '', '2026-01-01T00:00:00Z', 'active', 'fp-bench') RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let events: u64 = 1_000;
    let base = 1_000_000;
    let mut raised = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for n in base..base + events {
        tick.tick().await;
        let mut tx = db.begin().await.unwrap();
        let facts = json!({ "credential": credential });
        outbox::raise(
            &mut tx,
            NotifyEvent::RiskCritical,
            &format!("bench:{n}"),
            facts,
            Utc::now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        raised.insert(n, Instant::now());
        // As a change's handler does after its commit.
        state.events.notify_one();
    }
    wait_for(&receipts, events as usize, base).await;
    let receipts = receipts.lock().unwrap();
    let mut latency: Vec<f64> = raised
        .iter()
        .map(|(n, at)| receipts[n].duration_since(*at).as_secs_f64() * 1000.0)
        .collect();
    latency.sort_by(f64::total_cmp);

    println!("notifications: {count}, to a receiver on loopback, 16 at a time");
    println!(
        "  baseline, straight POSTs: {raw:.2} s, {:.0}/s",
        count as f64 / raw
    );
    println!(
        "  the outbox (claim, POST, record): {queued:.2} s, {:.0}/s ({:.1}x the baseline's time)",
        count as f64 / queued,
        queued / raw
    );
    println!(
        "  delivered after the courier started: p50 {:.2} s, p99 {:.2} s, last {:.2} s",
        percentile(&delays, 0.5),
        percentile(&delays, 0.99),
        delays.last().unwrap()
    );
    println!("events: {events}, 50 a second, each fanned out to one channel");
    println!(
        "  from the event's commit to delivery: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&latency, 0.5),
        percentile(&latency, 0.99),
        latency.last().unwrap()
    );
}
