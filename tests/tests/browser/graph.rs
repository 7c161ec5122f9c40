//! The lineage graph explorer: it draws the lineage around a credential, a
//! click on a node expands it, blast-radius mode dims what the credential
//! does not reach, and without a starting node it offers the riskiest ones.
//! Tool and copy pages, which graph nodes link to.

use std::collections::HashSet;

use fantoccini::Locator;
use model::api as json;
use muster_tests::browser::Browser;
use muster_tests::{Backend, TEST_PASSWORD, TestApp, spawn_app_with_dist};

use super::{built_dist, click, sign_in};

/// The ids of the nodes drawn, and of those not expanded yet.
async fn drawn(browser: &Browser) -> (HashSet<String>, Vec<String>) {
    let mut all = HashSet::new();
    let mut unexpanded = Vec::new();
    for node in browser
        .client()
        .find_all(Locator::Css("[data-testid=graph-canvas] g[data-node]"))
        .await
        .unwrap()
    {
        let id = node.attr("data-node").await.unwrap().unwrap();
        if node.attr("data-expanded").await.unwrap().as_deref() == Some("false") && !id.contains(":more:") {
            unexpanded.push(id.clone());
        }
        all.insert(id);
    }
    (all, unexpanded)
}

/// WebDriver's code for Enter.
const ENTER: &str = "\u{E007}";

