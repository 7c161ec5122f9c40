//! The HTTP server's limits, against raw TCP clients that misbehave: a
//! client that never finishes its headers, a body that stalls, more requests
//! under way than the server takes, an agent holding long-polls, and a
//! shutdown with a slow upload under way.

use std::time::{Duration, Instant};

use muster_server::Settings;
use muster_tests::{Backend, on_every_backend, spawn_app, spawn_app_with_settings};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The host and port of a test app's base URL.
fn authority(address: &str) -> String {
    address.trim_start_matches("http://").to_owned()
}

/// Reads what the server sends until an answer's head is complete or the
/// server closes the connection (`None` when `limit` passes first).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let read = async {
        let mut answer = Vec::new();
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&answer).into_owned()
    };
    tokio::time::timeout(limit, read).await.ok()
}

/// A POST to `path` whose body never comes past its first byte.
async fn stalled_post(authority: &str, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(authority).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         X-Muster-Client: web\r\nContent-Length: 1000\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut stream = TcpStream::connect(authority(&app.address)).await.unwrap();
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(
        &mut stream,
        muster_server::serve::HEADER_TIMEOUT + Duration::from_secs(5),
    )
    .await
    .expect("the server closes the connection");
    assert!(
        started.elapsed() >= muster_server::serve::HEADER_TIMEOUT - Duration::from_secs(1),
        "not before the timeout"
    );
    assert!(!answer.contains("200 OK"), "{answer}");
}

async fn a_stalled_body_ends_its_request_and_frees_its_slot(backend: Backend) {
    let app = spawn_app_with_settings(
        backend,
        Settings {
            dist: "/nonexistent-dist".into(),
            max_requests: Some(2),
            body_idle_timeout: Some(Duration::from_secs(2)),
            ..Settings::default()
        },
    )
    .await;
    let host = authority(&app.address);
    // Two uploads that stall hold both slots...
    let mut first = stalled_post(&host, "/api/v1/session").await;
    let mut second = stalled_post(&host, "/api/v1/session").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let busy = app
        .anonymous
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(busy.status(), 503);
    assert_eq!(busy.headers()["retry-after"], "1");
    let body: Value = busy.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy");
    // ...but not the health check, which a load balancer needs.
    assert_eq!(
        app.anonymous
            .get(app.url("/api/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // The stalled bodies end their requests with a 4xx, and free the slots.
    for stream in [&mut first, &mut second] {
        let answer = read_until_closed(stream, Duration::from_secs(10))
            .await
            .expect("the stalled request ends");
        let status: u16 = answer.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
        assert!((400..500).contains(&status), "{answer}");
    }
    let freed = app
        .anonymous
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(freed.status(), 200);
}

async fn an_agent_may_hold_four_long_polls_and_no_more(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app
        .signed_in_as("admin@muster.test", &[model::api::Role::Admin])
        .await;
    let agent: i64 = sqlx::query_scalar(
        "INSERT INTO agent (name, category, platform, environment, sanctioned, first_seen) \
         VALUES ('poller', 'self_hosted', 'LangChain', 'dev', 1, '2026-01-01T00:00:00Z') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let bot = app.agent_client_for(&admin, agent).await;
    let mut ids = Vec::new();
    for key in 0..5 {
        let asked: Value = bot
            .post(app.url("/api/v1/approval-requests"))
            .header("idempotency-key", format!("k{key}"))
            .json(&json!({ "operation": "deploy:x", "parameters": { "n": key }, "justification": "tests" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(asked["id"].as_i64().expect("asked"));
    }
    let waiting: Vec<_> = ids[..4]
        .iter()
        .map(|id| {
            let request = bot
                .get(app.url(&format!("/api/v1/approval-requests/{id}?wait=5s")))
                .send();
            tokio::spawn(request)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fifth = bot
        .get(app.url(&format!("/api/v1/approval-requests/{}?wait=5s", ids[4])))
        .send()
        .await
        .unwrap();
    assert_eq!(fifth.status(), 429);
    // A look without waiting is always answered.
    let look = bot
        .get(app.url(&format!("/api/v1/approval-requests/{}", ids[4])))
        .send()
        .await
        .unwrap();
    assert_eq!(look.status(), 200);
    for wait in waiting {
        assert_eq!(wait.await.unwrap().unwrap().status(), 200);
    }
    let again = bot
        .get(app.url(&format!("/api/v1/approval-requests/{}?wait=1s", ids[4])))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "the places are given back");
}

#[tokio::test]
async fn shutdown_does_not_wait_for_ever_on_a_slow_upload() {
    let app = spawn_app(Backend::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let state = muster_server::AppState::new(
        app.db.clone(),
        Settings {
            dist: "/nonexistent-dist".into(),
            ..Settings::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = muster_server::serve::Limits {
        shutdown_grace: Duration::from_secs(1),
        ..Default::default()
    };
    let server = tokio::spawn(muster_server::serve::run(
        listener,
        muster_server::app(state),
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    let _upload = stalled_post(&host, "/api/v1/session").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops within its grace period")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(TcpStream::connect(&host).await.is_err(), "no longer listening");
}

on_every_backend!(
    a_stalled_body_ends_its_request_and_frees_its_slot,
    an_agent_may_hold_four_long_polls_and_no_more,
);
