//! Latency benchmark of the inventory read API on a large organisation.
//!
//! `make bench` runs it: it opens (or first generates) the `large` demo
//! organisation, serves it on a free port, and times sequential requests per
//! endpoint. The baseline, measured in the same run, is `GET /api/health`
//! (one trivial query): each endpoint's p99 is also printed as a ratio to it.

use std::path::Path;
use std::time::{Duration, Instant};

use muster_tests::bench;

const RUNS: usize = 100;

#[tokio::main]
async fn main() {
    let (path, db) = bench::open_large().await;
    let base = bench::serve(&db, Path::new("dist")).await;
    let client = bench::signed_in_client(&db, &base).await;

    // Identifiers to look up, taken from the data itself.
    let key: String = sqlx::query_scalar(
        "SELECT external_id FROM credential WHERE kind = 'access_key' AND id > 150000 LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    let fingerprint: String = sqlx::query_scalar("SELECT fingerprint FROM credential WHERE id = 123457")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let engineering: i64 = sqlx::query_scalar("SELECT id FROM team WHERE name = 'Engineering'")
        .fetch_one(db.pool())
        .await
        .unwrap();

    let cases: Vec<(&str, Vec<String>)> = vec![
        ("baseline: GET /api/health", vec!["/api/health".into()]),
        (
            "agents, filtered (category + environment + sanctioned)",
            vec!["/api/v1/agents?category=cloud&environment=prod&sanctioned=false".into()],
        ),
        (
            "agents of a team subtree, unowned excluded",
            vec![format!("/api/v1/agents?team={engineering}&has_no_owner=false")],
        ),
        (
            "credentials, filtered (kind + status), page 20",
            vec!["/api/v1/credentials?kind=access_key&status=active&page=20".into()],
        ),
        (
            "credentials reaching prod, sorted by last use",
            vec!["/api/v1/credentials?environment=prod&sort=-last_used_at".into()],
        ),
        (
            "credentials by key id (q=)",
            vec![format!("/api/v1/credentials?q={key}")],
        ),
        (
            "credentials by name (q=)",
            vec!["/api/v1/credentials?q=deploy-assistant-1234".into()],
        ),
        (
            "copies of kind chat_message",
            vec!["/api/v1/copies?kind=chat_message&status=present".into()],
        ),
        (
            "resources restricted in prod",
            vec!["/api/v1/resources?sensitivity=restricted&environment=prod".into()],
        ),
        (
            "people of a team subtree",
            vec![format!("/api/v1/people?team={engineering}")],
        ),
        (
            "lineage of one credential (depth 2)",
            (1..=RUNS)
                .map(|i| format!("/api/v1/graph/lineage?node=credential:{}&depth=2", i * 997))
                .collect(),
        ),
        (
            "credential detail",
            (1..=RUNS)
                .map(|i| format!("/api/v1/credentials/{}", i * 991))
                .collect(),
        ),
        (
            "blast radius",
            (1..=RUNS)
                .map(|i| format!("/api/v1/credentials/{}/blast-radius", i * 983))
                .collect(),
        ),
        ("search by key id", vec![format!("/api/v1/search?q={key}")]),
        (
            "search by fingerprint",
            vec![format!("/api/v1/search?q={fingerprint}")],
        ),
        ("search by name", vec!["/api/v1/search?q=payments-release".into()]),
        (
            "search with no match",
            vec!["/api/v1/search?q=no-such-thing-anywhere".into()],
        ),
        ("overview figures", vec!["/api/v1/overview".into()]),
        ("risk summary", vec!["/api/v1/risk/summary".into()]),
        (
            "owner coverage of the organisation",
            vec!["/api/v1/coverage".into()],
        ),
        (
            "owner coverage of a team subtree",
            vec![format!("/api/v1/coverage?team={engineering}")],
        ),
        (
            "ownership gaps of a team subtree, orphans by due date",
            vec![format!(
                "/api/v1/ownership/gaps?team={engineering}&state=orphaned&sort=due"
            )],
        ),
    ];

    println!(
        "Inventory API latency on {} ({RUNS} sequential requests per row, after 10 warm-up requests)",
        path.display()
    );
    println!(
        "{:<56} {:>9} {:>9} {:>9} {:>11}",
        "endpoint", "p50 ms", "p99 ms", "max ms", "p99/base"
    );
    let mut baseline = None;
    for (name, paths) in cases {
        for path in paths.iter().cycle().take(10) {
            get(&client, &base, path).await;
        }
        let mut times = Vec::with_capacity(RUNS);
        for path in paths.iter().cycle().take(RUNS) {
            let started = Instant::now();
            get(&client, &base, path).await;
            times.push(started.elapsed());
        }
        times.sort();
        let p50 = ms(times[RUNS / 2]);
        let p99 = ms(times[RUNS * 99 / 100 - 1]);
        let base_p99 = *baseline.get_or_insert(p99);
        println!(
            "{name:<56} {p50:>9.2} {p99:>9.2} {:>9.2} {:>10.1}x",
            ms(*times.last().unwrap()),
            p99 / base_p99
        );
    }
}

async fn get(client: &reqwest::Client, base: &str, path: &str) {
    let response = client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let body = response.bytes().await.unwrap();
    assert!(
        status.is_success(),
        "{path}: {status}: {}",
        String::from_utf8_lossy(&body)
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
