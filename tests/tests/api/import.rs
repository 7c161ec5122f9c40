//! Importing secret scanners' reports (fixtures in `tests/fixtures`, in the
//! tools' own formats): copies of one secret join one credential by its
//! keyed fingerprint, the secret is never stored nor answered, the same
//! report twice changes nothing, a later full import marks vanished copies
//! removed, and bad reports are refused whole.

use model::api::{self as json, Role};
use muster_tests::{Backend, TestApp, fixture, on_every_backend, spawn_app};
use serde_json::Value;

/// The secrets in the fixtures (the AWS key id is not one: it is stored as
/// the credential's identifier, as CloudTrail and IAM name the key).
const SECRETS: &[&str] = &[
    "ghp_muster0fixture0secret0one0000000000",
    "muster/fixture/aws/secret/three",
    "xoxb-muster-fixture-slack-secret-two",
    "sk-muster-fixture-openai-secret-four",
];

/// Imports a fixture, checking that the answer holds no secret.
async fn import(app: &TestApp, admin: &reqwest::Client, kind: &str, query: &str, file: &str) -> (u16, Value) {
    let (status, body) = app.import(admin, &format!("{kind}{query}"), fixture(file)).await;
    assert_no_secret(&body.to_string(), "the import's answer");
    (status, body)
}

fn assert_no_secret(text: &str, what: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} holds a secret: {text}");
    }
}

/// Every text the database holds about credentials, copies, imports and the audit.
async fn stored_text(app: &TestApp) -> String {
    let mut text = String::new();
    for sql in [
        "SELECT name || ' ' || external_id || ' ' || fingerprint || ' ' || scopes FROM credential",
        "SELECT locator || ' ' || found_by || ' ' || COALESCE(author_email, '') FROM credential_copy",
        "SELECT kind || ' ' || source FROM import_run",
        "SELECT action || ' ' || details FROM audit_event",
    ] {
        for row in sqlx::query_scalar::<_, String>(sql)
            .fetch_all(app.db.pool())
            .await
            .unwrap()
        {
            text.push_str(&row);
            text.push('\n');
        }
    }
    text
}

async fn copies_of(app: &TestApp, credential: i64) -> Vec<(String, String, String)> {
    sqlx::query_as(&format!(
        "SELECT kind, locator, status FROM credential_copy WHERE credential_id = {credential} ORDER BY locator"
    ))
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

async fn credential_with(app: &TestApp, provider: &str) -> i64 {
    sqlx::query_scalar(&format!(
        "SELECT id FROM credential WHERE provider = '{provider}'"
    ))
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

async fn a_gitleaks_report_joins_copies_of_one_secret_and_never_keeps_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (status, summary) = import(
        &app,
        &admin,
        "gitleaks",
        "?source=acme/app",
        "gitleaks/report.json",
    )
    .await;
    assert_eq!(status, 200, "{summary}");
    let summary: json::ImportSummary = serde_json::from_value(summary).unwrap();
    assert_eq!(
        (
            summary.findings,
            summary.skipped,
            summary.secrets,
            summary.credentials_created,
            summary.copies_created
        ),
        (8, 1, 3, 3, 7)
    );
    assert_eq!(summary.found_by, "gitleaks:acme/app");

    let github = credential_with(&app, "github").await;
    let copies = copies_of(&app, github).await;
    assert_eq!(copies.len(), 5, "one credential, five places: {copies:?}");
    let kinds: Vec<&str> = copies.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "env_file",
            "ci_config",
            "repository_file",
            "repository_file",
            "repository_file"
        ]
    );
    assert!(
        copies
            .iter()
            .any(|(_, l, _)| l == "acme/app/docs/résumé/設定.md:7@c3d4e5f60718"),
        "{copies:?}"
    );
    let aws: (String, String) =
        sqlx::query_as("SELECT kind, external_id FROM credential WHERE provider = 'aws'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(aws, ("access_key".to_owned(), "AKIAMUSTERFIXTURE001".to_owned()));

    assert_no_secret(&stored_text(&app).await, "the database");
    let list = app
        .get("/api/v1/credentials?limit=200")
        .await
        .text()
        .await
        .unwrap();
    assert_no_secret(&list, "the credentials list");
    let detail = app
        .get(&format!("/api/v1/credentials/{github}"))
        .await
        .text()
        .await
        .unwrap();
    assert_no_secret(&detail, "a credential's page");
    assert!(detail.contains("ci_config"), "its copies are on its page");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'import.run'")
            .await,
        1
    );
}

