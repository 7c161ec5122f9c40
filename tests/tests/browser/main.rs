//! Browser tests: the built web app (`dist/`, made by `make dist`) served by
//! the real server, driven in headless Chromium. Screenshots go to
//! `target/screenshots/`.

mod admin;
mod approval;
mod discovery;
mod endpoint;
mod graph;
mod identity;
mod imports;
mod inventory;
mod notify;
mod overview;
mod owner;
mod reviews;
mod revocation;
mod roles;
mod search;
mod shell;
mod teams;
mod tokens;

use fantoccini::Locator;
use muster_tests::browser::Browser;
use muster_tests::workspace_root;

/// The built web app, or a failure saying how to build it.
fn built_dist() -> std::path::PathBuf {
    let dist = workspace_root().join("dist");
    assert!(
        dist.join("index.html").exists(),
        "no built web app in {}: run `make dist` (or `make test`, which builds it)",
        dist.display()
    );
    dist
}

/// The server with the built web app, on SQLite, sending its email to `smtp`
/// (the tests that follow a link from a real email).
async fn mailing_app(smtp: &muster_tests::notify::SmtpServer) -> muster_tests::TestApp {
    muster_tests::spawn_app_with(muster_tests::Backend::Sqlite, async |address| {
        muster_server::Settings {
            dist: built_dist(),
            ..muster_tests::notify::settings(address, smtp)
        }
    })
    .await
}

/// Types `text` into the element matching `css`.
async fn fill(browser: &Browser, css: &str, text: &str) {
    browser.wait_for(css).await.send_keys(text).await.unwrap();
}

/// Clicks the element matching `css`, scrolled to the middle of the window
/// first: WebDriver's own scrolling can leave it under the sticky top bar.
async fn click(browser: &Browser, css: &str) {
    scroll_to(browser, css, "center").await.click().await.unwrap();
}

/// Scrolls the element matching `css` into view (`block`: `start`,
/// `center`...), for a click or a screenshot of it.
async fn scroll_to(browser: &Browser, css: &str, block: &str) -> fantoccini::elements::Element {
    let element = browser.wait_for(css).await;
    let reference = serde_json::to_value(&element).unwrap();
    browser
        .client()
        .execute(
            &format!("arguments[0].scrollIntoView({{block: '{block}'}})"),
            vec![reference],
        )
        .await
        .unwrap();
    element
}

/// Whether an element matches `css` right now.
async fn present(browser: &Browser, css: &str) -> bool {
    browser.client().find(Locator::Css(css)).await.is_ok()
}

/// Signs in through the form and waits for the top bar to name the account.
async fn sign_in(browser: &Browser, email: &str, password: &str) {
    fill(browser, "[data-testid=sign-in] input[name=email]", email).await;
    fill(browser, "[data-testid=sign-in] input[name=password]", password).await;
    click(browser, "[data-testid=sign-in] button[type=submit]").await;
    browser.wait_for_text("[data-testid=user]", email).await;
}

/// Opens Admin in a new browser as a new admin and issues a token in the
/// section `key` (`enrolment`, `scim`) named `name`: answers the browser
/// and the secret, shown once.
async fn admin_issues_token(app: &muster_tests::TestApp, key: &str, name: &str) -> (Browser, String) {
    app.signed_in_as("admin@muster.test", &[model::api::Role::Admin])
        .await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/admin")).await;
    sign_in(&browser, "admin@muster.test", muster_tests::TEST_PASSWORD).await;
    let section = format!("[data-testid={key}-tokens]");
    browser.wait_for_text(&section, "token yet").await;
    fill(&browser, &format!("{section} input[name={key}-name]"), name).await;
    click(&browser, &format!("{section} button[type=submit]")).await;
    let secret = browser
        .wait_for(&format!("[data-testid={key}-secret] code"))
        .await
        .text()
        .await
        .unwrap();
    browser
        .wait_for_text(&format!("[data-testid={key}-token]"), name)
        .await;
    scroll_to(&browser, &section, "start").await;
    browser.screenshot(&format!("admin-{key}-tokens")).await;
    (browser, secret)
}

/// Signs out with the top bar's button and waits for the sign-in form.
async fn sign_out(browser: &Browser) {
    click(browser, "[data-testid=sign-out]").await;
    browser.wait_for("[data-testid=sign-in]").await;
}

/// The titles of the navigation's links, in order.
async fn nav_titles(browser: &Browser) -> Vec<String> {
    let mut titles = Vec::new();
    for link in browser
        .client()
        .find_all(Locator::Css("nav.sidenav a span:last-child"))
        .await
        .unwrap()
    {
        titles.push(link.text().await.unwrap().trim().to_owned());
    }
    titles
}
