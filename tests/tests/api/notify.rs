//! Notifications, against real receivers on loopback (an SMTP server, a
//! chat webhook): an approver hears of a request once, by email and in
//! Slack, with a link to it; the owner hears of the decision; a leaver's
//! manager gets the orphan list; an owner hears of what was given them;
//! preferences (each, digest, off) are honoured; nothing is sent twice
//! across a restart mid-delivery and a second replica; no message carries a
//! secret; channels keep their URLs to themselves; dead letters can be
//! retried; a rule's channel hears of its requests.

use std::time::Duration;

use model::api::{self as json, Role};
use muster_server::clock::Clock;
use muster_tests::notify::{
    self, ChatReceiver, SmtpServer, ask, eventually, notifying_app, people, settings, until,
};
use muster_tests::webhook::SECRET;
use muster_tests::{Backend, TestApp, on_every_backend};
use serde_json::{Value, json};

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn add_channel(app: &TestApp, admin: &reqwest::Client, body: Value) -> (u16, Value) {
    send(
        admin,
        reqwest::Method::POST,
        app.url("/api/v1/notification-channels"),
        Some(body),
    )
    .await
}

/// Nothing that was sent holds a secret, a token, a fingerprint or the
/// request's parameters.
fn assert_no_secret(sent: &[String], token: &str) {
    for text in sent {
        for secret in [
            "fp-5ecret-f1ngerprint",
            "hunter2-never-mailed",
            "s3cret-smtp",
            "XXXX",
            token,
        ] {
            assert!(!text.contains(secret), "a message carries {secret:?}: {text}");
        }
    }
}

