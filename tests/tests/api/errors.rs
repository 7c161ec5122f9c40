//! Every API error has one JSON shape and the right status; unknown API paths
//! never fall through to the web app.

use muster_tests::{Backend, on_every_backend, spawn_app};
use serde_json::Value;

async fn an_unknown_api_path_is_a_json_404_not_the_web_app(backend: Backend) {
    let app = spawn_app(backend).await;

    for path in ["/api/nope", "/api/v1/unknown/thing", "/api"] {
        let response = app.get(path).await;

        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no API route"),
            "{path}: {body}"
        );
        assert_eq!(
            body.as_object().unwrap().len(),
            1,
            "only `error` at the top: {body}"
        );
    }
}

async fn a_wrong_method_on_an_api_path_is_a_json_405(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.client.delete(app.url("/api/health")).send().await.unwrap();

    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

/// PostgreSQL refuses the NUL character in text outright: before this
/// check, a body, a query or a report holding one was a 500 there (found by
/// the fuzz target of the write routes).
async fn text_holding_the_nul_character_is_refused_everywhere_as_bad_input(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app
        .signed_in_as("admin@muster.test", &[model::api::Role::Admin])
        .await;
    let audited = app.count("SELECT COUNT(*) FROM audit_event").await;
    let response = admin
        .post(app.url("/api/v1/sanction-rules"))
        .header("content-type", "application/json")
        .body(r#"{"kind": "client", "value": "Cursor\u0000"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("NUL"),
        "{body}"
    );
    // An escaped backslash before `u0000` is no NUL.
    let response = admin
        .post(app.url("/api/v1/sanction-rules"))
        .json(&serde_json::json!({ "kind": "client", "value": "C:\\u0000" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    for path in ["/api/v1/agents?q=a%00b", "/api/v1/audit?actor=%00"] {
        let response = admin.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
    }
    let (status, body) = app
        .import(
            &admin,
            "gitleaks",
            br#"[{"RuleID": "x\u0000", "Secret": "s", "File": "f"}]"#.to_vec(),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .import(&admin, "aws_credential_report", b"user,arn\0\n".to_vec())
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event").await,
        audited + 1,
        "only the rule that was made"
    );
}

on_every_backend!(
    text_holding_the_nul_character_is_refused_everywhere_as_bad_input,
    an_unknown_api_path_is_a_json_404_not_the_web_app,
    a_wrong_method_on_an_api_path_is_a_json_405,
);
