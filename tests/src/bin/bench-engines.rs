//! PostgreSQL beside SQLite (issue 26): the inventory, an import and the
//! full risk recompute on both engines in one run, at ½×, 1× and 2× the
//! `large` organisation (`--factors 0.5,1,2`).
//!
//! `make bench-engines` runs it; PostgreSQL is the server of
//! `MUSTER_TEST_POSTGRES` (each organisation gets a new database there,
//! dropped afterwards), SQLite a file in a new temporary folder. Per engine
//! and size it prints:
//! - the generation of the organisation (the inventory's bulk write);
//! - three recomputes: the first scoring (every row written), the same
//!   again with nothing changed (nothing written), and after 1 % of the
//!   credentials were revoked behind its back (only what that changed);
//! - at 1× only: p99 of five inventory reads over HTTP and an import of
//!   100,000 trufflehog findings of 20,000 secrets.
//!
//! The goal: a recompute of `large` under 30 s on both engines, and rows
//! written in proportion to what changed.

use std::time::{Duration, Instant};

use muster_server::db::Db;
use muster_server::demo::{self, ScaleName};
use muster_server::fingerprint::Fingerprinter;
use muster_tests::{Backend, TestDatabase, bench};

/// Reads timed at 1×, as the Overview's lists and search send them.
const READS: &[&str] = &[
    "/api/v1/agents?category=cloud&environment=prod&sanctioned=false",
    "/api/v1/credentials?kind=access_key&status=active&page=20",
    "/api/v1/credentials?q=deploy-assistant-1234",
    "/api/v1/search?q=payments-release",
    "/api/v1/overview",
];

#[tokio::main]
async fn main() {
    bench::log_import_phases();
    let mut args = std::env::args().skip(1);
    let mut factors = vec![0.5, 1.0, 2.0];
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--factors" => {
                factors = args
                    .next()
                    .expect("--factors 0.5,1,2")
                    .split(',')
                    .map(|f| f.parse().expect("a number"))
                    .collect()
            }
            other => panic!("unknown argument {other}: --factors 0.5,1,2"),
        }
    }
    let mut engines = vec![Backend::Sqlite];
    if std::env::var("MUSTER_TEST_POSTGRES").is_ok() {
        engines.push(Backend::Postgres);
    } else {
        eprintln!("MUSTER_TEST_POSTGRES is not set: SQLite only");
    }
    let keys = Fingerprinter::new([7; 32]);
    let mut table = Vec::new();
    for engine in &engines {
        for factor in &factors {
            table.push(organisation(*engine, *factor, &keys).await);
        }
    }
    println!("\nFull recompute by engine and size (s; rows written)");
    println!(
        "{:<11} {:>5} {:>12} {:>8} {:>22} {:>22} {:>22}",
        "engine", "size", "credentials", "write s", "first", "unchanged", "1 % revoked"
    );
    for row in table {
        println!("{row}");
    }
}

/// One organisation's figures, a line of the final table.
async fn organisation(engine: Backend, factor: f64, keys: &Fingerprinter) -> String {
    let name = format!("{engine:?}");
    let database = TestDatabase::create(engine).await;
    let db = Db::open(database.target()).await.expect("the database opens");
    let large = ScaleName::Large.scale();
    let times = |n: usize| ((n as f64) * factor).round() as usize;
    let scale = demo::Scale {
        teams: times(large.teams),
        people: times(large.people),
        agents: times(large.agents),
        tools: times(large.tools),
        credentials: times(large.credentials),
        copies: times(large.copies),
        resources: times(large.resources),
        reach: times(large.reach),
        events: times(large.events),
    };
    println!("\n{name} at {factor}x large ({} credentials)", scale.credentials);
    let started = Instant::now();
    demo::generate(&db, scale, 42, chrono::Utc::now(), keys, |_, _, _| {})
        .await
        .expect("the organisation is generated");
    let generated = started.elapsed();
    println!("  generated in {:.1} s", generated.as_secs_f64());

    let first = recompute(&db, "first").await;
    let unchanged = recompute(&db, "unchanged").await;
    let revoked =
        sqlx::query("UPDATE credential SET status = 'revoked' WHERE id % 100 = 0 AND status = 'active'")
            .execute(db.pool())
            .await
            .unwrap()
            .rows_affected();
    println!("  revoked {revoked} credentials behind the recompute's back");
    let changed = recompute(&db, "1 % revoked").await;

    if factor == 1.0 {
        reads(&db).await;
        import(&db, keys).await;
    }
    db.pool().close().await;
    let cell = |(took, written): (Duration, usize)| format!("{:.1} s; {written}", took.as_secs_f64());
    format!(
        "{name:<11} {factor:>4}x {:>12} {:>8.1} {:>22} {:>22} {:>22}",
        scale.credentials,
        generated.as_secs_f64(),
        cell(first),
        cell(unchanged),
        cell(changed)
    )
}

/// A full recompute (as the daily job runs it): how long, rows written.
async fn recompute(db: &Db, what: &str) -> (Duration, usize) {
    let started = Instant::now();
    let done = muster_server::scoring::recompute(db, chrono::Utc::now(), "bench-engines")
        .await
        .expect("the recompute");
    let took = started.elapsed();
    println!(
        "  recompute ({what}): {:.1} s (load {:.1}, score {:.1}, store {:.1}); {} rows written",
        took.as_secs_f64(),
        done.scores.load.as_secs_f64(),
        done.scores.score.as_secs_f64(),
        done.store.as_secs_f64(),
        done.written
    );
    (took, done.written)
}

/// p50 and p99 of 100 sequential requests per read, after 10 to warm up.
async fn reads(db: &Db) {
    let base = bench::serve(db, std::path::Path::new("/nonexistent-dist")).await;
    let client = bench::signed_in_client(db, &base).await;
    for path in READS {
        let mut times = Vec::new();
        for round in 0..110 {
            let started = Instant::now();
            let response = client.get(format!("{base}{path}")).send().await.unwrap();
            assert!(response.status().is_success(), "{path}: {}", response.status());
            response.bytes().await.unwrap();
            if round >= 10 {
                times.push(started.elapsed());
            }
        }
        times.sort();
        println!(
            "  {path:<66} p50 {:>6.1} ms, p99 {:>6.1} ms",
            times[50].as_secs_f64() * 1000.0,
            times[98].as_secs_f64() * 1000.0
        );
    }
}

/// 100,000 trufflehog findings of 20,000 secrets, read in this process.
async fn import(db: &Db, keys: &Fingerprinter) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("findings.jsonl");
    muster_tests::reports::write_trufflehog(
        std::fs::File::create(&path).unwrap(),
        100_000,
        20_000,
        "engines",
    )
    .unwrap();
    let request = muster_server::import::Request {
        kind: model::api::ImportKind::Trufflehog,
        source: Some("bench".into()),
        full: true,
        actor: muster_server::audit::Actor::System("bench-engines".into()),
        origin: muster_server::audit::Source::default(),
    };
    let started = Instant::now();
    let summary = muster_server::import::run(
        db,
        keys,
        &request,
        &[muster_server::import::ReportFile {
            name: "findings.jsonl".into(),
            path,
        }],
    )
    .await
    .expect("the import");
    println!(
        "  import: {} findings of {} secrets in {:.1} s",
        summary.findings,
        summary.secrets,
        started.elapsed().as_secs_f64()
    );
}
