//! Signing in and out, the session cookie, CSRF, and who may call which route.

use model::api::{self as json, Role};
use muster_server::Settings;
use muster_tests::{Backend, TEST_PASSWORD, on_every_backend, spawn_app, spawn_app_with_settings};

async fn signing_in_sets_a_hardened_cookie_and_the_session_says_who_and_which_roles(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_as("ciso@muster.test", &[Role::Ciso, Role::Approver])
        .await;

    let response = app.sign_in("CISO@muster.test", TEST_PASSWORD).await;

    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-muster_session="), "{cookie}");
    for attribute in ["Path=/", "HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(
            cookie.split("; ").any(|a| a == attribute),
            "{attribute} missing: {cookie}"
        );
    }
    let id = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    assert!(id.len() >= 43, "at least 256 bits: {id}");
    let body: json::Session = response.json().await.unwrap();
    assert_eq!(body.email, "ciso@muster.test");
    assert_eq!(body.roles, vec![Role::Ciso, Role::Approver]);

    let who: json::Session = app.get_json("/api/v1/session").await;
    assert_eq!(who.email, "viewer@muster.test");
    assert_eq!(who.roles, vec![Role::Viewer]);
    // Only a hash of the id is stored.
    let stored = app
        .count(&format!("SELECT COUNT(*) FROM session WHERE id_hash = '{id}'"))
        .await;
    assert_eq!(stored, 0);
}

async fn a_wrong_password_or_unknown_email_is_refused_the_same_way_and_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    for (email, password) in [
        ("viewer@muster.test", "not the password"),
        ("nobody@muster.test", TEST_PASSWORD),
    ] {
        let response = app.sign_in(email, password).await;
        assert_eq!(response.status(), 401, "{email}");
        assert!(response.headers().get("set-cookie").is_none());
        let body: json::ErrorBody = response.json().await.unwrap();
        assert_eq!(body.error.code, "unauthorized");
    }
    let failures = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action = 'session.sign_in_failed'")
        .await;
    assert_eq!(failures, 2);
    let successes = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action = 'session.sign_in'")
        .await;
    assert_eq!(successes, 1, "the harness's own sign-in");
}

async fn signing_out_ends_the_session_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = app.signed_in_as("manager@muster.test", &[Role::Manager]).await;

    let response = client.delete(app.url("/api/v1/session")).send().await.unwrap();

    assert_eq!(response.status(), 204);
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie, replayed, no longer works.
    let replayed = client.get(app.url("/api/v1/session")).send().await.unwrap();
    assert_eq!(replayed.status(), 401);
    let audited = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action = 'session.sign_out'")
        .await;
    assert_eq!(audited, 1);
}

async fn an_idle_or_expired_session_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.get_json::<json::Session>("/api/v1/session").await;

    sqlx::query("UPDATE session SET last_seen_at = '2000-01-01T00:00:00Z'")
        .execute(app.db.pool())
        .await
        .unwrap();
    app.get_error("/api/v1/session", 401, "unauthorized").await;

    let client = app.signed_in_as("viewer@muster.test", &[Role::Viewer]).await;
    sqlx::query("UPDATE session SET expires_at = '2000-01-01T00:00:00Z'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let response = client.get(app.url("/api/v1/session")).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

async fn state_changing_requests_need_the_app_header_and_the_same_origin(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = serde_json::json!({ "email": "viewer@muster.test", "password": TEST_PASSWORD });
    let url = app.url("/api/v1/session");

    let without_header = app.anonymous.post(&url).json(&body).send().await.unwrap();
    assert_eq!(without_header.status(), 403);
    let cross_origin = app
        .anonymous
        .post(&url)
        .header("x-muster-client", "web")
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_origin.status(), 403);
    let cross_site = app
        .anonymous
        .post(&url)
        .header("x-muster-client", "web")
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let same_origin = app
        .anonymous
        .post(&url)
        .header("x-muster-client", "web")
        .header("origin", app.address.clone())
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), 200);
    let malformed = app
        .anonymous
        .post(&url)
        .header("x-muster-client", "web")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

