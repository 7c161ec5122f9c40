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

/// The demo organisation served with the web app, and a browser signed in
/// as its viewer.
async fn demo_signed_in() -> (TestApp, Browser) {
    let app = spawn_app_with_dist(Backend::Sqlite, built_dist()).await;
    app.fill_with_demo().await;
    let browser = Browser::start().await;
    browser.goto(&app.url("/")).await;
    sign_in(&browser, "viewer@muster.test", TEST_PASSWORD).await;
    (app, browser)
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
    let (app, browser) = demo_signed_in().await;
    let credential = app
        .count(
            "SELECT MIN(c.id) FROM credential c WHERE c.owner_id IS NOT NULL \
             AND EXISTS (SELECT 1 FROM tool_credential tc WHERE tc.credential_id = c.id) \
             AND EXISTS (SELECT 1 FROM reach r WHERE r.credential_id = c.id)",
        )
        .await;
    let root = format!("credential:{credential}");

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
    // What it reaches is in view, the most sensitive and strongest first,
    // top to bottom, as the blast-radius answer ranks it.
    let drawn = measure(&browser).await;
    assert!(drawn.outside().is_empty(), "out of view: {:?}", drawn.outside());
    let radius: json::BlastRadius = app
        .get_json(&format!("/api/v1/credentials/{credential}/blast-radius"))
        .await;
    let rank = |id: &str| {
        radius
            .resources
            .iter()
            .find(|e| format!("resource:{}", e.resource.id) == id)
            .map(|e| {
                (
                    std::cmp::Reverse(e.resource.sensitivity),
                    std::cmp::Reverse(e.permission),
                )
            })
    };
    let mut reached: Vec<(f64, String)> = drawn
        .nodes
        .iter()
        .filter(|n| n.0.starts_with("resource:") && !n.1.contains("dim"))
        .map(|n| (n.3, n.0.clone()))
        .collect();
    reached.sort_by(|a, b| a.0.total_cmp(&b.0));
    let ranks: Vec<_> = reached.iter().map(|(_, id)| rank(id).expect("reached")).collect();
    assert!(!ranks.is_empty());
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "not ranked: {reached:?}");

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
    let (app, browser) = demo_signed_in().await;
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

/// What the drawing looks like on screen, measured in the page.
#[derive(Debug, serde::Deserialize)]
struct Drawn {
    /// The canvas, in page pixels: left, top, right, bottom.
    canvas: [f64; 4],
    /// Each node: id, classes, left, top, right, bottom, its label as written.
    nodes: Vec<(String, String, f64, f64, f64, f64, String)>,
    /// The label's size on screen, in pixels.
    label_px: f64,
}

impl Drawn {
    fn rect(&self, id: &str) -> Option<[f64; 4]> {
        self.nodes
            .iter()
            .find(|n| n.0 == id)
            .map(|n| [n.2, n.3, n.4, n.5])
    }

    fn ids(&self) -> HashSet<String> {
        self.nodes.iter().map(|n| n.0.clone()).collect()
    }

    /// Nodes that stick out of the canvas.
    fn outside(&self) -> Vec<&str> {
        let [l, t, r, b] = self.canvas;
        self.nodes
            .iter()
            .filter(|n| n.2 < l - 0.5 || n.3 < t - 0.5 || n.4 > r + 0.5 || n.5 > b + 0.5)
            .map(|n| n.0.as_str())
            .collect()
    }

    /// Pairs of nodes that overlap.
    fn overlapping(&self) -> Vec<(&str, &str)> {
        let mut pairs = Vec::new();
        for (i, a) in self.nodes.iter().enumerate() {
            for b in &self.nodes[i + 1..] {
                if a.2 < b.4 - 0.5 && b.2 < a.4 - 0.5 && a.3 < b.5 - 0.5 && b.3 < a.5 - 0.5 {
                    pairs.push((a.0.as_str(), b.0.as_str()));
                }
            }
        }
        pairs
    }
}

