//! The Overview on the small demo organisation: the answer first, headline
//! figures that link to the lists behind them, the bands, the OWASP NHI
//! breakdown and the riskiest credentials and agents.

use model::api as json;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};

use super::{built_dist, click, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_answers_first_and_links_each_figure_to_its_list() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    let summary: json::RiskSummary = app.get_json("/api/v1/risk/summary").await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;

    browser
        .wait_for_text(
            "[data-testid=answer]",
            &format!("{} critical", summary.credentials.critical),
        )
        .await;
    browser
        .wait_for_text("[data-testid=cards]", "Agent owner coverage")
        .await;
    browser.wait_for_text("[data-testid=references]", "NHI10").await;
    let top = &summary.top_credentials[0];
    browser
        .wait_for_text("[data-testid=top-credentials]", &top.name)
        .await;
    browser
        .wait_for_text(
            "[data-testid=top-credentials]",
            top.risk.leading.as_deref().unwrap().split(':').next().unwrap(),
        )
        .await;
    // The charts: scores by band, coverage by top-level team, both trends.
    browser.wait_for("[data-testid=histogram] svg rect").await;
    browser.wait_for("[data-testid=risk-trend] svg polyline").await;
    browser
        .wait_for("[data-testid=coverage-trend] svg polyline")
        .await;
    let coverage: json::Coverage = app.get_json("/api/v1/coverage").await;
    let first = coverage.teams[0].team.as_ref().unwrap();
    browser
        .wait_for_text("[data-testid=team-coverage] svg", &first.name)
        .await;
    let orphaned: json::Overview = app.get_json("/api/v1/overview").await;
    browser
        .wait_for_text(
            "[data-testid=cards]",
            &format!(
                "{} agents, {} credentials whose owner left",
                orphaned.orphaned_agents, orphaned.orphaned_credentials
            ),
        )
        .await;
    browser.screenshot("overview").await;

    click(&browser, "[data-testid=answer] a[href*='band=critical']").await;
    let url = browser.client().current_url().await.unwrap();
    assert_eq!(url.path(), "/inventory/credentials");
    assert_eq!(url.query(), Some("band=critical"));
    browser.assert_no_console_errors().await;
    browser.close().await;
}
