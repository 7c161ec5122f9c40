//! Endpoint discovery end to end: an admin creates an enrolment token;
//! `muster scan` (its real code, as the command line runs it) reads a
//! fixture laptop home, has its secrets fingerprinted blind by the real
//! server, writes the report, then sends it; the laptop's agents, MCP
//! servers and secrets join what gitleaks found, and no secret is kept.

use std::path::PathBuf;

use model::api::{self as json, Role};
use model::scan::Report;
use muster_server::scan::{ScanArgs, run};
use muster_tests::{Backend, TestApp, on_every_backend, spawn_app, workspace_root};

/// The GitHub token written in the Linux fixture home's Claude Code, Cursor and Goose configurations.
const TOKEN: &str = "ghp_FIXTUREfixtureFIXTUREfixture00000001";

/// Secrets of the Linux fixture home that must never reach the server.
const SECRETS: &[&str] = &[
    TOKEN,
    "lin_api_FIXTUREfixtureFIXTUREfixture0002",
    "FixtureSecretAccessKey/000000000000000005",
    "Fixture-DB-pass-123",
    "sk-proj-FIXTUREfixtureFIXTUREfixture0007",
];

fn linux_home() -> PathBuf {
    workspace_root().join("scan/tests/fixtures/linux-home")
}

fn scan_args(app: &TestApp, token: Option<&str>, output: Option<PathBuf>, send: Option<PathBuf>) -> ScanArgs {
    ScanArgs {
        home: send.is_none().then(linux_home),
        projects: Vec::new(),
        no_discover: false,
        os: Some(muster_scan::Os::Linux),
        host: Some("laptop-42".into()),
        user: Some("alice".into()),
        output,
        send,
        server: token.map(|_| app.url("")),
        token: token.map(str::to_owned),
        time_limit: 60,
    }
}