async fn an_approver_hears_of_a_request_once_by_email_and_in_slack_and_the_owner_of_its_decision(
    backend: Backend,
) {
    let smtp = SmtpServer::start().await;
    let slack = ChatReceiver::start().await;
    let app = notifying_app(backend, &smtp).await;
    let p = people(&app).await;
    let (status, body) = add_channel(
        &app,
        &p.admin,
        json!({ "name": "#approvals", "kind": "slack", "url": slack.url, "events": ["approval.requested"] }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        !body.to_string().contains(&slack.url),
        "the URL is write-only: {body}"
    );

    // An approver who has left is told nothing, though their account stands.
    app.insert("INSERT INTO person (name, email, status) VALUES ('Del Left', 'del@muster.test', 'active')")
        .await;
    app.signed_in_as("del@muster.test", &[Role::Approver]).await;
    app.execute(
        "UPDATE account SET person_id = (SELECT id FROM person WHERE email = 'del@muster.test') \
         WHERE email = 'del@muster.test'",
    )
    .await;
    app.execute("UPDATE person SET status = 'departed' WHERE email = 'del@muster.test'")
        .await;

    let id = ask(&app, &p.bot, "k1").await;
    let link = format!("{}/approvals?request={id}", app.address);
    assert!(
        eventually(10, || smtp.mails().len() >= 2 && !slack.posted().is_empty()).await,
        "the approvers and the channel are told within seconds: {:?}",
        smtp.mails()
    );
    // Give a duplicate every chance to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for approver in ["ann@muster.test", "ben@muster.test"] {
        let mails = smtp.mails_to(approver);
        assert_eq!(mails.len(), 1, "{approver} is told once");
        let mail = &mails[0];
        assert_eq!(mail.from, "muster@muster.test");
        assert!(
            mail.subject
                .contains("release-bot asks to db:export on orders-db"),
            "{}",
            mail.subject
        );
        assert!(mail.text.contains(&link), "{}", mail.text);
        assert!(mail.html.contains(&format!("href=\"{link}\"")), "{}", mail.html);
        assert!(mail.text.contains("You hold the Approver role"), "{}", mail.text);
    }
    // The owner is a party: never asked to decide. A CISO holds no approver role.
    assert!(smtp.mails_to("olga@muster.test").is_empty());
    assert!(smtp.mails_to("cleo@muster.test").is_empty());
    assert!(
        smtp.mails_to("del@muster.test").is_empty(),
        "a leaver is not asked"
    );
    assert_eq!(slack.posted().len(), 1, "the channel is told once");
    let posted = &slack.posted()[0].body;
    assert_eq!(posted["blocks"][0]["type"], "header");
    assert_eq!(posted["blocks"][2]["elements"][0]["url"], link);
    assert!(smtp.logins().iter().all(|l| l == "muster:s3cret-smtp") && !smtp.logins().is_empty());

    let (status, body) = send(
        &p.ann,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/approvals/{id}/decision")),
        Some(json!({ "verdict": "approve", "comment": "" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Restricted data needs a second approver (a seeded rule).
    assert_eq!(body["summary"]["state"], "pending", "{body}");
    let (status, body) = send(
        &p.ben,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/approvals/{id}/decision")),
        Some(json!({ "verdict": "approve", "comment": "" })),
    )
    .await;
    assert_eq!(
        (status, &body["summary"]["state"]),
        (200, &json!("approved")),
        "{body}"
    );
    assert!(
        eventually(10, || smtp.mails_to("olga@muster.test").len() == 1).await,
        "the owner hears of the decision"
    );
    let decided = &smtp.mails_to("olga@muster.test")[0];
    assert!(decided.subject.contains("was approved"), "{}", decided.subject);
    assert!(
        decided.text.contains("ann@muster.test") && decided.text.contains("ben@muster.test"),
        "{}",
        decided.text
    );
    assert!(
        decided.text.contains("You own agent release-bot"),
        "{}",
        decided.text
    );
    assert_eq!(
        slack.posted().len(),
        1,
        "the channel hears only what it listens to"
    );

    let token = app.agent_token(&p.admin, p.agent).await;
    let mut sent: Vec<String> = smtp.mails().into_iter().map(|m| m.raw).collect();
    sent.extend(slack.posted().into_iter().map(|p| p.raw));
    assert_no_secret(&sent, &token);
    let ids: std::collections::HashSet<String> = smtp.mails().into_iter().map(|m| m.message_id).collect();
    assert_eq!(ids.len(), smtp.mails().len(), "each message has an id of its own");
}

async fn a_leavers_manager_gets_the_orphan_list_and_a_new_owner_hears_of_what_is_theirs(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = notifying_app(backend, &smtp).await;
    let p = people(&app).await;
    let (status, body) = send(
        &p.admin,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/people/{}/depart", p.owner)),
        Some(json!({ "reason": "left on Friday" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        eventually(10, || smtp.mails_to("max@muster.test").len() == 1).await,
        "the manager hears of the orphans"
    );
    let mail = &smtp.mails_to("max@muster.test")[0];
    assert!(
        mail.subject
            .contains("Olga Owner left: 1 agents and 1 credentials"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("agent: release-bot") && mail.text.contains("credential: deploy-key"));
    assert!(
        mail.text.contains(&format!("{}/teams", app.address)),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Olga Owner reported to you"), "{}", mail.text);

    let ann = app
        .insert(
            "INSERT INTO person (name, email, status) VALUES ('Ann Approver', 'ann@muster.test', 'active')",
        )
        .await;
    let (status, body) = send(
        &p.admin,
        reqwest::Method::POST,
        app.url("/api/v1/ownership/assign"),
        Some(json!({ "kind": "credential", "ids": [p.credential], "owner": ann, "reason": "Ann runs deploys now" })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        eventually(10, || smtp.mails_to("ann@muster.test").len() == 1).await,
        "the new owner hears of it"
    );
    let mail = &smtp.mails_to("ann@muster.test")[0];
    assert!(
        mail.subject.contains("Credential deploy-key is now yours"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text
            .contains(&format!("{}/inventory/credentials/{}", app.address, p.credential)),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("admin@muster.test made you the owner"),
        "{}",
        mail.text
    );
}

/// A server whose scheduled work runs on a clock set by hand, once its
/// start-up run of `job` (the day's digests, the week's summaries) is done.
async fn scheduled_app(backend: Backend, smtp: &SmtpServer, job: &str) -> (TestApp, Clock) {
    let (app, clock) = notify::scheduled_app(backend, smtp).await;
    let done = format!("SELECT COUNT(*) FROM scheduled_run WHERE job = '{job}' AND done_at IS NOT NULL");
    assert!(
        until(10, async || app.count(&done).await == 1).await,
        "{job} ran at start-up"
    );
    (app, clock)
}

async fn preferences_decide_whether_a_person_hears_at_once_in_a_daily_digest_or_not_at_all(backend: Backend) {
    let smtp = SmtpServer::start().await;
    // Today's digests go out at start-up, before anything is held.
    let (app, clock) = scheduled_app(backend, &smtp, "notify.digest").await;
    let p = people(&app).await;
    let prefs: json::Preferences = p
        .ann
        .get(app.url("/api/v1/notifications/preferences"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prefs.email, "ann@muster.test");
    assert!(prefs.email_enabled);
    assert_eq!(prefs.events.len(), json::NotifyEvent::ALL.len());
    assert!(
        prefs
            .events
            .iter()
            .all(|e| e.delivery == json::NotifyDelivery::Each)
    );
    let choose =
        |delivery: &str| json!({ "events": [{ "event": "approval.requested", "delivery": delivery }] });
    let (status, body) = send(
        &p.ann,
        reqwest::Method::PUT,
        app.url("/api/v1/notifications/preferences"),
        Some(choose("off")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = send(
        &p.ben,
        reqwest::Method::PUT,
        app.url("/api/v1/notifications/preferences"),
        Some(choose("digest")),
    )
    .await;
    assert_eq!(status, 200);
    for bad in [
        json!({ "events": [{ "event": "approval.asked", "delivery": "off" }] }),
        json!({ "events": [{ "event": "approval.requested", "delivery": "sometimes" }] }),
        json!({ "events": [] }),
    ] {
        let (status, body) = send(
            &p.ben,
            reqwest::Method::PUT,
            app.url("/api/v1/notifications/preferences"),
            Some(bad),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(body["error"]["message"].is_string());
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'notification.preferences'")
            .await,
        2
    );

    let id = ask(&app, &p.bot, "k1").await;
    assert!(
        until(10, async || app
            .count("SELECT COUNT(*) FROM notification_digest")
            .await
            == 1)
        .await,
        "Ben's notice waits for his digest"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        smtp.mails().is_empty(),
        "nobody is mailed at once: {:?}",
        smtp.mails()
    );

    clock.advance(chrono::Duration::days(1));
    assert!(
        eventually(10, || smtp.mails_to("ben@muster.test").len() == 1).await,
        "the next day's digest reaches Ben"
    );
    let digest = &smtp.mails_to("ben@muster.test")[0];
    assert!(
        digest.subject.contains("1 things for you today"),
        "{}",
        digest.subject
    );
    assert!(
        digest
            .text
            .contains(&format!("{}/approvals?request={id}", app.address))
    );
    assert!(smtp.mails_to("ann@muster.test").is_empty(), "Ann asked for none");
    assert_eq!(app.count("SELECT COUNT(*) FROM notification_digest").await, 0);
}

async fn a_manager_hears_each_week_of_their_teams_unowned_and_critical_items(backend: Backend) {
    let smtp = SmtpServer::start().await;
    // This week's summaries go out at start-up, before Max is a manager.
    let (app, clock) = scheduled_app(backend, &smtp, "notify.weekly").await;
    let p = people(&app).await;
    app.signed_in_as("max@muster.test", &[Role::Manager]).await;
    app.execute(
        "UPDATE account SET person_id = (SELECT id FROM person WHERE email = 'max@muster.test') \
         WHERE email = 'max@muster.test'",
    )
    .await;
    let team = app
        .count("SELECT team_id FROM person WHERE email = 'max@muster.test'")
        .await;
    // An agent nobody owns, which Olga (of Platform) deployed: it counts against Platform.
    app.insert(&format!(
        "INSERT INTO agent (name, category, platform, environment, sanctioned, deployed_by_id, first_seen, \
         coverage_team_id) VALUES ('stray-bot', 'self_hosted', 'LangChain', 'prod', 1, {}, \
         '2026-01-01T00:00:00Z', {team})",
        p.owner
    ))
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        smtp.mails_to("max@muster.test").is_empty(),
        "nothing until the week turns"
    );

    clock.advance(chrono::Duration::days(7));
    assert!(
        eventually(10, || smtp.mails_to("max@muster.test").len() == 1).await,
        "the next week's summary reaches the manager"
    );
    let mail = &smtp.mails_to("max@muster.test")[0];
    // The day's recompute, which ran first, scored everything anew.
    let critical = app
        .count(&format!(
            "SELECT COUNT(*) FROM credential WHERE risk_score >= 75 AND status = 'active' AND coverage_team_id = {team}"
        ))
        .await;
    assert!(
        mail.subject.contains(&format!(
            "Platform this week: 1 without an owner, {critical} critical"
        )),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Agents without an owner: 1"), "{}", mail.text);
    assert!(
        mail.text.contains(&format!("{}/teams", app.address)),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("You manage Platform"), "{}", mail.text);
}

async fn nothing_is_sent_twice_across_a_restart_mid_delivery_and_a_second_replica(backend: Backend) {
    let smtp = SmtpServer::start().await;
    smtp.refuse(true);
    let mut app = notifying_app(backend, &smtp).await;
    let p = people(&app).await;
    let id = ask(&app, &p.bot, "k1").await;
    // Each approver's message is queued and has failed at least once.
    assert!(
        until(15, async || {
            app.count("SELECT COUNT(*) FROM outbox WHERE topic = 'notification' AND state = 'pending' AND attempts > 0")
                .await
                == 2
        })
        .await,
        "both messages wait to be retried"
    );
    let address = app.address.clone();
    app.restart(settings(&address, &smtp)).await;
    let replica = app.replica(settings(&address, &smtp)).await;
    smtp.refuse(false);
    assert!(
        eventually(20, || smtp.mails().len() >= 2).await,
        "the messages go out after the restart"
    );
    // The second replica raises the same event's fan-out again, if it can.
    let second = ask(&app, &p.bot, "k2").await;
    assert!(eventually(15, || smtp.mails().len() >= 4).await);
    tokio::time::sleep(Duration::from_secs(3)).await;
    for approver in ["ann@muster.test", "ben@muster.test"] {
        let subjects: Vec<String> = smtp
            .mails_to(approver)
            .into_iter()
            .map(|m| m.message_id)
            .collect();
        assert_eq!(
            subjects.len(),
            2,
            "{approver} is told of each request once: {subjects:?}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE topic = 'event'")
            .await,
        2,
        "one event for each request ({id}, {second})"
    );
    drop(replica);
}

async fn channels_keep_their_urls_to_themselves_and_refuse_bad_input(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let stream = ChatReceiver::start().await;
    let app = notifying_app(backend, &smtp).await;
    let p = people(&app).await;
    let bad = [
        json!({ "name": "x", "kind": "slack", "url": "ftp://example.com/x" }),
        json!({ "name": "x", "kind": "slack", "url": "not a url" }),
        json!({ "name": "", "kind": "slack", "url": stream.url }),
        json!({ "name": "x", "kind": "slack", "url": stream.url, "secret": SECRET }),
        json!({ "name": "x", "kind": "webhook", "url": stream.url, "secret": "whsec_short" }),
        json!({ "name": "x", "kind": "carrier-pigeon", "url": stream.url }),
        json!({ "name": "x", "kind": "teams", "url": "http://user:pw@127.0.0.1/x" }),
        json!({ "name": "x", "kind": "slack", "url": stream.url, "events": ["approval.whenever"] }),
    ];
    for body in bad {
        let (status, answer) = add_channel(&app, &p.admin, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert!(answer["error"]["message"].is_string());
    }
    let (status, _) = add_channel(
        &app,
        &p.ann,
        json!({ "name": "x", "kind": "slack", "url": stream.url }),
    )
    .await;
    assert_eq!(status, 403, "only admins add channels");

    // An event stream, signed with the secret Muster made and showed once.
    let (status, created) = add_channel(
        &app,
        &p.admin,
        json!({ "name": "automation", "kind": "webhook", "url": stream.url, "events": ["approval.requested"] }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let (status, _) = add_channel(
        &app,
        &p.admin,
        json!({ "name": "automation", "kind": "slack", "url": stream.url }),
    )
    .await;
    assert_eq!(status, 409, "names are unique");
    let listed = p
        .admin
        .get(app.url("/api/v1/notification-channels"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !listed.contains(&stream.url) && !listed.contains(&secret),
        "{listed}"
    );
    assert!(
        listed.contains("\"host\":\"127.0.0.1\"") && listed.contains("\"signed\":true"),
        "{listed}"
    );

    ask(&app, &p.bot, "k1").await;
    assert!(
        eventually(10, || stream.posted().len() == 1).await,
        "the stream hears of the request"
    );
    let posted = &stream.posted()[0];
    assert_eq!(posted.body["type"], "approval.requested");
    let config = muster_server::webhook::WebhookConfig::new(&stream.url, &secret).unwrap();
    let id = posted.webhook_id.clone().unwrap();
    let timestamp: i64 = posted.timestamp.clone().unwrap().parse().unwrap();
    assert_eq!(
        posted.signature.clone().unwrap(),
        config.signature(&id, timestamp, &posted.raw),
        "signed as Standard Webhooks says"
    );

    let channel = created["channel"]["id"].as_i64().unwrap();
    let (status, _) = send(
        &p.admin,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/notification-channels/{channel}/test")),
        None,
    )
    .await;
    assert_eq!(status, 202);
    assert!(
        eventually(10, || stream.posted().len() == 2).await,
        "the test message arrives"
    );
    let (status, _) = send(
        &p.admin,
        reqwest::Method::DELETE,
        app.url(&format!("/api/v1/notification-channels/{channel}")),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action LIKE 'notification_channel.%'")
            .await,
        2
    );
}

async fn a_dead_letter_is_shown_to_admins_and_can_be_retried(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let slack = ChatReceiver::start().await;
    slack.answer(404);
    let app = notifying_app(backend, &smtp).await;
    let p = people(&app).await;
    add_channel(
        &app,
        &p.admin,
        json!({ "name": "#gone", "kind": "slack", "url": slack.url }),
    )
    .await;
    ask(&app, &p.bot, "k1").await;
    let outbox = |query: &'static str| {
        let (app, admin) = (&app, &p.admin);
        async move {
            let response = admin
                .get(app.url(&format!("/api/v1/outbox{query}")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<json::OutboxStatus>().await.unwrap()
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let dead = loop {
        let status = outbox("?state=failed").await;
        if status.failed == 1 {
            break status.messages[0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a 404 is given up at once"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(dead.recipient, "#gone");
    assert_eq!(dead.topic, json::OutboxTopic::Notification);
    assert!(
        dead.last_error.as_deref().unwrap_or_default().contains("404"),
        "{dead:?}"
    );
    let (status, _) = send(&p.ann, reqwest::Method::GET, app.url("/api/v1/outbox"), None).await;
    assert_eq!(status, 403, "only admins see the outbox");

    slack.answer(200);
    let (status, body) = send(
        &p.admin,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/outbox/{}/retry", dead.id)),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        eventually(10, || slack.posted().len() == 1).await,
        "the retry is delivered"
    );
    let (status, _) = send(
        &p.admin,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/outbox/{}/retry", dead.id)),
        None,
    )
    .await;
    assert!(
        status == 409 || status == 200,
        "a message not dead is not retried ({status})"
    );
    assert_eq!(outbox("").await.failed, 0);
}

async fn a_rules_channel_hears_of_each_request_the_rule_decides(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let team_channel = ChatReceiver::start().await;
    let app = notifying_app(backend, &smtp).await;
    let p = people(&app).await;
    // The channel listens to nothing of its own accord.
    let (_, created) = add_channel(
        &app,
        &p.admin,
        json!({ "name": "#dba", "kind": "teams", "url": team_channel.url, "events": ["webhook.failing"] }),
    )
    .await;
    let channel = created["channel"]["id"].as_i64().unwrap();
    let rule = |channel: i64| {
        json!({ "name": "Exports need two", "operation": "db:export", "decision": "require", "approvals": 2,
                "channel": channel })
    };
    let (status, body) = send(
        &p.admin,
        reqwest::Method::POST,
        app.url("/api/v1/approval-rules"),
        Some(rule(999)),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = send(
        &p.admin,
        reqwest::Method::POST,
        app.url("/api/v1/approval-rules"),
        Some(rule(channel)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["channel"]["name"], "#dba");
    // First in order, before the seeded rules.
    let rule_id = body["id"].as_i64().unwrap();
    app.execute(&format!(
        "UPDATE approval_rule SET position = -1 WHERE id = {rule_id}"
    ))
    .await;

    ask(&app, &p.bot, "k1").await;
    assert!(
        eventually(10, || team_channel.posted().len() == 1).await,
        "the rule's channel hears of it"
    );
    let card = &team_channel.posted()[0].body;
    assert_eq!(card["attachments"][0]["content"]["type"], "AdaptiveCard");
    assert!(
        card.to_string().contains("Two different people must approve"),
        "a two-person rule says so: {card}"
    );
    assert!(eventually(10, || smtp.mails().len() == 2).await);
    let _ = p.agent;
}

async fn a_secret_that_ages_into_critical_tells_its_owner_after_the_daily_recompute(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let (app, clock) = scheduled_app(backend, &smtp, "notify.digest").await;
    let p = people(&app).await;
    // A static AWS key with a wildcard scope and no expiry, in CI, an .env
    // file and a repository, created 85 days ago: high, not yet critical.
    // Past 90 days it is neither rotated nor used: time alone moves it on.
    let created = clock.now() - chrono::Duration::days(85);
    let key = app
        .insert(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, created_at, status, owner_id, \
             fingerprint) VALUES ('ci-root-key', 'access_key', 'aws', 'AKIACIROOT', '*', '{}', 'active', {}, \
             'fp-ci-root')",
            created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            p.owner
        ))
        .await;
    for (kind, locator) in [
        ("ci_config", "github-actions://acme/api/secrets/AWS_KEY"),
        ("env_file", "laptop-7:~/api/.env"),
        ("repository_file", "git://acme/infra/deploy.sh"),
    ] {
        app.execute(&format!(
            "INSERT INTO credential_copy (credential_id, kind, locator, found_by, first_seen, last_seen, status) \
             VALUES ({key}, '{kind}', '{locator}', 'test', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'present')"
        ))
        .await;
    }
    let score = format!("SELECT risk_score FROM credential WHERE id = {key}");
    let recomputed = "SELECT COUNT(*) FROM scheduled_run WHERE job = 'risk.daily' AND done_at IS NOT NULL";
    clock.advance(chrono::Duration::days(1));
    assert!(
        until(10, async || app.count(recomputed).await == 1).await,
        "the next day's recompute"
    );
    let high = app.count(&score).await;
    assert!((50..75).contains(&high), "high, not critical: {high}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        !smtp
            .mails_to("olga@muster.test")
            .iter()
            .any(|m| m.subject.contains("turned critical")),
        "nothing while it is high"
    );

    clock.advance(chrono::Duration::days(10));
    assert!(
        eventually(10, || smtp
            .mails_to("olga@muster.test")
            .iter()
            .any(|m| m.subject.contains("ci-root-key turned critical")))
        .await,
        "the owner hears of it: {:?}",
        smtp.mails()
            .iter()
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    );
    assert!(app.count(&score).await >= 75);
    let mail = smtp
        .mails_to("olga@muster.test")
        .into_iter()
        .find(|m| m.subject.contains("ci-root-key"))
        .unwrap();
    assert!(
        mail.text.contains(&format!("/inventory/credentials/{key}")),
        "{}",
        mail.text
    );
    // Once: the next day's recompute finds it critical already.
    clock.advance(chrono::Duration::days(1));
    assert!(until(10, async || app.count(recomputed).await == 3).await);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE topic = 'event' AND event = 'risk.critical'")
            .await,
        1
    );
}

on_every_backend!(
    an_approver_hears_of_a_request_once_by_email_and_in_slack_and_the_owner_of_its_decision,
    a_leavers_manager_gets_the_orphan_list_and_a_new_owner_hears_of_what_is_theirs,
    preferences_decide_whether_a_person_hears_at_once_in_a_daily_digest_or_not_at_all,
    nothing_is_sent_twice_across_a_restart_mid_delivery_and_a_second_replica,
    channels_keep_their_urls_to_themselves_and_refuse_bad_input,
    a_dead_letter_is_shown_to_admins_and_can_be_retried,
    a_rules_channel_hears_of_each_request_the_rule_decides,
    a_manager_hears_each_week_of_their_teams_unowned_and_critical_items,
    a_secret_that_ages_into_critical_tells_its_owner_after_the_daily_recompute,
);
