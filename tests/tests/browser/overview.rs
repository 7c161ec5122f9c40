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
    // The inventory's code loads on first visit; the URL changes when it has.
    browser.wait_for("[data-testid=inventory-count]").await;
    let url = browser.client().current_url().await.unwrap();
    assert_eq!(url.path(), "/inventory/credentials");
    assert_eq!(url.query(), Some("band=critical"));
    browser.assert_no_console_errors().await;
    browser.close().await;
}

/// The bundle's quality bar (docs/benchmarks.md): a first visit, which
/// lands on the Overview, downloads under 400 KB of the app's code
/// (WebAssembly and JavaScript), gzipped as the server sends it (the charts'
/// code among it, fetched as they are drawn). The other screens are lazy
/// routes: their code comes on their first visit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_visit_downloads_under_400_kb_of_code_and_each_screen_brings_its_own() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;
    browser.wait_for("[data-testid=histogram] svg rect").await;

    let first = code_fetched(&browser).await;
    let total: u64 = first.iter().map(|(_, gzipped, _)| gzipped).sum();
    eprintln!(
        "a first visit to the Overview: {} files of code, {total} bytes gzipped",
        first.len()
    );
    for (path, gzipped, size) in &first {
        assert!(
            gzipped < size,
            "{path} was not sent gzipped ({gzipped} of {size} bytes)"
        );
    }
    assert!(
        total < 400_000,
        "a first visit downloads {total} bytes of code: {first:?}"
    );
    assert!(
        !first.iter().any(|(path, ..)| path.contains("_screen_view")),
        "a first visit fetches no other screen's code: {first:?}"
    );

    click(&browser, "nav.sidenav a[href='/inventory']").await;
    browser.wait_for("[data-testid=inventory-count]").await;
    let screens: Vec<String> = code_fetched(&browser)
        .await
        .into_iter()
        .map(|(path, ..)| path)
        .filter(|path| path.contains("_screen_view"))
        .collect();
    assert!(
        !screens.is_empty() && screens.iter().all(|path| path.contains("inventory_screen")),
        "the Inventory brings its own code, and no other screen's: {screens:?}"
    );
    browser.assert_no_console_errors().await;
    browser.close().await;
}

/// The app's code the page has fetched so far: (path, bytes sent, bytes
/// once decoded), from the browser's resource timings.
async fn code_fetched(browser: &Browser) -> Vec<(String, u64, u64)> {
    let fetched = browser
        .client()
        .execute(
            "return performance.getEntriesByType('resource')
               .filter(e => /\\.(wasm|js)$/.test(new URL(e.name).pathname))
               .map(e => [new URL(e.name).pathname, e.encodedBodySize, e.decodedBodySize])",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(fetched).unwrap()
}
