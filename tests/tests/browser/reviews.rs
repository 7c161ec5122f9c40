//! A CISO starts a quarterly review on the Reviews screen; an owner follows
//! the link in her email to her items and keeps 200 of them in one go; the
//! agent's page shows it attested; the CISO downloads the signed evidence
//! pack, whose report is opened and looked at, and which `muster evidence
//! verify` accepts. Reviewers reduce, revoke and reassign from the screen
//! their email opens.

use std::io::Read as _;

use muster_tests::TEST_PASSWORD;
use muster_tests::browser::Browser;
use muster_tests::notify::{SmtpServer, eventually};
use muster_tests::reviews::{ci_keys, org};

use super::{click, fill, mailing_app, scroll_to, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ciso_runs_a_review_an_owner_finishes_it_and_the_auditor_gets_a_signed_pack() {
    let smtp = SmtpServer::start().await;
    let app = mailing_app(&smtp).await;
    let o = org(&app).await;
    ci_keys(&app, o.olga_id, 200).await;

    // The CISO starts it.
    let cleo = Browser::start().await;
    cleo.goto(&app.url("/reviews")).await;
    sign_in(&cleo, "cleo@muster.test", TEST_PASSWORD).await;
    cleo.wait_for("[data-testid=reviews-empty]").await;
    fill(&cleo, "input[name=review-name]", "Q1 2027 access review").await;
    cleo.wait_for("[data-testid=review-repeat]")
        .await
        .select_by_value("quarterly")
        .await
        .unwrap();
    click(&cleo, "[data-testid=start-review-submit]").await;
    cleo.wait_for("[data-testid=review-page]").await;
    cleo.wait_for_text("main h1", "Q1 2027 access review").await;
    cleo.wait_for_text("[data-testid=review-total]", "204").await;
    cleo.wait_for_text(
        "[data-testid=review-next-cycle]",
        "Every quarter: the next cycle starts on",
    )
    .await;
    let url = cleo.client().current_url().await.unwrap();
    let campaign: i64 = url.path().rsplit('/').next().unwrap().parse().unwrap();
    cleo.screenshot("reviews-campaign-started").await;

    // The owner follows her email's link, selects everything open on the
    // page (riskiest first, 200 rows) and keeps it with one reason.
    let link = emailed_link(&smtp, "olga@muster.test").await;
    assert_eq!(link, app.url(&format!("/reviews/{campaign}?mine=true")));
    let olga = Browser::start().await;
    olga.goto(&link).await;
    sign_in(&olga, "olga@muster.test", TEST_PASSWORD).await;
    olga.wait_for("tr[data-testid=review-item]").await;
    olga.wait_for_text("[data-testid=select-all-open]", "(200)").await;
    olga.screenshot("reviews-my-items").await;
    click(&olga, "[data-testid=select-all-open]").await;
    olga.wait_for_text("[data-testid=review-selected]", "200").await;
    fill(
        &olga,
        "textarea[data-testid=review-reason]",
        "CI and release keys, still needed",
    )
    .await;
    click(&olga, "[data-testid=decide-selected]").await;
    olga.wait_for_text("[data-testid=decided-count]", "200").await;
    scroll_to(&olga, "[data-testid=review-page]", "start").await;
    olga.screenshot("reviews-200-kept").await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM review_item WHERE decision = 'keep' AND decided_by = 'olga@muster.test'"
        )
        .await,
        200
    );
    // She finishes: what is still open, in one more go.
    click(&olga, "[data-testid=filter-open]").await;
    olga.wait_for_text("[data-testid=select-all-open]", "(2)").await;
    click(&olga, "[data-testid=select-all-open]").await;
    fill(
        &olga,
        "textarea[data-testid=review-reason]",
        "Release bot and its key, both in use",
    )
    .await;
    click(&olga, "[data-testid=decide-selected]").await;
    olga.wait_for("[data-testid=review-items-empty]").await;
    olga.assert_no_console_errors().await;

    // Her manager decides the unowned and the leaver's keys (his own review).
    let open: Vec<i64> = sqlx::query_scalar("SELECT id FROM review_item WHERE decision IS NULL ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(open.len(), 2, "Max's two");
    let decided = o
        .max
        .post(app.url(&format!("/api/v1/reviews/{campaign}/decisions")))
        .json(&serde_json::json!({ "items": open, "decision": "keep", "reason": "read-only keys" }))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 200);

    // The CISO sees it finished.
    cleo.goto(&app.url(&format!("/reviews/{campaign}"))).await;
    cleo.wait_for_text("[data-testid=review-answer]", "All 204 items decided.")
        .await;
    cleo.screenshot("reviews-progress").await;
    // Stopping the repetition is asked twice.
    click(&cleo, "[data-testid=stop-repeating]").await;
    click(&cleo, "[data-testid=stop-repeating-confirm]").await;
    cleo.wait_for_text("[data-testid=review-repeats]", "until it was stopped")
        .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM review_campaign WHERE next_start_at IS NOT NULL")
            .await,
        0
    );

    // An attested item says so on its page.
    let kept: (String, i64) = sqlx::query_as(
        "SELECT kind, subject_id FROM review_item WHERE decision = 'keep' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let page = if kept.0 == "agent" {
        "agents"
    } else {
        "credentials"
    };
    cleo.goto(&app.url(&format!("/inventory/{page}/{}", kept.1)))
        .await;
    cleo.wait_for_text("[data-testid=last-attested]", "olga@muster.test")
        .await;

    // The evidence pack: downloaded, verified, its report looked at.
    cleo.goto(&app.url("/reviews")).await;
    cleo.wait_for("[data-testid=evidence-public-key]").await;
    let key = cleo
        .wait_for("[data-testid=evidence-public-key]")
        .await
        .text()
        .await
        .unwrap();
    scroll_to(&cleo, "[data-testid=evidence]", "center").await;
    cleo.screenshot("reviews-list-and-evidence").await;
    click(&cleo, "[data-testid=evidence-download]").await;
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(90);
    let pack = cleo
        .downloaded(&format!(
            "muster-evidence-{}-{}.zip",
            from.format("%Y%m%d"),
            today.format("%Y%m%d")
        ))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pack.zip");
    std::fs::write(&path, &pack).unwrap();
    let verified = std::process::Command::new(muster_tests::muster_binary())
        .args(["evidence", "verify"])
        .arg(&path)
        .args(["--key", key.trim()])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(pack)).unwrap();
    let mut report = String::new();
    zip.by_name("report.html")
        .unwrap()
        .read_to_string(&mut report)
        .unwrap();
    let report_path = dir.path().join("report.html");
    std::fs::write(&report_path, &report).unwrap();
    let auditor = Browser::start().await;
    auditor.goto(&format!("file://{}", report_path.display())).await;
    auditor.wait_for_text("h1", "Evidence of AI agents").await;
    auditor.wait_for_text("table", "CC6.1").await;
    auditor.screenshot("evidence-report-controls").await;
    scroll_to(&auditor, "#reviews", "start").await;
    auditor.wait_for_text("#reviews", "Q1 2027 access review").await;
    auditor.screenshot("evidence-report-reviews").await;
}

