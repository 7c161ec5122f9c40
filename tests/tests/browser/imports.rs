//! An admin imports a gitleaks report and a CloudTrail log on the Imports
//! screen, sees what each changed and the imports so far, and finds the
//! behaviour findings on the credential's page.

use model::api::Role;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist, workspace_root};

use super::{built_dist, click, fill, scroll_to, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_uploads_reports_and_logs_and_sees_what_they_changed() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/imports")).await;
    sign_in(&browser, "admin@muster.test", TEST_PASSWORD).await;
    browser.wait_for_text("main h1", "Imports").await;
    browser
        .wait_for_text("[data-testid=imports-empty]", "No imports yet")
        .await;

    // A gitleaks report, through the form.
    let fixtures = workspace_root().join("tests/fixtures");
    fill(
        &browser,
        "[data-testid=import-form] input[name=source]",
        "acme/app",
    )
    .await;
    let report = fixtures.join("gitleaks/report.json");
    fill(
        &browser,
        "[data-testid=import-form] input[type=file]",
        report.to_str().unwrap(),
    )
    .await;
    click(&browser, "[data-testid=import-form] button[type=submit]").await;
    let summary = browser
        .wait_for_text("[data-testid=import-summary]", "Imported gitleaks as import #1")
        .await;
    assert!(summary.contains("gitleaks:acme/app"), "{summary}");
    assert!(
        summary.contains("3\nnew credentials, without an owner"),
        "{summary}"
    );
    browser
        .wait_for_text("[data-testid=imports-table]", "gitleaks:acme/app")
        .await;

    // Eight days of CloudTrail through the API, the ninth through the form:
    // its findings stand out against the baseline the first eight taught.
    let logs = muster_server::import::files_under(&fixtures.join("cloudtrail/AWSLogs")).unwrap();
    let (last, baseline) = logs.split_last().unwrap();
    for file in baseline {
        let response = admin
            .post(app.url("/api/v1/imports/cloudtrail"))
            .body(std::fs::read(file).unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    click(
        &browser,
        "[data-testid=import-form] input[name=kind][value=cloudtrail]",
    )
    .await;
    browser
        .wait_for_text("[data-testid=kind-help]", "CloudTrail log file")
        .await;
    fill(
        &browser,
        "[data-testid=import-form] input[type=file]",
        last.to_str().unwrap(),
    )
    .await;
    click(&browser, "[data-testid=import-form] button[type=submit]").await;
    let summary = browser
        .wait_for_text("[data-testid=import-summary]", "Imported CloudTrail")
        .await;
    assert!(summary.contains("4\nbehaviour findings raised"), "{summary}");
    assert!(
        summary.contains("AKIAUNKNOWNFIXTURE01, ASIAUNKNOWNFIXTURE02"),
        "{summary}"
    );
    browser
        .wait_for_text("[data-testid=imports-table]", "4 behaviour findings")
        .await;
    browser.screenshot("imports").await;

    // A bad log: nothing imported, and the screen says where. Chromium logs
    // the 422 answer as a console error: that one, and only that one, is expected.
    browser.assert_no_console_errors().await;
    let bad = fixtures.join("cloudtrail/bad/wrong-type.json");
    fill(
        &browser,
        "[data-testid=import-form] input[type=file]",
        bad.to_str().unwrap(),
    )
    .await;
    click(&browser, "[data-testid=import-form] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=import-failed]", "record 2")
        .await;
    browser.screenshot("imports-refused").await;
    let errors = browser.console_errors().await;
    assert!(
        errors.len() == 1 && errors[0].contains("status of 422"),
        "{errors:?}"
    );

    // The credential's page shows its behaviour.
    let key = app
        .count("SELECT id FROM credential WHERE external_id = 'AKIAMUSTERFIXTURE001'")
        .await;
    browser
        .goto(&app.url(&format!("/inventory/credentials/{key}")))
        .await;
    let behaviour = browser
        .wait_for_text("[data-testid=behaviour]", "Behaviour: 4 findings")
        .await;
    for expected in [
        "Rate spike",
        "198.51.100.0/24",
        "arn:aws:s3:::acme-payroll",
        "Human use",
        "10.20.30.0/24",
    ] {
        assert!(behaviour.contains(expected), "{expected} in {behaviour}");
    }
    scroll_to(&browser, "[data-testid=behaviour]", "start").await;
    browser.screenshot("credential-behaviour").await;
    browser.goto(&app.url("/")).await;
    browser.wait_for("[data-testid=cards]").await;
    if super::present(&browser, "[data-testid=unusual-behaviour]").await {
        // The fixture's events weigh for 30 days: until 10 December 2026.
        scroll_to(&browser, "[data-testid=unusual-behaviour]", "start").await;
    }
    browser.screenshot("overview-behaviour").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}
