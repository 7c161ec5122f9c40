//! Access reviews and evidence packs: a CISO starts a campaign, owners and
//! managers see and decide only their items (keep, reduce through a change
//! request, revoke, reassign; in bulk), undecided items escalate after the
//! due date and weigh on risk, and the signed evidence pack holds the
//! period's records, which `muster evidence verify` checks (and refuses
//! once tampered with).

use std::io::{Read as _, Write as _};
use std::time::Duration;

use chrono::Utc;
use ed25519_dalek::Signer as _;
use model::api as json;
use muster_tests::notify::{SmtpServer, eventually, scheduled, scheduled_app, until};
use muster_tests::reviews::{ci_keys, org};
use muster_tests::{Backend, TestApp, on_every_backend, spawn_app};
use serde_json::{Value, json};
use sha2::Digest as _;

async fn post(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let response = client.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn start(
    app: &TestApp,
    client: &reqwest::Client,
    due_in_days: i64,
    now: chrono::DateTime<Utc>,
) -> json::Campaign {
    start_with(
        app,
        client,
        json!({ "name": "Q1 2027 access review", "scope": "all", "due_at": now + chrono::Duration::days(due_in_days) }),
    )
    .await
}

/// Starts the campaign `body` describes.
async fn start_with(app: &TestApp, client: &reqwest::Client, body: Value) -> json::Campaign {
    let (status, body) = post(client, app.url("/api/v1/reviews"), body).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn items(
    app: &TestApp,
    client: &reqwest::Client,
    campaign: i64,
    query: &str,
) -> json::Page<json::ReviewItem> {
    let response = client
        .get(app.url(&format!("/api/v1/reviews/{campaign}/items?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn item_of(page: &json::Page<json::ReviewItem>, name: &str) -> i64 {
    page.items
        .iter()
        .find(|i| i.subject.name == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
        .id
}

async fn decide(app: &TestApp, client: &reqwest::Client, campaign: i64, body: Value) -> (u16, Value) {
    post(
        client,
        app.url(&format!("/api/v1/reviews/{campaign}/decisions")),
        body,
    )
    .await
}

async fn a_campaign_goes_to_owners_and_managers_and_each_decision_does_what_it_says(backend: Backend) {
    let app = spawn_app(backend).await;
    let o = org(&app).await;
    // Only CISOs and admins start one; bad input is refused whole.
    let (status, _) = post(
        &app.client,
        app.url("/api/v1/reviews"),
        json!({"name": "x", "scope": "all", "due_at": Utc::now() + chrono::Duration::days(3)}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = post(
        &o.cleo,
        app.url("/api/v1/reviews"),
        json!({"name": "x", "scope": "all", "due_at": Utc::now() - chrono::Duration::days(1)}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let (status, _) = post(
        &o.cleo,
        app.url("/api/v1/reviews"),
        json!({"name": "x", "scope": "team", "due_at": Utc::now() + chrono::Duration::days(3)}),
    )
    .await;
    assert_eq!(status, 400, "the team scope needs a team");
    assert_eq!(app.count("SELECT COUNT(*) FROM review_campaign").await, 0);

    let campaign = start(&app, &o.cleo, 14, Utc::now()).await;
    assert_eq!(
        campaign.progress.items, 4,
        "release-bot and three active credentials"
    );
    assert_eq!(campaign.state, json::CampaignState::Open);

    // Each sees their own: Olga her two, Max (manager of Platform) all four, Ann none.
    let mine = items(&app, &o.olga, campaign.id, "mine=true").await;
    let names: Vec<&str> = mine.items.iter().map(|i| i.subject.name.as_str()).collect();
    assert_eq!(mine.total, 2, "{names:?}");
    assert!(mine.items.iter().all(|i| i.basis == json::ReviewerBasis::Owner));
    let maxs = items(&app, &o.max, campaign.id, "mine=true").await;
    assert_eq!(maxs.total, 2, "the unowned key and the leaver's");
    assert!(maxs.items.iter().all(|i| i.basis == json::ReviewerBasis::Manager));
    assert_eq!(
        items(&app, &o.max, campaign.id, "").await.total,
        4,
        "his team's items"
    );
    assert_eq!(items(&app, &o.ann, campaign.id, "").await.total, 0);
    assert_eq!(items(&app, &app.client, campaign.id, "").await.total, 0);
    let all = items(&app, &o.cleo, campaign.id, "").await;
    assert_eq!(all.total, 4);
    let deploy = all
        .items
        .iter()
        .find(|i| i.subject.id == o.deploy_key && i.kind == json::OwnedKind::Credential)
        .unwrap();
    assert_eq!(deploy.scopes, ["s3:*", "iam:PassRole"]);
    assert_eq!(deploy.reviewer.as_ref().map(|r| r.id), Some(o.olga_id));

    let bot = item_of(&mine, "release-bot");
    let deploy = item_of(&mine, "deploy-key");
    let orphan = item_of(&maxs, "orphan-key");
    let old = item_of(&maxs, "old-key");
    // Nobody decides another's item, nor an unknown one; a reason is needed.
    let keep = |ids: Vec<i64>| json!({ "items": ids, "decision": "keep", "reason": "ships every release" });
    let refused = [
        (&o.max, keep(vec![bot]), 403),
        (&o.ann, keep(vec![bot]), 403),
        (&o.olga, keep(vec![bot, 999_999]), 404),
        (&o.olga, keep(vec![]), 400),
        (
            &o.olga,
            json!({"items": [bot], "decision": "keep", "reason": " "}),
            400,
        ),
        (
            &o.olga,
            json!({"items": [bot], "decision": "sell", "reason": "x"}),
            400,
        ),
    ];
    for (who, body, status) in refused {
        assert_eq!(
            decide(&app, who, campaign.id, body.clone()).await.0,
            status,
            "{body}"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM review_item WHERE decision IS NOT NULL")
            .await,
        0
    );

    // Keep: attested, once.
    let (status, body) = decide(&app, &o.olga, campaign.id, keep(vec![bot])).await;
    assert_eq!((status, body["decided"].as_i64()), (200, Some(1)), "{body}");
    let (status, body) = decide(&app, &o.olga, campaign.id, keep(vec![bot])).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );
    let agent: json::AgentDetail = app
        .get_json_as(&o.olga, &format!("/api/v1/agents/{}", o.bot))
        .await;
    let attested = agent.last_attested.expect("attested");
    assert_eq!(
        (attested.by.as_str(), attested.decision),
        ("olga@muster.test", json::ReviewDecision::Keep)
    );
    assert_eq!(attested.campaign.id, campaign.id);

    // The owner of what another owner's agents use does not revoke it from a review.
    let other = app
        .insert(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen) \
         VALUES ('other-bot', 'self_hosted', 'LangChain', 'prod', 1, NULL, '2026-01-01T00:00:00Z')",
        )
        .await;
    let tool: i64 = app.count("SELECT MIN(tool_id) FROM tool_credential").await;
    app.execute(&format!(
        "INSERT INTO agent_tool (agent_id, tool_id) VALUES ({other}, {tool})"
    ))
    .await;
    let (status, body) = decide(
        &app,
        &o.olga,
        campaign.id,
        json!({"items": [deploy], "decision": "revoke", "reason": "x"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("other-bot"),
        "{body}"
    );
    app.execute(&format!("DELETE FROM agent_tool WHERE agent_id = {other}"))
        .await;

    // Reduce: a change request removes the scope once an approver approves it.
    let reduce = |scopes: Value| json!({ "items": [deploy], "decision": "reduce", "reason": "never passes roles", "scopes": scopes });
    assert_eq!(
        decide(&app, &o.olga, campaign.id, reduce(json!(["admin:*"])))
            .await
            .0,
        422
    );
    assert_eq!(decide(&app, &o.olga, campaign.id, reduce(json!([]))).await.0, 400);
    assert_eq!(
        decide(
            &app,
            &o.olga,
            campaign.id,
            json!({"items": [bot, deploy], "decision": "reduce", "reason": "x", "scopes": ["s3:*"]})
        )
        .await
        .0,
        409,
        "one was decided"
    );
    // A reduction the policy denies decides nothing, and its request goes
    // with the decision.
    let (status, body) = post(
        &o.admin,
        app.url("/api/v1/approval-rules"),
        json!({ "position": 0, "name": "No removals", "operation": "muster:remove_scope", "decision": "auto_deny" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let rule = body["id"].as_i64().unwrap();
    let (status, body) = decide(&app, &o.olga, campaign.id, reduce(json!(["iam:PassRole"]))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("denies removing"), "{body}");
    let asked: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_request WHERE operation = 'muster:remove_scope'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(asked, 0, "no change request is left without its decision");
    let response = o
        .admin
        .delete(app.url(&format!("/api/v1/approval-rules/{rule}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let (status, body) = decide(&app, &o.olga, campaign.id, reduce(json!(["iam:PassRole"]))).await;
    assert_eq!(status, 200, "{body}");
    let follow_up = body["follow_ups"][0].as_str().unwrap().to_owned();
    let request: i64 = follow_up.strip_prefix("approval:").unwrap().parse().unwrap();
    let (status, body) = post(
        &o.ann,
        app.url(&format!("/api/v1/approvals/{request}/decision")),
        json!({"verdict": "approve", "comment": "agreed"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let credential: json::CredentialDetail = app
        .get_json_as(&o.olga, &format!("/api/v1/credentials/{}", o.deploy_key))
        .await;
    assert_eq!(credential.scopes, ["s3:*"]);
    assert_eq!(
        credential.last_attested.map(|a| a.decision),
        Some(json::ReviewDecision::Reduce)
    );

    // Revoke: a revocation with its checklist. Reassign: a new owner, told.
    let (status, body) = decide(
        &app,
        &o.max,
        campaign.id,
        json!({"items": [orphan], "decision": "revoke", "reason": "nobody needs it"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["follow_ups"][0].as_str().unwrap().starts_with("revocation:"),
        "{body}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM revocation WHERE credential_id = {} AND state = 'requested'",
            o.orphan_key
        ))
        .await,
        1
    );
    assert_eq!(
        decide(
            &app,
            &o.max,
            campaign.id,
            json!({"items": [old], "decision": "reassign", "reason": "x"})
        )
        .await
        .0,
        400
    );
    let (status, body) = decide(
        &app,
        &o.max,
        campaign.id,
        json!({"items": [old], "decision": "reassign", "reason": "Olga runs it now", "new_owner": o.olga_id}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM credential WHERE id = {} AND owner_id = {}",
            o.old_key, o.olga_id
        ))
        .await,
        1
    );

    let detail: json::CampaignDetail = app
        .get_json_as(&o.cleo, &format!("/api/v1/reviews/{}", campaign.id))
        .await;
    let p = &detail.campaign.progress;
    assert_eq!(
        (p.items, p.decided, p.kept, p.reduced, p.revoked, p.reassigned),
        (4, 4, 1, 1, 1, 1)
    );
    assert_eq!(detail.teams.len(), 1);
    assert_eq!(
        detail.teams[0].who.as_ref().map(|t| t.name.as_str()),
        Some("Platform")
    );
    assert_eq!(detail.reviewers.len(), 2, "{:?}", detail.reviewers);
    // Olga's view of the list counts only what she sees.
    let listed: Vec<json::Campaign> = app.get_json_as(&o.olga, "/api/v1/reviews").await;
    assert_eq!(listed[0].progress.items, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'review.decide'")
            .await,
        4
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'review.start'")
            .await,
        1
    );
    // Closed, it takes no more decisions; only CISOs and admins close one, once.
    let close = app.url(&format!("/api/v1/reviews/{}/close", campaign.id));
    for (who, status) in [(&o.max, 403), (&o.cleo, 200), (&o.cleo, 409)] {
        assert_eq!(post(who, close.clone(), json!({})).await.0, status);
    }
    let (status, _) = decide(
        &app,
        &o.max,
        campaign.id,
        json!({"items": [old], "decision": "keep", "reason": "late"}),
    )
    .await;
    assert_eq!(status, 409, "closed");
}

async fn two_hundred_items_are_kept_in_one_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let o = org(&app).await;
    ci_keys(&app, o.olga_id, 200).await;
    let campaign = start(&app, &o.admin, 30, Utc::now()).await;
    let page = items(
        &app,
        &o.olga,
        campaign.id,
        "mine=true&open=true&kind=credential&limit=200&sort=name",
    )
    .await;
    assert_eq!(page.total, 201, "deploy-key and 200 CI keys");
    let ids: Vec<i64> = page.items.iter().map(|i| i.id).collect();
    assert_eq!(ids.len(), 200);
    let started = std::time::Instant::now();
    let (status, body) = decide(
        &app,
        &o.olga,
        campaign.id,
        json!({"items": ids, "decision": "keep", "reason": "CI needs them"}),
    )
    .await;
    assert_eq!((status, body["decided"].as_i64()), (200, Some(200)), "{body}");
    eprintln!("200 decisions in {:?}", started.elapsed());
    assert_eq!(
        items(&app, &o.olga, campaign.id, "mine=true&open=true")
            .await
            .total,
        2
    );
    assert_eq!(
        items(&app, &o.olga, campaign.id, "mine=true&decision=keep")
            .await
            .total,
        200
    );
}

async fn undecided_items_escalate_after_the_due_date_and_weigh_on_risk(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let (app, clock) = scheduled_app(backend, &smtp).await;
    let o = org(&app).await;
    let campaign = start(&app, &o.cleo, 5, clock.now()).await;
    let link = format!("{}/reviews/{}?mine=true", app.address, campaign.id);
    assert!(
        eventually(10, || smtp.mails_to("olga@muster.test").len() == 1
            && smtp.mails_to("max@muster.test").len() == 1)
        .await,
        "reviewers are told: {:?}",
        smtp.mails()
            .iter()
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    );
    let mail = &smtp.mails_to("olga@muster.test")[0];
    assert!(
        mail.subject.contains("2 items wait for your decision"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains(&link), "{}", mail.text);
    let (status, _) = decide(&app, &o.olga, campaign.id, json!({"items": [item_of(&items(&app, &o.olga, campaign.id, "mine=true").await, "release-bot")], "decision": "keep", "reason": "ships releases"})).await;
    assert_eq!(status, 200);

    // Three days before the due date: one reminder each, of what is left.
    clock.advance(chrono::Duration::days(3));
    assert!(
        eventually(10, || smtp.mails_to("olga@muster.test").len() == 2).await,
        "Olga is reminded"
    );
    assert!(
        smtp.mails_to("olga@muster.test")[1]
            .subject
            .contains("1 item left"),
        "{}",
        smtp.mails_to("olga@muster.test")[1].subject
    );

    // Past it: Olga's undecided item goes to Max; Max's (he reports to nobody) to admins.
    clock.advance(chrono::Duration::days(3));
    assert!(
        until(10, async || app
            .count("SELECT COUNT(*) FROM review_campaign WHERE state = 'escalated'")
            .await
            == 1)
        .await,
        "the campaign is escalated"
    );
    assert!(
        eventually(10, || smtp
            .mails_to("max@muster.test")
            .iter()
            .any(|m| m.subject.contains("escalated to you"))
            && smtp
                .mails_to("admin@muster.test")
                .iter()
                .any(|m| m.subject.contains("escalated")))
        .await,
        "Max and the admins hear of it: {:?}",
        smtp.mails()
            .iter()
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    );
    let escalated = items(&app, &o.max, campaign.id, "mine=true&open=true").await;
    assert_eq!(escalated.total, 3, "Olga's deploy-key and his own two");
    let deploy = escalated
        .items
        .iter()
        .find(|i| i.subject.name == "deploy-key")
        .unwrap();
    assert_eq!(
        deploy.escalated_to.as_ref().map(|p| p.name.as_str()),
        Some("Max Manager")
    );
    let detail: json::CampaignDetail = app
        .get_json_as(&o.cleo, &format!("/api/v1/reviews/{}", campaign.id))
        .await;
    assert_eq!(detail.campaign.progress.escalated, 3, "not attested");

    // Not attested weighs on risk; the kept agent carries no such factor.
    let orphan: json::CredentialDetail = app
        .get_json_as(&o.cleo, &format!("/api/v1/credentials/{}", o.orphan_key))
        .await;
    let factor = orphan
        .risk
        .factors
        .iter()
        .find(|f| f.code == "not_attested")
        .expect("the factor fires");
    assert_eq!(factor.weight, 10);
    assert_eq!(factor.evidence, "never attested in an access review");
    let bot: json::AgentDetail = app
        .get_json_as(&o.cleo, &format!("/api/v1/agents/{}", o.bot))
        .await;
    assert!(
        !bot.risk.factors.iter().any(|f| f.code == "not_attested"),
        "{:?}",
        bot.risk.factors
    );

    // Max decides what came to him; admins what came to nobody.
    let (status, body) = decide(
        &app,
        &o.max,
        campaign.id,
        json!({"items": [deploy.id], "decision": "keep", "reason": "still deploys"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let orphan_item = item_of(&escalated, "orphan-key");
    let (status, body) = decide(
        &app,
        &o.admin,
        campaign.id,
        json!({"items": [orphan_item], "decision": "keep", "reason": "read-only"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let orphan: json::CredentialDetail = app
        .get_json_as(&o.cleo, &format!("/api/v1/credentials/{}", o.orphan_key))
        .await;
    assert!(
        !orphan.risk.factors.iter().any(|f| f.code == "not_attested"),
        "attested now"
    );
}

async fn a_repeating_campaign_starts_its_next_cycle_once_and_stops_when_asked(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let (app, clock) = scheduled_app(backend, &smtp).await;
    let o = org(&app).await;
    let now = clock.now();
    let new = |due_in_days: i64, repeat: &str| {
        json!({ "name": "Quarterly access review", "scope": "all",
                "due_at": now + chrono::Duration::days(due_in_days), "repeat": repeat })
    };
    // A cycle must end before the next begins; cadences are a closed list.
    let refused = [
        (new(100, "quarterly"), 400),
        (new(40, "monthly"), 400),
        (new(14, "weekly"), 400),
    ];
    for (body, status) in refused {
        let (got, answer) = post(&o.cleo, app.url("/api/v1/reviews"), body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(answer["error"]["message"].is_string(), "{answer}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM review_campaign").await, 0);

    let first = start_with(&app, &o.cleo, new(14, "quarterly")).await;
    assert_eq!(first.repeat, Some(json::ReviewCadence::Quarterly));
    let next = first.next_start.expect("a next cycle");
    assert_eq!(
        next,
        first
            .started_at
            .checked_add_months(chrono::Months::new(3))
            .unwrap()
    );
    assert!(
        eventually(10, || smtp.mails_to("olga@muster.test").len() == 1).await,
        "Olga is told of the first cycle"
    );
    // A second replica's scheduler races the first for the next cycle.
    let _replica = app.replica(scheduled(&app.address, &smtp, &clock)).await;

    // A quarter on, the next cycle starts by itself, once, with the same
    // scope and as long to decide; the first is closed.
    clock.advance(chrono::Duration::days(93));
    assert!(
        until(10, async || app
            .count("SELECT COUNT(*) FROM review_campaign")
            .await
            == 2)
        .await,
        "the next cycle starts"
    );
    let listed: Vec<json::Campaign> = app.get_json_as(&o.cleo, "/api/v1/reviews").await;
    let (second, first) = (&listed[0], &listed[1]);
    assert_eq!(second.follows, Some(first.id));
    assert_eq!(second.name, "Quarterly access review");
    assert_eq!(second.state, json::CampaignState::Open);
    assert_eq!(
        second.progress.items, 4,
        "release-bot and three active credentials"
    );
    assert_eq!(
        second.due_at,
        first.due_at.checked_add_months(chrono::Months::new(3)).unwrap()
    );
    assert_eq!(
        second.next_start,
        next.checked_add_months(chrono::Months::new(3)),
        "the one after, a quarter after the planned start"
    );
    assert_eq!(
        (first.state, first.next_start),
        (json::CampaignState::Closed, None)
    );
    assert!(
        eventually(10, || smtp
            .mails_to("olga@muster.test")
            .iter()
            .any(|m| m.text.contains(&format!("/reviews/{}?mine=true", second.id))))
        .await,
        "Olga is told of the second: {:?}",
        smtp.mails_to("olga@muster.test")
            .iter()
            .map(|m| &m.subject)
            .collect::<Vec<_>>()
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM review_campaign").await, 2, "once");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'review.start'")
            .await,
        2
    );

    // Only CISOs and admins stop it, on the newest cycle, once.
    let stop = |id: i64| app.url(&format!("/api/v1/reviews/{id}/repeat"));
    for (who, id, status) in [
        (&o.olga, second.id, 403),
        (&o.max, second.id, 403),
        (&o.cleo, first.id, 409),
        (&o.cleo, 999_999, 404),
        (&o.cleo, second.id, 200),
        (&o.cleo, second.id, 409),
    ] {
        let response = who.delete(stop(id)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "stopping {id}");
    }
    let detail: json::CampaignDetail = app
        .get_json_as(&o.cleo, &format!("/api/v1/reviews/{}", second.id))
        .await;
    assert_eq!(
        (detail.campaign.repeat, detail.campaign.next_start),
        (Some(json::ReviewCadence::Quarterly), None)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_event WHERE action = 'review.stop_repeating'")
            .await,
        1
    );
    clock.advance(chrono::Duration::days(93));
    // The second cycle's escalation shows the schedulers ran past its time.
    assert!(
        until(10, async || app
            .count("SELECT COUNT(*) FROM audit_event WHERE action = 'review.escalate'")
            .await
            == 2)
        .await,
        "the second cycle came due"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM review_campaign").await,
        2,
        "no third cycle"
    );
}

async fn a_repeating_cycle_with_nothing_to_review_is_skipped_and_the_next_one_tried(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let (app, clock) = scheduled_app(backend, &smtp).await;
    let o = org(&app).await;
    // release-bot was found on a laptop; the endpoint scope reviews it and deploy-key.
    app.execute(&format!(
        "INSERT INTO endpoint_agent (agent_id, host, os, os_user, client, config_files, import_id, scanned_at) \
         VALUES ({}, 'olga-mbp', 'macos', 'olga', 'claude-code', '[]', 1, '2026-01-01T00:00:00Z')",
        o.bot
    ))
    .await;
    let first = start_with(
        &app,
        &o.cleo,
        json!({ "name": "Monthly review", "scope": "endpoint",
                "due_at": clock.now() + chrono::Duration::days(7), "repeat": "monthly" }),
    )
    .await;
    let planned = first.next_start.unwrap();
    assert_eq!(first.progress.items, 2);
    // The laptop is gone before the next cycle: nothing is left in scope.
    app.execute("DELETE FROM endpoint_agent").await;
    clock.advance(chrono::Duration::days(32));
    assert!(
        until(10, async || app
            .count("SELECT COUNT(*) FROM audit_event WHERE action = 'review.skip_cycle'")
            .await
            == 1)
        .await,
        "the cycle is skipped, and says so"
    );
    let detail: json::CampaignDetail = app
        .get_json_as(&o.cleo, &format!("/api/v1/reviews/{}", first.id))
        .await;
    assert_eq!(
        detail.campaign.next_start,
        planned.checked_add_months(chrono::Months::new(1)),
        "the one after is tried in its turn"
    );
    assert_eq!(
        detail.campaign.state,
        json::CampaignState::Closed,
        "the cycle before ends all the same"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM review_campaign").await, 1);
}

async fn under_a_monthly_review_an_attestation_lasts_until_the_next_cycle_is_due_and_a_quarter_once_it_stops(
    backend: Backend,
) {
    let smtp = SmtpServer::start().await;
    let (app, clock) = scheduled_app(backend, &smtp).await;
    let o = org(&app).await;
    let first = start_with(
        &app,
        &o.cleo,
        json!({ "name": "Monthly review", "scope": "all",
                "due_at": clock.now() + chrono::Duration::days(14), "repeat": "monthly" }),
    )
    .await;
    let mine = items(&app, &o.olga, first.id, "mine=true").await;
    let (status, body) = decide(
        &app,
        &o.olga,
        first.id,
        json!({"items": [item_of(&mine, "deploy-key")], "decision": "keep", "reason": "still deploys"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let not_attested = async || {
        let key: json::CredentialDetail = app
            .get_json_as(&o.cleo, &format!("/api/v1/credentials/{}", o.deploy_key))
            .await;
        key.risk
            .factors
            .into_iter()
            .find(|f| f.code == "not_attested")
            .map(|f| (f.weight, f.evidence))
    };
    assert_eq!(not_attested().await, None, "just kept");

    // A month and a bit on, the next cycle is open (and rescored what it
    // holds): Olga has its 14 days to decide, and her word still stands.
    clock.advance(chrono::Duration::days(33));
    assert!(
        until(10, async || app
            .count("SELECT COUNT(*) FROM review_campaign")
            .await
            == 2)
        .await,
        "the second cycle starts"
    );
    assert_eq!(not_attested().await, None, "within the next cycle's window");

    // Past the second cycle's due date, undecided: her word is a cycle old.
    clock.advance(chrono::Duration::days(13));
    assert!(
        until(10, async || not_attested().await.is_some()).await,
        "stale once the next cycle is due"
    );
    let (weight, evidence) = not_attested().await.unwrap();
    assert_eq!(weight, 5);
    assert!(
        evidence.starts_with("last attested on ")
            && evidence.ends_with(
                "by olga@muster.test, more than a review cycle ago (reviewed every month, with 14 days to decide)"
            ),
        "{evidence}"
    );

    // Once the review stops repeating, a quarter is the measure again, at once.
    let listed: Vec<json::Campaign> = app.get_json_as(&o.cleo, "/api/v1/reviews").await;
    let response = o
        .cleo
        .delete(app.url(&format!("/api/v1/reviews/{}/repeat", listed[0].id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(not_attested().await, None, "46 days is less than a quarter");
}

/// The files of a zip, by name.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().to_owned(), content)
        })
        .collect()
}

fn rezip(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in files {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The files with one of them edited as text.
fn edited(files: &[(String, Vec<u8>)], name: &str, edit: impl Fn(&str) -> String) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|(n, content)| {
            let content = if n == name {
                edit(std::str::from_utf8(content).unwrap()).into_bytes()
            } else {
                content.clone()
            };
            (n.clone(), content)
        })
        .collect()
}

fn file<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("the pack has {name}"))
        .1
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// `muster evidence verify` on `pack`: its exit code and output.
fn verify(pack: &[u8], key: Option<&str>) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pack.zip");
    std::fs::write(&path, pack).unwrap();
    let mut command = std::process::Command::new(muster_tests::muster_binary());
    command.args(["evidence", "verify"]).arg(&path);
    if let Some(key) = key {
        command.args(["--key", key]);
    }
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

async fn the_evidence_pack_holds_the_periods_records_and_verify_refuses_a_tampered_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let o = org(&app).await;
    let campaign = start(&app, &o.cleo, 14, Utc::now()).await;
    let mine = items(&app, &o.olga, campaign.id, "mine=true").await;
    decide(
        &app,
        &o.olga,
        campaign.id,
        json!({"items": [item_of(&mine, "release-bot")], "decision": "keep", "reason": "ships"}),
    )
    .await;
    let (_, body) = decide(&app, &o.olga, campaign.id, json!({"items": [item_of(&mine, "deploy-key")], "decision": "reduce", "reason": "least privilege", "scopes": ["iam:PassRole"]})).await;
    let request = body["follow_ups"][0]
        .as_str()
        .unwrap()
        .strip_prefix("approval:")
        .unwrap()
        .to_owned();
    post(
        &o.ann,
        app.url(&format!("/api/v1/approvals/{request}/decision")),
        json!({"verdict": "approve", "comment": "ok"}),
    )
    .await;
    let maxs = items(&app, &o.max, campaign.id, "mine=true").await;
    decide(
        &app,
        &o.max,
        campaign.id,
        json!({"items": [item_of(&maxs, "orphan-key")], "decision": "revoke", "reason": "unused"}),
    )
    .await;

    let today = Utc::now().date_naive();
    let (from, to) = (today - chrono::Duration::days(30), today);
    let path = format!("/api/v1/evidence?from={from}&to={to}");
    assert_eq!(
        app.client.get(app.url(&path)).send().await.unwrap().status(),
        403,
        "viewers take no pack"
    );
    assert_eq!(o.max.get(app.url(&path)).send().await.unwrap().status(), 403);
    app.get_error(&format!("/api/v1/evidence?from={to}&to={from}"), 403, "forbidden")
        .await;
    let bad = o
        .cleo
        .get(app.url("/api/v1/evidence?from=yesterday&to=2026-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad = o
        .cleo
        .get(app.url(&format!("/api/v1/evidence?from={to}&to={from}")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad = o
        .cleo
        .get(app.url("/api/v1/evidence?from=2026-01-01&to=%2B262143-12-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400, "a far-off day is refused, not a crash");

    let response = o.cleo.get(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let pack = response.bytes().await.unwrap().to_vec();
    let files = unzip(&pack);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for name in [
        "report.html",
        "controls.json",
        "audit-chain.json",
        "manifest.json",
        "signature.json",
        "records/audit.jsonl",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    // The records are the database's.
    let decisions = lines(file(&files, "records/review-decisions.jsonl"));
    assert_eq!(
        decisions.len() as i64,
        app.count("SELECT COUNT(*) FROM review_item").await
    );
    assert_eq!(decisions.iter().filter(|d| d["decision"].is_string()).count(), 3);
    assert_eq!(
        lines(file(&files, "records/campaigns.jsonl"))[0]["name"],
        "Q1 2027 access review"
    );
    let approvals = lines(file(&files, "records/approvals.jsonl"));
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["operation"], "muster:remove_scope");
    assert_eq!(approvals[0]["votes"][0]["approver"], "ann@muster.test");
    // The signed decision is the very token the agent gets: it verifies with the approvals key.
    let token = approvals[0]["signed_decision"]
        .as_str()
        .expect("approved, so signed");
    let keys: Value = app.get_json_as(&o.cleo, "/api/v1/approvals/keys").await;
    let x = keys["keys"][0]["x"].as_str().unwrap();
    let decoding = jsonwebtoken::DecodingKey::from_ed_components(x).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.set_required_spec_claims::<&str>(&[]);
    jsonwebtoken::decode::<Value>(token, &decoding, &validation).expect("the decision verifies");
    let revocations = lines(file(&files, "records/revocations.jsonl"));
    assert_eq!(revocations[0]["credential"], "orphan-key");
    let audit = lines(file(&files, "records/audit.jsonl"));
    assert_eq!(
        audit.len() as i64,
        app.count("SELECT COUNT(*) FROM audit_event").await
    );
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "evidence.export" && e["actor"] == "cleo@muster.test"),
        "taking a pack is audited"
    );
    let chain: Value = serde_json::from_slice(file(&files, "audit-chain.json")).unwrap();
    assert_eq!(chain["intact"], true);
    let head: (i64, String) = sqlx::query_as("SELECT seq, hash FROM audit_head")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        (
            chain["end"]["seq"].as_i64().unwrap(),
            chain["end"]["hash"].as_str().unwrap()
        ),
        (head.0, head.1.as_str())
    );
    let controls: Vec<Value> = serde_json::from_slice(file(&files, "controls.json")).unwrap();
    for control in [
        "CC6.1",
        "CC6.2",
        "CC6.3",
        "CC6.6",
        "CC7.2",
        "A.5.15",
        "A.5.18",
        "A.8.2",
        "A.8.5",
        "A.8.15",
        "A.8.16",
        "Art. 12",
        "Art. 14",
        "Art. 26(6)",
        "GOVERN",
        "MANAGE",
        "NHI1",
        "ASI03",
    ] {
        let found = controls
            .iter()
            .find(|c| c["id"] == control)
            .unwrap_or_else(|| panic!("{control} is mapped"));
        assert!(
            !found["records"].as_array().unwrap().is_empty(),
            "{control} names its records"
        );
    }
    let report = String::from_utf8(file(&files, "report.html").to_vec()).unwrap();
    for text in [
        "Q1 2027 access review",
        "CC6.1",
        "Art. 26(6)",
        "ASI03",
        "orphan-key",
        "muster:remove_scope",
    ] {
        assert!(report.contains(text), "the report shows {text}");
    }

    // It verifies against the published key, and nothing else does.
    let published: json::EvidenceKey = serde_json::from_slice(
        &app.anonymous
            .get(app.url("/api/v1/evidence/key"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let (code, out) = verify(&pack, Some(&published.public_key));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{} audit entries", audit.len())), "{out}");
    let (code, out) = verify(&pack, Some(&"ab".repeat(32)));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signed by key"), "{out}");
    // One record changed: refused.
    let tampered = edited(&files, "records/approvals.jsonl", |text| {
        text.replace("ann@muster.test", "eve@muster.test")
    });
    let (code, out) = verify(&rezip(&tampered), Some(&published.public_key));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("records/approvals.jsonl was changed"), "{out}");
    // An audit entry rewritten (its hash left as it was) and the pack
    // re-signed with another key: the chain gives it away even without the
    // key, and the key refuses it anyway.
    let mut forged = edited(&files, "records/audit.jsonl", |text| {
        text.replacen("cleo@muster.test", "eve@muster.test", 1)
    });
    let mut manifest: Value = serde_json::from_slice(file(&forged, "manifest.json")).unwrap();
    for entry in manifest["files"].as_array_mut().unwrap() {
        let content = file(&forged, entry["path"].as_str().unwrap());
        entry["sha256"] = json!(hex_of(&sha2::Sha256::digest(content)));
        entry["bytes"] = json!(content.len());
    }
    let manifest = serde_json::to_vec_pretty(&manifest).unwrap();
    let attacker = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let signature = attacker.sign(&[b"muster-evidence-v1\n".as_slice(), &manifest].concat());
    let signature = json!({
        "algorithm": "Ed25519", "key_id": "forged", "public_key": hex_of(attacker.verifying_key().as_bytes()),
        "signature": hex_of(&signature.to_bytes()),
    });
    for (name, content) in &mut forged {
        match name.as_str() {
            "manifest.json" => *content = manifest.clone(),
            "signature.json" => *content = serde_json::to_vec(&signature).unwrap(),
            _ => {}
        }
    }
    let (code, out) = verify(&rezip(&forged), None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the audit chain does not verify"), "{out}");
    let (code, out) = verify(&rezip(&forged), Some(&published.public_key));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("signed by key"), "{out}");
    let (code, out) = verify(b"not a zip", None);
    assert_eq!(code, 2, "{out}");

    // The command line makes the same pack from the database, with the server's key file.
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("approval.key");
    std::fs::write(&key_file, "11".repeat(32)).unwrap();
    let output = dir.path().join("cli.zip");
    let made = std::process::Command::new(muster_tests::muster_binary())
        .args([
            "evidence",
            "--database",
            &app.database_argument(),
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
        ])
        .arg("--approval-key-file")
        .arg(&key_file)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let key = hex_of(
        ed25519_dalek::SigningKey::from_bytes(&[0x11; 32])
            .verifying_key()
            .as_bytes(),
    );
    let (code, out) = verify(&std::fs::read(&output).unwrap(), Some(&key));
    assert_eq!(code, 0, "{out}");
    let cli_files = unzip(&std::fs::read(&output).unwrap());
    assert_eq!(
        lines(file(&cli_files, "records/review-decisions.jsonl")).len(),
        decisions.len()
    );
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

on_every_backend!(
    a_campaign_goes_to_owners_and_managers_and_each_decision_does_what_it_says,
    two_hundred_items_are_kept_in_one_request,
    undecided_items_escalate_after_the_due_date_and_weigh_on_risk,
    the_evidence_pack_holds_the_periods_records_and_verify_refuses_a_tampered_one,
    a_repeating_campaign_starts_its_next_cycle_once_and_stops_when_asked,
    a_repeating_cycle_with_nothing_to_review_is_skipped_and_the_next_one_tried,
    under_a_monthly_review_an_attestation_lasts_until_the_next_cycle_is_due_and_a_quarter_once_it_stops,
);
