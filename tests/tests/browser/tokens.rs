//! An agent's API tokens on its page: an admin issues one, its secret is
//! shown once and works; revoking it from the page stops it at once. Other
//! roles are offered no token panel.

use model::api::Role;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};

use super::{built_dist, click, fill, present, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_issues_an_agent_token_that_works_until_revoked_from_the_page() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (agent, name): (i64, String) = sqlx::query_as("SELECT id, name FROM agent ORDER BY id LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let browser = Browser::start().await;
    browser
        .goto(&app.url(&format!("/inventory/agents/{agent}")))
        .await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;
    browser.wait_for_text("[data-testid=agent-page] h1", &name).await;
    assert!(
        !present(&browser, "[data-testid=agent-tokens]").await,
        "a viewer may not"
    );
    super::sign_out(&browser).await;

    sign_in(&browser, "admin@muster.test", TEST_PASSWORD).await;
    browser
        .wait_for_text("[data-testid=agent-tokens]", "No token yet")
        .await;
    fill(
        &browser,
        "[data-testid=agent-tokens] input[name=token-name]",
        "CI runner",
    )
    .await;
    click(&browser, "[data-testid=agent-tokens] button[type=submit]").await;
    let secret = browser
        .wait_for("[data-testid=token-secret] code")
        .await
        .text()
        .await
        .unwrap();
    browser
        .wait_for_text("[data-testid=agent-tokens] table", "CI runner")
        .await;
    browser.screenshot("agent-tokens").await;

    // The secret works as the agent's own credential...
    let as_agent = |secret: &str| {
        reqwest::Client::new()
            .get(app.url("/api/v1/agent/self"))
            .bearer_auth(secret.to_owned())
            .send()
    };
    assert_eq!(as_agent(&secret).await.unwrap().status(), 200);
    // ...until it is revoked from the page.
    click(&browser, "[data-testid=agent-tokens] table button").await;
    browser
        .wait_for_text("[data-testid=agent-tokens] table", "revoked")
        .await;
    assert_eq!(as_agent(&secret).await.unwrap().status(), 401);
    browser.assert_no_console_errors().await;
    browser.close().await;
}