async fn enrol(app: &TestApp, admin: &reqwest::Client) -> json::CreatedIssuedToken {
    let response = admin
        .post(app.url("/api/v1/enrolment-tokens"))
        .json(&serde_json::json!({"name": "engineering laptops", "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn a_scanned_laptop_joins_what_gitleaks_found_and_no_secret_reaches_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    // gitleaks found the token in a repository first.
    let gitleaks = serde_json::json!([{"RuleID": "github-pat", "File": "deploy/settings.py", "StartLine": 3,
        "Secret": TOKEN, "Commit": "abcdef0123456789", "Email": "alice@acme.test"}]);
    let (status, _) = app
        .import(
            &admin,
            "gitleaks?source=acme/shop",
            serde_json::to_vec(&gitleaks).unwrap(),
        )
        .await;
    assert_eq!(status, 200);
    let created = enrol(&app, &admin).await;
    assert!(created.secret.starts_with("mse_"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrolment_token WHERE token_hash LIKE 'mse_%'")
            .await,
        0
    );

    // Scan to a file for review, fingerprinting blind; then send it.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    run(scan_args(&app, Some(&created.secret), Some(path.clone()), None))
        .await
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    for secret in SECRETS {
        assert!(!text.contains(secret), "the report holds {secret}");
    }
    let report: Report = serde_json::from_str(&text).unwrap();
    assert!(
        report
            .secrets
            .iter()
            .all(|s| s.fingerprint.as_ref().is_some_and(|f| f.len() == 128))
    );
    let imports_before = app.count("SELECT COUNT(*) FROM import_run").await;
    run(scan_args(&app, Some(&created.secret), None, Some(path.clone())))
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM import_run").await,
        imports_before + 1
    );

    // One credential for the token: gitleaks' copy and the laptop's, joined by scan fingerprint.
    let github = app
        .count("SELECT COUNT(DISTINCT credential_id) FROM credential_copy WHERE found_by IN ('gitleaks:acme/shop', 'endpoint:laptop-42/alice') AND credential_id IN (SELECT credential_id FROM credential_copy WHERE found_by = 'gitleaks:acme/shop')")
        .await;
    assert_eq!(github, 1);
    let laptop_copies = app
        .count("SELECT COUNT(*) FROM credential_copy WHERE found_by = 'endpoint:laptop-42/alice' AND credential_id IN (SELECT credential_id FROM credential_copy WHERE found_by = 'gitleaks:acme/shop')")
        .await;
    assert_eq!(
        laptop_copies, 4,
        "Claude Code, Cursor, Goose and git's credential store"
    );
    let in_mcp_configs = app
        .count("SELECT COUNT(*) FROM credential_copy WHERE found_by = 'endpoint:laptop-42/alice' AND kind = 'mcp_config'")
        .await;
    assert!(
        in_mcp_configs >= 5,
        "{in_mcp_configs} copies in MCP configurations"
    );

    // The coding agents are shadow agents with their MCP servers as tools.
    let agents: json::Page<json::AgentSummary> = app
        .get_json_as(
            &admin,
            "/api/v1/agents?category=coding_endpoint&sanctioned=false&limit=50",
        )
        .await;
    let names: Vec<&str> = agents.items.iter().map(|a| a.name.as_str()).collect();
    for name in [
        "Claude Code · alice@laptop-42",
        "Cursor · alice@laptop-42",
        "Codex CLI · alice@laptop-42",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let claude = agents
        .items
        .iter()
        .find(|a| a.name == "Claude Code · alice@laptop-42")
        .unwrap();
    let detail: json::AgentDetail = app
        .get_json_as(&admin, &format!("/api/v1/agents/{}", claude.id))
        .await;
    let tools: Vec<&str> = detail.tools.iter().map(|t| t.name.as_str()).collect();
    assert!(
        tools.iter().any(|t| t.starts_with("github · Claude Code")),
        "{tools:?}"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM agent WHERE category = 'self_hosted' AND name LIKE 'shop (LangChain%'"
        )
        .await,
        1
    );

    // Nothing the server answers or keeps holds a secret.
    let mut answers = String::new();
    for path in [
        "/api/v1/credentials?limit=200",
        "/api/v1/copies?limit=200",
        "/api/v1/agents?limit=200",
        "/api/v1/tools?limit=200",
        "/api/v1/imports",
        "/api/v1/audit?limit=200",
    ] {
        answers.push_str(
            &admin
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT COALESCE(name, '') || ' ' || external_id || ' ' || fingerprint || ' ' || COALESCE(scan_fingerprint, '') FROM credential",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    answers.push_str(&stored.join("\n"));
    // On SQLite, the database's own files too (PostgreSQL holds the same rows).
    let on_disk = String::from_utf8_lossy(&app.database_bytes()).into_owned();
    for secret in SECRETS {
        assert!(!answers.contains(secret), "{secret} reached the server");
        assert!(!on_disk.contains(secret), "{secret} is in the database file");
    }

    // The same scan again changes nothing; a later full scan without a place marks it removed.
    let mut again = report.clone();
    let token = again.secrets.iter_mut().find(|s| s.hint == "ghp_…(40)").unwrap();
    token.places.retain(|p| !p.locator.starts_with("~/.cursor"));
    std::fs::write(&path, serde_json::to_string(&again).unwrap()).unwrap();
    run(scan_args(&app, Some(&created.secret), None, Some(path.clone())))
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM credential_copy WHERE found_by = 'endpoint:laptop-42/alice' AND status = 'removed'").await,
        1
    );
    let tokens: Vec<json::IssuedToken> = app.get_json_as(&admin, "/api/v1/enrolment-tokens").await;
    assert_eq!(tokens[0].reports, Some(2));
}

async fn an_enrolment_token_can_only_fingerprint_and_submit_and_dies_when_revoked(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let created = enrol(&app, &admin).await;
    let collector = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        collector
            .post(app.url(&format!("/api/v1{path}")))
            .bearer_auth(&created.secret)
            .json(&body)
            .send()
    };
    // Nothing else opens with it.
    let inventory = collector
        .get(app.url("/api/v1/agents"))
        .bearer_auth(&created.secret)
        .send()
        .await
        .unwrap();
    assert_eq!(inventory.status(), 401);
    // Bad input is a 4xx naming the problem, and nothing is imported.
    let runs = app.count("SELECT COUNT(*) FROM import_run").await;
    for (path, body, status, words) in [
        (
            "/scan/fingerprints",
            serde_json::json!({"blinded": ["zz"]}),
            400,
            "blinded[0] is not a blinded element",
        ),
        (
            "/scan/fingerprints",
            serde_json::json!({"blinded": vec!["00".repeat(32); 1001]}),
            400,
            "at most 1000",
        ),
        ("/scan/reports", serde_json::json!({"format": "x"}), 400, ""),
        (
            "/scan/reports",
            serde_json::json!({"format": "muster-endpoint-scan", "version": 9, "scanned_at": "2026-12-01T00:00:00Z",
                "scanner": "x", "full": true, "host": {"name": "h", "os": "linux", "user": "u"}}),
            422,
            "version 9",
        ),
        (
            "/scan/reports",
            serde_json::json!({"format": "muster-endpoint-scan", "version": 1, "scanned_at": "2026-12-01T00:00:00Z",
                "scanner": "x", "full": true, "host": {"name": "h", "os": "linux", "user": "u"},
                "agents": [{"client": "cursor", "product": "Cursor", "category": "coding_endpoint", "config_files": [],
                    "tools": [{"name": "t", "transport": "stdio", "config_file": "f", "secrets": [3]}]}]}),
            422,
            "names secret 3",
        ),
        (
            "/scan/reports",
            serde_json::json!({"format": "muster-endpoint-scan", "version": 1, "scanned_at": "2026-12-01T00:00:00Z",
                "scanner": "x", "full": true, "host": {"name": "h", "os": "linux", "user": "u"},
                "agents": [{"client": "cursor", "product": "Cursor", "category": "coding_endpoint", "config_files": [],
                    "tools": [{"name": "t", "transport": "telnet", "config_file": "f"}]}]}),
            422,
            "transport must be",
        ),
    ] {
        let response = post(path, body).await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        let body: json::ErrorBody = response.json().await.unwrap();
        assert!(body.error.message.contains(words), "{}", body.error.message);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM import_run").await,
        runs,
        "nothing half-imported"
    );
    let huge = collector
        .post(app.url("/api/v1/scan/reports"))
        .bearer_auth(&created.secret)
        .header("content-type", "application/json")
        .body(vec![b' '; 17 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    // A valid blinded element is evaluated.
    let ok = post("/scan/fingerprints", serde_json::json!({"blinded": []}))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    // Revoked: refused at once, and audited.
    let revoked = admin
        .delete(app.url(&format!("/api/v1/enrolment-tokens/{}", created.token.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        post("/scan/fingerprints", serde_json::json!({"blinded": []}))
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('enrolment_token.create', 'enrolment_token.revoke')")
            .await,
        2
    );
    // Bad requests for tokens are refused plainly.
    let bad = admin
        .post(app.url("/api/v1/enrolment-tokens"))
        .json(&serde_json::json!({"name": "", "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

async fn agent_named(app: &TestApp, admin: &reqwest::Client, name: &str) -> json::AgentDetail {
    let id = app
        .count(&format!(
            "SELECT id FROM agent WHERE name = '{}'",
            name.replace('\'', "''")
        ))
        .await;
    app.get_json_as(admin, &format!("/api/v1/agents/{id}")).await
}

async fn the_sanctioned_list_and_an_admins_word_decide_what_is_shadow_and_rescore_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let created = enrol(&app, &admin).await;
    run(scan_args(&app, Some(&created.secret), None, None))
        .await
        .unwrap();

    // The agent's page carries what the scan found: host, user, client, files, servers and their credentials.
    let claude = agent_named(&app, &admin, "Claude Code · alice@laptop-42").await;
    let found = claude.endpoint.as_ref().expect("endpoint facts");
    assert_eq!(
        (found.host.as_str(), found.user.as_str(), found.client.as_str()),
        ("laptop-42", "alice", "claude_code")
    );
    assert_eq!(found.config_files, ["~/.claude.json", "~/src/shop/.mcp.json"]);
    let github = found
        .servers
        .iter()
        .find(|s| s.tool.name.starts_with("github · "))
        .unwrap();
    assert_eq!(
        github.package.as_deref(),
        Some("@modelcontextprotocol/server-github")
    );
    assert_eq!(github.credentials.len(), 1);
    assert!(!github.sanctioned && github.present);
    assert!(!claude.agent.sanctioned);
    assert!(
        claude.risk.factors.iter().any(|f| f.code == "shadow_agent"),
        "shadow is a risk factor"
    );

    let add = |kind: &str, value: &str| {
        admin
            .post(app.url("/api/v1/sanction-rules"))
            .json(&serde_json::json!({"kind": kind, "value": value}))
            .send()
    };
    // A client on the list: its agents are sanctioned and rescored at once.
    let cursor_rule: json::SanctionRule = add("client", "Cursor").await.unwrap().json().await.unwrap();
    assert_eq!((cursor_rule.value.as_str(), cursor_rule.matches), ("cursor", 1));
    let cursor = agent_named(&app, &admin, "Cursor · alice@laptop-42").await;
    assert!(cursor.agent.sanctioned);
    assert!(!cursor.risk.factors.iter().any(|f| f.code == "shadow_agent"));
    assert_eq!(
        add("client", "cursor").await.unwrap().status(),
        409,
        "once on the list"
    );
    assert_eq!(add("colour", "x").await.unwrap().status(), 400);
    assert_eq!(add("package", " ").await.unwrap().status(), 400);
    // A package (any version) and an image (any tag) sanction the servers that run them.
    assert_eq!(
        add("package", "@modelcontextprotocol/server-github")
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        add("image", "ghcr.io/github/github-mcp").await.unwrap().status(),
        201,
        "a prefix is not a match"
    );
    let claude = agent_named(&app, &admin, "Claude Code · alice@laptop-42").await;
    let servers = &claude.endpoint.as_ref().unwrap().servers;
    assert!(
        servers
            .iter()
            .find(|s| s.tool.name.starts_with("github · "))
            .unwrap()
            .sanctioned
    );
    assert!(
        !servers
            .iter()
            .find(|s| s.tool.name.starts_with("shop-db · "))
            .unwrap()
            .sanctioned
    );
    let cursor = agent_named(&app, &admin, "Cursor · alice@laptop-42").await;
    let docker = cursor
        .endpoint
        .as_ref()
        .unwrap()
        .servers
        .iter()
        .find(|s| s.image.is_some())
        .unwrap()
        .clone();
    assert!(!docker.sanctioned);

    // An admin's word on one agent or server stands over the list, with a reason.
    let mark = |path: String, sanctioned: bool, reason: &str| {
        admin
            .put(app.url(&path))
            .json(&serde_json::json!({"sanctioned": sanctioned, "reason": reason}))
            .send()
    };
    assert_eq!(
        mark(format!("/api/v1/agents/{}/sanctioned", claude.agent.id), true, "")
            .await
            .unwrap()
            .status(),
        400
    );
    let marked: json::AgentDetail = mark(
        format!("/api/v1/agents/{}/sanctioned", claude.agent.id),
        true,
        "approved pilot",
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(marked.agent.sanctioned);
    assert_eq!(
        mark(
            format!("/api/v1/tools/{}/sanctioned", docker.tool.id),
            true,
            "GitHub's own image"
        )
        .await
        .unwrap()
        .status(),
        200
    );
    assert_eq!(
        mark("/api/v1/tools/999999/sanctioned".into(), true, "x")
            .await
            .unwrap()
            .status(),
        404
    );
    // Removing the client rule puts Cursor back in the shadow; Claude Code keeps the admin's word.
    let deleted = admin
        .delete(app.url(&format!("/api/v1/sanction-rules/{}", cursor_rule.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert!(
        !agent_named(&app, &admin, "Cursor · alice@laptop-42")
            .await
            .agent
            .sanctioned
    );
    assert!(
        agent_named(&app, &admin, "Claude Code · alice@laptop-42")
            .await
            .agent
            .sanctioned
    );
    let cursor = agent_named(&app, &admin, "Cursor · alice@laptop-42").await;
    assert!(
        cursor
            .endpoint
            .unwrap()
            .servers
            .iter()
            .find(|s| s.tool.id == docker.tool.id)
            .unwrap()
            .sanctioned
    );
    // A later scan does not undo an admin's word.
    run(scan_args(&app, Some(&created.secret), None, None))
        .await
        .unwrap();
    assert!(
        agent_named(&app, &admin, "Claude Code · alice@laptop-42")
            .await
            .agent
            .sanctioned
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action IN ('sanction_rule.create', 'sanction_rule.delete', 'agent.sanction', 'tool.sanction')").await,
        6
    );
}

async fn a_hostile_report_cannot_take_over_a_declared_agent_or_clear_another_tokens_findings(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    // A declared agent happens to have the name a scan would give.
    let inventory = "version: 1\nagents:\n  - name: \"Cursor · alice@laptop-42\"\n    category: saas\n    platform: Cursor\n    environment: prod\n";
    let (status, _) = app
        .import(&admin, "inventory", inventory.as_bytes().to_vec())
        .await;
    assert_eq!(status, 200);
    let first = enrol(&app, &admin).await;
    run(scan_args(&app, Some(&first.secret), None, None))
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM agent WHERE name = 'Cursor · alice@laptop-42' AND category = 'saas' AND sanctioned = 1 AND environment = 'prod'").await,
        1,
        "the declared agent is as it was"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM agent WHERE name = 'Cursor · alice@laptop-42'")
            .await,
        2
    );

    // Another token claims the same host and user with an empty full report: it clears nothing the first found.
    let second = enrol(&app, &admin).await;
    let present = "SELECT COUNT(*) FROM credential_copy WHERE found_by = 'endpoint:laptop-42/alice' AND status = 'present'";
    let before = app.count(present).await;
    assert!(before > 0);
    let servers = "SELECT COUNT(*) FROM endpoint_tool WHERE status = 'present'";
    let servers_before = app.count(servers).await;
    assert!(servers_before > 0);
    let empty = serde_json::json!({"format": "muster-endpoint-scan", "version": 1, "scanned_at": "2026-12-01T00:00:00Z",
        "scanner": "hostile", "full": true, "host": {"name": "laptop-42", "os": "linux", "user": "alice"}});
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/scan/reports"))
        .bearer_auth(&second.secret)
        .json(&empty)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.count(present).await, before);
    assert_eq!(
        app.count(servers).await,
        servers_before,
        "nor the MCP servers it found"
    );
}

on_every_backend!(
    a_hostile_report_cannot_take_over_a_declared_agent_or_clear_another_tokens_findings,
    a_scanned_laptop_joins_what_gitleaks_found_and_no_secret_reaches_the_server,
    an_enrolment_token_can_only_fingerprint_and_submit_and_dies_when_revoked,
    the_sanctioned_list_and_an_admins_word_decide_what_is_shadow_and_rescore_at_once,
);