/// The link in the one email `to` was sent, once it has come.
async fn emailed_link(smtp: &SmtpServer, to: &str) -> String {
    assert!(
        eventually(10, || smtp.mails_to(to).len() == 1).await,
        "{to} is told once: {:?}",
        smtp.mails()
    );
    smtp.mails_to(to)[0].link().expect("a link in the email")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviewers_reduce_revoke_and_reassign_from_the_screen_their_email_opens() {
    let smtp = SmtpServer::start().await;
    let app = mailing_app(&smtp).await;
    let o = org(&app).await;
    let due = chrono::Utc::now() + chrono::Duration::days(14);
    let response = o
        .cleo
        .post(app.url("/api/v1/reviews"))
        .json(&serde_json::json!({ "name": "Q1 2027 access review", "scope": "all", "due_at": due }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    // The owner reduces her deploy key: the scope goes through a change request.
    let olga = Browser::start().await;
    olga.goto(&emailed_link(&smtp, "olga@muster.test").await).await;
    sign_in(&olga, "olga@muster.test", TEST_PASSWORD).await;
    olga.wait_for_text("[data-testid=review-count]", "of 2").await;
    click(&olga, "tr[data-item] [data-testid=reduce-item]").await;
    click(&olga, "[data-testid=reduce-dialog] input[value='iam:PassRole']").await;
    fill(&olga, "[data-testid=reduce-reason]", "Deploys never pass roles").await;
    olga.wait_for_text("[data-testid=reduce-submit]", "Remove 1 scope")
        .await;
    scroll_to(&olga, "[data-testid=reduce-dialog]", "center").await;
    olga.screenshot("reviews-reduce").await;
    click(&olga, "[data-testid=reduce-submit]").await;
    olga.wait_for_text("tr[data-decision=reduce]", "change request")
        .await;
    olga.assert_no_console_errors().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM approval_request WHERE operation = 'muster:remove_scope'")
            .await,
        1
    );

    // The manager revokes the leaver's key and gives the unowned one to Olga.
    let max = Browser::start().await;
    max.goto(&emailed_link(&smtp, "max@muster.test").await).await;
    sign_in(&max, "max@muster.test", TEST_PASSWORD).await;
    max.wait_for_text("[data-testid=review-count]", "of 2").await;
    click(&max, "input[aria-label='Select old-key']").await;
    click(&max, "[data-testid=decision-revoke]").await;
    fill(&max, "[data-testid=review-reason]", "Del left; nothing uses it").await;
    click(&max, "[data-testid=decide-selected]").await;
    max.wait_for_text("tr[data-decision=revoke]", "revocation").await;
    click(&max, "input[aria-label='Select orphan-key']").await;
    click(&max, "[data-testid=decision-reassign]").await;
    fill(&max, "input[name=reassign-search]", "Olga").await;
    max.wait_for_text("[data-testid=reassign-owner]", "Olga Owner")
        .await;
    fill(
        &max,
        "[data-testid=review-reason]",
        "Olga's team reads that bucket",
    )
    .await;
    scroll_to(&max, "[data-testid=review-bulk]", "center").await;
    max.screenshot("reviews-reassign").await;
    click(&max, "[data-testid=decide-selected]").await;
    max.wait_for("tr[data-decision=reassign]").await;
    max.screenshot("reviews-manager-decided").await;
    max.assert_no_console_errors().await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM revocation WHERE credential_id = {}",
            o.old_key
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT owner_id FROM credential WHERE id = {}",
            o.orphan_key
        ))
        .await,
        o.olga_id
    );
}
