//! The approval loop in the browser: an agent asks through the API and waits
//! (long-poll); an approver sees the request in the inbox with its context
//! and approves it with the keyboard; the agent's poll returns the signed
//! decision, which verifies with the published key. Then the history and
//! the policy screen.

use std::time::Duration;

use model::api::{self as json, ApprovalState, Role};
use muster_tests::approvals::{keys, verify_decision};
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};
use serde_json::json;

use super::{built_dist, click, fill, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approver_approves_in_the_inbox_and_the_waiting_agent_gets_a_verifiable_decision() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    app.signed_in_as("approver@muster.test", &[Role::Approver]).await;
    let (agent, name): (i64, String) = sqlx::query_as(
        "SELECT a.id, a.name FROM agent a WHERE a.owner_id IS NOT NULL AND EXISTS \
         (SELECT 1 FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id WHERE at.agent_id = a.id) \
         ORDER BY a.risk_score DESC, a.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("the demo has an owned agent with credentials");
    let bot = app.agent_client_for(&admin, agent).await;
    let parameters = json!({ "service": "search-indexer", "replicas": 0, "reason_code": "INC-4211" });
    let asked: json::ApprovalStatus = bot
        .post(app.url("/api/v1/approval-requests"))
        .header("idempotency-key", "scale-down-1")
        .json(&json!({
            "operation": "k8s:ScaleDeployment",
            "parameters": parameters,
            "justification": "Stop the indexer while the incident is investigated",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(asked.state, ApprovalState::Pending);
    let poll = tokio::spawn({
        let url = app.url(&format!("/api/v1/approval-requests/{}?wait=60s", asked.id));
        async move {
            bot.get(url)
                .send()
                .await
                .unwrap()
                .json::<json::ApprovalStatus>()
                .await
                .unwrap()
        }
    });

    let browser = Browser::start().await;
    browser.goto(&app.url("/approvals")).await;
    sign_in(&browser, "approver@muster.test", TEST_PASSWORD).await;
    browser
        .wait_for_text("[data-testid=approval-operation]", "k8s:ScaleDeployment")
        .await;
    let detail = browser
        .wait_for("[data-testid=approval-detail]")
        .await
        .text()
        .await
        .unwrap();
    for expected in [
        name.as_str(),
        "Stop the indexer",
        "INC-4211",
        "Default: one approver",
        "Agent risk",
    ] {
        assert!(detail.contains(expected), "{expected:?} in the detail: {detail}");
    }
    browser.screenshot("approvals-inbox").await;
    assert!(!poll.is_finished(), "the agent is still waiting");

    // `a` approves the selected request.
    browser
        .client()
        .execute("document.activeElement && document.activeElement.blur()", vec![])
        .await
        .unwrap();
    let body = browser.wait_for("body").await;
    body.send_keys("a").await.unwrap();
    // Decided, it leaves the waiting list; the page says what happened.
    browser
        .wait_for_text(
            "[data-testid=approval-detail]",
            &format!("Request {} is approved.", asked.id),
        )
        .await;

    let decided = tokio::time::timeout(Duration::from_secs(20), poll)
        .await
        .expect("the long-poll returns once approved")
        .unwrap();
    assert_eq!(decided.state, ApprovalState::Approved);
    let keys = keys(&app).await;
    let claims = verify_decision(decided.decision.as_deref().unwrap(), &keys, &parameters)
        .expect("the decision verifies with the published key");
    assert_eq!(claims.approvers, ["approver@muster.test"]);
    assert_eq!(claims.sub, format!("agent:{agent}"));

    click(&browser, ".tabs button:nth-child(2)").await;
    browser
        .wait_for_text("[data-testid=approvals] tbody tr", "Approved")
        .await;
    browser
        .wait_for_text("[data-testid=approval-detail]", "approver@muster.test approved")
        .await;
    browser.screenshot("approvals-history").await;

    click(&browser, ".tabs a.tab-link").await;
    browser
        .wait_for_text(
            "[data-testid=approval-rules]",
            "Deletions in production need two approvers",
        )
        .await;
    browser.screenshot("approvals-policy").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_adds_a_rule_to_the_policy_from_its_screen() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/approvals/policy")).await;
    sign_in(&browser, "admin@muster.test", TEST_PASSWORD).await;
    browser
        .wait_for_text("[data-testid=approval-rules]", "Data exports need two approvers")
        .await;
    fill(&browser, "input[name=rule-name]", "Never drop production tables").await;
    fill(&browser, "input[name=rule-operation]", "db:drop*").await;
    browser
        .wait_for("select[name=rule-environment]")
        .await
        .select_by_value("prod")
        .await
        .unwrap();
    browser
        .wait_for("select[name=rule-decision]")
        .await
        .select_by_value("auto_deny")
        .await
        .unwrap();
    fill(&browser, "input[name=rule-position]", "5").await;
    click(&browser, "[data-testid=new-rule] button[type=submit]").await;
    browser
        .wait_for_text(
            "[data-testid=approval-rules] tbody tr:first-child",
            "Never drop production tables",
        )
        .await;
    browser
        .wait_for_text(
            "[data-testid=approval-rules] tbody tr:first-child",
            "Deny automatically",
        )
        .await;
    browser.screenshot("approvals-policy-admin").await;
    let stored: (String, String) = sqlx::query_as(
        "SELECT decision, environments FROM approval_rule WHERE name = 'Never drop production tables'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(stored, ("auto_deny".to_owned(), "prod".to_owned()));
    browser.assert_no_console_errors().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_asks_from_an_agent_page_for_a_new_tool() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    // A manager asks for the agents of their own team.
    let (agent, tool, team): (i64, i64, i64) = sqlx::query_as(
        "SELECT a.id, t.id, p.team_id FROM agent a JOIN person p ON p.id = a.owner_id, tool t \
         WHERE p.team_id IS NOT NULL AND NOT EXISTS \
         (SELECT 1 FROM agent_tool at WHERE at.agent_id = a.id AND at.tool_id = t.id) ORDER BY a.id, t.id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query(&format!(
        "INSERT INTO person (name, email, team_id, status) VALUES ('Mo Manager', 'manager@muster.test', {team}, 'active')"
    ))
    .execute(app.db.pool())
    .await
    .unwrap();
    app.signed_in_as("manager@muster.test", &[Role::Manager]).await;
    let browser = Browser::start().await;
    browser
        .goto(&app.url(&format!("/inventory/agents/{agent}")))
        .await;
    sign_in(&browser, "manager@muster.test", TEST_PASSWORD).await;
    fill(&browser, "input[name=change-tool]", &tool.to_string()).await;
    fill(
        &browser,
        "input[name=change-justification]",
        "It needs to open pull requests",
    )
    .await;
    click(&browser, "[data-testid=request-change] button[type=submit]").await;
    browser
        .wait_for_text(
            "[data-testid=request-change]",
            "it needs 1 approval; approvers decide it in Approvals",
        )
        .await;
    browser.screenshot("agent-change-request").await;
    let asked: (String, String, String) = sqlx::query_as(&format!(
        "SELECT kind, operation, requested_by FROM approval_request WHERE agent_id = {agent}"
    ))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        asked,
        (
            "change".to_owned(),
            "muster:grant_tool".to_owned(),
            "manager@muster.test".to_owned()
        )
    );
    browser.assert_no_console_errors().await;
    browser.close().await;
}
