//! SaaS and cloud discovery in the browser: an admin uploads a platform's
//! pages at once on the Imports screen; the Overview counts SaaS and cloud
//! agents; an agent's page shows the application, who consented and the
//! grant it acts through, and the grant's page what it reaches; an admin
//! makes an unmatched grant an agent and adds an entry to the catalogue.

use model::api::Role;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, fixtures_under, spawn_app_with_dist, workspace_root};

use super::{built_dist, click, fill, scroll_to, sign_in};

async fn import(app: &muster_tests::TestApp, admin: &reqwest::Client, kind: &str) {
    let (status, body) = app
        .import_files(admin, kind, fixtures_under(&format!("platforms/{kind}")))
        .await;
    assert_eq!(status, 200, "{kind}: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_imports_platform_records_and_sees_saas_and_cloud_agents_with_their_grants() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    for kind in ["google_workspace", "bedrock", "vertex"] {
        import(&app, &admin, kind).await;
    }
    let browser = Browser::start().await;
    browser.goto(&app.url("/imports")).await;
    sign_in(&browser, "admin@muster.test", TEST_PASSWORD).await;

    // Entra's pages, chosen all at once: grants join their apps across pages.
    click(
        &browser,
        "[data-testid=import-form] input[name=kind][value=entra]",
    )
    .await;
    browser
        .wait_for_text("[data-testid=kind-help]", "Microsoft Graph pages")
        .await;
    let folder = workspace_root().join("tests/fixtures/platforms/entra");
    let pages: Vec<String> = fixtures_under("platforms/entra")
        .into_iter()
        .map(|(name, _)| folder.join(name).display().to_string())
        .collect();
    fill(
        &browser,
        "[data-testid=import-form] input[type=file]",
        &pages.join("\n"),
    )
    .await;
    click(&browser, "[data-testid=import-form] button[type=submit]").await;
    let summary = browser
        .wait_for_text(
            "[data-testid=import-summary]",
            "Imported Microsoft Entra apps and grants",
        )
        .await;
    assert!(summary.contains("3\nAI agents"), "{summary}");
    browser.screenshot("imports-entra").await;

    // The Overview counts them.
    browser.goto(&app.url("/")).await;
    let card = browser
        .wait_for_text("[data-testid=cards]", "SaaS and cloud agents")
        .await;
    assert!(
        card.contains("6 acting through OAuth grants and tokens, 6 through cloud roles"),
        "{card}"
    );
    browser.screenshot("overview-saas-cloud").await;

    // Alice's ChatGPT: the application, who consented, the grant.
    let id: i64 =
        sqlx::query_scalar("SELECT id FROM agent WHERE name = 'ChatGPT in Microsoft Entra (Alice Ng)'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    browser.goto(&app.url(&format!("/inventory/agents/{id}"))).await;
    let facts = browser
        .wait_for_text("[data-testid=platform]", "ChatGPT by OpenAI")
        .await;
    assert!(facts.contains("Alice Ng") && facts.contains("Shadow"), "{facts}");
    assert!(
        facts.contains("By its verified publisher (publisher OpenAI)"),
        "{facts}"
    );
    browser
        .wait_for_text("[data-testid=credentials]", "ChatGPT on Microsoft Graph")
        .await;
    let reach = browser
        .wait_for_text("[data-testid=agent-reach]", "Exchange Online mail")
        .await;
    assert!(
        reach.contains("OneDrive and SharePoint files") && reach.contains("Write"),
        "{reach}"
    );
    scroll_to(&browser, "[data-testid=platform]", "start").await;
    browser.screenshot("agent-saas").await;

    // The grant: what it reaches, and why it is risky.
    click(&browser, "[data-testid=credentials] a").await;
    let grant = browser
        .wait_for_text("[data-testid=grant]", "Granted in Microsoft Entra")
        .await;
    assert!(grant.contains("By the user, for themselves"), "{grant}");
    let reach = browser
        .wait_for_text("[data-testid=reach]", "Exchange Online mail")
        .await;
    assert!(reach.contains("OneDrive and SharePoint files"), "{reach}");
    browser
        .wait_for_text(
            "[data-testid=risk-factors]",
            "Reads or writes all mail, files or code",
        )
        .await;
    browser.screenshot("credential-grant").await;

    // A cloud agent acts through its role.
    let id: i64 = sqlx::query_scalar("SELECT id FROM agent WHERE name = 'invoice-assistant'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    browser.goto(&app.url(&format!("/inventory/agents/{id}"))).await;
    browser
        .wait_for_text("[data-testid=platform]", "Found in Amazon Bedrock")
        .await;
    browser
        .wait_for_text(
            "[data-testid=credentials]",
            "AmazonBedrockExecutionRoleForAgents_invoice",
        )
        .await;
    browser.screenshot("agent-cloud").await;

    // An in-house app's permissions match no entry: the admin makes it an agent.
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM credential WHERE name = 'Contoso Reports application permissions on Microsoft Graph'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    browser
        .goto(&app.url(&format!("/inventory/credentials/{id}")))
        .await;
    browser
        .wait_for_text(
            "[data-testid=grant]",
            "none: no catalogue entry matched its application",
        )
        .await;
    click(&browser, "[data-testid=promote]").await;
    browser
        .wait_for_text(
            "[data-testid=grant]",
            "Contoso Reports in Microsoft Entra (whole organisation)",
        )
        .await;
    browser
        .wait_for_text("[data-testid=consumers]", "1 agents through 1 tools")
        .await;
    scroll_to(&browser, "[data-testid=grant]", "start").await;
    browser.screenshot("credential-promoted").await;

    // The catalogue, and an admin's entry.
    browser.goto(&app.url("/admin")).await;
    browser.wait_for_text("[data-testid=ai-apps]", "ChatGPT").await;
    fill(
        &browser,
        "[data-testid=ai-apps] input[name=ai-app-name]",
        "Acme Copilot",
    )
    .await;
    fill(
        &browser,
        "[data-testid=ai-apps] input[name=ai-app-vendor]",
        "Acme AI",
    )
    .await;
    fill(
        &browser,
        "[data-testid=ai-apps] input[name=ai-app-github-apps]",
        "acme-copilot",
    )
    .await;
    click(&browser, "[data-testid=ai-apps] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=ai-apps]", "Acme Copilot added")
        .await;
    browser
        .wait_for_text("[data-testid=ai-apps] table", "added by an admin")
        .await;
    scroll_to(&browser, "[data-testid=ai-apps]", "start").await;
    browser.screenshot("admin-ai-apps").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}
