//! An admin manages accounts on the Admin screen, and the Audit screen shows
//! what changed, filters it, links each entry to what it touched, and says
//! when the chain has been tampered with.

use model::api::Role;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};

use super::{built_dist, click, fill, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_and_changes_an_account_and_the_audit_screen_shows_it() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/admin")).await;
    sign_in(&browser, "admin@muster.test", TEST_PASSWORD).await;
    browser.wait_for_text("main h1", "Admin").await;
    browser
        .wait_for_text("[data-testid=accounts-summary]", "1 active admin ·")
        .await;

    // A new account: email, first password, roles.
    fill(
        &browser,
        "[data-testid=new-account] input[name=email]",
        "Dana@Example.com",
    )
    .await;
    fill(
        &browser,
        "[data-testid=new-account] input[name=password]",
        "short",
    )
    .await;
    click(
        &browser,
        "[data-testid=new-account] input[name=new-role-approver]",
    )
    .await;
    click(&browser, "[data-testid=new-account] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=new-account] [role=alert]", "at least 12 characters")
        .await;
    fill(
        &browser,
        "[data-testid=new-account] input[name=password]",
        " and now long enough",
    )
    .await;
    click(&browser, "[data-testid=new-account] button[type=submit]").await;
    browser
        .wait_for_text(
            "[data-testid=new-account] [role=status]",
            "Created dana@example.com",
        )
        .await;
    browser
        .wait_for_text("table.data tbody", "dana@example.com")
        .await;

    // Make Dana a CISO instead of a viewer, through the row's editor.
    click(
        &browser,
        "[data-testid=account-row][data-email='dana@example.com'] [data-testid=edit-account]",
    )
    .await;
    click(
        &browser,
        "[data-testid=account-editor] input[name=edit-role-viewer]",
    )
    .await;
    click(
        &browser,
        "[data-testid=account-editor] input[name=edit-role-ciso]",
    )
    .await;
    browser.screenshot("admin-editor").await;
    click(&browser, "[data-testid=account-editor] button[type=submit]").await;
    browser.wait_for_text("table.data tbody", "CISO, Approver").await;
    browser.screenshot("admin").await;
    let roles: String = sqlx::query_scalar("SELECT roles FROM account WHERE email = 'dana@example.com'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(roles, "ciso approver");

    // The Audit screen: intact chain, newest first, filters in the URL.
    click(&browser, "nav.sidenav a[href='/audit']").await;
    browser
        .wait_for_text("[data-testid=chain-status]", "The log is intact")
        .await;
    browser
        .wait_for_text("[data-testid=audit-table] tbody tr:first-child", "account.update")
        .await;
    browser.screenshot("audit").await;
    fill(
        &browser,
        "[data-testid=audit-filters] input[name=action]",
        "account.",
    )
    .await;
    click(&browser, "[data-testid=audit-filters] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=audit-count]", "1–2 of 2")
        .await;
    let url = browser.client().current_url().await.unwrap();
    assert_eq!(url.query(), Some("action=account."));

    // An entry's target leads to what it touched (an account: its history).
    click(
        &browser,
        "[data-testid=audit-table] tbody tr:first-child [data-testid=target-link]",
    )
    .await;
    browser.wait_for_text("[data-testid=audit-count]", "of 2").await;
    let url = browser.client().current_url().await.unwrap();
    assert!(url.query().unwrap().starts_with("target=account"), "{url}");
    let target_box = browser
        .wait_for("[data-testid=audit-filters] input[name=target]")
        .await;
    assert!(
        target_box
            .prop("value")
            .await
            .unwrap()
            .unwrap()
            .starts_with("account:")
    );

    // Someone edits an entry behind Muster's back: the screen shows the last
    // walk until a CISO walks the chain again, and then says so.
    sqlx::query("UPDATE audit_event SET actor = 'nobody@example.com' WHERE seq = 2")
        .execute(app.db.pool())
        .await
        .unwrap();
    browser.goto(&app.url("/audit")).await;
    browser
        .wait_for_text("[data-testid=chain-status]", "by admin@muster.test in")
        .await;
    click(&browser, "[data-testid=verify-chain]").await;
    browser
        .wait_for_text("[data-testid=chain-status]", "Entry #2 was modified")
        .await;
    browser.screenshot("audit-tampered").await;

    browser.assert_no_console_errors().await;
    browser.close().await;
}
