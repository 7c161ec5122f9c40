//! The application shell renders from WebAssembly, reads the server's health,
//! navigates between screens, and runs under the CSP without a console error.

use muster_tests::browser::Browser;
use muster_tests::{Backend, spawn_app_with_dist, workspace_root};

fn built_dist() -> std::path::PathBuf {
    let dist = workspace_root().join("dist");
    assert!(
        dist.join("index.html").exists(),
        "no built web app in {}: run `make dist` (or `make test`, which builds it)",
        dist.display()
    );
    dist
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_renders_with_the_server_version_and_no_console_error() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    let browser = Browser::start().await;

    browser.goto(&app.url("/")).await;
    browser
        .wait_for_text("[data-testid=server-version]", env!("CARGO_PKG_VERSION"))
        .await;
    let status = browser
        .wait_for_text("[data-testid=server-status]", "sqlite")
        .await;
    assert!(status.contains("Server"), "{status}");
    for item in ["Overview", "Inventory", "Graph", "Approvals", "Audit"] {
        browser.wait_for_text("nav.sidenav", item).await;
    }
    browser.wait_for_text("main h1", "Overview").await;
    browser.screenshot("shell-overview").await;
    browser.assert_no_console_errors().await;

    // Client-side navigation changes the URL and the screen.
    browser
        .wait_for("nav.sidenav a[href='/inventory']")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for_text("main h1", "Inventory").await;
    assert!(
        browser
            .client()
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/inventory")
    );
    browser
        .wait_for_text("nav.sidenav a[aria-current=page]", "Inventory")
        .await;

    // A deep link is served by the server and resolved by the app.
    browser.goto(&app.url("/audit")).await;
    browser.wait_for_text("main h1", "Audit").await;
    browser.goto(&app.url("/no/such/screen")).await;
    browser
        .wait_for_text("[data-testid=not-found] h1", "No page at this address")
        .await;
    browser.screenshot("shell-not-found").await;

    browser.assert_no_console_errors().await;
    browser.close().await;
}
