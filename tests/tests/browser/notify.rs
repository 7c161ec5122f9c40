//! An admin adds the approvers' Slack channel on the Notifications screen;
//! an agent asks; the approver, who never opened Muster, follows the link in
//! the email straight to the request in the inbox and decides; the outbox
//! shows what was delivered. The approver chooses a digest for reminders.

use muster_tests::TEST_PASSWORD;
use muster_tests::browser::Browser;
use muster_tests::notify::{ChatReceiver, SmtpServer, ask, eventually, people};

use super::{click, fill, mailing_app, present, scroll_to, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_follows_the_emails_link_to_the_request_and_admins_see_the_outbox() {
    let smtp = SmtpServer::start().await;
    let slack = ChatReceiver::start().await;
    let app = mailing_app(&smtp).await;
    let p = people(&app).await;

    // The admin adds the approvers' room.
    let admin = Browser::start().await;
    admin.goto(&app.url("/notifications")).await;
    sign_in(&admin, "admin@muster.test", TEST_PASSWORD).await;
    admin.wait_for_text("main h1", "Notifications").await;
    admin.wait_for("[data-testid=no-channels]").await;
    fill(&admin, "[data-testid=channel-name]", "#approvals").await;
    fill(&admin, "[data-testid=channel-url]", &slack.url).await;
    click(&admin, "[data-testid=add-channel]").await;
    admin
        .wait_for_text("[data-channel='#approvals']", "127.0.0.1")
        .await;
    let listed = admin
        .wait_for("[data-testid=channels]")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !listed.contains(&slack.url),
        "the URL is never shown again: {listed}"
    );
    scroll_to(&admin, "[data-testid=channels]", "start").await;
    admin.screenshot("notifications-channels").await;

    // The agent asks; the approver's email links to the request.
    let id = ask(&app, &p.bot, "browser").await;
    assert!(
        eventually(10, || !smtp.mails_to("ann@muster.test").is_empty()
            && !slack.posted().is_empty())
        .await,
        "the approver and the room are told"
    );
    let mail = smtp.mails_to("ann@muster.test").remove(0);
    let link = mail.link().expect("a link in the email");
    assert_eq!(link, app.url(&format!("/approvals?request={id}")));

    let ann = Browser::start().await;
    ann.goto(&link).await;
    sign_in(&ann, "ann@muster.test", TEST_PASSWORD).await;
    ann.wait_for(&format!("[data-request='{id}'][aria-selected=true]"))
        .await;
    ann.wait_for_text("main", "db:export").await;
    ann.screenshot("notifications-link-to-request").await;

    // Ann would rather hear of reminders once a day.
    ann.goto(&app.url("/notifications")).await;
    ann.wait_for_text("[data-testid=what-you-hear]", "ann@muster.test")
        .await;
    let select = ann.wait_for("[data-testid='pref-approval.reminder']").await;
    select.select_by_value("digest").await.unwrap();
    click(&ann, "[data-testid=save-preferences]").await;
    ann.wait_for("[data-testid=preferences-saved]").await;
    ann.screenshot("notifications-preferences").await;
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM notification_preference WHERE email = 'ann@muster.test' \
             AND event = 'approval.reminder' AND delivery = 'digest'"
        )
        .await,
        1
    );
    assert!(
        !present(&ann, "[data-testid=outbox]").await,
        "an approver sees no outbox"
    );

    // The admin sees what was delivered.
    admin.goto(&app.url("/notifications")).await;
    admin.wait_for("[data-testid=outbox-delivered]").await;
    let delivered: i64 = admin
        .wait_for("[data-testid=outbox-delivered]")
        .await
        .text()
        .await
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(delivered >= 3, "the event and its messages: {delivered}");
    scroll_to(&admin, "[data-testid=outbox]", "start").await;
    admin.screenshot("notifications-outbox").await;
    admin.assert_no_console_errors().await;
    ann.assert_no_console_errors().await;
}