/// A node not expanded yet whose own lineage (asked of the API) holds a node
/// not drawn yet, and that node.
async fn growing_node(app: &TestApp, drawn: &HashSet<String>, unexpanded: Vec<String>) -> (String, String) {
    for id in unexpanded {
        let lineage: json::Lineage = app
            .get_json(&format!("/api/v1/graph/lineage?node={id}&depth=1"))
            .await;
        if let Some(new) = lineage.nodes.iter().find(|n| !drawn.contains(&n.id)) {
            return (id, new.id.clone());
        }
    }
    panic!("no drawn node has neighbours not drawn yet");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_in_the_graph_expands_a_node_and_blast_radius_mode_dims_the_rest() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    let credential = app
        .count(
            "SELECT MIN(c.id) FROM credential c WHERE c.owner_id IS NOT NULL \
             AND EXISTS (SELECT 1 FROM tool_credential tc WHERE tc.credential_id = c.id) \
             AND EXISTS (SELECT 1 FROM reach r WHERE r.credential_id = c.id)",
        )
        .await;
    let root = format!("credential:{credential}");
    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;

    // Without a starting node: the riskiest credentials and agents to start from.
    browser.goto(&app.url("/graph")).await;
    browser
        .wait_for("[data-testid=graph-start] a[href^='/graph?node=credential:']")
        .await;
    browser.screenshot("graph-start").await;

    browser.goto(&app.url(&format!("/graph?node={root}"))).await;
    browser
        .wait_for(&format!(
            "[data-testid=graph-canvas] g[data-node='{root}'][data-expanded=true]"
        ))
        .await;
    browser
        .wait_for("[data-testid=graph-canvas] g[data-kind=resource]")
        .await;
    browser
        .wait_for("[data-testid=graph-canvas] g[data-kind=agent]")
        .await;
    browser.wait_for("[data-testid=graph-details] h2").await;
    browser.screenshot("graph").await;

    // Pick a node whose own lineage holds something not drawn yet (asked of
    // the API), click it, and see its neighbours appear.
    let (before, unexpanded) = drawn(&browser).await;
    let (target, new) = growing_node(&app, &before, unexpanded).await;
    // The first view is the start at a readable scale; Fit brings every node into view.
    click(&browser, "[data-testid=graph-fit]").await;
    click(&browser, &format!("g[data-node='{target}'] .node-body")).await;
    browser
        .wait_for(&format!("g[data-node='{target}'][data-expanded=true]"))
        .await;
    browser.wait_for(&format!("g[data-node='{new}']")).await;
    assert!(drawn(&browser).await.0.len() > before.len());
    assert!(
        browser
            .wait_for(&format!("g[data-node='{target}']"))
            .await
            .attr("class")
            .await
            .unwrap()
            .unwrap()
            .contains("focus"),
        "the clicked node is in focus"
    );
    browser
        .wait_for_text("[data-testid=graph-details]", "Its neighbours are drawn")
        .await;

    // The keyboard does the same: Enter on a node expands it, and the node
    // keeps the keyboard focus although the drawing was redrawn around it.
    let (before, unexpanded) = drawn(&browser).await;
    let (target, new) = growing_node(&app, &before, unexpanded).await;
    browser
        .wait_for(&format!("g[data-node='{target}']"))
        .await
        .send_keys(ENTER)
        .await
        .unwrap();
    browser.wait_for(&format!("g[data-node='{new}']")).await;
    let focused = browser
        .client()
        .execute("return document.activeElement.getAttribute('data-node')", vec![])
        .await
        .unwrap();
    assert_eq!(focused.as_str(), Some(target.as_str()));
    browser.screenshot("graph-expanded").await;

    // Blast-radius mode: the credential and what it reaches stand out, the
    // rest is dimmed, and the panel sums up its whole reach.
    browser
        .goto(&app.url(&format!("/graph?node={root}&mode=blast")))
        .await;
    browser
        .wait_for_text("[data-testid=blast-summary]", "reaches")
        .await;
    let resource = browser
        .wait_for("[data-testid=graph-canvas] g[data-kind=resource]")
        .await;
    assert!(!resource.attr("class").await.unwrap().unwrap().contains("dim"));
    browser
        .wait_for("[data-testid=graph-canvas] g[data-kind=agent].dim")
        .await;
    browser.screenshot("graph-blast").await;

    // The pages a tool node and a copy node link to, each with its way back into the graph.
    let tool = app
        .count(&format!(
            "SELECT MIN(tool_id) FROM tool_credential WHERE credential_id = {credential}"
        ))
        .await;
    browser.goto(&app.url(&format!("/inventory/tools/{tool}"))).await;
    browser
        .wait_for("[data-testid=tool-page] [data-testid=tool-credentials] a")
        .await;
    browser
        .wait_for(&format!(
            "[data-testid=explore-graph][href='/graph?node=tool:{tool}']"
        ))
        .await;
    browser.screenshot("tool").await;
    let copy = app.count("SELECT MIN(id) FROM credential_copy").await;
    browser.goto(&app.url(&format!("/inventory/copies/{copy}"))).await;
    browser
        .wait_for_text("[data-testid=copy-page] .facts", "Secret of")
        .await;
    browser.screenshot("copy").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_page_says_who_can_reach_it_and_through_what() {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    // The restricted resource that the most active credentials reach.
    let resource = app
        .count(
            "SELECT r.resource_id FROM reach r JOIN credential c ON c.id = r.credential_id \
             JOIN resource res ON res.id = r.resource_id WHERE c.status = 'active' AND res.sensitivity = 'restricted' \
             GROUP BY r.resource_id ORDER BY COUNT(*) DESC, r.resource_id LIMIT 1",
        )
        .await;
    let paths: json::Paths = app
        .get_json(&format!("/api/v1/graph/paths?to=resource:{resource}&limit=25"))
        .await;
    assert!(!paths.paths.is_empty());
    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;
    browser
        .goto(&app.url(&format!("/inventory/resources/{resource}")))
        .await;
    browser
        .wait_for_text("[data-testid=who-can-reach] h2", "Who can reach it")
        .await;
    let rows = browser
        .client()
        .find_all(Locator::Css(
            "[data-testid=who-can-reach] [data-testid=reach-path]",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), paths.paths.len());
    // The first path's start is named, and links to its page.
    let first = &paths.paths[0];
    let start = paths.graph.nodes.iter().find(|n| n.id == first.nodes[0]).unwrap();
    let text = rows[0].text().await.unwrap();
    assert!(text.contains(&start.label), "{text}");
    if let Some(weakness) = &first.weakness {
        assert!(text.contains(weakness.as_str()), "{text}");
    }
    browser.screenshot("resource-who-can-reach").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}