/// Measures the drawing once the graph has loaded and settled.
async fn measure(browser: &Browser) -> Drawn {
    browser
        .wait_for("[data-testid=graph][aria-busy=false] [data-testid=graph-canvas] g[data-node]")
        .await;
    // Two frames: the first drawing is framed in an animation frame.
    let value = browser
        .client()
        .execute_async(
            r#"const done = arguments[0];
            requestAnimationFrame(() => requestAnimationFrame(() => {
                const canvas = document.querySelector('[data-testid=graph-canvas]');
                const c = canvas.getBoundingClientRect();
                const nodes = [...canvas.querySelectorAll('g[data-node]')].map(g => {
                    const r = g.querySelector('.node-body').getBoundingClientRect();
                    return [g.getAttribute('data-node'), g.getAttribute('class'), r.left, r.top, r.right, r.bottom,
                            g.querySelector('.node-label').textContent];
                });
                const label = canvas.querySelector('.node-label');
                const px = parseFloat(getComputedStyle(label).fontSize) * parseFloat(canvas.getAttribute('data-scale'));
                done({ canvas: [c.left, c.top, c.right, c.bottom], nodes, label_px: px });
            }));"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

/// The drawing once `ready` holds of it (it grows as answers arrive), or
/// as it is after 10 s.
async fn settle(browser: &Browser, ready: impl Fn(&Drawn) -> bool) -> Drawn {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = measure(browser).await;
        if ready(&now) || std::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_drawing_of_any_kind_of_node_fits_the_screen_and_can_be_read() {
    let (app, browser) = demo_signed_in().await;
    let credential = app
        .count("SELECT id FROM credential ORDER BY risk_score DESC, id LIMIT 1")
        .await;
    let agent = app
        .count("SELECT id FROM agent WHERE owner_id IS NOT NULL ORDER BY risk_score DESC, id LIMIT 1")
        .await;
    let person = app
        .count("SELECT owner_id FROM agent WHERE owner_id IS NOT NULL GROUP BY owner_id ORDER BY COUNT(*) DESC, owner_id LIMIT 1")
        .await;
    let resource = app
        .count(
            "SELECT resource_id FROM reach GROUP BY resource_id ORDER BY COUNT(*) DESC, resource_id LIMIT 1",
        )
        .await;
    for (start, chain) in [
        (
            format!("credential:{credential}"),
            &["tool", "resource", "person"][..],
        ),
        (
            format!("agent:{agent}"),
            &["person", "tool", "credential", "resource"][..],
        ),
        (
            format!("person:{person}"),
            &["team", "agent", "tool", "credential"][..],
        ),
        (format!("resource:{resource}"), &["credential", "person"][..]),
    ] {
        browser.goto(&app.url(&format!("/graph?node={start}"))).await;
        let drawn = measure(&browser).await;
        let kind = start.split(':').next().unwrap();
        browser.screenshot(&format!("graph-first-{kind}")).await;
        assert!(
            drawn.outside().is_empty(),
            "{start}: out of view: {:?}",
            drawn.outside()
        );
        assert!(
            drawn.overlapping().is_empty(),
            "{start}: overlap: {:?}",
            drawn.overlapping()
        );
        assert!(
            drawn.label_px >= 11.4,
            "{start}: labels are {} px",
            drawn.label_px
        );
        assert!(drawn.nodes.len() <= 60, "{start}: {} nodes", drawn.nodes.len());
        let focus = drawn
            .nodes
            .iter()
            .find(|n| n.0 == start)
            .expect("the start is drawn");
        assert!(focus.1.contains("focus"), "{start} is marked");
        assert!(
            drawn.nodes.iter().all(|n| n.6.chars().count() <= 14),
            "labels are abbreviated"
        );
        // Its own chain leads: each kind of it is drawn.
        for kind in chain {
            assert!(
                drawn.nodes.iter().any(|n| n.0.starts_with(&format!("{kind}:"))),
                "{start}: no {kind} drawn"
            );
        }
    }
    browser.assert_no_console_errors().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expanding_keeps_the_drawing_in_place_and_the_address_brings_it_back() {
    let (app, browser) = demo_signed_in().await;
    let credential = app
        .count("SELECT id FROM credential ORDER BY risk_score DESC, id LIMIT 1")
        .await;
    let root = format!("credential:{credential}");
    browser.goto(&app.url(&format!("/graph?node={root}"))).await;
    let before = measure(&browser).await;

    // Open a fold if there is one, else expand a node with more to show.
    let (target, unexpanded) = drawn(&browser).await;
    let target = match before.nodes.iter().find(|n| n.0.starts_with("fold:")) {
        Some(fold) => fold.0.clone(),
        None => growing_node(&app, &target, unexpanded).await.0,
    };
    click(&browser, &format!("g[data-node='{target}'] .node-body")).await;
    // A fold gives the focus to its parent.
    let focus = target
        .strip_prefix("fold:")
        .map_or(target.as_str(), |rest| rest.split_once(':').unwrap().1);
    browser.wait_for(&format!("g[data-node='{focus}'].focus")).await;
    let after = settle(&browser, |now| now.nodes.len() > before.nodes.len()).await;
    browser.screenshot("graph-grown").await;
    assert!(
        after.overlapping().is_empty(),
        "overlap: {:?}",
        after.overlapping()
    );
    // The nodes drawn before keep their column and their order in it, and
    // the one in focus stays in view.
    assert!(
        after.rect(focus).is_some() && !after.outside().contains(&focus),
        "{focus} left the view"
    );
    for x in &before.nodes {
        for y in &before.nodes {
            let (Some(ax), Some(ay)) = (after.rect(&x.0), after.rect(&y.0)) else {
                continue;
            };
            if (x.2 - y.2).abs() < 1.0 && x.3 < y.3 {
                assert!(
                    (ax[0] - ay[0]).abs() < 1.0 && ax[1] < ay[1],
                    "{} and {} swapped",
                    x.0,
                    y.0
                );
            }
        }
    }
    // Some new nodes are in view.
    let new: Vec<&str> = after
        .nodes
        .iter()
        .filter(|n| before.rect(&n.0).is_none())
        .map(|n| n.0.as_str())
        .collect();
    assert!(!new.is_empty());
    assert!(
        new.iter().any(|id| !after.outside().contains(id)),
        "no new node in view: {new:?}"
    );

    // The address keeps what was opened: reloading it draws the same nodes.
    let url = browser.client().current_url().await.unwrap();
    assert!(url.as_str().contains("expanded="), "{url}");
    browser.goto(url.as_str()).await;
    let again = settle(&browser, |now| now.nodes.len() >= after.nodes.len()).await;
    assert_eq!(again.ids(), after.ids());

    // Export SVG: a well-formed standalone document with every node drawn
    // and the page's styles, saved as a file (and read back by the browser).
    click(&browser, "[data-testid=graph-export]").await;
    let file = browser
        .downloaded(&format!("muster-lineage-credential-{credential}.svg"))
        .await;
    let text = String::from_utf8(file).unwrap();
    assert!(text.starts_with("<?xml"));
    let document = roxmltree::Document::parse(&text).expect("the export is well-formed XML");
    let svg = document.root_element();
    assert_eq!(svg.tag_name().name(), "svg");
    let styles = svg
        .children()
        .find(|n| n.has_tag_name("style"))
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(
        styles.contains(".graph-node") && styles.contains("--kind-agent"),
        "the export carries its styles"
    );
    let nodes: HashSet<String> = svg
        .descendants()
        .filter_map(|n| n.attribute("data-node"))
        .map(str::to_owned)
        .collect();
    assert_eq!(nodes, again.ids());
    browser.assert_no_console_errors().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graph_draws_who_can_reach_a_resource_and_through_one_node() {
    let (app, browser) = demo_signed_in().await;
    let resource = app
        .count(
            "SELECT r.resource_id FROM reach r JOIN credential c ON c.id = r.credential_id \
             WHERE c.status = 'active' GROUP BY r.resource_id ORDER BY COUNT(*) DESC, r.resource_id LIMIT 1",
        )
        .await;
    let to = format!("resource:{resource}");
    let paths: json::Paths = app
        .get_json(&format!("/api/v1/graph/paths?to={to}&limit=50"))
        .await;
    // From the resource page's list to the drawing.
    browser
        .goto(&app.url(&format!("/inventory/resources/{resource}")))
        .await;
    click(&browser, "[data-testid=draw-paths]").await;
    browser
        .wait_for_text("[data-testid=paths-summary]", &format!("{} paths", paths.total))
        .await;
    let drawn = measure(&browser).await;
    browser.screenshot("graph-paths").await;
    assert!(drawn.outside().is_empty(), "out of view: {:?}", drawn.outside());
    assert!(drawn.overlapping().is_empty());
    // Every node drawn is on a path (or folds some), and the weakest links are marked.
    let on_paths: HashSet<&str> = paths.graph.nodes.iter().map(|n| n.id.as_str()).collect();
    for node in &drawn.nodes {
        assert!(
            on_paths.contains(node.0.as_str()) || node.0.starts_with("fold:"),
            "{} is on no path",
            node.0
        );
    }
    if let Some(weak) = paths.paths.iter().find_map(|p| p.weakest.clone())
        && drawn.rect(&weak).is_some()
    {
        browser.wait_for(&format!("g[data-node='{weak}'].weak")).await;
    }
    // How does one agent reach it? Only the paths through that agent.
    let agent = drawn
        .nodes
        .iter()
        .find(|n| n.0.starts_with("agent:"))
        .expect("an agent on the paths")
        .0
        .clone();
    click(&browser, &format!("g[data-node='{agent}'] .node-body")).await;
    click(&browser, "[data-testid=graph-paths-from]").await;
    browser
        .wait_for_text("[data-testid=paths-summary]", "Only the paths through")
        .await;
    let through: json::Paths = app
        .get_json(&format!("/api/v1/graph/paths?to={to}&from={agent}&limit=50"))
        .await;
    let drawn = measure(&browser).await;
    let allowed: HashSet<&str> = through.graph.nodes.iter().map(|n| n.id.as_str()).collect();
    assert!(
        drawn
            .nodes
            .iter()
            .all(|n| allowed.contains(n.0.as_str()) || n.0.starts_with("fold:"))
    );
    assert!(drawn.rect(&agent).is_some());
    browser.screenshot("graph-paths-through").await;
    browser.assert_no_console_errors().await;
    browser.close().await;
}
