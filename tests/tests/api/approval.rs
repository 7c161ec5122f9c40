//! Approvals: an agent asks with its own token, the policy decides or names
//! how many approvers are needed, approvers decide; the rules no
//! configuration turns off (no self-approval, two different approvers,
//! expiry at decision time, decided once, agents never decide); signed
//! decisions verified offline; idempotency, long-polls, callbacks, change
//! management and the policy's administration.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use futures::StreamExt;
use model::api::{self as json, ApprovalState, Role};
use muster_server::Settings;
use muster_server::clock::Clock;
use muster_tests::approvals::{keys, parameters_hash, verify_callback, verify_decision};
use muster_tests::webhook::Receiver;
use muster_tests::{Backend, TestApp, on_every_backend, spawn_app, spawn_app_with_settings};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// The people, agents and resources of these tests, and a client for each.
struct Fixture {
    agent: i64,
    tool: i64,
    spare_tool: i64,
    credential: i64,
    bot: reqwest::Client,
    laptop_bot: reqwest::Client,
    admin: reqwest::Client,
    ann: reqwest::Client,
    ben: reqwest::Client,
    /// Owns both agents (and is an approver).
    olga: reqwest::Client,
    /// Deployed release-bot (and is an approver).
    dan: reqwest::Client,
    /// A manager who is also an approver.
    mia: reqwest::Client,
    /// A CISO without the approver role.
    cleo: reqwest::Client,
}

async fn fixture(app: &TestApp) -> Fixture {
    let team = app.insert("INSERT INTO team (name) VALUES ('Platform')").await;
    let person = |name: &str, email: &str| {
        format!(
            "INSERT INTO person (name, email, team_id, status) VALUES ('{name}', '{email}', {team}, 'active')"
        )
    };
    let olga = app.insert(&person("Olga Owner", "olga@muster.test")).await;
    let dan = app.insert(&person("Dan Deployer", "dan@muster.test")).await;
    app.insert(&person("Mia Manager", "mia@muster.test")).await;
    let agent = app
        .insert(&format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, deployed_by_id, \
             first_seen) VALUES ('release-bot', 'self_hosted', 'LangChain', 'prod', 1, {olga}, {dan}, \
             '2026-01-01T00:00:00Z')"
        ))
        .await;
    let laptop = app.insert(&format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen) \
             VALUES ('cursor-on-laptop', 'coding_endpoint', 'Cursor', 'dev', 1, {olga}, '2026-01-01T00:00:00Z')"
        ),
    )
    .await;
    let tool = app
        .insert("INSERT INTO tool (name, kind) VALUES ('aws-mcp', 'mcp_server')")
        .await;
    let spare_tool = app
        .insert("INSERT INTO tool (name, kind) VALUES ('github-mcp', 'mcp_server')")
        .await;
    let credential = app.insert(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, created_at, status, owner_id, \
             fingerprint) VALUES ('deploy-key', 'access_key', 'aws', 'AKIADEPLOY', 's3:*', '2026-01-01T00:00:00Z', \
             'active', {olga}, 'fp-deploy')"
        ),
    )
    .await;
    app.execute(&format!(
        "INSERT INTO agent_tool (agent_id, tool_id) VALUES ({agent}, {tool})"
    ))
    .await;
    app.execute(&format!(
        "INSERT INTO agent_tool (agent_id, tool_id) VALUES ({laptop}, {tool})"
    ))
    .await;
    app.execute(&format!(
        "INSERT INTO tool_credential (tool_id, credential_id) VALUES ({tool}, {credential})"
    ))
    .await;
    for (name, environment, sensitivity) in [
        ("orders-db", "prod", "restricted"),
        ("billing-db", "prod", "confidential"),
        ("logs-bucket", "dev", "public"),
        ("cache", "staging", "internal"),
    ] {
        let resource = app
            .insert(&format!(
                "INSERT INTO resource (name, provider, kind, environment, sensitivity) \
                 VALUES ('{name}', 'aws', 'database', '{environment}', '{sensitivity}')"
            ))
            .await;
        app.execute(&format!(
                "INSERT INTO reach (credential_id, resource_id, permission) VALUES ({credential}, {resource}, 'admin')"
            ),
        )
        .await;
    }
    app.execute(&format!(
        "INSERT INTO activity_event (credential_id, occurred_at, action, outcome) \
             VALUES ({credential}, '2026-11-20T09:59:00Z', 's3:ListBuckets', 'success')"
    ))
    .await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    Fixture {
        agent,

        tool,
        spare_tool,
        credential,
        bot: app.agent_client_for(&admin, agent).await,
        laptop_bot: app.agent_client_for(&admin, laptop).await,
        ann: app.signed_in_as("ann@muster.test", &[Role::Approver]).await,
        ben: app.signed_in_as("ben@muster.test", &[Role::Approver]).await,
        olga: app.signed_in_as("olga@muster.test", &[Role::Approver]).await,
        dan: app.signed_in_as("dan@muster.test", &[Role::Approver]).await,
        mia: app
            .signed_in_as("mia@muster.test", &[Role::Manager, Role::Approver])
            .await,
        cleo: app.signed_in_as("cleo@muster.test", &[Role::Ciso]).await,
        admin,
    }
}

/// `POST /api/v1/approval-requests` with an idempotency key.
async fn ask(app: &TestApp, agent: &reqwest::Client, key: &str, body: &Value) -> (u16, Value) {
    post_with_key(agent, app.url("/api/v1/approval-requests"), key, body).await
}

