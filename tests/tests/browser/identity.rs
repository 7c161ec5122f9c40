//! The organisation's identity provider in a real browser: the provider
//! (`oidc-provider`, on loopback) signs people in, Muster maps their groups
//! to roles, refuses those without one in words, refuses a replayed
//! sign-in, and signs out at the provider too; an admin makes a SCIM token,
//! and a person the provider switches off with it has left in Muster.

use model::api::PasswordSignIn;
use muster_server::Settings;
use muster_tests::browser::Browser;
use muster_tests::idp::TestIdp;
use muster_tests::{Backend, spawn_app_with, spawn_app_with_dist};

use super::{admin_issues_token, built_dist, click, fill, present};

/// Signs `login` in at the provider's own form (any password).
async fn at_provider(browser: &Browser, login: &str) {
    fill(browser, "input[name=login]", login).await;
    fill(browser, "input[name=password]", "any password").await;
    click(browser, "button[type=submit]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_with_the_provider_get_their_roles_and_sign_out_there_too() {
    let mut idp = None;
    let app = spawn_app_with(Backend::Sqlite, async |address| {
        let started = TestIdp::start(address).await;
        let settings = Settings {
            dist: built_dist(),
            ..started.settings(address, PasswordSignIn::Admins)
        };
        idp = Some(started);
        settings
    })
    .await;
    let idp = idp.unwrap();
    let browser = Browser::start().await;

    // The provider first; passwords folded away for break-glass admins.
    browser.goto(&app.url("/inventory")).await;
    browser
        .wait_for_text("[data-testid=sign-in-provider]", "Sign in with Test IdP")
        .await;
    browser
        .wait_for_text("details.break-glass summary", "Admins: sign in with a password")
        .await;
    let email = browser.wait_for("[data-testid=sign-in] input[name=email]").await;
    assert!(
        !email.is_displayed().await.unwrap(),
        "the password form is folded away"
    );
    browser.screenshot("oidc-sign-in").await;

    // Alice signs in at the provider and comes back where she was going,
    // with the roles her groups give.
    let href = browser
        .wait_for("[data-testid=sign-in-provider]")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(href, "/api/v1/session/oidc/start?return_to=%2Finventory");
    click(&browser, "[data-testid=sign-in-provider]").await;
    at_provider(&browser, "alice").await;
    browser
        .wait_for_text("[data-testid=user]", "alice@example.test")
        .await;
    browser
        .wait_for_text("[data-testid=roles]", "Admin, Viewer")
        .await;
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

    // Signing out ends the provider's session too, and comes back to Muster.
    click(&browser, "[data-testid=sign-out]").await;
    browser
        .wait_for_text("button[name=logout]", "Yes, sign me out")
        .await;
    browser.screenshot("oidc-provider-sign-out").await;
    click(&browser, "button[name=logout]").await;
    browser.wait_for("[data-testid=sign-in-provider]").await;
    assert_eq!(
        browser.client().current_url().await.unwrap().as_str(),
        app.url("/"),
        "back at Muster's front page"
    );
    // The provider asks who is signing in again: its session ended.
    click(&browser, "[data-testid=sign-in-provider]").await;
    browser.wait_for("input[name=login]").await;

    // Sam's groups give no role: refused, and told why.
    at_provider(&browser, "sam").await;
    browser
        .wait_for_text(
            "[data-testid=sign-in-refusal]",
            "None of your groups at Test IdP gives a role",
        )
        .await;
    assert!(!present(&browser, "[data-testid=user]").await);
    browser.screenshot("oidc-refused-no-role").await;

    // A sign-in's callback, replayed (here in another browser than the
    // one that started it): refused, and told why.
    let (back, _) = idp.sign_in(&app.address, "vera").await;
    browser.goto(back.url().as_str()).await;
    browser
        .wait_for_text("[data-testid=sign-in-refusal]", "That sign-in was used already")
        .await;
    assert!(!present(&browser, "[data-testid=user]").await);
    browser.screenshot("oidc-refused-state").await;
    // The provider's own pages ask for a web font (refused: loopback only)
    // and a favicon; Muster's pages have no console error.
    browser
        .assert_no_console_errors_but(&[&idp.issuer, "fonts.googleapis.com"])
        .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_makes_a_scim_token_and_a_person_switched_off_with_it_leaves_their_credentials_orphaned() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    let (browser, secret) = admin_issues_token(&app, "scim", "Okta provisioning").await;
    assert!(secret.starts_with("msc_"), "{secret}");

    // The provider pushes a person with the token, who owns a credential,
    // then switches them off.
    let scim = reqwest::Client::new();
    let user: serde_json::Value = scim
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&secret)
        .header("content-type", "application/scim+json")
        .body(
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "pat@example.com", "displayName": "Pat Leaver", "active": true,
                "emails": [{"value": "pat@example.com", "type": "work", "primary": true}],
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id: i64 = user["id"].as_str().unwrap().parse().unwrap();
    app.insert(&format!(
        "INSERT INTO credential (name, kind, provider, external_id, created_at, status, owner_id, fingerprint) \
         VALUES ('pat-openai-key', 'api_key', 'openai', 'k-pat', '2026-01-01T00:00:00Z', 'active', {id}, 'f-pat')"
    ))
    .await;
    let off = scim
        .patch(app.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(&secret)
        .header("content-type", "application/scim+json")
        .body(r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), 200);

    // Nobody touched Muster: the person's page says they left and their key is orphaned.
    browser.goto(&app.url(&format!("/inventory/people/{id}"))).await;
    browser
        .wait_for_text("[data-testid=person-page]", "Everything they own is orphaned")
        .await;
    browser
        .wait_for_text("[data-testid=owned-credentials]", "pat-openai-key")
        .await;
    browser.screenshot("scim-person-departed").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}
