//! Benchmark of Muster under mixed load on the `large` organisation (issue 26).
//!
//! `make bench-load` runs it on a copy of `target/bench/large.sqlite` (made by
//! `make bench`), served in this process on a free port:
//!
//! - **List throughput**: each list endpoint's requests a second at
//!   concurrency 1, 8 and 64, against a route that answers the same bytes,
//!   serialised beforehand, behind the same sign-in check (a second server
//!   on the same database). Goal: at least 20 % of it.
//! - **Mixed load**, in three phases under one load: 16 signed-in sessions
//!   loop the Overview, lists, search and the risk summary (a read, then a
//!   quarter of a second's pause, as a person clicks); 100 agents each
//!   ask for an approval and long-poll it until an approver decides it; the
//!   approver decides two a second. Phase A is that load alone, phase B adds
//!   an import of `--findings` trufflehog findings (1,000,000) over HTTP,
//!   phase C a full risk recompute (what the daily job runs). Per phase:
//!   requests a second, p50/p99 per kind, errors. Goal: no errors, p99 in B
//!   and C at most twice A's.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::get;
use model::api::Role;
use muster_server::db::{Db, Target};
use muster_server::{AppState, Settings};
use muster_tests::bench;
use serde_json::{Value, json};

/// Signed-in people looping the screens' reads.
const SESSIONS: usize = 16;
/// Agents each asking for an approval and long-polling it.
const AGENTS: usize = 100;
/// The approver decides one request this often (two a second).
const DECIDE_EVERY: Duration = Duration::from_millis(500);
/// A session's pause between two reads: a person's clicks come in bursts
/// with pauses, and 16 sessions reading without one would keep both cores
/// of these machines busy on their own (the server and this load share
/// them), leaving the import nothing to measure.
const THINK: Duration = Duration::from_millis(250);
/// What the sessions read, in turn.
const READS: &[&str] = &[
    "/api/v1/overview",
    "/api/v1/agents?limit=50",
    "/api/v1/credentials?limit=50&sort=-risk",
    "/api/v1/search?q=payments-release",
    "/api/v1/risk/summary",
    "/api/v1/credentials?q=deploy-assistant",
];
/// The lists whose throughput is measured against their pre-serialised bytes.
const LISTS: &[&str] = &[
    "/api/v1/agents?limit=50",
    "/api/v1/credentials?limit=50",
    "/api/v1/copies?limit=50",
    "/api/v1/people?limit=50",
    "/api/v1/resources?limit=50",
];

/// Phases, as stored in [`Load::phase`].
const WARM_UP: u8 = 0;
const PHASES: [(u8, &str); 3] = [
    (1, "A: the load alone"),
    (2, "B: plus an import over HTTP"),
    (3, "C: plus a full recompute"),
];

/// One answer: in which phase it was asked, to what, its status (0: no
/// answer at all), how long it took.
type Sample = (u8, &'static str, u16, Duration);

/// The load's shared state: the phase, the answers, and when to stop.
#[derive(Default)]
struct Load {
    phase: AtomicU8,
    stop: AtomicBool,
    samples: Mutex<Vec<Sample>>,
    /// Requests asked and not yet decided, oldest first.
    pending: Mutex<VecDeque<i64>>,
}

impl Load {
    /// Sends `request`, records its answer under `what`, and answers its JSON body.
    async fn send(&self, what: &'static str, request: reqwest::RequestBuilder) -> Option<Value> {
        let phase = self.phase.load(Ordering::Relaxed);
        let started = Instant::now();
        let (status, body) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.ok())
            }
            Err(_) => (0, None),
        };
        self.samples
            .lock()
            .unwrap()
            .push((phase, what, status, started.elapsed()));
        body.filter(|_| status < 400)
    }

    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }
}

