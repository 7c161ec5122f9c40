//! Revocation: the "what breaks" plan, the state machine, who may revoke,
//! idempotency under concurrency, the checklist of copies (and copies found
//! again), and the automation webhook: signed, retried, surviving a restart.

use std::time::Duration;

use model::api::{self as json, RevocationState, Role};
use muster_server::Settings;
use muster_tests::webhook::{Received, Receiver};
use muster_tests::{Backend, TestApp, on_every_backend, spawn_app, spawn_app_with_settings};
use serde_json::{Value, json};

/// The inventory of these tests: two teams, each with a manager; a
/// credential owned in Payments, used by an agent through a tool, reaching
/// a database, with three stored copies; an unowned one; a replacement.
struct Fixture {
    credential: i64,
    copies: Vec<i64>,
    unowned: i64,
    replacement: i64,
}

const MANAGER: &str = "manager@muster.test";
const OUTSIDER: &str = "outsider@muster.test";

async fn new_credential(app: &TestApp, name: &str, owner: Option<i64>, status: &str) -> i64 {
    let owner = owner.map_or("NULL".to_owned(), |o| o.to_string());
    app.insert(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, created_at, status, owner_id, fingerprint) \
             VALUES ('{name}', 'access_key', 'aws', 'AKIA{name}', '2026-01-01T00:00:00Z', '{status}', {owner}, 'fp-{name}')"
        ),
    )
    .await
}

async fn new_copy(app: &TestApp, credential: i64, kind: &str, locator: &str) -> i64 {
    app.insert(&format!(
        "INSERT INTO credential_copy (credential_id, kind, locator, found_by, first_seen, last_seen, status) \
             VALUES ({credential}, '{kind}', '{locator}', 'gitleaks', '2026-10-01T00:00:00Z', \
             '2026-11-01T00:00:00Z', 'present')"
    ))
    .await
}

async fn fixture(app: &TestApp) -> Fixture {
    let payments = app.insert("INSERT INTO team (name) VALUES ('Payments')").await;
    let search = app.insert("INSERT INTO team (name) VALUES ('Search')").await;
    let owner = app.insert(&format!(
            "INSERT INTO person (name, email, team_id, status) VALUES ('Olga Owner', 'olga@muster.test', {payments}, 'active')"
        ),
    )
    .await;
    for (name, email, team) in [
        ("Mia Manager", MANAGER, payments),
        ("Otto Outsider", OUTSIDER, search),
    ] {
        app.insert(&format!(
            "INSERT INTO person (name, email, team_id, status) VALUES ('{name}', '{email}', {team}, 'active')"
        ))
        .await;
    }
    let credential = new_credential(app, "deploy-key", Some(owner), "active").await;
    let agent = app.insert(&format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen, last_seen) \
             VALUES ('release-bot', 'self_hosted', 'LangChain', 'prod', 1, {owner}, '2026-01-01T00:00:00Z', \
             '2026-11-20T10:00:00Z')"
        ),
    )
    .await;
    let tool = app
        .insert("INSERT INTO tool (name, kind) VALUES ('aws-mcp', 'mcp_server')")
        .await;
    sqlx::query(&format!(
        "INSERT INTO agent_tool (agent_id, tool_id) VALUES ({agent}, {tool})"
    ))
    .execute(app.db.pool())
    .await
    .unwrap();
    sqlx::query(&format!(
        "INSERT INTO tool_credential (tool_id, credential_id) VALUES ({tool}, {credential})"
    ))
    .execute(app.db.pool())
    .await
    .unwrap();
    let resource = app
        .insert(
            "INSERT INTO resource (name, provider, kind, environment, sensitivity) \
         VALUES ('orders-db', 'aws', 'database', 'prod', 'restricted')",
        )
        .await;
    sqlx::query(&format!(
        "INSERT INTO reach (credential_id, resource_id, permission) VALUES ({credential}, {resource}, 'admin')"
    ))
    .execute(app.db.pool())
    .await
    .unwrap();
    app.insert(&format!(
            "INSERT INTO activity_event (credential_id, occurred_at, action, resource_id, source_address, user_agent, outcome) \
             VALUES ({credential}, '2026-11-20T09:59:00Z', 'rds:Connect', {resource}, '10.0.0.7', 'aws-sdk-go/1.0', 'success')"
        ),
    )
    .await;
    let mut copies = Vec::new();
    for (kind, locator) in [
        ("env_file", "laptop-17:/home/olga/app/.env"),
        ("ci_config", "github.com/acme/app/.github/workflows/deploy.yml"),
        ("chat_message", "slack://#deploys/1700000000.1234"),
    ] {
        copies.push(new_copy(app, credential, kind, locator).await);
    }
    Fixture {
        credential,
        copies,
        unowned: new_credential(app, "orphan-key", None, "active").await,
        replacement: new_credential(app, "deploy-key-2", Some(owner), "active").await,
    }
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let response = client.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn revoke(app: &TestApp, client: &reqwest::Client, credential: i64, body: Value) -> (u16, Value) {
    post(
        client,
        app.url(&format!("/api/v1/credentials/{credential}/revocation")),
        body,
    )
    .await
}

