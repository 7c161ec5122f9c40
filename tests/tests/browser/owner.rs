//! Changing an owner from an entity's page: an admin gives an unowned
//! credential an owner, and the page shows the new owner at once; a viewer
//! is offered no such form.

use model::api::Role;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};

use super::{built_dist, click, fill, present, sign_in, sign_out};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_gives_an_unowned_credential_an_owner_from_its_page() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (credential, name): (i64, String) = sqlx::query_as(
        "SELECT id, name FROM credential WHERE owner_id IS NULL AND status = 'active' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let (person, person_name, email): (i64, String, String) =
        sqlx::query_as("SELECT id, name, email FROM person WHERE status = 'active' ORDER BY id LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let page = app.url(&format!("/inventory/credentials/{credential}"));

    let browser = Browser::start().await;
    browser.goto(&page).await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;
    browser
        .wait_for_text("[data-testid=credential-page] h1", &name)
        .await;
    assert!(
        !present(&browser, "[data-testid=assign-owner]").await,
        "a viewer may not"
    );
    sign_out(&browser).await;

    sign_in(&browser, "admin@muster.test", TEST_PASSWORD).await;
    browser.goto(&page).await;
    browser
        .wait_for_text("[data-testid=credential-page] .entity-header", "No owner")
        .await;
    fill(
        &browser,
        "[data-testid=assign-owner] input[name=owner-search]",
        &email,
    )
    .await;
    browser
        .wait_for_text("[data-testid=assign-owner] select[name=owner]", &person_name)
        .await;
    fill(
        &browser,
        "[data-testid=assign-owner] input[name=owner-reason]",
        "runs the service",
    )
    .await;
    click(&browser, "[data-testid=assign-owner] button[type=submit]").await;
    // The page reloads its details: the header names the new owner, and the
    // message says so.
    browser
        .wait_for_text("[data-testid=assign-owner] [role=status]", "owns it now")
        .await;
    browser
        .wait_for_text("[data-testid=credential-page] .entity-header", &person_name)
        .await;
    browser.screenshot("credential-owner-assigned").await;
    let owner: Option<i64> = sqlx::query_scalar("SELECT owner_id FROM credential WHERE id = $1")
        .bind(credential)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(owner, Some(person));
    browser.assert_no_console_errors().await;
    browser.close().await;
}
