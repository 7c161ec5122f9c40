//! Accounts: admins create, list and change them; every change is audited;
//! the last active admin cannot be removed.

use model::api::{self as json, Role};
use muster_tests::{Backend, TEST_PASSWORD, TestApp, on_every_backend, spawn_app};
use serde_json::json;

/// Sends `body` with `method` to `path` as `client`; returns the status and JSON body.
async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = client
        .request(method, app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

async fn account_id(app: &TestApp, email: &str) -> i64 {
    muster_server::db::accounts::by_email(&app.db, email)
        .await
        .unwrap()
        .expect("the account exists")
        .id
}

async fn sign_in_status(app: &TestApp, email: &str, password: &str) -> u16 {
    app.sign_in(email, password).await.status().as_u16()
}

async fn an_admin_creates_an_account_that_signs_in_with_its_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;

    let (status, body) = send(
        &app,
        &admin,
        reqwest::Method::POST,
        "/api/v1/accounts",
        json!({ "email": "  Dana@Example.COM ", "roles": ["viewer", "approver", "viewer"], "password": TEST_PASSWORD }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let created: json::Account = serde_json::from_value(body).unwrap();
    assert_eq!(created.email, "dana@example.com");
    assert_eq!(
        created.roles,
        [Role::Approver, Role::Viewer],
        "each role once, in order"
    );
    assert!(!created.disabled);
    assert_eq!(created.last_sign_in, None);

    assert_eq!(sign_in_status(&app, "dana@example.com", TEST_PASSWORD).await, 200);
    let accounts: Vec<json::Account> = admin
        .get(app.url("/api/v1/accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = accounts.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(
        emails,
        ["admin@muster.test", "dana@example.com", "viewer@muster.test"]
    );
    assert!(accounts[1].last_sign_in.is_some(), "the sign-in shows");

    let entry: (String, String, String) =
        sqlx::query_as("SELECT actor, target, details FROM audit_event WHERE action = 'account.create'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(entry.0, "admin@muster.test");
    assert_eq!(entry.1, format!("account:{}", created.id));
    assert!(entry.2.contains("approver"), "{}", entry.2);
    let everything = format!("{accounts:?} {}", entry.2);
    assert!(
        !everything.contains(TEST_PASSWORD) && !everything.contains("argon2"),
        "{everything}"
    );
}

async fn bad_account_requests_get_clear_errors_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let accounts_before = app.count("SELECT COUNT(*) FROM account").await;
    let audit_before = app.count("SELECT COUNT(*) FROM audit_event").await;
    let post = reqwest::Method::POST;
    let cases = [
        (
            json!({ "email": "viewer@muster.test", "roles": ["viewer"], "password": TEST_PASSWORD }),
            409,
            "exists already",
        ),
        (
            json!({ "email": "new@muster.test", "roles": ["viewer"], "password": "short" }),
            400,
            "at least 12",
        ),
        (
            json!({ "email": "new@muster.test", "roles": [], "password": TEST_PASSWORD }),
            400,
            "at least one role",
        ),
        (
            json!({ "email": "new@muster.test", "roles": ["root"], "password": TEST_PASSWORD }),
            400,
            "root",
        ),
        (
            json!({ "email": "not an email", "roles": ["viewer"], "password": TEST_PASSWORD }),
            400,
            "not an email",
        ),
        (
            json!({ "email": "new@muster.test", "roles": ["viewer"], "password": TEST_PASSWORD, "admin": true }),
            400,
            "admin",
        ),
    ];
    for (body, status, words) in cases {
        let (got, answer) = send(&app, &admin, post.clone(), "/api/v1/accounts", body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{body}: {message}");
    }
    let patch = reqwest::Method::PATCH;
    let (status, answer) = send(&app, &admin, patch.clone(), "/api/v1/accounts/1", json!({})).await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = send(
        &app,
        &admin,
        patch.clone(),
        "/api/v1/accounts/999",
        json!({ "disabled": true }),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, &admin, patch, "/api/v1/accounts/1", json!({ "roles": [] })).await;
    assert_eq!(status, 400);

    assert_eq!(app.count("SELECT COUNT(*) FROM account").await, accounts_before);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_event").await, audit_before);
}

async fn role_changes_apply_at_the_next_request_and_barring_ends_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let path = format!(
        "/api/v1/accounts/{}",
        account_id(&app, "viewer@muster.test").await
    );
    let patch = reqwest::Method::PATCH;
    app.get_error("/api/v1/audit", 403, "forbidden").await;

    let (status, body) = send(&app, &admin, patch.clone(), &path, json!({ "roles": ["ciso"] })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["roles"], json!(["ciso"]));
    assert_eq!(
        app.get("/api/v1/audit").await.status(),
        200,
        "the same session, the new role"
    );

    let (status, _) = send(&app, &admin, patch.clone(), &path, json!({ "disabled": true })).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.get("/api/v1/session").await.status(),
        401,
        "barred: the session ended"
    );
    assert_eq!(
        sign_in_status(&app, "viewer@muster.test", TEST_PASSWORD).await,
        401
    );

    let new_password = "another long passphrase";
    let (status, _) = send(
        &app,
        &admin,
        patch,
        &path,
        json!({ "disabled": false, "password": new_password }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        sign_in_status(&app, "viewer@muster.test", TEST_PASSWORD).await,
        401
    );
    assert_eq!(
        sign_in_status(&app, "viewer@muster.test", new_password).await,
        200
    );

    let details: Vec<String> =
        sqlx::query_scalar("SELECT details FROM audit_event WHERE action = 'account.update' ORDER BY seq")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let details: Vec<serde_json::Value> = details.iter().map(|d| serde_json::from_str(d).unwrap()).collect();
    assert_eq!(
        details[0],
        json!({ "roles": { "before": ["viewer"], "after": ["ciso"] } })
    );
    assert_eq!(
        details[1],
        json!({ "disabled": { "before": false, "after": true } })
    );
    assert_eq!(
        details[2],
        json!({ "disabled": { "before": true, "after": false }, "password_changed": true })
    );
    assert!(!details[2].to_string().contains(new_password));
}

async fn the_last_active_admin_can_be_neither_demoted_nor_barred(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let path = format!("/api/v1/accounts/{}", account_id(&app, "admin@muster.test").await);
    let patch = reqwest::Method::PATCH;
    for change in [json!({ "roles": ["viewer"] }), json!({ "disabled": true })] {
        let (status, body) = send(&app, &admin, patch.clone(), &path, change.clone()).await;
        assert_eq!(status, 409, "{change}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("last active admin")
        );
    }
    let accounts = admin.get(app.url("/api/v1/accounts")).send().await.unwrap();
    assert_eq!(accounts.status(), 200, "still admin, still signed in");

    let other = format!(
        "/api/v1/accounts/{}",
        account_id(&app, "viewer@muster.test").await
    );
    let (status, _) = send(
        &app,
        &admin,
        patch.clone(),
        &other,
        json!({ "roles": ["admin", "viewer"] }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = send(&app, &admin, patch, &path, json!({ "roles": ["viewer"] })).await;
    assert_eq!(status, 200, "with another admin it may: {body}");
}

on_every_backend!(
    an_admin_creates_an_account_that_signs_in_with_its_roles,
    bad_account_requests_get_clear_errors_and_change_nothing,
    role_changes_apply_at_the_next_request_and_barring_ends_every_session,
    the_last_active_admin_can_be_neither_demoted_nor_barred,
);