async fn transition(app: &TestApp, client: &reqwest::Client, revocation: i64, to: &str) -> (u16, Value) {
    post(
        client,
        app.url(&format!("/api/v1/revocations/{revocation}/transitions")),
        json!({ "to": to, "note": "done in the AWS console" }),
    )
    .await
}

async fn resolve(app: &TestApp, client: &reqwest::Client, revocation: i64, body: Value) -> (u16, Value) {
    post(
        client,
        app.url(&format!("/api/v1/revocations/{revocation}/checklist")),
        body,
    )
    .await
}

/// `POST /api/v1/copies`: a copy found by a scanner or an import.
async fn report_copy(app: &TestApp, client: &reqwest::Client, body: Value) -> (u16, Value) {
    post(client, app.url("/api/v1/copies"), body).await
}

fn revocation(body: Value) -> json::Revocation {
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{e}: {body}"))
}

async fn credential_status(app: &TestApp, credential: i64) -> String {
    sqlx::query_scalar("SELECT status FROM credential WHERE id = $1")
        .bind(credential)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn audited(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM audit_event WHERE action = '{action}'"
    ))
    .await
}

async fn the_plan_shows_consumers_last_use_resources_and_every_copy(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let plan: json::RevocationPlan = app
        .get_json(&format!("/api/v1/credentials/{}/revocation-plan", f.credential))
        .await;
    assert_eq!(plan.credential.name, "deploy-key");
    assert_eq!(plan.consumers.len(), 1);
    assert_eq!(plan.consumers[0].agent.name, "release-bot");
    assert_eq!(plan.consumers[0].tool.name, "aws-mcp");
    assert_eq!(plan.consumers[0].owner.as_ref().unwrap().name, "Olga Owner");
    let last = plan.last_activity.expect("the last use");
    assert_eq!(last.action, "rds:Connect");
    assert_eq!(last.user_agent.as_deref(), Some("aws-sdk-go/1.0"));
    assert_eq!(plan.resources_total, 1);
    assert_eq!(plan.resources[0].resource.name, "orders-db");
    assert_eq!(plan.copies.len(), 3);
    assert!(
        plan.copies
            .iter()
            .any(|c| c.locator == "slack://#deploys/1700000000.1234")
    );
    assert_eq!(plan.revocation, None);
    app.get_error("/api/v1/credentials/999999/revocation-plan", 404, "not_found")
        .await;
}

