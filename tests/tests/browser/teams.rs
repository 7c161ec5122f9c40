//! My teams on the small demo organisation: the demo manager sees their
//! team's coverage, claims two unowned agents from the inbox for a teammate,
//! and the coverage figure rises by two; then the teammate leaves (their
//! agents and credentials become orphans) and a transfer re-homes them.

use model::api as json;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};

use super::{built_dist, click, fill, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_claims_two_agents_from_the_inbox_and_coverage_rises() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    muster_server::demo::create_accounts(&app.db, TEST_PASSWORD)
        .await
        .expect("the demo accounts are created");
    let team = app
        .count("SELECT team_id FROM person WHERE email = 'manager@demo.test'")
        .await;
    let before: json::Coverage = app.get_json(&format!("/api/v1/coverage?team={team}")).await;
    let teammate = app
        .count(&format!(
            "SELECT MIN(id) FROM person WHERE team_id = {team} AND status = 'active' \
             AND email <> 'manager@demo.test'"
        ))
        .await;
    let unowned: json::Page<json::Gap> = app
        .get_json(&format!(
            "/api/v1/ownership/gaps?team={team}&kind=agent&state=unowned&limit=2"
        ))
        .await;
    assert!(unowned.total >= 2, "the demo manager's teams have unowned agents");

    let browser = Browser::start().await;
    browser.goto(&app.url("/teams")).await;
    sign_in(&browser, "manager@demo.test", TEST_PASSWORD).await;
    let agents = before.coverage.agents;
    let name = before.coverage.team.as_ref().unwrap().name.clone();
    browser
        .wait_for_text("[data-testid=scope]", &format!("{name} and its sub-teams"))
        .await;
    browser
        .wait_for_text(
            "[data-testid=agent-coverage]",
            &format!("{} of {} agents", agents.count, agents.total),
        )
        .await;
    browser.wait_for("[data-testid=coverage-trend] svg").await;
    browser
        .client()
        .execute("window.scrollTo(0, 700)", vec![])
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    browser.screenshot("my-teams-debug").await;
    browser.wait_for("[data-testid=gaps]").await;
    browser
        .client()
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    browser.screenshot("my-teams").await;

    // Unowned agents only, then tick the first two and claim them.
    click(&browser, "[data-testid=state-tabs] button:nth-child(2)").await;
    browser
        .wait_for("[data-testid=state-tabs] button:nth-child(2)[aria-pressed=true]")
        .await;
    click(&browser, "[data-testid=kind-tabs] button:nth-child(2)").await;
    browser
        .wait_for_text(
            "[data-testid=gaps] tbody tr:first-child",
            &unowned.items[0].entity.name,
        )
        .await;
    click(
        &browser,
        "[data-testid=gaps] tbody tr:nth-child(1) input[type=checkbox]",
    )
    .await;
    click(
        &browser,
        "[data-testid=gaps] tbody tr:nth-child(2) input[type=checkbox]",
    )
    .await;
    browser
        .wait_for_text("[data-testid=selected]", "2 selected")
        .await;
    click(
        &browser,
        &format!("select[name=claim-owner] option[value='{teammate}']"),
    )
    .await;
    click(&browser, "button[name=claim-selected]").await;
    browser
        .wait_for_text("[data-testid=inbox] [role=status]", "2 claimed for")
        .await;
    browser
        .wait_for_text(
            "[data-testid=agent-coverage]",
            &format!("{} of {} agents", agents.count + 2, agents.total),
        )
        .await;
    browser.screenshot("my-teams-claimed").await;

    let owners: Vec<Option<i64>> = sqlx::query_scalar("SELECT owner_id FROM agent WHERE id IN ($1, $2)")
        .bind(unowned.items[0].entity.id)
        .bind(unowned.items[1].entity.id)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(owners, [Some(teammate), Some(teammate)]);

    // The teammate leaves: what they own is orphaned.
    let theirs = app
        .count(&format!(
            "SELECT (SELECT COUNT(*) FROM agent WHERE owner_id = {teammate}) \
             + (SELECT COUNT(*) FROM credential WHERE owner_id = {teammate} AND status = 'active')"
        ))
        .await;
    let heir = app
        .count(&format!(
            "SELECT MIN(id) FROM person WHERE status = 'active' AND id <> {teammate} \
             AND email <> 'manager@demo.test' \
             AND team_id IN (SELECT id FROM team WHERE id = {team} OR parent_id = {team})"
        ))
        .await;
    let orphaned = before.coverage.orphaned;
    click(
        &browser,
        &format!("select[name=depart-person] option[value='{teammate}']"),
    )
    .await;
    fill(
        &browser,
        "[data-testid=depart] input[name=depart-reason]",
        "left the company",
    )
    .await;
    click(&browser, "[data-testid=depart] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=depart] [role=status]", "has left")
        .await;
    browser
        .wait_for_text(
            "[data-testid=orphaned] .stat-value",
            &(orphaned + theirs).to_string(),
        )
        .await;
    browser.screenshot("my-teams-leaver").await;

    // A transfer re-homes everything they owned.
    click(
        &browser,
        &format!("select[name=transfer-from] option[value='{teammate}']"),
    )
    .await;
    click(
        &browser,
        &format!("select[name=transfer-to] option[value='{heir}']"),
    )
    .await;
    fill(
        &browser,
        "[data-testid=transfer] input[name=transfer-reason]",
        "takes over",
    )
    .await;
    click(&browser, "[data-testid=transfer] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=transfer] [role=status]", "moved from")
        .await;
    browser
        .wait_for_text("[data-testid=orphaned] .stat-value", &orphaned.to_string())
        .await;
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM agent WHERE owner_id = {heir} AND id IN ({}, {})",
            unowned.items[0].entity.id, unowned.items[1].entity.id
        ))
        .await,
        2
    );
    browser.assert_no_console_errors().await;
    browser.close().await;
}
