//! Revoking a credential with three stored copies from the browser: the
//! "what breaks" plan, the revocation, marking it revoked upstream (no
//! webhook), and ticking off each copy until it is complete; and, with a
//! webhook, watching its deliveries fail, retry and revoke the credential.

use model::api::Role;
use muster_tests::browser::Browser;
use muster_tests::webhook::Receiver;
use muster_tests::{Backend, TEST_PASSWORD, TestApp, spawn_app_with_dist, spawn_app_with_settings};

use super::{built_dist, click, fill, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_revokes_a_credential_with_three_copies_and_ticks_them_off() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (credential, name): (i64, String) = sqlx::query_as(
        "SELECT c.id, c.name FROM credential c WHERE c.status = 'active' AND \
         (SELECT COUNT(*) FROM credential_copy cp WHERE cp.credential_id = c.id AND cp.status = 'present') = 3 \
         AND EXISTS (SELECT 1 FROM tool_credential tc WHERE tc.credential_id = c.id) \
         ORDER BY c.risk_score DESC, c.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("the demo has an active, used credential with three copies");

    let browser = Browser::start().await;
    browser
        .goto(&app.url(&format!("/inventory/credentials/{credential}")))
        .await;
    sign_in(&browser, "admin@muster.test", TEST_PASSWORD).await;
    browser
        .wait_for_text("[data-testid=credential-page] h1", &name)
        .await;
    click(&browser, "a[data-testid=revocation-link]").await;

    // What breaks: consumers, resources, the three copies; then the form.
    browser
        .wait_for_text("[data-testid=revocation-plan] h1", &name)
        .await;
    browser
        .wait_for_text("[data-testid=plan-copies] h2", "Stored copies to remove 3")
        .await;
    let consumers = browser
        .wait_for("[data-testid=plan-consumers]")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        consumers.contains("through"),
        "agents and their tools: {consumers}"
    );
    browser.screenshot("revocation-plan").await;
    fill(&browser, "input[name=revoke-reason]", "Leaked in a chat").await;
    click(&browser, "[data-testid=revoke-form] button[type=submit]").await;

    // The revocation: requested, nothing upstream yet, three copies pending.
    browser
        .wait_for_text("[data-testid=revocation-page] h1", &format!("Revoking {name}"))
        .await;
    browser
        .wait_for_text("[data-testid=revocation-state]", "Requested")
        .await;
    browser
        .wait_for_text("[data-testid=checklist] h2", "3 of 3 left")
        .await;
    browser
        .wait_for_text(
            "[data-testid=revocation-actions]",
            "No automation webhook is configured",
        )
        .await;
    browser.screenshot("revocation-requested").await;

    fill(
        &browser,
        "input[name=transition-note]",
        "Deleted in the provider's console",
    )
    .await;
    click(&browser, "button[data-to=revoked]").await;
    browser
        .wait_for_text("[data-testid=credential-status]", "Revoked")
        .await;
    browser
        .wait_for_text("[data-testid=revocation-state]", "Revoked")
        .await;

    // Two copies removed, one accepted with a reason.
    for left in ["2 of 3 left", "1 of 3 left"] {
        click(&browser, "[data-testid=checklist] button[data-action=removed]").await;
        browser.wait_for_text("[data-testid=checklist] h2", left).await;
    }
    click(&browser, "[data-testid=checklist] button[data-action=accept]").await;
    fill(
        &browser,
        "input[name=accept-reason]",
        "The chat vendor keeps history; the key is dead",
    )
    .await;
    click(&browser, "button[data-action=accept-confirm]").await;
    browser
        .wait_for_text("[data-testid=checklist] h2", "0 of 3 left")
        .await;
    browser
        .wait_for_text("[data-testid=revocation-state]", "Complete")
        .await;
    browser.screenshot("revocation-complete").await;

    let (state, status): (String, String) = sqlx::query_as(
        "SELECT v.state, c.status FROM revocation v JOIN credential c ON c.id = v.credential_id \
         WHERE c.id = $1",
    )
    .bind(credential)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!((state.as_str(), status.as_str()), ("complete", "revoked"));

    // The list, and the credential page, say so too.
    browser.goto(&app.url("/revocations")).await;
    click(&browser, "[data-testid=page] .tabs button:last-child").await;
    browser.wait_for_text("[data-testid=revocations]", &name).await;
    browser.screenshot("revocations").await;
    browser
        .goto(&app.url(&format!("/inventory/credentials/{credential}")))
        .await;
    browser
        .wait_for_text("[data-testid=revocation-link]", "Complete")
        .await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}

/// An active credential in use, with a stored copy, and its name.
async fn used_credential(app: &TestApp) -> (i64, String) {
    sqlx::query_as(
        "SELECT c.id, c.name FROM credential c WHERE c.status = 'active' \
         AND EXISTS (SELECT 1 FROM tool_credential tc WHERE tc.credential_id = c.id) \
         AND EXISTS (SELECT 1 FROM credential_copy cp WHERE cp.credential_id = c.id AND cp.status = 'present') \
         ORDER BY c.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revocation_page_follows_the_webhook_through_a_retry_to_revoked() {
    let receiver = Receiver::start(&[(503, "busy")]).await;
    let app = spawn_app_with_settings(Backend::Sqlite, receiver.settings(8, built_dist())).await;
    app.fill_with_demo().await;
    app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let (credential, name) = used_credential(&app).await;
    let browser = Browser::start().await;
    browser
        .goto(&app.url(&format!("/revocations/new?credential={credential}")))
        .await;
    sign_in(&browser, "admin@muster.test", TEST_PASSWORD).await;
    browser
        .wait_for_text("[data-testid=revocation-plan] h1", &name)
        .await;
    fill(&browser, "input[name=revoke-reason]", "Owner left; rotating").await;
    click(&browser, "[data-testid=revoke-form] button[type=submit]").await;
    browser
        .wait_for_text(
            "[data-testid=revocation-actions]",
            "The automation webhook is asked to revoke it",
        )
        .await;
    // The first attempt fails; the page, looking again by itself, shows it and then the retry's success.
    browser
        .wait_for_text("[data-testid=deliveries]", "answered 503")
        .await;
    browser.screenshot("revocation-webhook-retrying").await;
    receiver.answer(&[(200, "")]);
    browser
        .wait_for_text("[data-testid=revocation-state]", "Revoked")
        .await;
    browser
        .wait_for_text("[data-testid=deliveries]", "delivered")
        .await;
    browser
        .wait_for_text("[data-testid=credential-status]", "Revoked")
        .await;
    browser.screenshot("revocation-webhook-delivered").await;
    assert!(receiver.received().len() >= 2);
    assert!(receiver.received().iter().all(|r| r.verify()));
    browser.assert_no_console_errors().await;
    browser.close().await;
}
