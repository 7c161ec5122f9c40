//! CloudTrail imports and behaviour baselines: events become activity on the
//! credential that made them (by access key id, else by the role a session
//! was issued by), each once however often the log is imported; what a
//! credential normally does is learned, and what falls outside it raises
//! findings that weigh in its risk score.

use chrono::{Duration, Utc};
use model::api::{self as json, BaselineDimension, BehaviourFindingKind, Role};
use muster_tests::{Backend, TestApp, fixture, on_every_backend, spawn_app, spawn_demo_app, workspace_root};
use serde_json::{Value, json};

/// The CloudTrail fixture's files, oldest first (as CloudTrail names them).
fn log_files() -> Vec<std::path::PathBuf> {
    muster_server::import::files_under(&workspace_root().join("tests/fixtures/cloudtrail/AWSLogs")).unwrap()
}

/// Imports every file of the fixture, one import each; answers the summaries summed up:
/// (events, recorded, unmatched, findings).
async fn import_logs(app: &TestApp, admin: &reqwest::Client) -> (i64, i64, i64, i64) {
    let mut sums = (0, 0, 0, 0);
    for file in log_files() {
        let (status, summary) = app
            .import(admin, "cloudtrail", std::fs::read(&file).unwrap())
            .await;
        assert_eq!(status, 200, "{}: {summary}", file.display());
        let summary: json::ImportSummary = serde_json::from_value(summary).unwrap();
        sums.0 += summary.events;
        sums.1 += summary.events_recorded;
        sums.2 += summary.events_unmatched;
        sums.3 += summary.behaviour_findings;
    }
    sums
}

async fn aws_key(app: &TestApp) -> i64 {
    app.count("SELECT id FROM credential WHERE external_id = 'AKIAMUSTERFIXTURE001'")
        .await
}

async fn cloudtrail_logs_become_activity_with_a_baseline_and_findings_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let report = fixture("gitleaks/report.json");
    assert_eq!(app.import(&admin, "gitleaks", report).await.0, 200);
    let key = aws_key(&app).await;

    assert_eq!(
        import_logs(&app, &admin).await,
        (143, 140, 2, 4),
        "gzip and plain files; the event delivered twice is recorded once; two unknown keys"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM activity_event WHERE credential_id = {key}"
        ))
        .await,
        140
    );
    let last_used: String =
        sqlx::query_scalar(&format!("SELECT last_used_at FROM credential WHERE id = {key}"))
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(last_used, "2026-11-10T16:31:00Z");

    let behaviour: json::Behaviour = app
        .get_json(&format!("/api/v1/credentials/{key}/behaviour"))
        .await;
    let mut kinds: Vec<BehaviourFindingKind> = behaviour.findings.iter().map(|f| f.kind).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            BehaviourFindingKind::NewResource,
            BehaviourFindingKind::NewNetwork,
            BehaviourFindingKind::RateSpike,
            BehaviourFindingKind::HumanUse
        ]
    );
    let value = |kind| {
        behaviour
            .findings
            .iter()
            .find(|f| f.kind == kind)
            .map(|f| (f.value.as_str(), f.evidence.as_str()))
            .unwrap()
    };
    assert_eq!(value(BehaviourFindingKind::NewNetwork).0, "198.51.100.0/24");
    assert_eq!(
        value(BehaviourFindingKind::NewResource).0,
        "arn:aws:s3:::acme-payroll"
    );
    assert_eq!(value(BehaviourFindingKind::RateSpike).0, "2026-11-10T14:00:00Z");
    assert!(
        value(BehaviourFindingKind::RateSpike)
            .1
            .starts_with("40 events in the hour from 2026-11-10 14:00 UTC, 20× its usual 2.0 an hour"),
        "{}",
        value(BehaviourFindingKind::RateSpike).1
    );
    assert_eq!(value(BehaviourFindingKind::HumanUse).0, "browser");
    let in_baseline = |dimension, v: &str| {
        behaviour
            .baseline
            .iter()
            .any(|b| b.dimension == dimension && b.value == v)
    };
    assert!(in_baseline(BaselineDimension::Network, "10.20.30.0/24"));
    assert!(in_baseline(
        BaselineDimension::Resource,
        "arn:aws:s3:::acme-reports"
    ));
    assert!(in_baseline(BaselineDimension::Action, "s3:PutObject"));
    assert_eq!(behaviour.active_hours, 51);

    // The same logs again: nothing new, and nothing learned twice.
    let baseline_events = "SELECT CAST(SUM(events) AS BIGINT) FROM behaviour_baseline";
    let before = app.count(baseline_events).await;
    assert_eq!(import_logs(&app, &admin).await, (143, 0, 2, 0));
    assert_eq!(app.count(baseline_events).await, before);
    assert_eq!(app.count("SELECT COUNT(*) FROM behaviour_finding").await, 4);

    // Bad logs are refused whole, naming where.
    let bad = workspace_root().join("tests/fixtures/cloudtrail/bad");
    for (file, expected) in [
        ("wrong-type.json", "record 2"),
        ("truncated.json.gz", "uploaded cloudtrail report"),
    ] {
        let (status, body) = app
            .import(&admin, "cloudtrail", std::fs::read(bad.join(file)).unwrap())
            .await;
        assert_eq!(status, 422, "{file}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{file}: {message}");
    }
    let report = fixture("gitleaks/report.json");
    let (status, body) = app.import(&admin, "cloudtrail", report).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CloudTrail log"),
        "{body}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM activity_event").await,
        140,
        "nothing half-imported"
    );

    // The imports are listed, newest first, for admins only.
    let imports: Vec<json::ImportSummary> = app.get_json_as(&admin, "/api/v1/imports").await;
    assert_eq!(imports.len(), 1 + 2 * log_files().len());
    assert_eq!(imports[0].kind, json::ImportKind::Cloudtrail);
    assert_eq!(imports.last().unwrap().kind, json::ImportKind::Gitleaks);
    assert_eq!(app.get("/api/v1/imports").await.status(), 403);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'import.run'")
            .await,
        imports.len() as i64
    );
}