fn usage() -> ! {
    eprintln!("usage: bench-load [DATABASE] [--findings N] [--phase-seconds S] [--only lists|load]");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    muster_tests::bench::log_import_phases();
    let mut args = std::env::args().skip(1);
    let (mut large, mut findings, mut phase_seconds) =
        (PathBuf::from("target/bench/large.sqlite"), 1_000_000, 30);
    let mut only = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--findings" => {
                findings = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--only" => only = Some(args.next().unwrap_or_else(|| usage())),
            "--phase-seconds" => {
                phase_seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            path if !path.starts_with('-') => large = path.into(),
            _ => usage(),
        }
    }
    let db = copy_of(&large).await;
    let state = AppState::new(db.clone(), Settings::default());
    let base = bench::serve_router(muster_server::app(state.clone())).await;
    let viewer = bench::signed_in_client(&db, &base).await;

    if only.as_deref() != Some("load") {
        list_throughput(&state, &base, &viewer).await;
    }
    if only.as_deref() != Some("lists") {
        mixed_load(&db, &base, findings, Duration::from_secs(phase_seconds)).await;
    }
}

/// A copy of the `large` database to work on (phase B imports into it),
/// made anew each run; exits with a hint when there is none to copy.
async fn copy_of(large: &Path) -> Db {
    let (_, original) = bench::open_large_at(large).await;
    let copy = large.with_file_name("load.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
    }
    let started = Instant::now();
    sqlx::query("VACUUM INTO $1")
        .bind(copy.display().to_string())
        .execute(original.pool())
        .await
        .expect("the copy of the database");
    original.pool().close().await;
    println!(
        "copied {} to {} in {:.1} s",
        large.display(),
        copy.display(),
        started.elapsed().as_secs_f64()
    );
    Db::open(&Target::Sqlite(copy)).await.expect("the copy opens")
}

/// Each list's requests a second at concurrency 1, 8 and 64, against a
/// second server answering the same bytes behind the same sign-in check.
async fn list_throughput(state: &AppState, base: &str, client: &reqwest::Client) {
    let mut bodies = Vec::new();
    for path in LISTS {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        bodies.push(response.bytes().await.unwrap());
    }
    let bodies = Arc::new(bodies);
    let bytes = axum::Router::new()
        .route(
            "/api/bytes/{index}",
            get(move |axum::extract::Path(index): axum::extract::Path<usize>| {
                let bodies = bodies.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        bodies[index].clone(),
                    )
                }
            }),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            muster_server::auth::require_person,
        ))
        // Who the client is (its address, whether its cookies are `Secure`),
        // which the sign-in check reads, as in the application.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            muster_server::client::identify,
        ))
        .with_state(state.clone());
    let bytes_base = bench::serve_router(bytes).await;

    println!(
        "\nList throughput (requests a second over 5 s; goal: at least 20 % of the same bytes pre-serialised)"
    );
    println!(
        "{:<34} {:>5} {:>10} {:>14} {:>7}",
        "list", "conc.", "req/s", "bytes req/s", "ratio"
    );
    for (index, path) in LISTS.iter().enumerate() {
        for concurrency in [1, 8, 64] {
            let list = throughput(client, &format!("{base}{path}"), concurrency).await;
            let baseline = throughput(client, &format!("{bytes_base}/api/bytes/{index}"), concurrency).await;
            println!(
                "{path:<34} {concurrency:>5} {list:>10.0} {baseline:>14.0} {:>6.0}%",
                100.0 * list / baseline
            );
        }
    }
}

