//! AWS IAM reports: authorization details make roles into credentials and
//! keep users' policies; the credential report makes users' access keys
//! into credentials with their dates; policies become scopes (wildcards
//! flagged) and reach; the same reports again change nothing; a CloudTrail
//! event signed by a user's only active key finds it.

use model::api::{self as json, Role};
use muster_tests::{Backend, TestApp, fixture, on_every_backend, spawn_app};
use serde_json::{Value, json};

/// (created, updated, principals, reach edges, behaviour findings) of an import.
fn counts(summary: &Value) -> [i64; 5] {
    [
        "credentials_created",
        "credentials_updated",
        "principals",
        "reach_edges",
        "behaviour_findings",
    ]
    .map(|field| summary[field].as_i64().unwrap_or(-1))
}

async fn credential(app: &TestApp, external_id: &str) -> json::CredentialDetail {
    let id = app
        .count(&format!(
            "SELECT id FROM credential WHERE external_id = '{external_id}'"
        ))
        .await;
    app.get_json(&format!("/api/v1/credentials/{id}")).await
}

async fn iam_reports_become_credentials_with_scopes_reach_and_dates(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    // Two resources the policies name (the inventory file will declare such).
    for (name, kind, sensitivity) in [
        ("acme-reports", "bucket", "confidential"),
        ("orders", "database", "restricted"),
    ] {
        sqlx::query(&format!(
            "INSERT INTO resource (name, provider, kind, environment, sensitivity) \
             VALUES ('{name}', 'aws', '{kind}', 'prod', '{sensitivity}')"
        ))
        .execute(app.db.pool())
        .await
        .unwrap();
    }

    let (status, details) = app
        .import(&admin, "aws_iam", fixture("aws/authorization-details.json"))
        .await;
    assert_eq!(status, 200, "{details}");
    assert_eq!(
        counts(&details),
        [2, 0, 4, 1, 0],
        "two roles; lambda-orders reaches the orders table"
    );
    let lambda = credential(&app, "arn:aws:iam::111122223333:role/service-role/lambda-orders").await;
    assert_eq!(lambda.credential.kind, json::CredentialKind::IamRole);
    assert_eq!(
        lambda.scopes,
        ["dynamodb:GetItem", "dynamodb:PutItem"],
        "from a URL-encoded document"
    );
    assert_eq!(lambda.reach.len(), 1);
    assert_eq!(lambda.reach[0].resource.name, "orders");
    assert_eq!(lambda.reach[0].permission, json::Permission::Write);
    let github = credential(&app, "arn:aws:iam::111122223333:role/github-deploy").await;
    assert_eq!(github.scopes, ["s3:*"]);
    assert_eq!(
        github.credential.last_used_at.map(|t| t.to_rfc3339()),
        Some("2026-11-28T09:15:00+00:00".to_owned())
    );
    assert!(
        github
            .risk
            .factors
            .iter()
            .any(|f| f.code == "admin_or_wildcard" && f.evidence.contains("s3:*")),
        "{:?}",
        github.risk.factors
    );

    let (status, report) = app
        .import(
            &admin,
            "aws_credential_report",
            fixture("aws/credential-report.csv"),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        counts(&report),
        [4, 0, 3, 2, 0],
        "four keys of three users (the root left out); deploy-bot's keys take its policies"
    );
    let deploy = credential(&app, "arn:aws:iam::111122223333:user/deploy-bot#access_key_1").await;
    assert_eq!(deploy.credential.name, "deploy-bot access key 1");
    assert_eq!(deploy.credential.status, json::CredentialStatus::Active);
    assert_eq!(
        deploy.scopes,
        [
            "lambda:UpdateFunctionCode",
            "s3:GetObject",
            "s3:PutObject",
            "resource:*"
        ],
        "its own policy, its group's default version (not the older `*`), and the Deny left out"
    );
    assert_eq!(deploy.reach[0].resource.name, "acme-reports");
    let codes: Vec<&str> = deploy.risk.factors.iter().map(|f| f.code.as_str()).collect();
    for code in ["not_rotated", "admin_or_wildcard", "human_use"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let human = deploy
        .risk
        .factors
        .iter()
        .find(|f| f.code == "human_use")
        .unwrap();
    assert_eq!(
        human.evidence,
        "deploy-bot can also sign in to the console with a password, last used 2026-11-02"
    );
    let old = credential(&app, "arn:aws:iam::111122223333:user/deploy-bot#access_key_2").await;
    assert_eq!(old.credential.status, json::CredentialStatus::Disabled);
    let ci = credential(&app, "arn:aws:iam::111122223333:user/ci-runner#access_key_1").await;
    assert!(ci.scopes.is_empty(), "no policies known for ci-runner");
    assert_eq!(ci.credential.last_used_at, None, "no_information");

    // The same reports again: nothing changes.
    let (_, again) = app
        .import(&admin, "aws_iam", fixture("aws/authorization-details.json"))
        .await;
    assert_eq!(counts(&again)[..2], [0, 0], "{again}");
    let (_, again) = app
        .import(
            &admin,
            "aws_credential_report",
            fixture("aws/credential-report.csv"),
        )
        .await;
    assert_eq!(counts(&again), [0, 0, 3, 0, 0], "{again}");

    // An event signed by a key the inventory knows only by slot: the user's one active key.
    let event = |id: &str, user: &str| {
        json!({"eventVersion": "1.09", "eventID": id, "eventTime": "2026-11-30T10:00:00Z",
            "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "sourceIPAddress": "10.1.2.3",
            "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{user}"),
                "accessKeyId": "AKIAMUSTERSLOTKEY001"}})
    };
    let log =
        serde_json::to_vec(&json!({"Records": [event("a", "deploy-bot"), event("b", "ci-runner")]})).unwrap();
    let (status, trail) = app.import(&admin, "cloudtrail", log).await;
    assert_eq!(status, 200, "{trail}");
    assert_eq!(
        (
            trail["events_recorded"].as_i64(),
            trail["events_unmatched"].as_i64()
        ),
        (Some(1), Some(1)),
        "ci-runner has two active keys: which one signed is unknown"
    );
    let deploy = credential(&app, "arn:aws:iam::111122223333:user/deploy-bot#access_key_1").await;
    assert_eq!(deploy.recent_activity.len(), 1);

    // Bad reports are refused whole, saying where.
    let before = app.count("SELECT COUNT(*) FROM credential").await;
    let (status, bad) = app
        .import(
            &admin,
            "aws_credential_report",
            fixture("aws/credential-report-bad.csv"),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 5: access_key_1_active is \"maybe\""),
        "{bad}"
    );
    let (status, bad) = app
        .import(&admin, "aws_iam", fixture("aws/credential-report.csv"))
        .await;
    assert_eq!(status, 422, "{bad}");
    let (status, bad) = app
        .import(
            &admin,
            "aws_credential_report",
            fixture("aws/authorization-details.json"),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not an IAM credential report"),
        "{bad}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM credential").await, before);
}

on_every_backend!(iam_reports_become_credentials_with_scopes_reach_and_dates);