/// `POST /api/v1/change-requests` with an idempotency key.
async fn ask_change(app: &TestApp, person: &reqwest::Client, key: &str, body: &Value) -> (u16, Value) {
    post_with_key(person, app.url("/api/v1/change-requests"), key, body).await
}

async fn post_with_key(client: &reqwest::Client, url: String, key: &str, body: &Value) -> (u16, Value) {
    let response = client
        .post(url)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn delete_orders() -> Value {
    json!({
        "operation": "rds:DeleteDBInstance",
        "resource": "orders-db",
        "parameters": { "DBInstanceIdentifier": "orders-db", "SkipFinalSnapshot": false, "tags": ["a", 1, 2.5] },
        "justification": "decommissioning after the migration to Aurora",
    })
}

fn deploy() -> Value {
    json!({
        "operation": "deploy:production",
        "resource": "billing-db",
        "parameters": { "version": "2026.11.3", "canary": 5 },
        "justification": "weekly release",
    })
}

async fn decide(
    app: &TestApp,
    person: &reqwest::Client,
    id: i64,
    verdict: &str,
    comment: &str,
) -> (u16, Value) {
    let response = person
        .post(app.url(&format!("/api/v1/approvals/{id}/decision")))
        .json(&json!({ "verdict": verdict, "comment": comment }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn status_of(app: &TestApp, agent: &reqwest::Client, id: i64) -> json::ApprovalStatus {
    // Polls closer than a second apart are refused: these reads are spaced.
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let response = agent
        .get(app.url(&format!("/api/v1/approval-requests/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn id(body: &Value) -> i64 {
    body["id"].as_i64().unwrap_or_else(|| panic!("no id in {body}"))
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM audit_event WHERE action = '{action}'"
    ))
    .await
}

async fn two_approvers_approve_and_the_decision_verifies_offline(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let (status, asked) = ask(&app, &f.bot, "k1", &delete_orders()).await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(asked["state"], "pending");
    assert_eq!(asked["rule"], "Deletions in production need two approvers");
    assert_eq!(asked["required_approvals"], 2);
    assert!(asked["decision"].is_null());
    let request = id(&asked);

    let (status, first) = decide(&app, &f.ann, request, "approve", "checked the snapshot exists").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (
            first["summary"]["state"].as_str(),
            first["summary"]["approvals"].as_i64()
        ),
        (Some("pending"), Some(1))
    );
    let (status, again) = decide(&app, &f.ann, request, "approve", "").await;
    assert_eq!(status, 409, "the same person cannot be both approvers: {again}");
    assert_eq!(
        status_of(&app, &f.bot, request).await.state,
        ApprovalState::Pending
    );

    let (status, second) = decide(&app, &f.ben, request, "approve", "").await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["summary"]["state"], "approved");
    assert_eq!(second["votes"].as_array().unwrap().len(), 2);

    let approved = status_of(&app, &f.bot, request).await;
    assert_eq!(approved.state, ApprovalState::Approved);
    let token = approved
        .decision
        .expect("an approval carries its signed decision");
    let parameters = delete_orders()["parameters"].clone();
    let claims = verify_decision(&token, &keys(&app).await, &parameters).expect("the decision verifies");
    assert_eq!(claims.sub, format!("agent:{}", f.agent));
    assert_eq!(claims.operation, "rds:DeleteDBInstance");
    assert_eq!(claims.resource.as_deref(), Some("orders-db"));
    assert_eq!(claims.approvers, ["ann@muster.test", "ben@muster.test"]);
    assert_eq!(claims.parameters_sha256, parameters_hash(&parameters).unwrap());
    assert_eq!(claims.exp, approved.expires_at.timestamp());

    let mut changed = parameters.clone();
    changed["SkipFinalSnapshot"] = json!(true);
    assert!(verify_decision(&token, &keys(&app).await, &changed).is_err());
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    assert!(verify_decision(&forged, &keys(&app).await, &parameters).is_err());

    assert_eq!(audit_count(&app, "approval.request").await, 1);
    assert_eq!(audit_count(&app, "approval.approve").await, 2);
}

async fn the_policy_decides_at_once_and_unmatched_requests_need_one_approver(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let read_logs = json!({
        "operation": "s3:GetObject", "resource": "logs-bucket",
        "parameters": { "Key": "2026/11/22.log" }, "justification": "summarise yesterday's errors",
    });
    let (status, approved) = ask(&app, &f.bot, "read", &read_logs).await;
    assert_eq!(status, 201);
    assert_eq!(approved["state"], "approved", "{approved}");
    assert_eq!(approved["required_approvals"], 0);
    let claims = verify_decision(
        approved["decision"].as_str().unwrap(),
        &keys(&app).await,
        &read_logs["parameters"],
    )
    .unwrap();
    assert_eq!(
        claims.approvers,
        ["policy:Reads of public data in development are approved"]
    );

    let mut from_laptop = delete_orders();
    from_laptop["resource"] = json!("billing-db");
    let (_, denied) = ask(&app, &f.laptop_bot, "del", &from_laptop).await;
    assert_eq!(denied["state"], "denied", "{denied}");
    assert_eq!(
        denied["reason"],
        "denied by the policy: Coding agents on laptops never delete in production"
    );
    assert!(denied["decision"].is_null());

    let export =
        json!({ "operation": "db:export", "resource": "cache", "parameters": {}, "justification": "x" });
    assert_eq!(ask(&app, &f.bot, "exp", &export).await.1["required_approvals"], 2);

    let unmatched = json!({
        "operation": "cache:Flush", "resource": "cache", "parameters": {}, "justification": "stale entries",
    });
    let (_, pending) = ask(&app, &f.bot, "flush", &unmatched).await;
    assert_eq!(
        (pending["state"].as_str(), pending["required_approvals"].as_i64()),
        (Some("pending"), Some(1))
    );
    assert_eq!(pending["rule"], "Default: one approver");

    let unknown = json!({
        "operation": "deploy:production", "resource": "not-in-inventory", "parameters": {}, "justification": "x",
    });
    let (status, body) = ask(&app, &f.bot, "unknown", &unknown).await;
    assert_eq!(status, 201, "an unknown target is kept as named: {body}");
    assert_eq!(
        body["rule"], "Production deployments need an approver",
        "the agent's environment applies"
    );

    assert_eq!(audit_count(&app, "approval.auto_approve").await, 1);
    assert_eq!(audit_count(&app, "approval.auto_deny").await, 1);
}

async fn nobody_approves_their_own_agent_or_request_and_roles_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let request = id(&ask(&app, &f.bot, "k", &deploy()).await.1);
    for (who, client) in [
        ("owner", &f.olga),
        ("deployer", &f.dan),
        ("CISO without the role", &f.cleo),
    ] {
        let (status, body) = decide(&app, client, request, "approve", "").await;
        assert_eq!(status, 403, "{who}: {body}");
    }
    let (status, _) = decide(&app, &app.client, request, "approve", "").await;
    assert_eq!(status, 403, "a viewer cannot decide");
    let detail: Value = f
        .olga
        .get(app.url(&format!("/api/v1/approvals/{request}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["cannot_decide"],
        "you own agent release-bot: nobody approves for their own agent"
    );

    let change = json!({
        "agent": f.agent, "operation": "muster:grant_tool", "parameters": { "tool": f.spare_tool },
        "justification": "needs to open pull requests",
    });
    let (status, asked) = ask_change(&app, &f.mia, "c1", &change).await;
    assert_eq!(status, 201, "{asked}");
    let change_request = id(&asked);
    let (status, body) = decide(&app, &f.mia, change_request, "approve", "").await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("own request"));
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_vote").await, 0);
    assert_eq!(audit_count(&app, "approval.approve").await, 0);
}

async fn the_parties_of_a_request_are_fixed_when_it_is_made(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let request = id(&ask(&app, &f.bot, "k", &deploy()).await.1);
    // The owner hands the agent over for the moment of deciding...
    let mia = app
        .count("SELECT id FROM person WHERE email = 'mia@muster.test'")
        .await;
    let response = f
        .admin
        .post(app.url("/api/v1/ownership/assign"))
        .json(&json!({ "kind": "agent", "ids": [f.agent], "owner": mia, "reason": "holiday cover" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, body) = decide(&app, &f.olga, request, "approve", "").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["error"]["message"],
        "you owned agent release-bot when this was asked: nobody approves for their own agent"
    );
    // ...and the deployer's email changes in the inventory: the account stays
    // linked to its person.
    sqlx::query("UPDATE person SET email = 'daniel@muster.test' WHERE email = 'dan@muster.test'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let (status, body) = decide(&app, &f.dan, request, "approve", "").await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("you deployed")
    );
    // The new owner was not a party when it was asked, but owns it now.
    let (status, _) = decide(&app, &f.mia, request, "approve", "").await;
    assert_eq!(status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_vote").await, 0);
    let session: Value = f
        .dan
        .get(app.url("/api/v1/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["person"]["name"], "Dan Deployer");
}

async fn a_manager_asks_changes_only_for_their_teams_agents_and_is_checked_again_at_approval(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let search = app.insert("INSERT INTO team (name) VALUES ('Search')").await;
    let otto = app.insert(&format!(
            "INSERT INTO person (name, email, team_id, status) VALUES ('Otto Outsider', 'otto@muster.test', {search}, 'active')"
        ),
    )
    .await;
    let other = app
        .insert(&format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen) \
             VALUES ('search-bot', 'self_hosted', 'LangChain', 'prod', 1, {otto}, '2026-01-01T00:00:00Z')"
        ))
        .await;
    let change = |agent: i64| {
        json!({
            "agent": agent, "operation": "muster:grant_tool", "parameters": { "tool": f.spare_tool },
            "justification": "needs to open pull requests",
        })
    };
    let (status, body) = ask_change(&app, &f.mia, "c1", &change(other)).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["error"]["message"],
        "agent search-bot is owned by Otto Outsider, outside your teams"
    );
    // Asked inside her teams; the agent then moves to another team.
    let (status, asked) = ask_change(&app, &f.mia, "c2", &change(f.agent)).await;
    assert_eq!(status, 201, "{asked}");
    let response = f
        .admin
        .post(app.url("/api/v1/ownership/assign"))
        .json(&json!({ "kind": "agent", "ids": [f.agent], "owner": otto, "reason": "team change" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, body) = decide(&app, &f.ann, id(&asked), "approve", "").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("mia@muster.test, who asked for this change, may no longer ask for it"),
        "{body}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_vote").await, 0);
    let granted = app
        .count(&format!(
            "SELECT COUNT(*) FROM agent_tool WHERE tool_id = {}",
            f.spare_tool
        ))
        .await;
    assert_eq!(granted, 0);
    // A denial needs no standing: the request can still be closed.
    let (status, _) = decide(&app, &f.ann, id(&asked), "deny", "moved teams").await;
    assert_eq!(status, 200);
}

async fn a_decided_request_keeps_its_decision(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let request = id(&ask(&app, &f.bot, "k", &deploy()).await.1);
    assert_eq!(decide(&app, &f.ann, request, "approve", "").await.0, 200);
    for (client, verdict) in [(&f.ben, "deny"), (&f.ben, "approve"), (&f.ann, "deny")] {
        let (status, body) = decide(&app, client, request, verdict, "too late").await;
        assert_eq!(status, 409, "{body}");
    }
    let denied = id(&ask(
        &app,
        &f.bot,
        "k2",
        &json!({ "operation": "deploy:production", "parameters": {"v": 2}, "justification": "x" }),
    )
    .await
    .1);
    let (status, body) = decide(&app, &f.ann, denied, "deny", "not during the freeze").await;
    assert_eq!((status, body["summary"]["state"].as_str()), (200, Some("denied")));
    assert_eq!(decide(&app, &f.ben, denied, "approve", "").await.0, 409);
    let status = status_of(&app, &f.bot, denied).await;
    assert_eq!(
        (status.state, status.reason.as_deref()),
        (ApprovalState::Denied, Some("not during the freeze"))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_vote").await, 2);
}

async fn expiry_is_checked_at_decision_time_to_the_second(backend: Backend) {
    let start = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let clock = Clock::manual(start);
    let app = spawn_app_with_settings(
        backend,
        Settings {
            clock: clock.clone(),
            ..Settings::default()
        },
    )
    .await;
    let f = fixture(&app).await;
    let early = id(&ask(&app, &f.bot, "a", &deploy()).await.1);
    let late = id(&ask(
        &app,
        &f.bot,
        "b",
        &json!({ "operation": "deploy:production", "parameters": {"v": 2}, "justification": "x" }),
    )
    .await
    .1);

    clock.set(start + chrono::Duration::seconds(3599));
    let (status, body) = decide(&app, &f.ann, early, "approve", "").await;
    assert_eq!(status, 200, "one second before expiry: {body}");

    clock.set(start + chrono::Duration::seconds(3600));
    let (status, body) = decide(&app, &f.ann, late, "approve", "").await;
    assert_eq!(status, 409, "at expiry: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("expired"));
    assert_eq!(status_of(&app, &f.bot, late).await.state, ApprovalState::Expired);
    assert_eq!(audit_count(&app, "approval.expire").await, 1);
    let stored: String = sqlx::query_scalar(&format!("SELECT state FROM approval_request WHERE id = {late}"))
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, "expired");

    let response = f
        .bot
        .post(app.url(&format!("/api/v1/approval-requests/{early}/consume")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        409,
        "an approval cannot be used after its expiry"
    );
    let inbox: json::Page<json::ApprovalSummary> = f
        .ann
        .get(app.url("/api/v1/approvals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inbox.total, 0, "expired requests leave the inbox");
}

async fn an_approval_is_consumed_once_by_its_own_agent(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let request = id(&ask(&app, &f.bot, "k", &deploy()).await.1);
    let url = app.url(&format!("/api/v1/approval-requests/{request}/consume"));
    assert_eq!(
        f.bot.post(&url).send().await.unwrap().status(),
        409,
        "pending: nothing to use"
    );
    decide(&app, &f.ann, request, "approve", "").await;
    assert_eq!(
        f.laptop_bot.post(&url).send().await.unwrap().status(),
        404,
        "another agent's"
    );
    let used: json::ApprovalStatus = f.bot.post(&url).send().await.unwrap().json().await.unwrap();
    assert!(used.consumed_at.is_some());
    let again = f.bot.post(&url).send().await.unwrap();
    assert_eq!(again.status(), 409);
    assert_eq!(audit_count(&app, "approval.consume").await, 1);
}

async fn an_idempotency_key_returns_the_same_request_even_under_fifty_concurrent_posts(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let body = deploy();
    let answers: Vec<(u16, Value)> =
        futures::future::join_all((0..50).map(|_| ask(&app, &f.bot, "same", &body))).await;
    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let replayed = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!((created, replayed), (1, 49), "{answers:?}");
    assert!(answers.iter().all(|(_, body)| body["id"] == answers[0].1["id"]));
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_request").await, 1);
    assert_eq!(audit_count(&app, "approval.request").await, 1);

    // Key order and spacing do not make another request; another value does.
    let reordered: Value = serde_json::from_str(
        r#"{"justification":"weekly release","parameters":{"canary":5,"version":"2026.11.3"},
            "resource":"billing-db","operation":"deploy:production"}"#,
    )
    .unwrap();
    assert_eq!(ask(&app, &f.bot, "same", &reordered).await.0, 200);
    let mut other = deploy();
    other["parameters"]["canary"] = json!(50);
    let (status, body) = ask(&app, &f.bot, "same", &other).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("unprocessable"))
    );
    assert_eq!(
        ask(&app, &f.laptop_bot, "same", &deploy()).await.0,
        201,
        "keys are per requester"
    );
}

async fn bad_requests_get_clear_errors_and_record_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let response = f
        .bot
        .post(app.url("/api/v1/approval-requests"))
        .json(&deploy())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400, "no Idempotency-Key");
    let cases = [
        (
            json!({ "operation": "", "parameters": {}, "justification": "x" }),
            400,
        ),
        (
            json!({ "operation": "deploy prod", "parameters": {}, "justification": "x" }),
            400,
        ),
        (
            json!({ "operation": "deploy:x", "parameters": {}, "justification": "  " }),
            400,
        ),
        (
            json!({ "operation": "deploy:x", "parameters": {}, "justification": "x", "callback_url": "ftp://x" }),
            400,
        ),
        (
            json!({ "operation": "deploy:x", "parameters": {}, "justification": "x", "surprise": 1 }),
            400,
        ),
        (
            json!({ "operation": "deploy:x", "parameters": { "blob": "x".repeat(70_000) }, "justification": "x" }),
            400,
        ),
        (
            json!({ "operation": "muster:drop_everything", "parameters": {}, "justification": "x" }),
            422,
        ),
        (
            json!({ "operation": "muster:grant_tool", "parameters": { "tool": 999 }, "justification": "x" }),
            422,
        ),
        (
            json!({ "operation": "muster:grant_tool", "parameters": { "tool": f.tool }, "justification": "x" }),
            422,
        ),
    ];
    for (i, (body, expected)) in cases.iter().enumerate() {
        let (status, answer) = ask(&app, &f.bot, &format!("bad-{i}"), body).await;
        assert_eq!(status, *expected, "{body}: {answer}");
        assert!(answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let request = id(&ask(&app, &f.bot, "ok", &deploy()).await.1);
    let (status, _) = decide(&app, &f.ann, request, "deny", "").await;
    assert_eq!(status, 400, "a denial says why");
    let (status, _) = decide(&app, &f.ann, request, "maybe", "").await;
    assert_eq!(status, 400);
    let wait = f
        .bot
        .get(app.url(&format!("/api/v1/approval-requests/{request}?wait=forever")))
        .send()
        .await
        .unwrap();
    assert_eq!(wait.status(), 400);
    let wait = f
        .bot
        .get(app.url(&format!("/api/v1/approval-requests/{request}?wait=600s")))
        .send()
        .await
        .unwrap();
    assert_eq!(wait.status(), 400);
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_request").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_vote").await, 0);
}

async fn agent_tokens_never_decide_and_people_cannot_ask_as_agents(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let request = id(&ask(&app, &f.bot, "k", &deploy()).await.1);
    let response = f
        .bot
        .post(app.url(&format!("/api/v1/approvals/{request}/decision")))
        .json(&json!({ "verdict": "approve" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        f.bot
            .get(app.url("/api/v1/approvals"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let response = f
        .ann
        .post(app.url("/api/v1/approval-requests"))
        .header("idempotency-key", "p")
        .json(&deploy())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "people ask for changes, not as agents");
    assert_eq!(
        app.client
            .get(app.url("/api/v1/approvals"))
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "viewers see no inbox"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM approval_vote").await, 0);
}

async fn a_long_poll_returns_the_decision_as_soon_as_it_is_made(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let request = id(&ask(&app, &f.bot, "k", &deploy()).await.1);
    let url = app.url(&format!("/api/v1/approval-requests/{request}"));
    let pending = f.bot.get(&url).send().await.unwrap();
    assert_eq!(pending.status(), 200);
    assert_eq!(
        pending.headers()["retry-after"],
        "2",
        "a pending answer says when to look again"
    );
    let too_fast = f.bot.get(&url).send().await.unwrap();
    assert_eq!(too_fast.status(), 429);
    assert_eq!(too_fast.headers()["retry-after"], "1");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = Instant::now();
    let poll = tokio::spawn({
        let (bot, url) = (f.bot.clone(), format!("{url}?wait=30s"));
        async move {
            bot.get(url)
                .send()
                .await
                .unwrap()
                .json::<json::ApprovalStatus>()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!poll.is_finished(), "the poll waits for a decision");
    decide(&app, &f.ann, request, "approve", "").await;
    let decided = poll.await.unwrap();
    assert_eq!(decided.state, ApprovalState::Approved);
    assert!(decided.decision.is_some());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "returned {:?} after asking",
        started.elapsed()
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let short = f
        .bot
        .get(app.url(&format!(
                "/api/v1/approval-requests/{}?wait=1s",
                id(&ask(
                    &app,
                    &f.bot,
                    "k2",
                    &json!({ "operation": "deploy:production", "parameters": {"v": 2}, "justification": "x" })
                )
                .await
                .1)
            )))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 200, "a wait that ends undecided answers pending");
}

async fn a_change_request_once_approved_is_recorded_in_the_inventory(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let change = json!({
        "agent": f.agent, "operation": "muster:grant_tool", "parameters": { "tool": f.spare_tool },
        "justification": "needs to open pull requests",
    });
    let (status, asked) = ask_change(&app, &f.mia, "c", &change).await;
    assert_eq!(status, 201, "{asked}");
    let request = id(&asked);
    let granted = format!(
        "SELECT COUNT(*) FROM agent_tool WHERE agent_id = {} AND tool_id = {}",
        f.agent, f.spare_tool
    );
    assert_eq!(app.count(&granted).await, 0, "nothing changes before approval");
    decide(&app, &f.ann, request, "approve", "fine").await;
    assert_eq!(app.count(&granted).await, 1);
    assert_eq!(audit_count(&app, "inventory.grant").await, 1);

    let scope = json!({
        "operation": "muster:grant_scope", "parameters": { "credential": f.credential, "scope": "rds:Describe*" },
        "justification": "to check backups before deleting",
    });
    let (status, asked) = ask(&app, &f.bot, "scope", &scope).await;
    assert_eq!(status, 201, "{asked}");
    decide(&app, &f.ben, id(&asked), "approve", "").await;
    let scopes: String = sqlx::query_scalar(&format!(
        "SELECT scopes FROM credential WHERE id = {}",
        f.credential
    ))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(scopes, "s3:* rds:Describe*");
    assert_eq!(
        ask_change(&app, &app.client, "v", &change).await.0,
        403,
        "viewers do not ask"
    );
}

async fn admins_manage_the_policy_and_it_applies_to_new_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let rules: Vec<json::ApprovalRule> = f
        .ann
        .get(app.url("/api/v1/approval-rules"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rules.len(), 6, "the defaults ship");
    let rule = json!({
        "position": 1, "name": "Never drop tables", "operation": "db:drop*", "decision": "auto_deny",
    });
    let response = f
        .ann
        .post(app.url("/api/v1/approval-rules"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "approvers do not write the policy");
    let response = f
        .admin
        .post(app.url("/api/v1/approval-rules"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: json::ApprovalRule = response.json().await.unwrap();
    let drop =
        json!({ "operation": "db:DropTable", "resource": "cache", "parameters": {}, "justification": "x" });
    let (_, denied) = ask(&app, &f.bot, "d1", &drop).await;
    assert_eq!(denied["state"], "denied");

    let mut two = rule.clone();
    two["decision"] = json!("require");
    two["approvals"] = json!(2);
    two["expires_in"] = json!(600);
    let response = f
        .admin
        .put(app.url(&format!("/api/v1/approval-rules/{}", created.id)))
        .json(&two)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, pending) = ask(&app, &f.bot, "d2", &drop).await;
    assert_eq!(
        (pending["state"].as_str(), pending["required_approvals"].as_i64()),
        (Some("pending"), Some(2))
    );

    for bad in [
        json!({ "name": "x", "operation": "*", "decision": "require", "approvals": 3 }),
        json!({ "name": "x", "operation": "*", "decision": "require", "expires_in": 5 }),
        json!({ "name": "", "operation": "*", "decision": "require" }),
        json!({ "name": "x", "operation": "*", "decision": "maybe" }),
    ] {
        let response = f
            .admin
            .post(app.url("/api/v1/approval-rules"))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
    let response = f
        .admin
        .delete(app.url(&format!("/api/v1/approval-rules/{}", created.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = f
        .admin
        .delete(app.url(&format!("/api/v1/approval-rules/{}", created.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(audit_count(&app, "approval_rule.create").await, 1);
    assert_eq!(audit_count(&app, "approval_rule.update").await, 1);
    assert_eq!(audit_count(&app, "approval_rule.delete").await, 1);
}

async fn a_decision_callback_is_signed_with_the_published_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let receiver = Receiver::start(&[(204, "")]).await;
    allow(
        &app,
        &f.admin,
        json!({ "host": "127.0.0.1", "allow_private": true, "note": "tests" }),
    )
    .await;
    let mut body = deploy();
    body["callback_url"] = json!(receiver.url);
    let request = id(&ask(&app, &f.bot, "cb", &body).await.1);
    decide(&app, &f.ann, request, "approve", "").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.received().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert!(verify_callback(&received[0], &keys(&app).await));
    let mut tampered = received[0].clone();
    tampered.body = tampered.body.replace("approved", "denied");
    assert!(!verify_callback(&tampered, &keys(&app).await));
    let sent: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(sent["type"], "approval.decided");
    assert_eq!(sent["data"]["state"], "approved");
    verify_decision(
        sent["data"]["decision"].as_str().unwrap(),
        &keys(&app).await,
        &body["parameters"],
    )
    .unwrap();
}

/// `POST /api/v1/callback-destinations` as `admin`; answers the status and body.
async fn allow(app: &TestApp, admin: &reqwest::Client, destination: Value) -> (u16, Value) {
    let response = admin
        .post(app.url("/api/v1/callback-destinations"))
        .json(&destination)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn callbacks_go_only_to_destinations_an_admin_allowed_checked_after_resolution(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let receiver = Receiver::start(&[(204, "")]).await;
    let with_callback = |url: &str| {
        let mut body = deploy();
        body["callback_url"] = json!(url);
        body
    };
    let message = |body: &Value| body["error"]["message"].as_str().unwrap_or_default().to_owned();
    // Nothing allowed yet: refused, whatever the address.
    for (key, url) in [
        ("a1", receiver.url.clone()),
        ("a2", "http://169.254.169.254/latest/meta-data/".to_owned()),
        ("a3", "http://metadata.google.internal/".to_owned()),
    ] {
        let (status, body) = ask(&app, &f.bot, key, &with_callback(&url)).await;
        assert_eq!(status, 422, "{url}: {body}");
        assert!(
            message(&body).contains("is not an allowed callback destination"),
            "{body}"
        );
    }
    let (status, body) = ask(&app, &f.bot, "a4", &with_callback("http://user:pw@example.com/")).await;
    assert_eq!(status, 400, "{body}");
    // Allowed without private addresses: the loopback address is refused...
    let (status, body) = allow(
        &app,
        &f.admin,
        json!({ "host": "127.0.0.1", "note": "tests", "agent": f.agent }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = ask(&app, &f.bot, "b", &with_callback(&receiver.url)).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("is a private or local address"), "{body}");
    // ...and so is a name that resolves to it, when the callback is sent.
    let (status, body) = allow(
        &app,
        &f.admin,
        json!({ "host": "localhost", "note": "looks harmless" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let (status, asked) = ask(&app, &f.bot, "c", &with_callback(&by_name)).await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(decide(&app, &f.ann, id(&asked), "approve", "").await.0, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    let error = loop {
        let error: Option<String> =
            sqlx::query_scalar("SELECT last_error FROM outbox WHERE topic = 'callback' AND attempts > 0")
                .fetch_optional(app.db.pool())
                .await
                .unwrap()
                .flatten();
        if let Some(error) = error {
            break error;
        }
        assert!(Instant::now() < deadline, "the callback is attempted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        error.contains("resolves only to private or local addresses"),
        "{error}"
    );
    assert!(receiver.received().is_empty(), "nothing reached the receiver");
    // Allowed with private addresses, for this agent only.
    let (status, body) = allow(
        &app,
        &f.admin,
        json!({ "host": "127.0.0.1", "port": reqwest::Url::parse(&receiver.url).unwrap().port(),
                "allow_private": true, "note": "the test receiver", "agent": f.agent }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = ask(&app, &f.laptop_bot, "d", &with_callback(&receiver.url)).await;
    assert_eq!(status, 422, "another agent: {body}");
    let (status, asked) = ask(&app, &f.bot, "e", &with_callback(&receiver.url)).await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(decide(&app, &f.ann, id(&asked), "approve", "").await.0, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.received().is_empty() {
        assert!(Instant::now() < deadline, "the allowed callback arrives");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Hostile or careless patterns are refused, and nothing is recorded.
    let before = app.count("SELECT COUNT(*) FROM callback_destination").await;
    for host in [
        "*.com",
        "http://x.example.com",
        "",
        "a b.example.com",
        "*",
        "x.example.com:443",
    ] {
        let (status, body) = allow(&app, &f.admin, json!({ "host": host, "note": "x" })).await;
        assert_eq!(status, 400, "{host:?}: {body}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM callback_destination").await,
        before
    );
    assert_eq!(audit_count(&app, "callback_destination.create").await, 3);
}

async fn a_slow_callback_destination_does_not_delay_the_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    allow(
        &app,
        &f.admin,
        json!({ "host": "127.0.0.1", "allow_private": true, "note": "tests" }),
    )
    .await;
    let slow = Receiver::start(&[(204, "")]).await;
    slow.delay(Duration::from_secs(8));
    let fast = Receiver::start(&[(204, "")]).await;
    for i in 0..3 {
        let mut body = deploy();
        body["parameters"]["v"] = json!(i);
        body["callback_url"] = json!(slow.url);
        let asked = ask(&app, &f.bot, &format!("slow-{i}"), &body).await.1;
        assert_eq!(decide(&app, &f.ann, id(&asked), "approve", "").await.0, 200);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut body = deploy();
    body["callback_url"] = json!(fast.url);
    let asked = ask(&app, &f.bot, "fast", &body).await.1;
    let started = Instant::now();
    assert_eq!(decide(&app, &f.ann, id(&asked), "approve", "").await.0, 200);
    while fast.received().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the fast destination waited behind the slow one"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_thousand_requests_decided_by_two_approvers_at_once_are_each_decided_once(backend: Backend) {
    const REQUESTS: usize = 1000;
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let ids: Vec<i64> = futures::stream::iter(0..REQUESTS)
        .map(|i| {
            let body = json!({ "operation": "deploy:production", "parameters": { "n": i }, "justification": "race" });
            let (app, bot) = (&app, &f.bot);
            async move { id(&ask(app, bot, &format!("race-{i}"), &body).await.1) }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let outcomes: Vec<(u16, u16)> = futures::stream::iter(&ids)
        .map(|&request| {
            let (app, ann, ben) = (&app, &f.ann, &f.ben);
            async move {
                let (a, b) = tokio::join!(
                    decide(app, ann, request, "approve", ""),
                    decide(app, ben, request, "deny", "conflict")
                );
                (a.0, b.0)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let approved = outcomes.iter().filter(|o| **o == (200, 409)).count();
    let denied = outcomes.iter().filter(|o| **o == (409, 200)).count();
    assert_eq!(
        approved + denied,
        REQUESTS,
        "every pair had exactly one winner: {outcomes:?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM approval_vote").await,
        REQUESTS as i64
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM approval_request WHERE state = 'approved'")
            .await,
        approved as i64
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM approval_request WHERE state = 'denied'")
            .await,
        denied as i64
    );
    assert_eq!(
        audit_count(&app, "approval.approve").await + audit_count(&app, "approval.deny").await,
        REQUESTS as i64
    );
}

async fn a_thousand_mutations_of_approved_parameters_all_fail_verification(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let parameters = json!({
        "bucket": "orders-archive", "prefix": "2026/", "limit": 500, "dry_run": false, "ratio": 0.25,
        "tags": ["pii", "finance"], "filter": { "older_than_days": 90, "owner": "payments", "exclude": [] },
    });
    let body = json!({ "operation": "s3:DeleteObjects", "resource": "orders-db", "parameters": parameters, "justification": "retention" });
    let request = id(&ask(&app, &f.bot, "m", &body).await.1);
    decide(&app, &f.ann, request, "approve", "").await;
    decide(&app, &f.ben, request, "approve", "").await;
    let token = status_of(&app, &f.bot, request).await.decision.unwrap();
    let keys = keys(&app).await;
    verify_decision(&token, &keys, &parameters).expect("the approved parameters verify");
    let mut rng = rand::rngs::StdRng::seed_from_u64(8785);
    let mut rejected = 0;
    for _ in 0..1000 {
        let mutated = mutate(&parameters, &mut rng);
        assert_ne!(mutated, parameters);
        if verify_decision(&token, &keys, &mutated).is_err() {
            rejected += 1;
        }
    }
    assert_eq!(rejected, 1000);
}

/// A random change to one value, key or element, somewhere in `value`.
fn mutate(value: &Value, rng: &mut impl Rng) -> Value {
    let mut out = value.clone();
    mutate_in(&mut out, rng);
    out
}

fn mutate_in(node: &mut Value, rng: &mut impl Rng) {
    let descend = rng.random_bool(0.5);
    match node {
        Value::Object(map) if descend && !map.is_empty() => {
            let key = map.keys().nth(rng.random_range(0..map.len())).unwrap().clone();
            mutate_child(map.get_mut(&key).unwrap(), rng);
        }
        Value::Object(map) => {
            let key = map.keys().nth(rng.random_range(0..map.len().max(1))).cloned();
            match (rng.random_range(0..3), key) {
                (0, Some(key)) => {
                    map.remove(&key);
                }
                (1, Some(key)) => {
                    let moved = map.remove(&key).unwrap();
                    map.insert(format!("{key}_"), moved);
                }
                _ => {
                    map.insert(format!("extra{}", rng.random_range(0..1000)), json!(null));
                }
            }
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let i = rng.random_range(0..items.len());
            mutate_child(&mut items[i], rng);
        }
        Value::Array(items) => items.push(json!(rng.random_range(0..10))),
        leaf => mutate_child(leaf, rng),
    }
}

fn mutate_child(child: &mut Value, rng: &mut impl Rng) {
    if child.is_object() || child.is_array() {
        mutate_in(child, rng);
    } else {
        let new = changed(child, rng);
        *child = new;
    }
}

fn changed(value: &Value, rng: &mut impl Rng) -> Value {
    match value {
        Value::Bool(b) => json!(!b),
        Value::Number(n) if n.is_f64() => json!(n.as_f64().unwrap() + 0.001),
        Value::Number(n) => json!(n.as_i64().unwrap() + rng.random_range(1..100)),
        Value::String(s) if rng.random_bool(0.5) => json!(format!("{s} ")),
        Value::String(s) => json!(s.to_uppercase() + "x"),
        Value::Null => json!(0),
        Value::Array(_) | Value::Object(_) => json!(null),
    }
}

async fn the_example_agent_runs_the_whole_loop(backend: Backend) {
    let app = spawn_app(backend).await;
    let f = fixture(&app).await;
    let token = app.agent_token(&f.admin, f.agent).await;
    let agent = approval_agent::Agent::new(&app.address, &token).unwrap();
    let parameters = json!({ "table": "customers", "format": "csv" });
    let request = json::NewApprovalRequest {
        operation: "db:export".into(),
        resource: Some("billing-db".into()),
        parameters: parameters.clone(),
        justification: "churn analysis".into(),
        callback_url: None,
    };
    let asked = agent.ask("export-1", &request).await.unwrap();
    assert_eq!(
        agent.ask("export-1", &request).await.unwrap().id,
        asked.id,
        "a retry asks nothing new"
    );
    let waiting = tokio::spawn({
        let agent = agent.clone();
        async move { agent.wait(asked.id).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    decide(&app, &f.ann, asked.id, "approve", "").await;
    decide(&app, &f.ben, asked.id, "approve", "").await;
    let decided = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    let keys = agent.keys().await.unwrap();
    let claims = approval_agent::verify(decided.decision.as_deref().unwrap(), &keys, &parameters).unwrap();
    assert_eq!(claims.approvers, ["ann@muster.test", "ben@muster.test"]);
    agent.consume(asked.id).await.unwrap();
    assert!(agent.consume(asked.id).await.is_err(), "used once");
}

on_every_backend!(
    the_example_agent_runs_the_whole_loop,
    two_approvers_approve_and_the_decision_verifies_offline,
    the_policy_decides_at_once_and_unmatched_requests_need_one_approver,
    nobody_approves_their_own_agent_or_request_and_roles_are_checked,
    the_parties_of_a_request_are_fixed_when_it_is_made,
    a_manager_asks_changes_only_for_their_teams_agents_and_is_checked_again_at_approval,
    a_decided_request_keeps_its_decision,
    expiry_is_checked_at_decision_time_to_the_second,
    an_approval_is_consumed_once_by_its_own_agent,
    an_idempotency_key_returns_the_same_request_even_under_fifty_concurrent_posts,
    bad_requests_get_clear_errors_and_record_nothing,
    agent_tokens_never_decide_and_people_cannot_ask_as_agents,
    a_long_poll_returns_the_decision_as_soon_as_it_is_made,
    a_change_request_once_approved_is_recorded_in_the_inventory,
    admins_manage_the_policy_and_it_applies_to_new_requests,
    a_decision_callback_is_signed_with_the_published_key,
    callbacks_go_only_to_destinations_an_admin_allowed_checked_after_resolution,
    a_slow_callback_destination_does_not_delay_the_others,
    a_thousand_requests_decided_by_two_approvers_at_once_are_each_decided_once,
    a_thousand_mutations_of_approved_parameters_all_fail_verification,
);
