//! How long the Overview takes to show its figures on a large organisation,
//! in headless Chromium: from navigation to the answer line, the cards and
//! every chart being on screen (issue 6 asks for 1.5 s).
//!
//! `make bench` runs it after the API benchmarks, on the same database and
//! the built web app (`dist/`). The baseline, measured in the same run, is
//! navigating to a screen that reads nothing from the API (the graph
//! placeholder): the cost of loading and starting the app itself.

use std::time::{Duration, Instant};

use muster_tests::bench;
use muster_tests::browser::Browser;

const RUNS: usize = 10;

/// Navigates to `path` and waits until every selector in `ready` is present.
async fn time_to(browser: &Browser, url: &str, ready: &[&str]) -> Duration {
    // A blank page first, so that every run starts the app from nothing.
    browser.goto("about:blank").await;
    let started = Instant::now();
    browser.goto(url).await;
    for css in ready {
        browser.wait_for(css).await;
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let (path, db) = bench::open_large().await;
    let base = bench::serve_web_app(&db).await;
    bench::ensure_account(&db).await;
    let browser = Browser::start().await;
    bench::sign_in_browser(&browser, &base).await;

    let overview = [
        "[data-testid=answer]",
        "[data-testid=cards]",
        "[data-testid=histogram] svg",
        "[data-testid=risk-trend] svg",
        "[data-testid=team-coverage] svg",
        "[data-testid=coverage-trend] svg",
        "[data-testid=top-credentials] tr",
    ];
    let cases: [(&str, String, &[&str]); 2] = [
        (
            "baseline: a screen that reads no API",
            format!("{base}/graph"),
            &["main h1"],
        ),
        (
            "overview: figures and charts on screen",
            format!("{base}/"),
            &overview,
        ),
    ];
    println!(
        "Overview in headless Chromium on {} ({RUNS} navigations per row, after 2 warm-up ones)",
        path.display()
    );
    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>10}",
        "navigation", "min ms", "p50 ms", "max ms", "p50/base"
    );
    let mut baseline = None;
    for (name, url, ready) in cases {
        for _ in 0..2 {
            time_to(&browser, &url, ready).await;
        }
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            times.push(time_to(&browser, &url, ready).await);
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p50 = ms(times[RUNS / 2]);
        let base_p50 = *baseline.get_or_insert(p50);
        println!(
            "{name:<44} {:>9.0} {p50:>9.0} {:>9.0} {:>9.1}x",
            ms(times[0]),
            ms(*times.last().unwrap()),
            p50 / base_p50
        );
    }
    browser.close().await;
}
