//! Benchmark of a full risk recompute on the `large` demo organisation.
//!
//! `make bench` runs it after the inventory benchmark. The baseline, measured
//! in the same run, is reading every row of the tables the model reads
//! (credentials, copies, reach, resources, activity, tools, agents), in
//! parallel as the recompute does, doing nothing with them: the recompute's
//! time is printed as a ratio to it, next to the target of 30 s.

use std::path::PathBuf;
use std::time::Instant;

use futures::TryStreamExt;
use muster_server::db::{Db, Target};

const TABLES: [&str; 8] = [
    "credential",
    "credential_copy",
    "reach",
    "resource",
    "activity_event",
    "tool_credential",
    "agent_tool",
    "agent",
];

async fn read_all(db: &Db, table: &str) -> usize {
    let mut conn = db.pool().acquire().await.unwrap();
    let sql = format!("SELECT * FROM {table}");
    let mut rows = sqlx::query(&sql).fetch(&mut *conn);
    let mut count = 0;
    while rows.try_next().await.unwrap().is_some() {
        count += 1;
    }
    count
}

#[tokio::main]
async fn main() {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| "target/bench/large.sqlite".into());
    let db = Db::open(&Target::Sqlite(path)).await.expect("the database opens");

    let started = Instant::now();
    let counts = futures::future::join_all(TABLES.iter().map(|table| read_all(&db, table))).await;
    let baseline = started.elapsed();
    let rows: usize = counts.iter().sum();
    println!(
        "baseline: read {rows} rows of {} tables in {:.1} s",
        TABLES.len(),
        baseline.as_secs_f64()
    );

    let started = Instant::now();
    let done = muster_server::scoring::recompute(&db, chrono::Utc::now(), "bench-risk")
        .await
        .expect("the recompute runs");
    let total = started.elapsed();
    println!(
        "recompute: {} credentials and {} agents in {:.1} s (load {:.1} s, score {:.1} s, store {:.1} s)",
        done.scores.credentials(),
        done.scores.agents(),
        total.as_secs_f64(),
        done.scores.load.as_secs_f64(),
        done.scores.score.as_secs_f64(),
        done.store.as_secs_f64()
    );
    println!(
        "ratio to baseline: {:.2}x; target: under 30 s ({})",
        total.as_secs_f64() / baseline.as_secs_f64(),
        if total.as_secs_f64() < 30.0 {
            "met"
        } else {
            "missed"
        }
    );
}
