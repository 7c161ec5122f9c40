//! Signing in with the organisation's identity provider: a real OpenID
//! Connect provider (`oidc-provider`, started on loopback by each test),
//! walked through over HTTP as a browser would.

use model::api::{self as json, PasswordSignIn, Role};
use muster_tests::idp::{TestIdp, location};
use muster_tests::{Backend, TEST_PASSWORD, TestApp, on_every_backend, spawn_app_with};

/// A Muster signing people in with a fresh provider; passwords for `passwords`.
async fn app_with_idp(backend: Backend, passwords: PasswordSignIn) -> (TestApp, TestIdp) {
    let mut idp = None;
    let app = spawn_app_with(backend, async |address| {
        let started = TestIdp::start(address).await;
        let settings = started.settings(address, passwords);
        idp = Some(started);
        settings
    })
    .await;
    (app, idp.unwrap())
}

/// The session a browser that came back from the provider now has.
async fn session_of(app: &TestApp, browser: &reqwest::Client) -> reqwest::Response {
    browser.get(app.url("/api/v1/session")).send().await.unwrap()
}

async fn the_first_sign_in_makes_an_account_whose_roles_come_from_the_groups(backend: Backend) {
    let (app, idp) = app_with_idp(backend, PasswordSignIn::Admins).await;

    let (back, browser) = idp.sign_in(&app.address, "alice").await;

    assert_eq!(back.status(), 303);
    assert_eq!(
        location(&back, &app.address),
        app.url("/agents"),
        "back where she was going"
    );
    let cookie = back
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-muster_session="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let session: json::Session = session_of(&app, &browser).await.json().await.unwrap();
    assert_eq!(session.email, "alice@example.test");
    assert_eq!(session.roles, vec![Role::Admin, Role::Viewer]);
    let sign_out = session
        .sign_out_url
        .expect("a provider session signs out there too");
    assert!(
        sign_out.starts_with(&format!("{}/session/end?", idp.issuer)),
        "{sign_out}"
    );
    assert!(sign_out.contains("client_id=muster"), "{sign_out}");
    assert!(sign_out.contains("post_logout_redirect_uri="), "{sign_out}");

    // No password: the account cannot sign in with one.
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM account WHERE email = 'alice@example.test'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(hash, "");
    assert_eq!(app.sign_in("alice@example.test", "").await.status(), 401);
    // A second sign-in finds the same account by subject.
    idp.sign_in(&app.address, "alice").await;
    let accounts = app
        .count("SELECT COUNT(*) FROM account WHERE oidc_subject = 'alice'")
        .await;
    assert_eq!(accounts, 1);
    let created = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action = 'account.create' AND details LIKE '%just_in_time%'")
        .await;
    assert_eq!(created, 1);
    let sign_ins = app
        .count("SELECT COUNT(*) FROM audit_event WHERE action = 'session.sign_in' AND details LIKE '%oidc%'")
        .await;
    assert_eq!(sign_ins, 2);
}

async fn a_person_whose_groups_give_no_role_is_refused_and_loses_the_roles_they_had(backend: Backend) {
    let (app, idp) = app_with_idp(backend, PasswordSignIn::All).await;
    // Sam had a local account and a session before the provider came.
    let before = app.signed_in_as("sam@example.test", &[Role::Viewer]).await;

    let (back, browser) = idp.sign_in(&app.address, "sam").await;

    assert_eq!(location(&back, &app.address), app.url("/?sign_in_error=no_role"));
    assert!(
        !back
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().contains("muster_session=")),
        "no session"
    );
    assert_eq!(session_of(&app, &browser).await.status(), 401);
    let roles: String = sqlx::query_scalar("SELECT roles FROM account WHERE email = 'sam@example.test'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(roles, "", "roles follow the provider");
    let old = before.get(app.url("/api/v1/session")).send().await.unwrap();
    assert_eq!(old.status(), 401, "the session he had ends at once");
    let refused = app
        .count(
            "SELECT COUNT(*) FROM audit_event WHERE action = 'session.sign_in_failed' AND details LIKE '%no_role%'",
        )
        .await;
    assert_eq!(refused, 1);
}

async fn an_entra_group_overage_is_unknown_and_refused_with_its_own_reason(backend: Backend) {
    let (app, idp) = app_with_idp(backend, PasswordSignIn::Admins).await;

    let (back, _) = idp.sign_in(&app.address, "olga").await;

    assert_eq!(
        location(&back, &app.address),
        app.url("/?sign_in_error=groups_unknown")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM account WHERE email = 'olga@example.test'")
            .await,
        0
    );
}