/// Successful GETs of `url` a second with `concurrency` at once, over 5 s.
async fn throughput(client: &reqwest::Client, url: &str, concurrency: usize) -> f64 {
    let until = Instant::now() + Duration::from_secs(5);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut done = 0_u64;
                while Instant::now() < until {
                    let response = client.get(&url).send().await.unwrap();
                    assert!(response.status().is_success(), "{url}: {}", response.status());
                    response.bytes().await.unwrap();
                    done += 1;
                }
                done
            })
        })
        .collect();
    let started = Instant::now();
    let mut done = 0;
    for worker in workers {
        done += worker.await.unwrap();
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// Phases A, B and C under the same load; prints each phase's figures.
async fn mixed_load(db: &Db, base: &str, findings: usize, phase: Duration) {
    let admin = bench::signed_in_as(db, base, "bench-admin@muster.test", &[Role::Admin]).await;
    let approver = bench::signed_in_as(db, base, "bench-approver@muster.test", &[Role::Approver]).await;
    let agents: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM agent WHERE environment = 'prod' AND owner_id IS NOT NULL ORDER BY id LIMIT {AGENTS}"
    ))
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(
        agents.len(),
        AGENTS,
        "the organisation has {AGENTS} owned agents in prod"
    );
    let mut tokens = Vec::new();
    for agent in &agents {
        tokens.push(muster_tests::new_agent_token(&admin, base, *agent).await);
    }
    println!("\nGenerating {findings} trufflehog findings…");
    let report = muster_tests::reports::trufflehog(findings, findings / 5, "load");

    let load = Arc::new(Load::default());
    let mut tasks = Vec::new();
    for _ in 0..SESSIONS {
        let client = bench::signed_in_client(db, base).await;
        let (load, base) = (load.clone(), base.to_owned());
        tasks.push(tokio::spawn(async move {
            for path in READS.iter().cycle() {
                if !load.running() {
                    break;
                }
                load.send("read", client.get(format!("{base}{path}"))).await;
                tokio::time::sleep(THINK).await;
            }
        }));
    }
    for token in tokens {
        let (load, base, agent) = (load.clone(), base.to_owned(), muster_tests::bearer_client(&token));
        tasks.push(tokio::spawn(
            async move { ask_and_wait(&load, &base, &agent).await },
        ));
    }
    let (decider, decider_base) = (load.clone(), base.to_owned());
    tasks.push(tokio::spawn(async move {
        decide(&decider, &decider_base, &approver).await;
    }));

    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut took = Vec::new();
    load.phase.store(PHASES[0].0, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(phase).await;
    took.push(started.elapsed());

    load.phase.store(PHASES[1].0, Ordering::Relaxed);
    let started = Instant::now();
    let response = admin
        .post(format!("{base}/api/v1/imports/trufflehog?source=bench-load"))
        .body(report)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let summary: Value = response.json().await.unwrap();
    took.push(started.elapsed());
    assert!(status.is_success(), "the import: {status}: {summary}");
    println!(
        "phase B's import: {} findings, {} credentials created, in {:.1} s",
        summary["findings"],
        summary["credentials_created"],
        took[1].as_secs_f64()
    );

    load.phase.store(PHASES[2].0, Ordering::Relaxed);
    let started = Instant::now();
    let done = muster_server::scoring::recompute(db, chrono::Utc::now(), "bench-load")
        .await
        .expect("the recompute");
    took.push(started.elapsed());
    println!(
        "phase C's recompute: {} credentials and {} agents, {} rows written, in {:.1} s",
        done.scores.credentials(),
        done.scores.agents(),
        done.written,
        took[2].as_secs_f64()
    );
    load.phase.store(4, Ordering::Relaxed);
    load.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.abort();
    }
    report_phases(&load.samples.lock().unwrap(), &took);
}

/// An agent's loop: asks for an approval, long-polls it until decided, again.
async fn ask_and_wait(load: &Load, base: &str, agent: &reqwest::Client) {
    let mut asked = 0;
    while load.running() {
        asked += 1;
        let request = agent
            .post(format!("{base}/api/v1/approval-requests"))
            .header("idempotency-key", format!("bench-load-{asked}-{}", rand_suffix()))
            .json(&json!({
                "operation": "deploy:production",
                "resource": "bench-load-service",
                "parameters": { "version": asked },
                "justification": "a release under load",
            }));
        let Some(id) = load
            .send("ask", request)
            .await
            .and_then(|body| body["id"].as_i64())
        else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        load.pending.lock().unwrap().push_back(id);
        while load.running() {
            let url = format!("{base}/api/v1/approval-requests/{id}?wait=30s");
            match load.send("long-poll", agent.get(url)).await {
                Some(status) if status["state"] != "pending" => break,
                Some(_) => {}
                None => tokio::time::sleep(Duration::from_secs(1)).await,
            }
        }
    }
}