async fn revoking_records_a_requested_revocation_with_every_copy_on_its_checklist(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (status, body) = revoke(
        &app,
        &admin,
        f.credential,
        json!({ "reason": "leaked in a chat", "replacement": f.replacement }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let revoked = revocation(body);
    assert_eq!(revoked.state, RevocationState::Requested);
    assert_eq!(
        revoked.next,
        [
            RevocationState::Disabled,
            RevocationState::Revoked,
            RevocationState::Failed
        ]
    );
    assert_eq!(revoked.reason, "leaked in a chat");
    assert_eq!(revoked.replacement.as_ref().unwrap().name, "deploy-key-2");
    assert_eq!(revoked.requested_by, "admin@muster.test");
    assert_eq!(revoked.consumers.len(), 1, "to move to the replacement");
    assert_eq!(revoked.checklist.len(), 3);
    assert_eq!(revoked.copies_left, 3);
    assert!(!revoked.automated, "no webhook configured");
    assert!(revoked.deliveries.is_empty());
    assert_eq!(
        credential_status(&app, f.credential).await,
        "active",
        "nothing done upstream yet"
    );
    assert_eq!(audited(&app, "revocation.request").await, 1);

    let detail: json::CredentialDetail = app
        .get_json(&format!("/api/v1/credentials/{}", f.credential))
        .await;
    assert_eq!(
        detail.revocation,
        Some(json::RevocationBrief {
            id: revoked.id,
            state: RevocationState::Requested
        })
    );
    let open: json::Page<json::RevocationSummary> = app.get_json("/api/v1/revocations?open=true").await;
    assert_eq!(open.total, 1);
    assert_eq!(open.items[0].copies_left, 3);

    // Bad input changes nothing.
    for (body, code) in [
        (json!({ "reason": "" }), 400),
        (json!({ "reason": "x", "replacement": f.unowned }), 422),
        (json!({ "reason": "x", "replacement": 999_999 }), 404),
        (json!({ "reason": "x", "surprise": 1 }), 400),
    ] {
        let (status, body) = revoke(&app, &admin, f.unowned, body).await;
        assert_eq!(status, code, "{body}");
        assert!(body["error"]["message"].is_string());
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM revocation").await, 1);
}

/// Brings a fresh revocation (of a new credential, with `copies` copies) to `state` through the API.
async fn revocation_in(
    app: &TestApp,
    admin: &reqwest::Client,
    state: RevocationState,
    copies: usize,
) -> json::Revocation {
    let n = app.count("SELECT COUNT(*) FROM credential").await;
    let credential = new_credential(app, &format!("key-{n}"), None, "active").await;
    for i in 0..copies {
        new_copy(app, credential, "env_file", &format!("host:/app-{n}/{i}/.env")).await;
    }
    let (status, body) = revoke(app, admin, credential, json!({ "reason": "rotation" })).await;
    assert_eq!(status, 201, "{body}");
    let id = revocation(body).id;
    let path: &[&str] = match state {
        RevocationState::Requested => &[],
        RevocationState::Disabled => &["disabled"],
        RevocationState::Revoked | RevocationState::Complete => &["revoked"],
        RevocationState::Failed => &["failed"],
    };
    let mut reached = None;
    for step in path {
        let (status, body) = transition(app, admin, id, step).await;
        assert_eq!(status, 200, "{body}");
        reached = Some(revocation(body));
    }
    let reached = match reached {
        Some(r) => r,
        None => app.get_json(&format!("/api/v1/revocations/{id}")).await,
    };
    assert_eq!(reached.state, state);
    reached
}

async fn the_state_machine_allows_exactly_its_transitions(backend: Backend) {
    use RevocationState::*;
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    // (from, to, allowed, state reached, credential status after)
    let table = [
        (Requested, Requested, false, Requested, "active"),
        (Requested, Disabled, true, Disabled, "disabled"),
        (Requested, Revoked, true, Revoked, "revoked"),
        (Requested, Complete, false, Requested, "active"),
        (Requested, Failed, true, Failed, "active"),
        (Disabled, Requested, false, Disabled, "disabled"),
        (Disabled, Disabled, false, Disabled, "disabled"),
        (Disabled, Revoked, true, Revoked, "revoked"),
        (Disabled, Complete, false, Disabled, "disabled"),
        (Disabled, Failed, true, Failed, "disabled"),
        (Revoked, Requested, false, Revoked, "revoked"),
        (Revoked, Disabled, false, Revoked, "revoked"),
        (Revoked, Revoked, false, Revoked, "revoked"),
        (Revoked, Complete, false, Revoked, "revoked"),
        (Revoked, Failed, false, Revoked, "revoked"),
        (Complete, Requested, false, Complete, "revoked"),
        (Complete, Disabled, false, Complete, "revoked"),
        (Complete, Revoked, false, Complete, "revoked"),
        (Complete, Complete, false, Complete, "revoked"),
        (Complete, Failed, false, Complete, "revoked"),
        (Failed, Requested, true, Requested, "active"),
        (Failed, Disabled, true, Disabled, "disabled"),
        (Failed, Revoked, true, Revoked, "revoked"),
        (Failed, Complete, false, Failed, "active"),
        (Failed, Failed, false, Failed, "active"),
    ];
    for (from, to, allowed, reached, status) in table {
        // One copy keeps a revoked revocation open; none lets it complete.
        let copies = usize::from(from != Complete);
        let start = revocation_in(&app, &admin, from, copies).await;
        let audits = app.count("SELECT COUNT(*) FROM audit_event").await;
        let (code, body) = transition(&app, &admin, start.id, to.as_str()).await;
        assert_eq!(code, if allowed { 200 } else { 409 }, "{from} -> {to}: {body}");
        let now: json::Revocation = app.get_json(&format!("/api/v1/revocations/{}", start.id)).await;
        assert_eq!(now.state, reached, "{from} -> {to}");
        assert_eq!(
            credential_status(&app, start.credential.id).await,
            status,
            "{from} -> {to}"
        );
        let audited = app.count("SELECT COUNT(*) FROM audit_event").await - audits;
        assert_eq!(
            audited,
            i64::from(allowed),
            "{from} -> {to}: one audit entry per change"
        );
    }
}

async fn a_revoked_credential_without_copies_completes_at_once_and_scores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let credential = new_credential(&app, "lonely", None, "active").await;
    muster_server::scoring::recompute(&app.db, chrono::Utc::now(), "test")
        .await
        .unwrap();
    let before: json::CredentialDetail = app.get_json(&format!("/api/v1/credentials/{credential}")).await;
    assert!(before.risk.score > 0, "an unowned key without expiry scores");
    let (_, body) = revoke(&app, &admin, credential, json!({ "reason": "unused" })).await;
    let (status, body) = transition(&app, &admin, revocation(body).id, "revoked").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(revocation(body).state, RevocationState::Complete);
    let after: json::CredentialDetail = app.get_json(&format!("/api/v1/credentials/{credential}")).await;
    assert_eq!(after.credential.status, json::CredentialStatus::Revoked);
    assert_eq!(after.risk.score, 0, "a revoked credential scores nothing");
    assert_eq!(audited(&app, "revocation.transition").await, 1);

    // A credential revoked elsewhere starts revoked: only copies to clean up.
    let dead = new_credential(&app, "dead", None, "revoked").await;
    new_copy(&app, dead, "repository_file", "github.com/acme/old/config.py").await;
    let (status, body) = revoke(&app, &admin, dead, json!({ "reason": "clean up" })).await;
    assert_eq!(status, 201, "{body}");
    let dead = revocation(body);
    assert_eq!(dead.state, RevocationState::Revoked);
    assert_eq!(dead.copies_left, 1);
}

async fn managers_revoke_only_credentials_their_teams_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let manager = app.signed_in_as(MANAGER, &[Role::Manager]).await;
    let outsider = app.signed_in_as(OUTSIDER, &[Role::Manager]).await;
    let reason = json!({ "reason": "leaked" });

    let (status, body) = revoke(&app, &app.client, f.credential, reason.clone()).await;
    assert_eq!(status, 403, "a viewer: {body}");
    let (status, body) = revoke(&app, &outsider, f.credential, reason.clone()).await;
    assert_eq!(status, 403, "another team's manager: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("outside your teams")
    );
    let (status, body) = revoke(&app, &manager, f.unowned, reason.clone()).await;
    assert_eq!(status, 403, "nobody's credential is for admins: {body}");
    assert_eq!(app.count("SELECT COUNT(*) FROM revocation").await, 0);

    let (status, body) = revoke(&app, &manager, f.credential, reason.clone()).await;
    assert_eq!(status, 201, "{body}");
    let id = revocation(body).id;
    let (status, _) = transition(&app, &outsider, id, "disabled").await;
    assert_eq!(status, 403);
    let (status, _) = resolve(
        &app,
        &outsider,
        id,
        json!({ "copy": f.copies[0], "state": "removed" }),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = transition(&app, &manager, id, "disabled").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = resolve(
        &app,
        &manager,
        id,
        json!({ "copy": f.copies[0], "state": "removed" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (status, body) = revoke(&app, &admin, f.unowned, reason).await;
    assert_eq!(status, 201, "an admin revokes anything: {body}");
}

async fn a_manager_cannot_claim_or_revoke_a_credential_another_teams_agent_uses(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let manager = app.signed_in_as(MANAGER, &[Role::Manager]).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let person = |email: &str| format!("SELECT id FROM person WHERE email = '{email}'");
    let mia = app.count(&person(MANAGER)).await;
    let otto = app.count(&person(OUTSIDER)).await;
    // The unowned credential is used by an agent of the Search team.
    let agent = app
        .insert(&format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen) \
             VALUES ('search-bot', 'self_hosted', 'LangChain', 'prod', 1, {otto}, '2026-01-01T00:00:00Z')"
        ))
        .await;
    let tool = app
        .insert("INSERT INTO tool (name, kind) VALUES ('search-mcp', 'mcp_server')")
        .await;
    for sql in [
        format!("INSERT INTO agent_tool (agent_id, tool_id) VALUES ({agent}, {tool})"),
        format!(
            "INSERT INTO tool_credential (tool_id, credential_id) VALUES ({tool}, {})",
            f.unowned
        ),
    ] {
        sqlx::query(&sql).execute(app.db.pool()).await.unwrap();
    }
    let claim = |owner: i64| json!({ "kind": "credential", "ids": [f.unowned], "owner": owner, "reason": "ours now" });
    let (status, body) = post(&manager, app.url("/api/v1/ownership/assign"), claim(mia)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["error"]["message"],
        "credential orphan-key is used by agent search-bot, outside your teams, so only an admin may claim it"
    );
    // Even once it is owned in the manager's team, revoking it breaks Search.
    let (status, body) = post(&admin, app.url("/api/v1/ownership/assign"), claim(mia)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = revoke(&app, &manager, f.unowned, json!({ "reason": "leaked" })).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only an admin may revoke it")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM revocation").await, 0);
    assert_eq!(credential_status(&app, f.unowned).await, "active");
    // A credential only the manager's teams use is theirs to claim and revoke.
    let own = new_credential(&app, "payments-orphan", None, "active").await;
    let (status, body) = post(
        &manager,
        app.url("/api/v1/ownership/assign"),
        json!({ "kind": "credential", "ids": [own], "owner": mia, "reason": "ours" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = revoke(&app, &manager, own, json!({ "reason": "unused" })).await;
    assert_eq!(status, 201, "{body}");
}

async fn ten_concurrent_revocations_of_one_credential_record_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let calls = (0..10).map(|_| revoke(&app, &admin, f.credential, json!({ "reason": "leaked" })));
    let answers = futures::future::join_all(calls).await;
    let mut statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
        "{answers:?}"
    );
    let ids: std::collections::BTreeSet<i64> = answers
        .iter()
        .map(|(_, body)| body["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "every caller gets the same revocation");
    assert_eq!(app.count("SELECT COUNT(*) FROM revocation").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM revocation_copy").await, 3);
    assert_eq!(audited(&app, "revocation.request").await, 1);

    // Once revoked (and complete), revoking again still answers it, and never errors.
    let id = *ids.first().unwrap();
    transition(&app, &admin, id, "revoked").await;
    for copy in &f.copies {
        resolve(&app, &admin, id, json!({ "copy": copy, "state": "removed" })).await;
    }
    let (status, body) = revoke(&app, &admin, f.credential, json!({ "reason": "again" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(revocation(body).state, RevocationState::Complete);
    assert_eq!(audited(&app, "revocation.request").await, 1);
}

async fn resolving_every_copy_completes_the_revocation_and_a_copy_found_again_reopens_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (_, body) = revoke(&app, &admin, f.credential, json!({ "reason": "leaked" })).await;
    let id = revocation(body).id;
    let (status, body) = transition(&app, &admin, id, "revoked").await;
    assert_eq!(status, 200, "{body}");
    let revoked = revocation(body);
    assert_eq!(revoked.state, RevocationState::Revoked, "copies are left");
    assert_eq!(revoked.copies_left, 3);
    let overview: json::Overview = app.get_json("/api/v1/overview").await;
    assert_eq!((overview.open_revocations, overview.copies_to_remove), (1, 3));

    let (status, body) = resolve(
        &app,
        &admin,
        id,
        json!({ "copy": f.copies[0], "state": "removed" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(revocation(body).copies_left, 2);
    for (body, code) in [
        (json!({ "copy": f.copies[0], "state": "removed" }), 409), // resolved already
        (json!({ "copy": f.copies[2], "state": "accepted" }), 400), // accepting needs a reason
        (json!({ "copy": f.copies[2], "state": "pending" }), 400),
        (json!({ "copy": 999_999, "state": "removed" }), 404),
    ] {
        let (status, answer) = resolve(&app, &admin, id, body.clone()).await;
        assert_eq!(status, code, "{body}: {answer}");
    }
    let (status, body) = resolve(
        &app,
        &admin,
        id,
        json!({ "copy": f.copies[1], "state": "removed" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = resolve(
        &app,
        &admin,
        id,
        json!({ "copy": f.copies[2], "state": "accepted", "reason": "Slack keeps messages; the key is dead" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let complete = revocation(body);
    assert_eq!(complete.state, RevocationState::Complete);
    assert_eq!(complete.copies_left, 0);
    let accepted = complete
        .checklist
        .iter()
        .find(|i| i.copy.id == f.copies[2])
        .unwrap();
    assert_eq!(accepted.state, json::ChecklistState::Accepted);
    assert_eq!(accepted.resolved_by.as_deref(), Some("admin@muster.test"));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM credential_copy WHERE credential_id = {} AND status = 'removed'",
            f.credential
        ))
        .await,
        2,
        "removed copies are removed in the inventory"
    );
    assert_eq!(audited(&app, "revocation.copy").await, 3);
    assert_eq!(audited(&app, "revocation.complete").await, 1);
    let overview: json::Overview = app.get_json("/api/v1/overview").await;
    assert_eq!((overview.open_revocations, overview.copies_to_remove), (0, 0));

    // An import (here a report through the API) finds a removed copy again.
    let (status, body) = report_copy(
        &app,
        &admin,
        json!({ "credential": f.credential, "kind": "env_file", "locator": "laptop-17:/home/olga/app/.env",
                "found_by": "trufflehog" }),
    )
    .await;
    assert_eq!(status, 200, "a known copy: {body}");
    let sighted: json::SightedCopy = serde_json::from_value(body).unwrap();
    assert_eq!(sighted.copy.id, f.copies[0]);
    assert_eq!(sighted.copy.status, json::CopyStatus::Present);
    assert_eq!(
        sighted.reopened,
        Some(json::RevocationBrief {
            id,
            state: RevocationState::Revoked
        })
    );
    let reopened: json::Revocation = app.get_json(&format!("/api/v1/revocations/{id}")).await;
    assert_eq!(reopened.state, RevocationState::Revoked);
    assert_eq!(reopened.copies_left, 1);
    assert_eq!(audited(&app, "revocation.reopen").await, 1);
    let overview: json::Overview = app.get_json("/api/v1/overview").await;
    assert_eq!((overview.open_revocations, overview.copies_to_remove), (1, 1));

    // A copy never seen before goes on the checklist too.
    let (status, body) = report_copy(&app, &admin,
        json!({ "credential": f.credential, "kind": "repository_file", "locator": "github.com/acme/app/config/prod.yml",
                "found_by": "gitleaks", "author_email": "olga@muster.test" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let reopened: json::Revocation = app.get_json(&format!("/api/v1/revocations/{id}")).await;
    assert_eq!(reopened.copies_left, 2);
    // The accepted copy, seen again, stays accepted: it was known to stay.
    let (status, body) = report_copy(&app, &admin,
        json!({ "credential": f.credential, "kind": "chat_message", "locator": "slack://#deploys/1700000000.1234",
                "found_by": "slack-scan" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reopened"], Value::Null);
    // Reports are for admins, and checked.
    let (status, _) = report_copy(&app, &app.client, json!({})).await;
    assert_eq!(status, 403);
    let (status, _) = report_copy(
        &app,
        &admin,
        json!({ "credential": f.credential, "kind": "env_file", "locator": " ", "found_by": "x" }),
    )
    .await;
    assert_eq!(status, 400);
}

on_every_backend!(
    the_plan_shows_consumers_last_use_resources_and_every_copy,
    revoking_records_a_requested_revocation_with_every_copy_on_its_checklist,
    the_state_machine_allows_exactly_its_transitions,
    a_revoked_credential_without_copies_completes_at_once_and_scores_nothing,
    managers_revoke_only_credentials_their_teams_own,
    a_manager_cannot_claim_or_revoke_a_credential_another_teams_agent_uses,
    ten_concurrent_revocations_of_one_credential_record_one,
    resolving_every_copy_completes_the_revocation_and_a_copy_found_again_reopens_it,
    the_webhook_is_signed_and_its_answer_revokes_the_credential,
    a_failing_receiver_is_retried_with_back_off_until_it_accepts,
    a_restart_in_the_middle_loses_no_delivery,
    two_replicas_and_a_slow_receiver_send_each_delivery_once,
    a_receiver_that_never_accepts_fails_the_revocation_which_can_be_asked_again,
);

// --- The automation webhook, against a real receiver on loopback ---------

/// These servers host no web app.
const NO_DIST: &str = "/nonexistent-dist";

/// Polls the revocation until `done` holds (at most 20 s).
async fn wait_for(app: &TestApp, id: i64, done: impl Fn(&json::Revocation) -> bool) -> json::Revocation {
    for _ in 0..200 {
        let now: json::Revocation = app.get_json(&format!("/api/v1/revocations/{id}")).await;
        if done(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let now: json::Revocation = app.get_json(&format!("/api/v1/revocations/{id}")).await;
    panic!("the revocation never got there: {now:#?}");
}

async fn the_webhook_is_signed_and_its_answer_revokes_the_credential(backend: Backend) {
    let receiver = Receiver::start(&[(200, "")]).await;
    let app = spawn_app_with_settings(backend, receiver.settings(5, NO_DIST.into())).await;
    let f = fixture(&app).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (status, body) = revoke(
        &app,
        &admin,
        f.credential,
        json!({ "reason": "leaked", "replacement": f.replacement }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let requested = revocation(body);
    assert!(requested.automated);
    let done = wait_for(&app, requested.id, |r| r.state == RevocationState::Revoked).await;
    assert_eq!(done.deliveries.len(), 1);
    assert_eq!(done.deliveries[0].state, json::DeliveryState::Delivered);
    assert_eq!(done.deliveries[0].attempts, 1);
    assert_eq!(done.deliveries[0].last_status, Some(200));
    assert_eq!(done.credential_status, json::CredentialStatus::Revoked);

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert!(request.verify(), "the signature checks out: {request:?}");
    assert_eq!(request.id, format!("msg_{}", done.deliveries[0].id));
    assert!(
        (chrono::Utc::now().timestamp() - request.timestamp).abs() < 60,
        "a fresh timestamp"
    );
    let tampered = Received {
        body: request.body.replace("leaked", "fine"),
        ..request.clone()
    };
    assert!(!tampered.verify(), "a changed body fails the check");
    let event: json::RevocationEvent = serde_json::from_str(&request.body).unwrap();
    assert_eq!(event.event, "revocation.requested");
    assert_eq!(event.data.revocation, requested.id);
    assert_eq!(event.data.credential.external_id, "AKIAdeploy-key");
    assert_eq!(event.data.replacement.unwrap().name, "deploy-key-2");
    assert_eq!(event.data.consumers[0].agent.name, "release-bot");
    assert_eq!(event.data.copies.len(), 3);
    assert_eq!(audited(&app, "webhook.delivered").await, 1);
    let (actor, to): (String, String) =
        sqlx::query_as("SELECT actor, details FROM audit_event WHERE action = 'revocation.transition'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(actor, "webhook");
    assert!(to.contains("\"revoked\""), "{to}");

    // A receiver that only disables says so; 202 leaves it for later.
    for (answer, state) in [
        ((200, r#"{"state":"disabled"}"#), RevocationState::Disabled),
        ((202, ""), RevocationState::Requested),
    ] {
        receiver.answer(&[answer]);
        let n = app.count("SELECT COUNT(*) FROM credential").await;
        let credential = new_credential(&app, &format!("key-{n}"), None, "active").await;
        let (_, body) = revoke(&app, &admin, credential, json!({ "reason": "test" })).await;
        let id = revocation(body).id;
        let done = wait_for(&app, id, |r| {
            r.deliveries
                .iter()
                .any(|d| d.state == json::DeliveryState::Delivered)
        })
        .await;
        assert_eq!(done.state, state);
    }
}

async fn a_failing_receiver_is_retried_with_back_off_until_it_accepts(backend: Backend) {
    let receiver = Receiver::start(&[(503, "busy"), (500, "oops"), (204, "")]).await;
    let app = spawn_app_with_settings(backend, receiver.settings(5, NO_DIST.into())).await;
    let f = fixture(&app).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (_, body) = revoke(&app, &admin, f.credential, json!({ "reason": "leaked" })).await;
    let id = revocation(body).id;
    let pending = wait_for(&app, id, |r| r.deliveries[0].attempts == 1).await;
    let delivery = &pending.deliveries[0];
    assert_eq!(delivery.state, json::DeliveryState::Pending);
    assert_eq!(delivery.last_status, Some(503));
    assert!(delivery.next_attempt_at.is_some(), "a retry is due");
    assert_eq!(pending.state, RevocationState::Requested);

    let done = wait_for(&app, id, |r| r.state == RevocationState::Revoked).await;
    assert_eq!(done.deliveries[0].attempts, 3);
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(Received::verify));
    assert!(
        received.iter().all(|r| r.id == received[0].id),
        "one message id for every attempt"
    );
    assert!(
        received.iter().all(|r| r.body == received[0].body),
        "the same body"
    );
    // Back-off: 1 s, then 2 s (timestamps are whole seconds).
    assert!(received[1].timestamp - received[0].timestamp >= 1);
    assert!(received[2].timestamp - received[1].timestamp >= 2);
}

async fn a_restart_in_the_middle_loses_no_delivery(backend: Backend) {
    let receiver = Receiver::start(&[(500, "down")]).await;
    let mut app = spawn_app_with_settings(backend, receiver.settings(10, NO_DIST.into())).await;
    let f = fixture(&app).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (_, body) = revoke(&app, &admin, f.credential, json!({ "reason": "leaked" })).await;
    let id = revocation(body).id;
    wait_for(&app, id, |r| r.deliveries[0].attempts >= 1).await;

    // The server goes down with the delivery pending; the receiver recovers.
    app.restart(Settings {
        dist: NO_DIST.into(),
        ..Settings::default()
    })
    .await;
    receiver.answer(&[(200, "")]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting: json::Revocation = app.get_json(&format!("/api/v1/revocations/{id}")).await;
    assert_eq!(
        waiting.state,
        RevocationState::Requested,
        "no webhook configured: nothing sent"
    );
    assert_eq!(waiting.deliveries[0].state, json::DeliveryState::Pending);

    app.restart(receiver.settings(10, NO_DIST.into())).await;
    let done = wait_for(&app, id, |r| r.state == RevocationState::Revoked).await;
    assert_eq!(done.deliveries.len(), 1, "the same delivery, not a new one");
    assert_eq!(done.deliveries[0].state, json::DeliveryState::Delivered);
    let received = receiver.received();
    assert!(received.len() >= 2);
    assert!(received.iter().all(|r| r.id == received[0].id));
}

async fn two_replicas_and_a_slow_receiver_send_each_delivery_once(backend: Backend) {
    let receiver = Receiver::start(&[(202, "")]).await;
    // Each answer takes 1.2 s of the 2 s timeout: a batch of a dozen takes
    // longer than a lease reckoned from the batch's start (timeout + 5 s).
    receiver.delay(Duration::from_millis(1200));
    let app = spawn_app_with_settings(backend, receiver.settings(3, NO_DIST.into())).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    const DELIVERIES: usize = 16;
    for i in 0..DELIVERIES {
        let credential = new_credential(&app, &format!("key-{i}"), None, "active").await;
        let (status, body) = revoke(&app, &admin, credential, json!({ "reason": "rotation" })).await;
        assert_eq!(status, 201, "{body}");
    }
    // The first replica is well into its batch, past the lease a claim
    // reckoned from the batch's start would hold, when the second starts.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let _replica = app.replica(receiver.settings(3, NO_DIST.into())).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    while app
        .count("SELECT COUNT(*) FROM outbox WHERE topic = 'revocation' AND state = 'delivered'")
        .await
        < DELIVERIES as i64
    {
        assert!(tokio::time::Instant::now() < deadline, "every delivery goes out");
        // A delivery on its way is leased for as long as its attempt may
        // take: a lease that ran out while it is sent lets another replica
        // send it again.
        let second_ago = (chrono::Utc::now() - chrono::Duration::seconds(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let expired = app
            .count(&format!(
                "SELECT COUNT(*) FROM outbox WHERE topic = 'revocation' AND state = 'pending' AND next_attempt_at > created_at \
                 AND next_attempt_at < '{second_ago}'"
            ))
            .await;
        assert_eq!(expired, 0, "a delivery on its way with its lease run out");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A duplicate would still be on its way: give it the time to arrive.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut ids: Vec<String> = receiver.received().into_iter().map(|r| r.id).collect();
    ids.sort();
    let sent = ids.len();
    ids.dedup();
    assert_eq!((sent, ids.len()), (DELIVERIES, DELIVERIES), "each sent once");
}

async fn a_receiver_that_never_accepts_fails_the_revocation_which_can_be_asked_again(backend: Backend) {
    let receiver = Receiver::start(&[(500, "no")]).await;
    let app = spawn_app_with_settings(backend, receiver.settings(2, NO_DIST.into())).await;
    let f = fixture(&app).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (_, body) = revoke(&app, &admin, f.credential, json!({ "reason": "leaked" })).await;
    let id = revocation(body).id;
    let failed = wait_for(&app, id, |r| r.state == RevocationState::Failed).await;
    assert_eq!(failed.deliveries[0].state, json::DeliveryState::Failed);
    assert_eq!(failed.deliveries[0].attempts, 2);
    assert_eq!(failed.credential_status, json::CredentialStatus::Active);
    assert_eq!(audited(&app, "webhook.failed").await, 1);

    receiver.answer(&[(200, "")]);
    let (status, body) = transition(&app, &admin, id, "requested").await;
    assert_eq!(status, 200, "{body}");
    let done = wait_for(&app, id, |r| r.state == RevocationState::Revoked).await;
    assert_eq!(done.deliveries.len(), 2, "a new delivery for the new request");
    assert_eq!(done.deliveries[0].state, json::DeliveryState::Delivered);
}