/// A CloudTrail record, as AWS writes it.
fn record(
    id: &str,
    at: chrono::DateTime<Utc>,
    key: &str,
    role: Option<&str>,
    ip: &str,
    agent: &str,
    arn: Option<&str>,
) -> Value {
    let mut identity =
        json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/bot", "accessKeyId": key});
    if let Some(role) = role {
        identity = json!({"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/r/s",
            "accessKeyId": key, "sessionContext": {"sessionIssuer": {"type": "Role", "arn": role}}});
    }
    let mut record = json!({"eventVersion": "1.09", "eventID": id,
        "eventTime": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject", "userIdentity": identity, "sourceIPAddress": ip, "userAgent": agent});
    if let Some(arn) = arn {
        record["resources"] = json!([{"type": "AWS::S3::Object", "ARN": arn}]);
    }
    record
}

async fn recent_findings_weigh_in_the_score_and_roles_match_by_their_arn(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let roles: json::Page<json::CredentialSummary> = app
        .get_json("/api/v1/credentials?kind=iam_role&provider=aws&status=active&limit=1")
        .await;
    let role = &roles.items[0];
    let prod: json::Page<json::ResourceSummary> = app
        .get_json("/api/v1/resources?environment=prod&provider=aws&kind=bucket&limit=1")
        .await;
    let bucket = &prod.items[0].name;
    let now = Utc::now();
    let boto = "Boto3/1.34.100 md/Botocore#1.34.100 os/linux#6.1";
    let laptop = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.4.0 exe/x86_64 prompt/off";
    let mut records: Vec<Value> = (0..10)
        .map(|day| {
            record(
                &format!("base-{day}"),
                now - Duration::days(12 - day),
                "ASIAMUSTERSESSION001",
                Some(&role.external_id),
                "10.9.8.7",
                boto,
                None,
            )
        })
        .collect();
    records.push(record(
        "laptop",
        now - Duration::hours(2),
        "ASIAMUSTERSESSION002",
        Some(&role.external_id),
        "198.51.100.77",
        laptop,
        Some(&format!("arn:aws:s3:::{bucket}/exports/all.csv")),
    ));
    let log = serde_json::to_vec(&json!({ "Records": records })).unwrap();
    let (status, summary) = app.import(&admin, "cloudtrail", log).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (
            summary["events_recorded"].as_i64(),
            summary["events_unmatched"].as_i64()
        ),
        (Some(11), Some(0))
    );

    // A production credential's owner and channels hear of it, once.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE topic = 'event' AND event = 'behaviour.finding' \
             AND dedupe_key LIKE 'behaviour.finding:credential:{}:%'",
            role.id
        ))
        .await,
        1
    );
    let detail: json::CredentialDetail = app.get_json(&format!("/api/v1/credentials/{}", role.id)).await;
    let codes: Vec<&str> = detail.risk.factors.iter().map(|f| f.code.as_str()).collect();
    for code in ["unusual_network", "unusual_resource", "endpoint_against_prod"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let network = detail
        .risk
        .factors
        .iter()
        .find(|f| f.code == "unusual_network")
        .unwrap();
    assert!(
        network.evidence.contains("198.51.100.0/24"),
        "{}",
        network.evidence
    );
    assert!(
        detail
            .recent_activity
            .iter()
            .any(|e| e.resource.as_ref().is_some_and(|r| &r.name == bucket)),
        "the event names the inventory's resource"
    );

    let recent: json::RecentFindings = app.get_json("/api/v1/behaviour/findings").await;
    let count = |kind| {
        recent
            .by_kind
            .iter()
            .find(|c| c.kind == kind)
            .map_or(0, |c| c.count)
    };
    assert_eq!(count(BehaviourFindingKind::EndpointAgainstProd), 1);
    assert_eq!(count(BehaviourFindingKind::NewNetwork), 1);
    assert!(recent.findings.iter().all(|f| f.credential.id == role.id));
    let laptop_finding = recent
        .findings
        .iter()
        .find(|f| f.kind == BehaviourFindingKind::EndpointAgainstProd)
        .unwrap();
    assert_eq!(&laptop_finding.value, bucket);
    assert!(
        laptop_finding.evidence.contains("macOS laptop"),
        "{}",
        laptop_finding.evidence
    );
    app.get_error("/api/v1/credentials/999999/behaviour", 404, "not_found")
        .await;
}

on_every_backend!(
    cloudtrail_logs_become_activity_with_a_baseline_and_findings_once,
    recent_findings_weigh_in_the_score_and_roles_match_by_their_arn,
);