/// Who may call each route. Every route of the OpenAPI document must be
/// listed, so a new route cannot be born without a decision.
const READ_ROLES: &[&str] = &["viewer", "manager", "approver", "ciso", "admin"];
const ANYONE: &[&str] = &[
    "anonymous",
    "viewer",
    "manager",
    "approver",
    "ciso",
    "admin",
    "agent",
];
const ADMIN: &[&str] = &["admin"];
const INBOX: &[&str] = &["approver", "ciso", "admin"];
const LEADS: &[&str] = &["ciso", "admin"];
const ROUTES: &[(&str, &str, &[&str])] = &[
    ("post", "/session", ANYONE),
    ("get", "/session", READ_ROLES),
    ("delete", "/session", READ_ROLES),
    ("get", "/session/options", ANYONE),
    ("get", "/session/oidc/start", ANYONE),
    ("get", "/session/oidc/callback", ANYONE),
    ("get", "/teams", READ_ROLES),
    ("get", "/teams/{id}", READ_ROLES),
    ("get", "/people", READ_ROLES),
    ("get", "/people/{id}", READ_ROLES),
    ("get", "/agents", READ_ROLES),
    ("get", "/agents/{id}", READ_ROLES),
    ("get", "/tools", READ_ROLES),
    ("get", "/tools/{id}", READ_ROLES),
    ("get", "/credentials", READ_ROLES),
    ("get", "/credentials/{id}", READ_ROLES),
    ("get", "/credentials/{id}/blast-radius", READ_ROLES),
    ("get", "/credentials/{id}/behaviour", READ_ROLES),
    ("get", "/behaviour/findings", READ_ROLES),
    ("get", "/copies", READ_ROLES),
    ("post", "/copies", ADMIN),
    ("get", "/credentials/{id}/revocation-plan", READ_ROLES),
    ("post", "/credentials/{id}/revocation", &["manager", "admin"]),
    ("get", "/revocations", READ_ROLES),
    ("get", "/revocations/{id}", READ_ROLES),
    ("post", "/revocations/{id}/transitions", &["manager", "admin"]),
    ("post", "/revocations/{id}/checklist", &["manager", "admin"]),
    ("get", "/copies/{id}", READ_ROLES),
    ("get", "/resources", READ_ROLES),
    ("get", "/resources/{id}", READ_ROLES),
    ("get", "/graph/lineage", READ_ROLES),
    ("get", "/graph/paths", READ_ROLES),
    ("get", "/search", READ_ROLES),
    ("get", "/risk/summary", READ_ROLES),
    ("get", "/overview", READ_ROLES),
    ("post", "/ownership/assign", &["manager", "admin"]),
    ("post", "/ownership/transfer", &["manager", "admin"]),
    ("get", "/ownership/gaps", READ_ROLES),
    ("get", "/coverage", READ_ROLES),
    ("post", "/people/{id}/depart", &["manager", "admin"]),
    ("get", "/audit", &["ciso", "admin"]),
    ("get", "/audit/chain", &["ciso", "admin"]),
    ("post", "/audit/chain", &["ciso", "admin"]),
    ("get", "/audit/export", &["ciso", "admin"]),
    ("get", "/accounts", ADMIN),
    ("post", "/accounts", ADMIN),
    ("patch", "/accounts/{id}", ADMIN),
    ("post", "/agents/{id}/tokens", ADMIN),
    ("get", "/agents/{id}/tokens", ADMIN),
    ("delete", "/agent-tokens/{id}", ADMIN),
    ("get", "/agent/self", &["agent"]),
    ("patch", "/agent/self", &["agent"]),
    ("post", "/approval-requests", &["agent"]),
    ("get", "/approval-requests/{id}", &["agent"]),
    ("post", "/approval-requests/{id}/consume", &["agent"]),
    ("get", "/approvals/keys", ANYONE),
    ("get", "/approvals", INBOX),
    ("get", "/approvals/{id}", INBOX),
    ("post", "/approvals/{id}/decision", INBOX),
    ("post", "/change-requests", &["manager", "admin"]),
    ("get", "/approval-rules", READ_ROLES),
    ("post", "/approval-rules", ADMIN),
    ("put", "/approval-rules/{id}", ADMIN),
    ("delete", "/approval-rules/{id}", ADMIN),
    ("post", "/imports/{kind}", ADMIN),
    ("get", "/imports", ADMIN),
    ("post", "/enrolment-tokens", ADMIN),
    ("get", "/enrolment-tokens", ADMIN),
    ("delete", "/enrolment-tokens/{id}", ADMIN),
    ("get", "/callback-destinations", ADMIN),
    ("post", "/callback-destinations", ADMIN),
    ("delete", "/callback-destinations/{id}", ADMIN),
    ("get", "/notifications/preferences", READ_ROLES),
    ("put", "/notifications/preferences", READ_ROLES),
    ("get", "/notification-channels", ADMIN),
    ("post", "/notification-channels", ADMIN),
    ("delete", "/notification-channels/{id}", ADMIN),
    ("post", "/notification-channels/{id}/test", ADMIN),
    ("get", "/outbox", ADMIN),
    ("post", "/outbox/{id}/retry", ADMIN),
    ("get", "/sanction-rules", ADMIN),
    ("post", "/sanction-rules", ADMIN),
    ("delete", "/sanction-rules/{id}", ADMIN),
    ("put", "/agents/{id}/sanctioned", ADMIN),
    ("get", "/ai-apps", ADMIN),
    ("post", "/ai-apps", ADMIN),
    ("delete", "/ai-apps/{key}", ADMIN),
    ("post", "/credentials/{id}/promote", ADMIN),
    ("get", "/scim-tokens", ADMIN),
    ("post", "/scim-tokens", ADMIN),
    ("delete", "/scim-tokens/{id}", ADMIN),
    ("put", "/tools/{id}/sanctioned", ADMIN),
    // Only an enrolment token opens these (tests/api/endpoint.rs): no role does.
    ("post", "/scan/fingerprints", &[]),
    ("post", "/scan/reports", &[]),
    ("get", "/reviews", READ_ROLES),
    ("post", "/reviews", LEADS),
    ("get", "/reviews/{id}", READ_ROLES),
    ("get", "/reviews/{id}/items", READ_ROLES),
    ("post", "/reviews/{id}/decisions", READ_ROLES),
    ("post", "/reviews/{id}/close", LEADS),
    ("delete", "/reviews/{id}/repeat", LEADS),
    ("get", "/evidence", LEADS),
    ("get", "/evidence/key", ANYONE),
];