async fn a_replayed_or_foreign_state_is_refused(backend: Backend) {
    let (app, idp) = app_with_idp(backend, PasswordSignIn::Admins).await;
    // Capture the provider's redirect back to Muster without following it.
    let (back, browser) = idp.sign_in(&app.address, "vera").await;
    assert_eq!(back.status(), 303);
    let pending = app.count("SELECT COUNT(*) FROM oidc_login").await;
    assert_eq!(pending, 0, "a finished sign-in leaves nothing behind");
    let url = back.url().to_string();
    assert!(url.contains("/api/v1/session/oidc/callback?"), "{url}");

    // The same callback again, from the same browser: the state was used.
    let replayed = browser.get(&url).send().await.unwrap();
    assert_eq!(
        location(&replayed, &app.address),
        app.url("/?sign_in_error=state")
    );
    // A state that never was, and a callback without one.
    for path in [
        "/api/v1/session/oidc/callback?code=x&state=forged",
        "/api/v1/session/oidc/callback?error=access_denied",
    ] {
        let answer = app.anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            location(&answer, &app.address),
            app.url("/?sign_in_error=state"),
            "{path}"
        );
    }
    // A sign-in started in one browser cannot be finished in another: the
    // state is bound to the browser that started it.
    let start = browser
        .get(app.url("/api/v1/session/oidc/start"))
        .send()
        .await
        .unwrap();
    let at_provider = location(&start, &app.address);
    let state = at_provider
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_owned();
    let elsewhere = app
        .anonymous
        .get(app.url(&format!("/api/v1/session/oidc/callback?code=x&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&elsewhere, &app.address),
        app.url("/?sign_in_error=state")
    );
}

async fn a_person_is_linked_to_the_inventory_person_with_their_subject_before_their_email(backend: Backend) {
    let (app, idp) = app_with_idp(backend, PasswordSignIn::Admins).await;
    app.insert(
        "INSERT INTO person (name, email, status) VALUES ('Vera by email', 'vera@example.test', 'active')",
    )
    .await;
    let by_subject = app
        .insert(
            "INSERT INTO person (name, email, status, external_id) \
             VALUES ('Vera by subject', 'v.other@example.test', 'active', 'vera')",
        )
        .await;

    let (_, browser) = idp.sign_in(&app.address, "vera").await;

    let session: json::Session = session_of(&app, &browser).await.json().await.unwrap();
    assert_eq!(session.roles, vec![Role::Viewer]);
    assert_eq!(session.person.map(|p| p.id), Some(by_subject));
}

async fn local_passwords_can_be_kept_for_admins_or_switched_off(backend: Backend) {
    let (app, _idp) = app_with_idp(backend, PasswordSignIn::Admins).await;
    let options: json::SignInOptions = app.get_json("/api/v1/session/options").await;
    assert_eq!(options.provider.as_deref(), Some("Test IdP"));
    assert_eq!(options.passwords, PasswordSignIn::Admins);
    app.signed_in_as("root@muster.test", &[Role::Admin]).await;
    let hash = muster_server::auth::hash_password(TEST_PASSWORD);
    let mut conn = app.db.pool().acquire().await.unwrap();
    muster_server::db::accounts::create(
        &mut conn,
        "viewer2@muster.test",
        &hash,
        &[Role::Viewer],
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    drop(conn);
    let refused = app.sign_in("viewer2@muster.test", TEST_PASSWORD).await;
    assert_eq!(refused.status(), 403);
    let body: json::ErrorBody = refused.json().await.unwrap();
    assert!(
        body.error.message.contains("only admins"),
        "{}",
        body.error.message
    );
    // A wrong password still says only that.
    assert_eq!(
        app.sign_in("viewer2@muster.test", "wrong password")
            .await
            .status(),
        401
    );

    let (off, _idp) = app_with_idp(backend, PasswordSignIn::Off).await;
    let refused = off.sign_in("viewer@muster.test", TEST_PASSWORD).await;
    assert_eq!(refused.status(), 403);
}

async fn a_token_signed_with_a_rotated_key_is_checked_against_the_new_published_keys(backend: Backend) {
    let (app, mut idp) = app_with_idp(backend, PasswordSignIn::Admins).await;
    // Muster fetches (and keeps) the provider's keys at the first sign-in.
    let (first, _) = idp.sign_in(&app.address, "alice").await;
    assert_eq!(location(&first, &app.address), app.url("/agents"));

    idp.rotate_keys().await;
    let (after, browser) = idp.sign_in(&app.address, "vera").await;

    assert_eq!(
        location(&after, &app.address),
        app.url("/agents"),
        "the new key was fetched"
    );
    let session: json::Session = session_of(&app, &browser).await.json().await.unwrap();
    assert_eq!(session.email, "vera@example.test");
}

async fn a_provider_account_never_takes_over_a_local_admin_with_its_email(backend: Backend) {
    let (app, idp) = app_with_idp(backend, PasswordSignIn::Admins).await;
    let admin = app.signed_in_as("alice@example.test", &[Role::Admin]).await;

    let (back, _) = idp.sign_in(&app.address, "alice").await;

    assert_eq!(
        location(&back, &app.address),
        app.url("/?sign_in_error=local_account")
    );
    let (roles, subject): (String, Option<String>) =
        sqlx::query_as("SELECT roles, oidc_subject FROM account WHERE email = 'alice@example.test'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        (roles.as_str(), subject),
        ("admin", None),
        "the break-glass admin is untouched"
    );
    let still = admin.get(app.url("/api/v1/session")).send().await.unwrap();
    assert_eq!(still.status(), 200, "and keeps its session");
}

async fn starting_sign_ins_is_bounded_per_address(backend: Backend) {
    let (app, _idp) = app_with_idp(backend, PasswordSignIn::Admins).await;
    let start = app.url("/api/v1/session/oidc/start");
    for _ in 0..50 {
        let started = app.anonymous.get(&start).send().await.unwrap();
        assert_eq!(started.status(), 303);
    }
    let refused = app.anonymous.get(&start).send().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
}

on_every_backend!(
    a_provider_account_never_takes_over_a_local_admin_with_its_email,
    starting_sign_ins_is_bounded_per_address,
    a_token_signed_with_a_rotated_key_is_checked_against_the_new_published_keys,
    the_first_sign_in_makes_an_account_whose_roles_come_from_the_groups,
    a_person_whose_groups_give_no_role_is_refused_and_loses_the_roles_they_had,
    an_entra_group_overage_is_unknown_and_refused_with_its_own_reason,
    a_replayed_or_foreign_state_is_refused,
    a_person_is_linked_to_the_inventory_person_with_their_subject_before_their_email,
    local_passwords_can_be_kept_for_admins_or_switched_off,
);
