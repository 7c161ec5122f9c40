//! The Inventory on the small demo organisation: server-side filters bound to
//! the URL, riskiest first, tabs, and pages.

use model::api as json;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, spawn_app_with_dist};

use super::{built_dist, click, fill, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inventory_filters_through_the_url_and_pages_on_the_server() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    let summary: json::RiskSummary = app.get_json("/api/v1/risk/summary").await;
    let browser = Browser::start().await;
    browser
        .goto(&app.url("/inventory/credentials?band=critical"))
        .await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;

    let critical = summary.credentials.critical;
    browser
        .wait_for_text("[data-testid=inventory-count]", &format!("1–50 of {critical}"))
        .await;
    browser
        .wait_for_text(
            "[data-testid=inventory-table] tbody tr:first-child",
            &summary.top_credentials[0].name,
        )
        .await;
    browser.screenshot("inventory-credentials").await;

    // A search narrows the rows and lands in the URL, with the band kept.
    let name = &summary.top_credentials[0].name;
    fill(&browser, "[data-testid=inventory-filters] input[name=q]", name).await;
    click(&browser, "[data-testid=inventory-filters] button[type=submit]").await;
    browser
        .wait_for_text("[data-testid=inventory-count]", "1–1 of 1")
        .await;
    let url = browser.client().current_url().await.unwrap();
    let query = url.query().unwrap().to_owned();
    assert!(query.contains("band=critical") && query.contains("q="), "{query}");

    // The next page, then the Agents tab.
    browser
        .goto(&app.url("/inventory/credentials?band=critical"))
        .await;
    click(&browser, "nav.pager a").await;
    browser
        .wait_for_text("[data-testid=inventory-count]", &format!("51–100 of {critical}"))
        .await;
    click(&browser, "nav.tabs a[href='/inventory/agents']").await;
    browser
        .wait_for_text(
            "[data-testid=inventory-table] tbody tr:first-child",
            &summary.top_agents[0].name,
        )
        .await;
    browser.screenshot("inventory-agents").await;

    // The other lists: stored copies, resources and people, each in pages.
    for (list, table) in [
        ("copies", "credential_copy"),
        ("resources", "resource"),
        ("people", "person"),
    ] {
        click(&browser, &format!("nav.tabs a[href='/inventory/{list}']")).await;
        let total = app.count(&format!("SELECT COUNT(*) FROM {table}")).await;
        browser
            .wait_for_text("[data-testid=inventory-count]", &format!("1–50 of {total}"))
            .await;
        browser.screenshot(&format!("inventory-{list}")).await;
    }

    // A credential's page explains its score factor by factor.
    let top = &summary.top_credentials[0];
    let detail: json::CredentialDetail = app.get_json(&format!("/api/v1/credentials/{}", top.id)).await;
    click(&browser, "nav.tabs a[href='/inventory/credentials']").await;
    click(
        &browser,
        "[data-testid=inventory-table] tbody tr:first-child td:first-child a",
    )
    .await;
    browser
        .wait_for_text("[data-testid=credential-page] h1", &top.name)
        .await;
    let factor = &detail.risk.factors[0];
    browser
        .wait_for_text("[data-testid=risk-factors]", &factor.evidence)
        .await;
    browser
        .wait_for_text("[data-testid=risk-factors]", &factor.reference)
        .await;
    browser
        .wait_for_text(
            "[data-testid=reach]",
            &format!("blast radius {}/100", detail.blast_radius),
        )
        .await;
    browser.screenshot("credential").await;

    // So does an agent's, with the credentials it uses.
    let agent = &summary.top_agents[0];
    browser
        .goto(&app.url(&format!("/inventory/agents/{}", agent.id)))
        .await;
    browser
        .wait_for_text("[data-testid=agent-page] h1", &agent.name)
        .await;
    browser
        .wait_for_text("[data-testid=risk-factors]", "Its riskiest credential")
        .await;
    browser.wait_for("[data-testid=credentials] a").await;
    browser.screenshot("agent").await;

    // From the credential's page: a resource it reaches, then its owning
    // team; and a person with what they own.
    let resource = &detail.reach[0].resource;
    browser
        .goto(&app.url(&format!("/inventory/credentials/{}", top.id)))
        .await;
    click(
        &browser,
        &format!(
            "[data-testid=reach] a[href='/inventory/resources/{}']",
            resource.id
        ),
    )
    .await;
    browser
        .wait_for_text("[data-testid=resource-page] h1", &resource.name)
        .await;
    browser.wait_for_text("[data-testid=reached-by]", &top.name).await;
    browser.screenshot("resource").await;
    if let Some(team) = &resource.owner_team {
        click(
            &browser,
            &format!(
                "[data-testid=resource-page] .entity-header a[href='/inventory/teams/{}']",
                team.id
            ),
        )
        .await;
        browser
            .wait_for_text("[data-testid=team-page] h1", &team.name)
            .await;
        browser.wait_for("[data-testid=members] a").await;
        browser.screenshot("team").await;
    }
    let owner: i64 = app
        .count("SELECT owner_id FROM agent WHERE owner_id IS NOT NULL ORDER BY id LIMIT 1")
        .await;
    let person: json::PersonDetail = app.get_json(&format!("/api/v1/people/{owner}")).await;
    browser
        .goto(&app.url(&format!("/inventory/people/{owner}")))
        .await;
    browser
        .wait_for_text("[data-testid=person-page] h1", &person.person.name)
        .await;
    browser
        .wait_for_text("[data-testid=owned-agents]", &person.agents[0].name)
        .await;
    browser.screenshot("person").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}