async fn every_route_answers_each_role_as_the_table_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let document: serde_json::Value = app.get_json("/api/v1/openapi.json").await;
    let mut routes = Vec::new();
    for (path, methods) in document["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            let allowed = ROUTES
                .iter()
                .find(|(m, p, _)| m == method && p == path)
                .unwrap_or_else(|| panic!("{method} {path} has no entry in the route × role table"))
                .2;
            routes.push((method.clone(), path.clone(), allowed));
        }
    }
    assert_eq!(
        routes.len(),
        ROUTES.len(),
        "the table lists routes the API does not have"
    );

    let mut clients = vec![("anonymous", app.anonymous.clone())];
    for role in [
        Role::Viewer,
        Role::Manager,
        Role::Approver,
        Role::Ciso,
        Role::Admin,
    ] {
        clients.push((
            role.as_str(),
            app.signed_in_as(&format!("{role}@muster.test"), &[role]).await,
        ));
    }
    let agent = app
        .agent_client(&clients.last().expect("the admin is last").1)
        .await;
    clients.push(("agent", agent));
    // A SCIM token opens /scim/v2 only: on the API it is no credential at all.
    clients.push(("scim token", app.scim_client().await));
    for (method, path, allowed) in routes {
        let url = app.url(&format!("/api/v1{}", path.replace("{id}", "1")))
            + if path == "/graph/lineage" {
                "?node=agent:1"
            } else if path == "/graph/paths" {
                "?to=resource:1"
            } else if path == "/search" {
                "?q=ab"
            } else {
                ""
            };
        for (who, client) in &clients {
            if method == "delete" && (path == "/session" || path == "/agent-tokens/{id}") {
                continue; // would end the session or token the next rows use; covered elsewhere
            }
            let request = match method.as_str() {
                "get" => client.get(&url),
                "post" => client
                    .post(&url)
                    .header("x-muster-client", "web")
                    .json(&serde_json::json!({})),
                "patch" => client
                    .patch(&url)
                    .header("x-muster-client", "web")
                    .json(&serde_json::json!({})),
                "put" => client
                    .put(&url)
                    .header("x-muster-client", "web")
                    .json(&serde_json::json!({})),
                "delete" => client.delete(&url).header("x-muster-client", "web"),
                other => panic!("no case for {other}"),
            };
            let status = request.send().await.unwrap().status().as_u16();
            assert!(status < 500, "{who} {method} {path}: {status}");
            let who = if *who == "scim token" { &"anonymous" } else { who };
            if allowed.contains(who) {
                assert!(
                    status != 401 && status != 403,
                    "{who} may {method} {path}, got {status}"
                );
            } else if *who == "anonymous" {
                assert_eq!(status, 401, "{who} {method} {path}");
            } else {
                assert_eq!(status, 403, "{who} {method} {path}");
            }
        }
    }
}

