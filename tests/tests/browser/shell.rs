//! The application shell renders from WebAssembly, reads the server's health,
//! signs people in and out, navigates between screens, and runs under the CSP
//! without a console error.

use model::api::Role;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};

use super::{built_dist, click, fill, nav_titles, present, sign_in, sign_out};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shell_signs_in_navigates_and_signs_out_with_no_console_error() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    let browser = Browser::start().await;

    // Nobody is signed in: the sign-in form, and the server's status.
    browser.goto(&app.url("/")).await;
    browser.wait_for("[data-testid=sign-in]").await;
    browser
        .wait_for_text("[data-testid=server-version]", env!("CARGO_PKG_VERSION"))
        .await;
    browser
        .wait_for_text("[data-testid=server-status]", "sqlite")
        .await;
    assert!(
        !present(&browser, "[data-testid=demo-notice]").await,
        "not a demo"
    );
    browser.screenshot("sign-in").await;

    // A wrong password is refused in words.
    fill(
        &browser,
        "[data-testid=sign-in] input[name=email]",
        "viewer@muster.test",
    )
    .await;
    fill(&browser, "[data-testid=sign-in] input[name=password]", "wrong").await;
    click(&browser, "[data-testid=sign-in] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=sign-in] [role=alert]", "Wrong email or password")
        .await;
    browser.goto(&app.url("/")).await;

    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;
    browser.wait_for_text("[data-testid=roles]", "Viewer").await;
    browser.wait_for_text("main h1", "Overview").await;
    assert_eq!(
        nav_titles(&browser).await,
        [
            "Overview",
            "Inventory",
            "Graph",
            "Revocations",
            "Reviews",
            "Notifications"
        ]
    );
    browser.screenshot("shell-overview").await;

    // Client-side navigation changes the URL and the screen.
    click(&browser, "nav.sidenav a[href='/inventory']").await;
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

    // A deep link is served by the server and resolved by the app; the session survives a reload.
    browser.goto(&app.url("/graph")).await;
    browser.wait_for_text("main h1", "Graph").await;
    browser.goto(&app.url("/no/such/screen")).await;
    browser
        .wait_for_text("[data-testid=not-found] h1", "No page at this address")
        .await;
    browser.screenshot("shell-not-found").await;
    sign_out(&browser).await;

    // Every role can sign in and sees its own name and role.
    for role in [Role::Admin, Role::Ciso, Role::Manager, Role::Approver] {
        let email = format!("{role}@muster.test");
        app.signed_in_as(&email, &[role]).await;
        sign_in(&browser, &email, TEST_PASSWORD).await;
        browser.wait_for_text("[data-testid=roles]", role.label()).await;
        sign_out(&browser).await;
    }

    browser.assert_no_console_errors().await;
    browser.close().await;
}
