//! A webhook receiver for tests: a real HTTP server on loopback that
//! answers as told and records what it got, and checks signatures the way a
//! receiver following Standard Webhooks would (independently of Muster's
//! own signing code).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use muster_server::Settings;
use muster_server::webhook::WebhookConfig;
use sha2::Sha256;

/// The signing secret the receiver shares with the server under test.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
    /// The body as sent.
    pub body: String,
}

impl Received {
    /// Whether the signature is that of [`SECRET`] over `id.timestamp.body`.
    pub fn verify(&self) -> bool {
        let key = BASE64.decode(SECRET.strip_prefix("whsec_").unwrap()).unwrap();
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = BASE64.encode(mac.finalize().into_bytes());
        self.signature.split(' ').any(|s| s == format!("v1,{expected}"))
    }
}

/// A receiver on loopback: answers each request with the next of its
/// answers (the last one repeats) and records what it got.
#[derive(Clone)]
pub struct Receiver {
    /// Where it listens.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<Vec<(u16, String)>>>,
    delay: Arc<Mutex<Duration>>,
}

impl Receiver {
    /// Starts one that will answer `answers` (status, body) in turn.
    pub async fn start(answers: &[(u16, &str)]) -> Self {
        let receiver = Receiver {
            url: String::new(),
            received: Arc::default(),
            answers: Arc::default(),
            delay: Arc::default(),
        };
        receiver.answer(answers);
        let shared = receiver.clone();
        let app = axum::Router::new().route(
            "/hooks/muster",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let shared = shared.clone();
                async move {
                    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
                    shared.received.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp").parse().unwrap(),
                        signature: header("webhook-signature"),
                        body,
                    });
                    let delay = *shared.delay.lock().unwrap();
                    tokio::time::sleep(delay).await;
                    let (status, body) = {
                        let mut answers = shared.answers.lock().unwrap();
                        if answers.len() > 1 {
                            answers.remove(0)
                        } else {
                            answers[0].clone()
                        }
                    };
                    (axum::http::StatusCode::from_u16(status).unwrap(), body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/muster", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, ..receiver }
    }

    /// From now on, takes `delay` before each answer (a slow receiver).
    pub fn delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// From now on, answers `answers` in turn (the last one repeats).
    pub fn answer(&self, answers: &[(u16, &str)]) {
        *self.answers.lock().unwrap() = answers.iter().map(|(s, b)| (*s, (*b).to_owned())).collect();
    }

    /// Server settings that send to this receiver, retrying after 1 s
    /// (then 2 s, 4 s...) up to `max_attempts`, hosting `dist`.
    pub fn settings(&self, max_attempts: u32, dist: std::path::PathBuf) -> Settings {
        let mut config = WebhookConfig::new(&self.url, SECRET).unwrap();
        config.retry_after = Duration::from_secs(1);
        config.max_attempts = max_attempts;
        config.timeout = Duration::from_secs(2);
        Settings {
            dist,
            webhook: Some(config),
            ..Settings::default()
        }
    }

    /// What it got so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