async fn every_route_a_manager_may_call_refuses_what_lies_outside_their_teams(backend: Backend) {
    let app = spawn_app(backend).await;
    let payments = app.insert("INSERT INTO team (name) VALUES ('Payments')").await;
    let search = app.insert("INSERT INTO team (name) VALUES ('Search')").await;
    let person = |name: &str, email: &str, team: i64| {
        format!(
            "INSERT INTO person (name, email, team_id, status) VALUES ('{name}', '{email}', {team}, 'active')"
        )
    };
    let mia = app
        .insert(&person("Mia Manager", "mia@muster.test", payments))
        .await;
    let otto = app
        .insert(&person("Otto Outsider", "otto@muster.test", search))
        .await;
    let agent = app
        .insert(&format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen) \
             VALUES ('search-bot', 'self_hosted', 'LangChain', 'prod', 1, {otto}, '2026-01-01T00:00:00Z')"
        ))
        .await;
    let tool = app
        .insert("INSERT INTO tool (name, kind) VALUES ('search-mcp', 'mcp_server')")
        .await;
    let credential = app.insert(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, created_at, status, owner_id, fingerprint) \
             VALUES ('search-key', 'access_key', 'aws', 'AKIASEARCH', '2026-01-01T00:00:00Z', 'active', {otto}, 'fp-s')"
        ),
    )
    .await;
    let copy = app.insert(&format!(
            "INSERT INTO credential_copy (credential_id, kind, locator, found_by, first_seen, last_seen, status) \
             VALUES ({credential}, 'env_file', 'laptop:/.env', 'gitleaks', '2026-01-01T00:00:00Z', \
             '2026-01-01T00:00:00Z', 'present')"
        ),
    )
    .await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let revoked: serde_json::Value = admin
        .post(app.url(&format!("/api/v1/credentials/{credential}/revocation")))
        .json(&serde_json::json!({ "reason": "leaked" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let revocation = revoked["id"].as_i64().expect("a revocation");
    let campaign: serde_json::Value = admin
        .post(app.url("/api/v1/reviews"))
        .json(&serde_json::json!({ "name": "Q1", "scope": "all", "due_at": chrono::Utc::now() + chrono::Duration::days(7) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let campaign = campaign["id"].as_i64().expect("a campaign");
    let items: serde_json::Value = admin
        .get(app.url(&format!("/api/v1/reviews/{campaign}/items?kind=agent")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = items["items"][0]["id"].as_i64().expect("search-bot is an item");
    let manager = app.signed_in_as("mia@muster.test", &[Role::Manager]).await;
    let reason = "outside my teams";
    let cases = [
        (
            "post",
            "/credentials/{id}/revocation",
            format!("/credentials/{credential}/revocation"),
            serde_json::json!({ "reason": reason }),
        ),
        (
            "post",
            "/revocations/{id}/transitions",
            format!("/revocations/{revocation}/transitions"),
            serde_json::json!({ "to": "disabled", "note": reason }),
        ),
        (
            "post",
            "/revocations/{id}/checklist",
            format!("/revocations/{revocation}/checklist"),
            serde_json::json!({ "copy": copy, "state": "removed" }),
        ),
        (
            "post",
            "/ownership/assign",
            "/ownership/assign".to_owned(),
            serde_json::json!({ "kind": "agent", "ids": [agent], "owner": mia, "reason": reason }),
        ),
        (
            "post",
            "/ownership/transfer",
            "/ownership/transfer".to_owned(),
            serde_json::json!({ "from": otto, "to": mia, "reason": reason }),
        ),
        (
            "post",
            "/people/{id}/depart",
            format!("/people/{otto}/depart"),
            serde_json::json!({ "reason": reason }),
        ),
        (
            "post",
            "/change-requests",
            "/change-requests".to_owned(),
            serde_json::json!({ "agent": agent, "operation": "muster:grant_tool", "parameters": { "tool": tool },
                "justification": reason }),
        ),
        (
            "post",
            "/reviews/{id}/decisions",
            format!("/reviews/{campaign}/decisions"),
            serde_json::json!({ "items": [item], "decision": "keep", "reason": reason }),
        ),
    ];
    // Every write route open to managers (but signing in and out, and one's
    // own notification preferences) is here: a new one must say how it is scoped.
    let own = ["/session", "/notifications/preferences"];
    let scoped: Vec<(&str, &str)> = ROUTES
        .iter()
        .filter(|(method, path, roles)| *method != "get" && !own.contains(path) && roles.contains(&"manager"))
        .map(|(method, path, _)| (*method, *path))
        .collect();
    let tried: Vec<(&str, &str)> = cases
        .iter()
        .map(|(method, path, _, _)| (*method, *path))
        .collect();
    assert_eq!(tried, scoped);
    let audited = app.count("SELECT COUNT(*) FROM audit_event").await;
    for (_, route, path, body) in cases {
        let response = manager
            .post(app.url(&format!("/api/v1{path}")))
            .header("idempotency-key", "scoping")
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 403, "{route}: {answer}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event").await,
        audited,
        "nothing changed"
    );
}

async fn an_oversized_email_or_password_is_refused_before_anything_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let audited = app.count("SELECT COUNT(*) FROM audit_event").await;
    for (email, password) in [
        (
            format!("{}@muster.test", "a".repeat(1024 * 1024)),
            "a password of sane length".to_owned(),
        ),
        ("viewer@muster.test".to_owned(), "p".repeat(64 * 1024)),
    ] {
        let response = app
            .anonymous
            .post(app.url("/api/v1/session"))
            .header("x-muster-client", "web")
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event").await,
        audited,
        "nothing audited"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sign_in_throttle").await,
        0,
        "nothing counted"
    );
}

on_every_backend!(
    an_oversized_email_or_password_is_refused_before_anything_is_stored,
    signing_in_sets_a_hardened_cookie_and_the_session_says_who_and_which_roles,
    a_wrong_password_or_unknown_email_is_refused_the_same_way_and_audited,
    signing_out_ends_the_session_on_the_server,
    an_idle_or_expired_session_is_refused,
    state_changing_requests_need_the_app_header_and_the_same_origin,
    every_route_answers_each_role_as_the_table_says,
    every_route_a_manager_may_call_refuses_what_lies_outside_their_teams,
    a_sign_in_that_cannot_be_audited_is_refused_with_503_and_leaves_no_session,
    the_audit_export_gives_a_ciso_json_lines_within_the_time_range,
    repeated_failures_slow_an_account_down_with_429_but_never_lock_it_or_others_out,
    parallel_wrong_passwords_are_each_counted_before_any_is_checked,
    forwarded_headers_count_only_from_a_trusted_proxy_and_ipv6_is_grouped_by_64,
    in_a_secure_context_only_the_host_cookie_opens_a_session,
);

async fn parallel_wrong_passwords_are_each_counted_before_any_is_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    // A key whose last failure is two days old is forgotten at the next sign-in.
    sqlx::query(
        "INSERT INTO sign_in_throttle (key, failures, blocked_until) VALUES ('source:192.0.2.1', 40, '2026-01-01T00:00:00Z')",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let attempts = (0..20).map(|_| app.sign_in("viewer@muster.test", "wrong password"));
    let statuses: Vec<u16> = futures::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let answered = statuses.iter().filter(|s| **s == 401).count();
    let slowed = statuses.iter().filter(|s| **s == 429).count();
    // Five free failures, and the sixth, which starts the delay.
    assert_eq!((answered, slowed), (6, 14), "{statuses:?}");
    assert_eq!(failures(&app, "192.0.2.1").await, 0, "old rows expire");
    let failed = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action = 'session.sign_in_failed'")
        .await;
    assert_eq!(failed, 6);
}

async fn forwarded_headers_count_only_from_a_trusted_proxy_and_ipv6_is_grouped_by_64(backend: Backend) {
    let proxied = spawn_app_with_settings(
        backend,
        Settings {
            dist: "/nonexistent-dist".into(),
            trusted_proxies: vec![muster_server::client::parse_proxy("127.0.0.1").unwrap()],
            ..Settings::default()
        },
    )
    .await;
    let direct = spawn_app(backend).await;
    let wrong = |app: &muster_tests::TestApp, forwarded: &str| {
        app.anonymous
            .post(app.url("/api/v1/session"))
            .header("x-muster-client", "web")
            .header("x-forwarded-for", format!("198.51.100.66, {forwarded}"))
            .header("x-forwarded-proto", "https")
            .json(&serde_json::json!({ "email": "viewer@muster.test", "password": "wrong" }))
            .send()
    };
    for forwarded in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "203.0.113.9"] {
        assert_eq!(wrong(&proxied, forwarded).await.unwrap().status(), 401);
        assert_eq!(wrong(&direct, forwarded).await.unwrap().status(), 401);
    }
    // Behind the trusted proxy: the address it names (not the one the
    // client wrote on the left), an IPv6 client by its /64.
    assert_eq!(failures(&proxied, "2001:db8:1:2::/64").await, 2);
    assert_eq!(failures(&proxied, "203.0.113.9").await, 1);
    assert_eq!(failures(&proxied, "198.51.100.66").await, 0);
    let audited = proxied
        .count("SELECT COUNT(*) FROM audit_event WHERE source_address = '203.0.113.9'")
        .await;
    assert_eq!(audited, 1);
    // Anyone else's forwarded headers are ignored.
    assert_eq!(failures(&direct, "127.0.0.1").await, 3);
    assert_eq!(failures(&direct, "203.0.113.9").await, 0);
    // HSTS when the trusted proxy says the request came over TLS, only then.
    for (app, expected) in [(&proxied, true), (&direct, false)] {
        let response = app
            .anonymous
            .get(app.url("/api/health"))
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response
                .headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap().to_owned()),
            expected.then(|| "max-age=31536000".to_owned())
        );
    }
}

/// The failures counted against an address's throttle key.
async fn failures(app: &muster_tests::TestApp, key: &str) -> i64 {
    app.count(&format!(
        "SELECT COALESCE(MAX(failures), 0) FROM sign_in_throttle WHERE key = 'source:{key}'"
    ))
    .await
}

async fn in_a_secure_context_only_the_host_cookie_opens_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.sign_in("viewer@muster.test", TEST_PASSWORD).await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    let id = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("__Host-muster_session=")
        .expect("127.0.0.1 is a secure context")
        .to_owned();
    let with_cookie = |cookie: String| {
        app.anonymous
            .get(app.url("/api/v1/session"))
            .header("cookie", cookie)
            .send()
    };
    // A cookie without the prefix could have been planted by a sibling host.
    let planted = with_cookie(format!("muster_session={id}")).await.unwrap();
    assert_eq!(planted.status(), 401);
    let own = with_cookie(format!("__Host-muster_session={id}")).await.unwrap();
    assert_eq!(own.status(), 200);
}

async fn a_sign_in_that_cannot_be_audited_is_refused_with_503_and_leaves_no_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let sessions_before = app.count("SELECT COUNT(*) FROM session").await;
    let breakage = match backend {
        Backend::Sqlite => vec![
            "CREATE TRIGGER no_audit BEFORE INSERT ON audit_event BEGIN SELECT RAISE(ABORT, 'audit store broken'); END",
        ],
        Backend::Postgres => vec![
            "CREATE FUNCTION no_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit store broken'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER no_audit BEFORE INSERT ON audit_event FOR EACH ROW EXECUTE FUNCTION no_audit()",
        ],
    };
    for statement in breakage {
        sqlx::query(statement).execute(app.db.pool()).await.unwrap();
    }

    let response = app.sign_in("viewer@muster.test", TEST_PASSWORD).await;

    assert_eq!(response.status(), 503);
    assert!(response.headers().get("set-cookie").is_none());
    let body: json::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code, "audit_unavailable");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM session").await,
        sessions_before,
        "the session was rolled back"
    );
}

