//! The top bar's search box: a credential's key id finds it, and Enter opens
//! its page; arrow keys move through the hits.

use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};

use super::{built_dist, fill, sign_in};

/// WebDriver's codes for Enter and the down arrow.
const ENTER: &str = "\u{E007}";
const ARROW_DOWN: &str = "\u{E015}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_box_finds_a_credential_by_key_id_and_opens_its_page() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    let (id, name, key): (i64, String, String) = sqlx::query_as(
        "SELECT id, name, external_id FROM credential WHERE kind = 'access_key' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;

    fill(&browser, "[data-testid=search] input", &key).await;
    browser
        .wait_for_text("[data-testid=search-hits] li:first-child", &name)
        .await;
    browser.screenshot("search").await;
    fill(&browser, "[data-testid=search] input", ENTER).await;
    browser.wait_for_text("main h1", &name).await;
    let url = browser.client().current_url().await.unwrap();
    assert_eq!(url.path(), format!("/inventory/credentials/{id}"));

    // A name prefix lists several hits; the arrow moves the highlight.
    fill(&browser, "[data-testid=search] input", "pay").await;
    browser
        .wait_for("[data-testid=search-hits] li:first-child[aria-selected=true]")
        .await;
    fill(&browser, "[data-testid=search] input", ARROW_DOWN).await;
    browser
        .wait_for("[data-testid=search-hits] li:nth-child(2)[aria-selected=true]")
        .await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}
