//! `muster audit verify` finds each kind of tampering with the hash chain and
//! says so with its exit code: 0 intact, 1 tampered with, 2 cannot verify.

use std::path::Path;
use std::process::Command;

use chrono::Utc;
use muster_server::audit::{self, Actor, Entry};
use muster_server::db::{Db, Target};

/// A fresh SQLite log with five entries.
async fn log_with_five_entries(dir: &Path) -> Db {
    let db = Db::open(&Target::Sqlite(dir.join("muster.sqlite")))
        .await
        .unwrap();
    for n in 1..=5 {
        let mut tx = db.pool().begin().await.unwrap();
        let entry = Entry {
            actor: Actor::Person(format!("person{n}@acme.example")),
            action: "owner.assign".into(),
            target: Some(format!("agent:{n}")),
            details: serde_json::json!({ "before": null, "after": n }),
            source_address: Some("127.0.0.1".into()),
            request_id: Some(format!("req-{n}")),
        };
        audit::append(&mut tx, &entry, Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
    }
    db
}

fn verify(dir: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_muster"))
        .args(["audit", "verify", "--database"])
        .arg(dir.join("muster.sqlite"))
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    )
}

async fn run(db: &Db, sql: &str) {
    for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
        sqlx::query(statement).execute(db.pool()).await.unwrap();
    }
}

#[tokio::test]
async fn an_untouched_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    log_with_five_entries(dir.path()).await;

    let (code, out) = verify(dir.path());

    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("5/5 entries valid"), "{out}");
}

#[tokio::test]
async fn a_modified_entry_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = log_with_five_entries(dir.path()).await;
    run(
        &db,
        "UPDATE audit_event SET details = '{\"after\":99}' WHERE seq = 3",
    )
    .await;

    assert_eq!(
        verify(dir.path()),
        (1, "2/5 entries valid; first bad entry #3: modified".into())
    );
}

#[tokio::test]
async fn a_deleted_entry_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = log_with_five_entries(dir.path()).await;
    run(&db, "DELETE FROM audit_event WHERE seq = 3").await;

    assert_eq!(
        verify(dir.path()),
        (1, "2/4 entries valid; first bad entry #4: deleted".into())
    );
}

#[tokio::test]
async fn an_entry_slipped_into_the_middle_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = log_with_five_entries(dir.path()).await;
    // Renumber 4 and 5, then forge a well-formed entry 4 chained to 3.
    run(&db, "UPDATE audit_event SET seq = seq + 10 WHERE seq >= 4; UPDATE audit_event SET seq = seq - 9 WHERE seq >= 14")
        .await;
    let prev: String = sqlx::query_scalar("SELECT hash FROM audit_event WHERE seq = 3")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let mut forged = audit::Stored {
        seq: 4,
        occurred_at: "2026-11-22T00:00:00Z".into(),
        actor_kind: "person".into(),
        actor: "mallory@acme.example".into(),
        action: "owner.assign".into(),
        target: Some("agent:9".into()),
        details: "{}".into(),
        source_address: None,
        request_id: None,
        prev_hash: prev,
        hash: String::new(),
    };
    forged.hash = forged.expected_hash();
    sqlx::query(
        "INSERT INTO audit_event (seq, occurred_at, actor_kind, actor, action, target, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(forged.seq)
    .bind(&forged.occurred_at)
    .bind(&forged.actor_kind)
    .bind(&forged.actor)
    .bind(&forged.action)
    .bind(&forged.target)
    .bind(&forged.details)
    .bind(&forged.prev_hash)
    .bind(&forged.hash)
    .execute(db.pool())
    .await
    .unwrap();

    let (code, out) = verify(dir.path());

    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("first bad entry #4: inserted"), "{out}");
}

#[tokio::test]
async fn an_entry_appended_behind_the_log_s_back_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = log_with_five_entries(dir.path()).await;
    run(
        &db,
        "INSERT INTO audit_event (seq, occurred_at, actor_kind, actor, action, details, prev_hash, hash) \
         SELECT 6, occurred_at, actor_kind, actor, action, details, hash, hash FROM audit_event WHERE seq = 5",
    )
    .await;

    let (code, out) = verify(dir.path());

    assert_eq!(code, 1, "{out}");
    assert!(out.contains("#6: "), "{out}");
}

#[tokio::test]
async fn swapped_entries_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = log_with_five_entries(dir.path()).await;
    run(&db, "UPDATE audit_event SET seq = 99 WHERE seq = 2; UPDATE audit_event SET seq = 2 WHERE seq = 3; UPDATE audit_event SET seq = 3 WHERE seq = 99").await;

    assert_eq!(
        verify(dir.path()),
        (1, "1/5 entries valid; first bad entry #2: reordered".into())
    );
}

#[tokio::test]
async fn a_cut_off_tail_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = log_with_five_entries(dir.path()).await;
    run(&db, "DELETE FROM audit_event WHERE seq >= 4").await;

    assert_eq!(
        verify(dir.path()),
        (1, "3/3 entries valid; first bad entry #4: truncated".into())
    );
}

#[tokio::test]
async fn an_unreadable_database_cannot_be_verified() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("muster.sqlite"), "this is not a database").unwrap();

    let (code, _) = verify(dir.path());

    assert_eq!(code, 2);
}

#[tokio::test]
async fn the_demo_generation_is_audited_and_exported_as_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&Target::Sqlite(dir.path().join("muster.sqlite")))
        .await
        .unwrap();
    let fingerprinter = muster_server::fingerprint::Fingerprinter::new([1; 32]);
    let scale = muster_server::demo::ScaleName::Small.scale();
    muster_server::demo::generate(&db, scale, 7, Utc::now(), &fingerprinter, |_, _, _| {})
        .await
        .unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_muster"))
        .args(["audit", "export", "--since", "2000-01-01T00:00:00Z", "--database"])
        .arg(dir.path().join("muster.sqlite"))
        .output()
        .unwrap();

    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["activity_name"], "inventory.demo_generate");
    assert_eq!(lines[0]["actor"]["user"]["type"], "system");
    assert_eq!(lines[0]["unmapped"]["seed"], 7);
    assert_eq!(lines[1]["activity_name"], "risk.recompute", "then the scores");
    assert_eq!(lines[1]["unmapped"]["credentials"], scale.credentials);
    assert_eq!(verify(dir.path()).0, 0);
}