async fn the_same_report_twice_changes_nothing_the_second_time(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    import(&app, &admin, "gitleaks", "", "gitleaks/report.json").await;
    let facts = "SELECT c.name || c.status || c.risk_score || cp.locator || cp.status || cp.first_seen || cp.last_seen \
                 FROM credential_copy cp JOIN credential c ON c.id = cp.credential_id ORDER BY cp.id";
    let before: Vec<String> = sqlx::query_scalar(facts).fetch_all(app.db.pool()).await.unwrap();
    let (status, again) = import(&app, &admin, "gitleaks", "", "gitleaks/report.json").await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            again["credentials_created"].as_i64(),
            again["copies_created"].as_i64(),
            again["copies_removed"].as_i64()
        ),
        (Some(0), Some(0), Some(0))
    );
    let after: Vec<String> = sqlx::query_scalar(facts).fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(before, after);
}

async fn a_later_full_import_marks_vanished_copies_removed_and_a_partial_one_does_not(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    import(
        &app,
        &admin,
        "gitleaks",
        "?source=acme/app",
        "gitleaks/report.json",
    )
    .await;
    import(
        &app,
        &admin,
        "gitleaks",
        "?source=acme/other",
        "gitleaks/report.json",
    )
    .await;
    let (_, partial) = import(
        &app,
        &admin,
        "gitleaks",
        "?source=acme/app&full=false",
        "gitleaks/report-later.json",
    )
    .await;
    assert_eq!(partial["copies_removed"], 0);
    let (_, full) = import(
        &app,
        &admin,
        "gitleaks",
        "?source=acme/app",
        "gitleaks/report-later.json",
    )
    .await;
    assert_eq!(full["copies_removed"], 1, "{full}");
    let env: Vec<(String, String)> = sqlx::query_as(
        "SELECT found_by, status FROM credential_copy WHERE kind = 'env_file' ORDER BY found_by",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        env,
        [
            ("gitleaks:acme/app".to_owned(), "removed".to_owned()),
            ("gitleaks:acme/other".to_owned(), "present".to_owned())
        ],
        "only the source imported again loses the copy"
    );
    let (_, back) = import(
        &app,
        &admin,
        "gitleaks",
        "?source=acme/app",
        "gitleaks/report.json",
    )
    .await;
    assert_eq!(
        (back["copies_created"].as_i64(), back["copies_removed"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM credential_copy WHERE status = 'removed'")
            .await,
        0,
        "found again, it is present again"
    );
}

async fn trufflehog_findings_join_the_credentials_gitleaks_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    import(&app, &admin, "gitleaks", "", "gitleaks/report.json").await;
    let (status, summary) = import(&app, &admin, "trufflehog", "", "trufflehog/findings.jsonl").await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (
            summary["findings"].as_i64(),
            summary["credentials_created"].as_i64(),
            summary["copies_created"].as_i64()
        ),
        (Some(3), Some(1), Some(3)),
        "the AWS key joins by its id, the GitHub token by its fingerprint; only the OpenAI key is new"
    );
    let aws = credential_with(&app, "aws").await;
    let places: Vec<String> = copies_of(&app, aws)
        .await
        .into_iter()
        .map(|(_, l, _)| l)
        .collect();
    assert_eq!(
        places,
        [
            "https://github.com/acme/infra/deploy/aws.env:2@9a8b7c6d5e4f",
            "terraform/main.tf:9@f60718293a4b"
        ]
    );
    let github = credential_with(&app, "github").await;
    assert!(
        copies_of(&app, github)
            .await
            .iter()
            .any(|(k, l, _)| k == "chat_message" && l.contains("#deploys"))
    );
    let openai = credential_with(&app, "openai").await;
    assert_eq!(copies_of(&app, openai).await[0].0, "env_file");
    assert_no_secret(&stored_text(&app).await, "the database");
}

