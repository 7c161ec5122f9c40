//! The lineage graph on the `large` demo organisation: how long the API takes
//! to answer the explorer's first question about a node (its lineage, five
//! hops along its own chain, as the explorer asks) and "who can reach this
//! resource" (fifty paths), and how long the web app takes to lay out a
//! drawing of about two hundred nodes in headless Chromium.
//!
//! `make bench` runs it. The API baseline, measured in the same run, is
//! reading one credential's page (`GET /api/v1/credentials/{id}`): one
//! entity, a handful of queries. The layout figure is the app's own
//! measurement of [`arrange`](../../app/src/components/graph/mod.rs),
//! which it writes on the canvas as `data-layout-ms`.

use std::time::{Duration, Instant};

use model::api as json;
use muster_tests::bench;
use muster_tests::browser::Browser;

const RUNS: usize = 20;
/// The explorer's first walk (app/src/pages/graph: START_DEPTH).
const DEPTH: u32 = 5;

/// The median and the slowest of `RUNS` answers to `url`, after 2 warm-up ones.
async fn time(client: &reqwest::Client, url: &str) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(RUNS);
    for run in 0..RUNS + 2 {
        let started = Instant::now();
        let response = client.get(url).send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        response.bytes().await.unwrap();
        if run >= 2 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    (times[RUNS / 2], times[RUNS - 1])
}

async fn one(db: &muster_server::db::Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

#[tokio::main]
async fn main() {
    let (path, db) = bench::open_large().await;
    let base = bench::serve_web_app(&db).await;
    let client = bench::signed_in_client(&db, &base).await;
    let credential = one(
        &db,
        "SELECT id FROM credential ORDER BY risk_score DESC, id LIMIT 1",
    )
    .await;
    let agent = one(&db, "SELECT id FROM agent ORDER BY risk_score DESC, id LIMIT 1").await;
    let person = one(
        &db,
        "SELECT owner_id FROM agent WHERE owner_id IS NOT NULL GROUP BY owner_id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .await;
    let team = one(
        &db,
        "SELECT team_id FROM person GROUP BY team_id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .await;
    let resource = one(
        &db,
        "SELECT resource_id FROM reach GROUP BY resource_id ORDER BY COUNT(*) DESC LIMIT 1",
    )
    .await;
    let cases = [
        (
            "baseline: one credential's page".to_owned(),
            format!("/api/v1/credentials/{credential}"),
        ),
        (
            "lineage of the riskiest credential".to_owned(),
            format!("/api/v1/graph/lineage?node=credential:{credential}&depth={DEPTH}"),
        ),
        (
            "lineage of the riskiest agent".to_owned(),
            format!("/api/v1/graph/lineage?node=agent:{agent}&depth={DEPTH}"),
        ),
        (
            "lineage of the person with most agents".to_owned(),
            format!("/api/v1/graph/lineage?node=person:{person}&depth={DEPTH}"),
        ),
        (
            "lineage of the largest team".to_owned(),
            format!("/api/v1/graph/lineage?node=team:{team}&depth={DEPTH}"),
        ),
        (
            "paths to the most reached resource".to_owned(),
            format!("/api/v1/graph/paths?to=resource:{resource}&limit=50"),
        ),
    ];
    println!(
        "Graph API on {} ({RUNS} requests per row, after 2 warm-up ones)",
        path.display()
    );
    println!(
        "{:<44} {:>7} {:>9} {:>9} {:>10} {:>8}",
        "request", "nodes", "p50 ms", "max ms", "p50/base", "<300 ms"
    );
    let mut baseline = None;
    for (name, url) in &cases {
        let url = format!("{base}{url}");
        let nodes = if url.contains("/graph/lineage") {
            client
                .get(&url)
                .send()
                .await
                .unwrap()
                .json::<json::Lineage>()
                .await
                .unwrap()
                .nodes
                .len()
        } else if url.contains("/graph/paths") {
            client
                .get(&url)
                .send()
                .await
                .unwrap()
                .json::<json::Paths>()
                .await
                .unwrap()
                .graph
                .nodes
                .len()
        } else {
            1
        };
        let (p50, max) = time(&client, &url).await;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let base_p50 = *baseline.get_or_insert(ms(p50));
        println!(
            "{name:<44} {nodes:>7} {:>9.1} {:>9.1} {:>9.1}x {:>8}",
            ms(p50),
            ms(max),
            ms(p50) / base_p50,
            if ms(p50) < 300.0 { "met" } else { "missed" }
        );
    }

    // The layout, in the browser: the largest team's drawing with its first
    // nodes opened, until about two hundred nodes are drawn.
    let lineage: json::Lineage = client
        .get(format!(
            "{base}/api/v1/graph/lineage?node=team:{team}&depth={DEPTH}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let browser = Browser::start().await;
    bench::sign_in_browser(&browser, &base).await;
    println!();
    println!("Layout in headless Chromium (the app's own measurement of one layout)");
    println!("{:<44} {:>7} {:>9}", "drawing", "nodes", "ms");
    for open in [0, 10, 20, 40] {
        let expanded: Vec<&str> = lineage
            .nodes
            .iter()
            .filter(|n| n.more.is_none())
            .take(open)
            .map(|n| n.id.as_str())
            .collect();
        let url = format!("{base}/graph?node=team:{team}&expanded={}", expanded.join(","));
        browser.goto(&url).await;
        browser
            .wait_for("[data-testid=graph][aria-busy=false] [data-testid=graph-canvas] g[data-node]")
            .await;
        let canvas = browser.wait_for("[data-testid=graph-canvas]").await;
        let nodes = browser
            .client()
            .find_all(fantoccini::Locator::Css(
                "[data-testid=graph-canvas] g[data-node]",
            ))
            .await
            .unwrap()
            .len();
        let ms = canvas.attr("data-layout-ms").await.unwrap().unwrap_or_default();
        println!("{:<44} {nodes:>7} {ms:>9}", format!("team, {open} nodes opened"));
    }
    browser.close().await;
}