async fn the_audit_export_gives_a_ciso_json_lines_within_the_time_range(backend: Backend) {
    let app = spawn_app(backend).await;
    let ciso = app.signed_in_as("ciso@muster.test", &[Role::Ciso]).await;

    let all = ciso.get(app.url("/api/v1/audit/export")).send().await.unwrap();
    assert_eq!(all.status(), 200);
    assert_eq!(all.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<serde_json::Value> = all
        .text()
        .await
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l["activity_name"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["session.sign_in", "session.sign_in"]);
    assert_eq!(lines[1]["actor"]["user"]["name"], "ciso@muster.test");
    assert_eq!(lines[1]["src_endpoint"]["ip"], "127.0.0.1");

    let future = ciso
        .get(app.url("/api/v1/audit/export?since=2999-01-01T00:00:00Z"))
        .send()
        .await
        .unwrap();
    assert_eq!(future.text().await.unwrap(), "");
    let bad = ciso
        .get(app.url("/api/v1/audit/export?since=yesterday"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    app.get_error("/api/v1/audit/export", 403, "forbidden").await;
}

async fn repeated_failures_slow_an_account_down_with_429_but_never_lock_it_or_others_out(backend: Backend) {
    let app = spawn_app(backend).await;
    app.signed_in_as("other@muster.test", &[Role::Viewer]).await;
    let attempt = |password: &'static str, email: &'static str| app.sign_in(email, password);

    for n in 1..=6 {
        let response = attempt("wrong password", "viewer@muster.test").await;
        assert_eq!(response.status(), 401, "failure {n} is answered, not delayed");
    }
    let slowed = attempt("wrong password", "viewer@muster.test").await;
    assert_eq!(slowed.status(), 429);
    let retry: i64 = slowed.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=3).contains(&retry), "Retry-After {retry}");
    let body: json::ErrorBody = slowed.json().await.unwrap();
    assert_eq!(body.error.code, "too_many_requests");
    // Even the right password waits: the delay is no oracle.
    assert_eq!(attempt(TEST_PASSWORD, "viewer@muster.test").await.status(), 429);
    // Another account from the same address is not affected.
    assert_eq!(attempt(TEST_PASSWORD, "other@muster.test").await.status(), 200);

    // Once the delay has passed, the right password works and clears the count.
    sqlx::query("UPDATE sign_in_throttle SET blocked_until = '2000-01-01T00:00:00Z'")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(attempt(TEST_PASSWORD, "viewer@muster.test").await.status(), 200);
    let left = app
        .count("SELECT COUNT(*) FROM sign_in_throttle WHERE key LIKE 'pair:viewer@muster.test|%'")
        .await;
    assert_eq!(left, 0);
}
