//! The audit log through the API: filtered pages of entries for the Audit
//! screen, and the chain's status, for the `ciso` and `admin` roles.

use model::api::{self as json, Role};
use muster_tests::{Backend, on_every_backend, spawn_app};

async fn the_audit_list_filters_by_actor_action_target_and_time_newest_first(backend: Backend) {
    let app = spawn_app(backend).await;
    let ciso = app.signed_in_as("ciso@muster.test", &[Role::Ciso]).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let created = admin
        .post(app.url("/api/v1/accounts"))
        .json(&serde_json::json!({ "email": "dana@muster.test", "roles": ["viewer"], "password": "a long enough password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let dana: json::Account = created.json().await.unwrap();
    let list = |query: &'static str| {
        let ciso = ciso.clone();
        let url = app.url(&format!("/api/v1/audit{query}"));
        async move {
            let response = ciso.get(url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{query}");
            response.json::<json::Page<json::AuditEntry>>().await.unwrap()
        }
    };

    let all = list("").await;
    let actions: Vec<&str> = all.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "account.create",
            "session.sign_in",
            "session.sign_in",
            "session.sign_in"
        ],
        "newest first"
    );
    assert_eq!(all.total, 4);
    assert_eq!(
        all.items[0].details["email"], "dana@muster.test",
        "details are JSON"
    );
    assert_eq!(all.items[0].source_address.as_deref(), Some("127.0.0.1"));
    assert!(all.items[0].request_id.is_some());

    let by_admin = list("?actor=admin@muster.test").await;
    assert_eq!(by_admin.total, 2);
    let sign_ins = list("?action=session.").await;
    assert_eq!(sign_ins.total, 3, "a family by its prefix");
    assert_eq!(list("?action=session").await.total, 0, "a whole name otherwise");
    let about_dana = app.url(&format!("/api/v1/audit?target=account:{}", dana.id));
    let about_dana: json::Page<json::AuditEntry> =
        ciso.get(about_dana).send().await.unwrap().json().await.unwrap();
    assert_eq!(about_dana.items.len(), 1);
    assert_eq!(about_dana.items[0].action, "account.create");
    assert_eq!(list("?since=2999-01-01T00:00:00Z").await.total, 0);
    assert_eq!(list("?until=2000-01-01T00:00:00Z").await.total, 0);
    assert_eq!(list("?q=dana").await.total, 1, "free text searches the details");
    let oldest_first = list("?sort=seq&limit=1&page=2").await;
    assert_eq!(oldest_first.items[0].seq, 2);
    assert_eq!(oldest_first.total, 4);

    for bad in ["?since=yesterday", "?limit=0", "?sort=actor", "?who=me"] {
        let response = ciso
            .get(app.url(&format!("/api/v1/audit{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
    app.get_error("/api/v1/audit", 403, "forbidden").await;
}

async fn the_chain_status_says_intact_until_an_entry_is_altered_and_then_names_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let chain = || async {
        let response = admin.get(app.url("/api/v1/audit/chain")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json::<json::AuditChain>().await.unwrap()
    };

    let intact = chain().await;
    assert!(intact.intact, "{intact:?}");
    assert_eq!((intact.entries, intact.valid), (2, 2));
    assert_eq!(intact.first_bad, None);
    assert_eq!(intact.head_hash.len(), 64);

    sqlx::query("UPDATE audit_event SET actor = 'somebody else' WHERE seq = 1")
        .execute(app.db.pool())
        .await
        .unwrap();
    // The screen shows the last walk; a new one is asked for.
    assert!(chain().await.intact, "the last walk, not a new one");
    let response = admin.post(app.url("/api/v1/audit/chain")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let walked: json::AuditChain = response.json().await.unwrap();
    assert_eq!(walked.checked_by, "admin@muster.test");
    let broken = chain().await;
    assert_eq!(broken, walked);
    assert!(!broken.intact);
    assert_eq!(broken.first_bad, Some(1));
    assert_eq!(broken.tampering.as_deref(), Some("modified"));
    assert_eq!(broken.valid, 0);
    app.get_error("/api/v1/audit/chain", 403, "forbidden").await;
}

const COLUMNS: &str = "seq, occurred_at, actor_kind, actor, action, target, details, source_address, request_id, prev_hash, hash";

async fn one_streaming_walk_names_each_kind_of_tampering_past_its_first_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    // A log longer than the walk's page (5,000 entries).
    let mut tx = app.db.begin().await.unwrap();
    let now = chrono::Utc::now();
    for n in 0..6_000 {
        let entry = muster_server::audit::Entry::new(
            muster_server::audit::Actor::System("test".into()),
            "test.entry",
        )
        .details(serde_json::json!({ "n": n }));
        muster_server::audit::append(&mut tx, &entry, now).await.unwrap();
    }
    tx.commit().await.unwrap();
    let entries = app.count("SELECT COUNT(*) FROM audit_event").await;
    let run = |sql: String| {
        let pool = app.db.pool().clone();
        async move {
            for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
                sqlx::query(statement).execute(&pool).await.unwrap();
            }
        }
    };
    run(format!(
        "CREATE TABLE audit_backup AS SELECT {COLUMNS} FROM audit_event"
    ))
    .await;
    let restore = format!(
        "DELETE FROM audit_event; INSERT INTO audit_event ({COLUMNS}) SELECT {COLUMNS} FROM audit_backup"
    );
    let walk = || async {
        let response = admin.post(app.url("/api/v1/audit/chain")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.json::<json::AuditChain>().await.unwrap()
    };
    let intact = walk().await;
    assert!(intact.intact, "{intact:?}");
    assert_eq!((intact.entries, intact.valid), (entries, entries));
    for (tampering, sql, first_bad, valid) in [
        (
            "modified",
            "UPDATE audit_event SET actor = 'x' WHERE seq = 5500".to_owned(),
            5500,
            5499,
        ),
        (
            "deleted",
            "DELETE FROM audit_event WHERE seq = 5500".to_owned(),
            5501,
            5499,
        ),
        (
            "reordered",
            format!(
                "DELETE FROM audit_event WHERE seq IN (5500, 5501); INSERT INTO audit_event ({COLUMNS}) \
                 SELECT CASE seq WHEN 5500 THEN 5501 ELSE 5500 END, occurred_at, actor_kind, actor, action, \
                 target, details, source_address, request_id, prev_hash, hash FROM audit_backup \
                 WHERE seq IN (5500, 5501)"
            ),
            5500,
            5499,
        ),
        (
            "truncated",
            format!("DELETE FROM audit_event WHERE seq > {}", entries - 100),
            entries - 99,
            entries - 100,
        ),
    ] {
        run(restore.clone()).await;
        run(sql).await;
        let broken = walk().await;
        assert_eq!(
            (broken.tampering.as_deref(), broken.first_bad, broken.valid),
            (Some(tampering), Some(first_bad), valid),
            "{broken:?}"
        );
    }
}

on_every_backend!(
    one_streaming_walk_names_each_kind_of_tampering_past_its_first_page,
    the_audit_list_filters_by_actor_action_target_and_time_newest_first,
    the_chain_status_says_intact_until_an_entry_is_altered_and_then_names_it,
);
