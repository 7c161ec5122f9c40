//! Endpoint discovery in the browser: an admin creates an enrolment token
//! in Admin, `muster scan` (its real code) submits a laptop's scan with it,
//! the Overview counts the new shadow agents, the inventory lists them
//! shadow first, and an agent's page shows its host, its MCP servers and
//! their credentials; the admin sanctions a server there and a client on
//! the sanctioned list.

use muster_server::scan::{ScanArgs, run};
use muster_tests::{Backend, spawn_app_with_dist, workspace_root};

use super::{admin_issues_token, built_dist, click, fill, scroll_to};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_enrols_a_laptop_and_its_shadow_agents_appear_with_their_mcp_servers() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    let (browser, secret) = admin_issues_token(&app, "enrolment", "engineering laptops").await;
    assert!(secret.starts_with("mse_"), "{secret}");

    // The laptop scans itself and sends the report with the token.
    run(ScanArgs {
        home: Some(workspace_root().join("scan/tests/fixtures/linux-home")),
        projects: Vec::new(),
        no_discover: false,
        os: Some(muster_scan::Os::Linux),
        host: Some("laptop-42".into()),
        user: Some("alice".into()),
        output: None,
        send: None,
        server: Some(app.url("")),
        token: Some(secret),
        time_limit: 60,
    })
    .await
    .unwrap();

    // The Overview counts what was found on endpoints, and links to it, shadow first.
    browser.goto(&app.url("/")).await;
    let card = browser
        .wait_for_text("[data-testid=cards]", "Shadow agents on endpoints")
        .await;
    assert!(card.contains("6 agents found on 1 host, 6 shadow"), "{card}");
    browser.screenshot("overview-endpoints").await;
    click(&browser, "a.card[href*='scanned=true']").await;
    browser
        .wait_for_text("[data-testid=inventory-table]", "Claude Code · alice@laptop-42")
        .await;
    browser.screenshot("inventory-endpoint-agents").await;

    // The agent's page: host, user, client, files, and each MCP server with its credentials.
    click(
        &browser,
        "[data-testid=inventory-table] a[href*='/inventory/agents/']",
    )
    .await;
    let facts = browser.wait_for_text("[data-testid=endpoint]", "laptop-42").await;
    assert!(facts.contains("Shadow"), "{facts}");
    let page = browser
        .wait_for("[data-testid=agent-page] h1")
        .await
        .text()
        .await
        .unwrap();
    let servers = browser
        .wait_for_text("[data-testid=endpoint] table", "shell and files")
        .await;
    if page.starts_with("Claude Code") {
        assert!(
            servers.contains("@modelcontextprotocol/server-github"),
            "{servers}"
        );
        assert!(
            servers.contains("github ghp_…(40)"),
            "the token, by its hint: {servers}"
        );
    }
    scroll_to(&browser, "[data-testid=endpoint]", "start").await;
    browser.screenshot("agent-endpoint").await;

    // The admin sanctions one server with a reason.
    fill(
        &browser,
        "[data-testid=endpoint] input[name=sanction-reason]",
        "reviewed by security",
    )
    .await;
    click(&browser, "[data-testid=mcp-server] button").await;
    browser
        .wait_for_text("[data-testid=endpoint] [role=status]", "sanctioned")
        .await;
    browser
        .wait_for_text("[data-testid=mcp-server]", "Sanctioned")
        .await;

    // And a client on the sanctioned list.
    browser.goto(&app.url("/admin")).await;
    browser.wait_for("[data-testid=sanctioned-list]").await;
    fill(
        &browser,
        "[data-testid=sanctioned-list] input[name=sanction-value]",
        "cursor",
    )
    .await;
    click(&browser, "[data-testid=sanctioned-list] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=sanction-rule]", "cursor")
        .await;
    let rule = browser
        .wait_for_text("[data-testid=sanctioned-list] [role=status]", "matches 1")
        .await;
    assert!(rule.contains("Client cursor"), "{rule}");
    scroll_to(&browser, "[data-testid=sanctioned-list]", "start").await;
    browser.screenshot("admin-sanctioned").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}