/// A value unique to this run, so that idempotency keys of an earlier run
/// on the same copy never answer for this one.
fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The approver: decides the oldest pending request, two a second.
async fn decide(load: &Load, base: &str, approver: &reqwest::Client) {
    let mut tick = tokio::time::interval(DECIDE_EVERY);
    while load.running() {
        tick.tick().await;
        let Some(id) = load.pending.lock().unwrap().pop_front() else {
            continue;
        };
        let decision = approver
            .post(format!("{base}/api/v1/approvals/{id}/decision"))
            .json(&json!({ "verdict": "approve", "comment": "" }));
        load.send("decide", decision).await;
    }
}

/// Per phase: requests a second, then per kind the count, p50, p99 and errors.
fn report_phases(samples: &[Sample], took: &[Duration]) {
    println!("\nMixed load ({SESSIONS} sessions, {AGENTS} agents long-polling, 2 decisions a second)");
    println!(
        "{:<30} {:>7} {:>8} {:>10} {:>7} {:>9} {:>9} {:>7} {:>8}",
        "phase", "secs", "req/s", "kind", "count", "p50 ms", "p99 ms", "5xx", "other"
    );
    let mut base_p99 = std::collections::HashMap::new();
    for ((phase, name), took) in PHASES.iter().zip(took) {
        let of_phase: Vec<&Sample> = samples.iter().filter(|s| s.0 == *phase).collect();
        // Long-polls wait by design: they count as answers, not as latency.
        let answered = of_phase.iter().filter(|s| s.1 != "long-poll").count();
        let mut first = true;
        for kind in ["read", "ask", "decide", "long-poll"] {
            let mut times: Vec<Duration> = of_phase.iter().filter(|s| s.1 == kind).map(|s| s.3).collect();
            times.sort();
            let server_errors = of_phase
                .iter()
                .filter(|s| s.1 == kind && (s.2 >= 500 || s.2 == 0))
                .count();
            let others = of_phase
                .iter()
                .filter(|s| s.1 == kind && (400..500).contains(&s.2))
                .count();
            let at = |q: usize| times.get((times.len() * q / 100).min(times.len().saturating_sub(1)));
            let (p50, p99) = (
                at(50).map_or(0.0, |d| d.as_secs_f64() * 1000.0),
                at(99).map_or(0.0, |d| d.as_secs_f64() * 1000.0),
            );
            let against = if *phase == PHASES[0].0 {
                base_p99.insert(kind, p99);
                String::new()
            } else if kind != "long-poll" {
                format!(
                    " ({:.1}x A)",
                    p99 / base_p99.get(kind).copied().unwrap_or(f64::NAN)
                )
            } else {
                String::new()
            };
            let (label, secs, rate) = if first {
                (
                    (*name).to_owned(),
                    format!("{:.1}", took.as_secs_f64()),
                    format!("{:.0}", answered as f64 / took.as_secs_f64()),
                )
            } else {
                Default::default()
            };
            first = false;
            println!(
                "{label:<30} {secs:>7} {rate:>8} {kind:>10} {:>7} {p50:>9.1} {p99:>9.1} {server_errors:>7} {others:>8}{against}",
                times.len()
            );
        }
    }
    let skipped = samples.iter().filter(|s| s.0 == WARM_UP).count();
    println!("({skipped} answers of the 5 s warm-up not counted; `other` are 4xx answers)");
}
