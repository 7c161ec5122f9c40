//! Benchmark of `muster audit verify` on a chain of 1,000,000 entries
//! (`--entries N`), against a baseline measured in the same run: a plain
//! streaming read of the same rows that hashes each one (SHA-256 of its
//! fields) and checks nothing.
//!
//! `make bench-audit` runs it on a fresh SQLite database in `target/bench/`,
//! and on PostgreSQL too when `MUSTER_BENCH_POSTGRES` names an empty
//! database. The chain is written by bulk insert with each entry's hash
//! worked out by the server's own function ([`Stored::expected_hash`]),
//! so the verification walks a chain it accepts.

use std::path::Path;
use std::time::Instant;

use futures::TryStreamExt;
use muster_server::audit::Stored;
use muster_server::db::sql::Value;
use muster_server::db::{Db, Target, bulk};
use sha2::{Digest, Sha256};
use sqlx::Row;

const COLUMNS: &[&str] = &[
    "seq",
    "occurred_at",
    "actor_kind",
    "actor",
    "action",
    "target",
    "details",
    "source_address",
    "request_id",
    "prev_hash",
    "hash",
];

/// Rows written a transaction at a time.
const BATCH: usize = 50_000;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut entries = 1_000_000;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--entries" => entries = args.next().and_then(|v| v.parse().ok()).expect("--entries N"),
            other => panic!("unknown argument {other}: --entries N"),
        }
    }
    std::fs::create_dir_all("target/bench").unwrap();
    let sqlite = muster_tests::bench::fresh(Path::new("target/bench"), "audit.sqlite").await;
    measure("SQLite", &sqlite, entries).await;
    if let Ok(url) = std::env::var("MUSTER_BENCH_POSTGRES") {
        let db = Db::open(&Target::Postgres(url))
            .await
            .expect("the PostgreSQL database opens");
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(existing, 0, "MUSTER_BENCH_POSTGRES must name an empty database");
        measure("PostgreSQL", &db, entries).await;
    }
}

/// Writes a chain of `entries` into `db`, then times the baseline and `verify`.
async fn measure(engine: &str, db: &Db, entries: usize) {
    let started = Instant::now();
    let head = write_chain(db, entries).await;
    println!(
        "{engine}: wrote a chain of {entries} entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let (read, digest) = read_and_hash(db).await;
    let baseline = started.elapsed().as_secs_f64();
    println!(
        "{engine} baseline: streamed and hashed {read} rows in {baseline:.1} s ({:.0} rows/s; digest {})",
        read as f64 / baseline,
        &digest[..12]
    );

    let started = Instant::now();
    let verification = muster_server::audit::verify(db).await.expect("the verification");
    let took = started.elapsed().as_secs_f64();
    assert!(verification.problem.is_none(), "{verification}");
    assert_eq!(verification.head_hash, head);
    println!(
        "{engine} audit verify: {verification} in {took:.1} s ({:.0} entries/s); {:.2}x the baseline's time",
        verification.entries as f64 / took,
        took / baseline
    );
}

/// Bulk-inserts a valid chain of `entries` and moves the head to its end;
/// answers the head's hash.
async fn write_chain(db: &Db, entries: usize) -> String {
    let mut previous = "0".repeat(64);
    let start = chrono::Utc::now() - chrono::Duration::days(365);
    let mut seq = 0_i64;
    while (seq as usize) < entries {
        let mut rows = Vec::with_capacity(BATCH * COLUMNS.len());
        for _ in 0..BATCH.min(entries - seq as usize) {
            seq += 1;
            let mut entry = Stored {
                seq,
                occurred_at: muster_server::db::sql::timestamp(start + chrono::Duration::seconds(seq * 30)),
                actor_kind: "person".into(),
                actor: format!("person{}@acme.test", seq % 500),
                action: [
                    "owner.assign",
                    "approval.approve",
                    "import.trufflehog",
                    "credential.revoke",
                ][seq as usize % 4]
                    .into(),
                target: Some(format!("credential:{}", seq % 200_000 + 1)),
                details: format!(
                    r#"{{"before":{{"owner":{}}},"after":{{"owner":{}}}}}"#,
                    seq % 97,
                    seq % 89
                ),
                source_address: Some(format!("10.0.{}.{}", seq % 200, seq % 250 + 1)),
                request_id: Some(format!("{seq:032x}")),
                prev_hash: previous,
                hash: String::new(),
            };
            entry.hash = entry.expected_hash();
            previous = entry.hash.clone();
            rows.extend([
                Value::Int(entry.seq),
                entry.occurred_at.into(),
                entry.actor_kind.into(),
                entry.actor.into(),
                entry.action.into(),
                entry.target.map_or(Value::NullText, Value::Text),
                entry.details.into(),
                entry.source_address.map_or(Value::NullText, Value::Text),
                entry.request_id.map_or(Value::NullText, Value::Text),
                entry.prev_hash.into(),
                entry.hash.into(),
            ]);
        }
        let mut tx = db.begin().await.unwrap();
        bulk::insert(&mut tx, db.backend(), "audit_event", COLUMNS, &rows)
            .await
            .unwrap();
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(&previous)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    previous
}

/// The baseline: every row of the log in order, one stream, each row's
/// fields hashed; answers the rows read and a digest of their hashes.
async fn read_and_hash(db: &Db) -> (usize, String) {
    let mut conn = db.pool().acquire().await.unwrap();
    let mut rows = sqlx::query("SELECT * FROM audit_event ORDER BY seq").fetch(&mut *conn);
    let (mut count, mut all) = (0, Sha256::new());
    while let Some(row) = rows.try_next().await.unwrap() {
        let mut hasher = Sha256::new();
        hasher.update(row.try_get::<i64, _>("seq").unwrap().to_le_bytes());
        for column in &COLUMNS[1..] {
            if let Some(text) = row.try_get::<Option<String>, _>(*column).unwrap() {
                hasher.update(text.as_bytes());
            }
            hasher.update([0]);
        }
        all.update(hasher.finalize());
        count += 1;
    }
    let digest = all.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (count, digest)
}
