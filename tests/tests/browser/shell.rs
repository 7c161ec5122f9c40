//! The application shell renders from WebAssembly, reads the server's health,
//! signs people in and out, navigates between screens, and runs under the CSP
//! without a console error.

use fantoccini::Locator;
use model::api::Role;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist, workspace_root};

fn built_dist() -> std::path::PathBuf {
    let dist = workspace_root().join("dist");
    assert!(
        dist.join("index.html").exists(),
        "no built web app in {}: run `make dist` (or `make test`, which builds it)",
        dist.display()
    );
    dist
}

async fn sign_in(browser: &Browser, email: &str) {
    browser
        .wait_for("[data-testid=sign-in] input[name=email]")
        .await
        .send_keys(email)
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=sign-in] input[name=password]")
        .await
        .send_keys(TEST_PASSWORD)
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=sign-in] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for_text("[data-testid=user]", email).await;
}

async fn sign_out(browser: &Browser) {
    browser
        .wait_for("[data-testid=sign-out]")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for("[data-testid=sign-in]").await;
}

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
        browser
            .client()
            .find(Locator::Css("[data-testid=demo-notice]"))
            .await
            .is_err(),
        "not a demo"
    );
    browser.screenshot("sign-in").await;

    // A wrong password is refused in words.
    browser
        .wait_for("[data-testid=sign-in] input[name=email]")
        .await
        .send_keys("viewer@muster.test")
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=sign-in] input[name=password]")
        .await
        .send_keys("wrong")
        .await
        .unwrap();
    browser
        .wait_for("[data-testid=sign-in] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text("[data-testid=sign-in] [role=alert]", "Wrong email or password")
        .await;
    browser.goto(&app.url("/")).await;

    sign_in(&browser, "viewer@muster.test").await;
    browser.wait_for_text("[data-testid=roles]", "Viewer").await;
    for item in ["Overview", "Inventory", "Graph", "Approvals", "Audit"] {
        browser.wait_for_text("nav.sidenav", item).await;
    }
    browser.wait_for_text("main h1", "Overview").await;
    browser.screenshot("shell-overview").await;

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

    // A deep link is served by the server and resolved by the app; the session survives a reload.
    browser.goto(&app.url("/audit")).await;
    browser.wait_for_text("main h1", "Audit").await;
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
        sign_in(&browser, &email).await;
        browser.wait_for_text("[data-testid=roles]", role.label()).await;
        sign_out(&browser).await;
    }

    browser.assert_no_console_errors().await;
    browser.close().await;
}