async fn bad_reports_are_refused_whole_saying_where(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    for (kind, file, expected) in [
        ("gitleaks", "gitleaks/truncated.json", "EOF while parsing"),
        ("gitleaks", "gitleaks/wrong-type.json", "finding 2"),
        (
            "gitleaks",
            "trufflehog/findings.jsonl",
            "a JSON array of gitleaks findings",
        ),
        ("trufflehog", "gitleaks/report.json", "line 1"),
    ] {
        let (status, body) = import(&app, &admin, kind, "", file).await;
        assert_eq!(status, 422, "{file} as {kind}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{file} as {kind}: {message}");
    }
    let empty = admin
        .post(app.url("/api/v1/imports/gitleaks"))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
    let unknown = admin
        .post(app.url("/api/v1/imports/nessus"))
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let long = admin
        .post(app.url(&format!("/api/v1/imports/gitleaks?source={}", "x".repeat(201))))
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), 400);
    for table in ["credential", "credential_copy", "import_run"] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            0,
            "nothing half-imported in {table}"
        );
    }
    let manager = app.signed_in_as("manager@muster.test", &[Role::Manager]).await;
    let refused = manager
        .post(app.url("/api/v1/imports/gitleaks"))
        .body(fixture("gitleaks/report.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
}

async fn a_revoked_secret_found_again_by_an_import_reopens_its_revocation(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    import(
        &app,
        &admin,
        "gitleaks",
        "?source=acme/app",
        "gitleaks/report.json",
    )
    .await;
    let github = credential_with(&app, "github").await;
    let post = |path: String, body: Value| {
        let admin = admin.clone();
        async move {
            let response = admin.post(path).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, revocation) = post(
        app.url(&format!("/api/v1/credentials/{github}/revocation")),
        serde_json::json!({ "reason": "leaked in five places" }),
    )
    .await;
    assert_eq!(status, 201, "{revocation}");
    let id = revocation["id"].as_i64().unwrap();
    let (status, _) = post(
        app.url(&format!("/api/v1/revocations/{id}/transitions")),
        serde_json::json!({ "to": "revoked", "note": "deleted at GitHub" }),
    )
    .await;
    assert_eq!(status, 200);
    for (copy, _, _) in sqlx::query_as::<_, (i64, String, String)>(&format!(
        "SELECT id, kind, status FROM credential_copy WHERE credential_id = {github}"
    ))
    .fetch_all(app.db.pool())
    .await
    .unwrap()
    {
        let (status, body) = post(
            app.url(&format!("/api/v1/revocations/{id}/checklist")),
            serde_json::json!({ "copy": copy, "state": "removed" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let state = |app: &TestApp| {
        let pool = app.db.pool().clone();
        async move {
            sqlx::query_scalar::<_, String>(&format!("SELECT state FROM revocation WHERE id = {id}"))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(state(&app).await, "complete");

    // The same report again: the copies are still there, so the revocation is not over.
    let (status, again) = import(
        &app,
        &admin,
        "gitleaks",
        "?source=acme/app",
        "gitleaks/report.json",
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["revocations_reopened"], 1, "{again}");
    assert_eq!(state(&app).await, "revoked");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM revocation_copy WHERE revocation_id = {id} AND state = 'pending'"
        ))
        .await,
        5,
        "every place is back on the checklist"
    );

    // A place not seen before joins the checklist too.
    let mut report: Vec<Value> = serde_json::from_slice(&fixture("gitleaks/report.json")).unwrap();
    report.truncate(1);
    report[0]["File"] = "infra/new-place.env".into();
    let (status, later) = app
        .import(
            &admin,
            "gitleaks?source=acme/app&full=false",
            serde_json::to_vec(&report).unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{later}");
    assert_eq!(later["copies_created"], 1, "{later}");
    let pending: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT c.locator FROM revocation_copy r JOIN credential_copy c ON c.id = r.copy_id \
         WHERE r.revocation_id = {id} AND r.state = 'pending' ORDER BY c.locator"
    ))
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(pending.len(), 6, "{pending:?}");
    assert!(
        pending
            .iter()
            .any(|locator| locator.contains("infra/new-place.env")),
        "{pending:?}"
    );
}

/// `text` repeated to `size` bytes, gzipped: a few hundred KB that unpack to far more.
fn gzip_bomb(head: &str, filler: u8, size: usize, tail: &str) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(head.as_bytes()).unwrap();
    let chunk = vec![filler; 1024 * 1024];
    for _ in 0..size / chunk.len() {
        encoder.write_all(&chunk).unwrap();
    }
    encoder.write_all(tail.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

async fn a_gzip_bomb_is_refused_naming_the_limit_and_nothing_is_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let runs = app.count("SELECT COUNT(*) FROM import_run").await;
    for (kind, bomb) in [
        // Blank lines trufflehog's reader skips, and whitespace inside a gitleaks array:
        // both would be read to the end, however long.
        ("trufflehog", gzip_bomb("", b'\n', 96 * 1024 * 1024, "")),
        ("gitleaks", gzip_bomb("[", b' ', 96 * 1024 * 1024, "]")),
    ] {
        assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes packed", bomb.len());
        let (status, body) = app.import(&admin, kind, bomb).await;
        assert_eq!(status, 422, "{kind}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("gzip bomb") && message.contains("MiB"),
            "{message}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM import_run").await,
        runs,
        "nothing kept"
    );
}

/// The first line of a real credential report.
fn credential_report_header() -> String {
    let report = String::from_utf8(muster_tests::fixture("aws/credential-report.csv")).unwrap();
    report.lines().next().unwrap().to_owned()
}

async fn huge_values_deep_nesting_and_yaml_alias_bombs_are_refused_naming_the_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let runs = app.count("SELECT COUNT(*) FROM import_run").await;
    let long = "A".repeat(2 * 1024 * 1024);
    let laughs = {
        let mut yaml = String::from(
            "version: 1\na0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
        );
        for level in 1..12 {
            let previous = format!("*a{}", level - 1);
            yaml.push_str(&format!(
                "a{level}: &a{level} [{}]\n",
                vec![previous; 9].join(", ")
            ));
        }
        yaml.push_str("teams: *a11\n");
        yaml
    };
    for (kind, report, limit) in [
        (
            "gitleaks",
            format!(r#"[{{"RuleID": "aws", "Secret": "{long}", "File": "x"}}]"#),
            "longer than 1 MiB",
        ),
        (
            "trufflehog",
            format!("{{\"SourceMetadata\": \"{long}\"}}\n"),
            "longer than 1 MiB",
        ),
        (
            "cloudtrail",
            format!(
                r#"{{"Records": [{{"eventName": {}}}]}}"#,
                "9".repeat(2 * 1024 * 1024)
            ),
            "longer than 1 MiB",
        ),
        (
            "aws_credential_report",
            format!("{}\n{long},x\n", credential_report_header()),
            "longer than 1 MiB",
        ),
        (
            "inventory",
            format!("version: 1\nteams:\n  - name: {long}\n"),
            "longer than 1 MiB",
        ),
        // Deep nesting: the parsers stop at their depth limit or at the first
        // value of the wrong type, whichever comes first; never a crash.
        (
            "gitleaks",
            format!(r#"[{{"Extra": {}{}}}]"#, "[".repeat(100_000), "]".repeat(100_000)),
            "finding 1",
        ),
        (
            "aws_iam",
            format!("{}{}", r#"{"a":"#.repeat(50_000), "}".repeat(50_000)),
            "",
        ),
        (
            "inventory",
            format!(
                "version: 1\nteams: {}{}\n",
                "[".repeat(10_000),
                "]".repeat(10_000)
            ),
            "",
        ),
        ("inventory", laughs, "alias bomb"),
        (
            "inventory",
            format!(
                "version: 1\nteams:\n  - name: &s {}\n{}",
                "s".repeat(900 * 1024),
                "  - name: *s\n".repeat(20)
            ),
            "alias bomb",
        ),
    ] {
        let started = std::time::Instant::now();
        let (status, body) = app.import(&admin, kind, report.into_bytes()).await;
        assert_eq!(status, 422, "{kind}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(limit), "{kind}: {message}");
        assert!(
            message.len() < 600,
            "{kind}: a short message, not the input: {message}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{kind} refused promptly"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM import_run").await,
        runs,
        "nothing kept"
    );
}

on_every_backend!(
    huge_values_deep_nesting_and_yaml_alias_bombs_are_refused_naming_the_limit,
    a_gzip_bomb_is_refused_naming_the_limit_and_nothing_is_kept,
    a_revoked_secret_found_again_by_an_import_reopens_its_revocation,
    a_gitleaks_report_joins_copies_of_one_secret_and_never_keeps_it,
    the_same_report_twice_changes_nothing_the_second_time,
    a_later_full_import_marks_vanished_copies_removed_and_a_partial_one_does_not,
    trufflehog_findings_join_the_credentials_gitleaks_found,
    bad_reports_are_refused_whole_saying_where,
);
