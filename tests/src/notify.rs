//! Receivers of notifications for tests, real servers on loopback: an SMTP
//! server that accepts every message (and the credentials it was given)
//! and parses what it got with `mail-parser`, and a chat receiver standing
//! for a Slack or Teams incoming webhook (or an event stream) that records
//! each JSON body and its headers; and the people, agent and request of the
//! notification tests.

use std::sync::{Arc, Mutex};

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use model::api::Role;
use muster_server::Settings;
use muster_server::clock::Clock;
use muster_server::notify::{Config, SmtpConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::{Backend, TestApp, spawn_app_with};

/// One message the SMTP server took.
#[derive(Debug, Clone)]
pub struct Mail {
    /// `MAIL FROM`.
    pub from: String,
    /// `RCPT TO`, each.
    pub to: Vec<String>,
    /// The `Subject`.
    pub subject: String,
    /// The `Message-ID`.
    pub message_id: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part.
    pub html: String,
    /// The raw message, as sent.
    pub raw: String,
}

impl Mail {
    /// The first link in the plain-text part: where the reader is sent.
    pub fn link(&self) -> Option<String> {
        self.text
            .lines()
            .find_map(|line| line.split_whitespace().find(|w| w.starts_with("http")))
            .map(str::to_owned)
    }
}

/// An SMTP server on loopback.
#[derive(Clone)]
pub struct SmtpServer {
    /// Its port.
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    logins: Arc<Mutex<Vec<String>>>,
    refuse: Arc<Mutex<bool>>,
}

impl SmtpServer {
    /// Starts one.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = SmtpServer {
            port: listener.local_addr().unwrap().port(),
            mails: Arc::default(),
            logins: Arc::default(),
            refuse: Arc::default(),
        };
        let shared = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = shared.session(stream).await;
                });
            }
        });
        server
    }

    /// `--smtp-url` for this server, with a user name and password.
    pub fn url(&self) -> String {
        format!("smtp://muster:s3cret-smtp@127.0.0.1:{}", self.port)
    }

    /// The messages taken so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// The messages taken for `to`.
    pub fn mails_to(&self, to: &str) -> Vec<Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// The credentials given (`user:password`), each time.
    pub fn logins(&self) -> Vec<String> {
        self.logins.lock().unwrap().clone()
    }

    /// From now on, answers every message with a temporary failure (451).
    pub fn refuse(&self, refuse: bool) {
        *self.refuse.lock().unwrap() = refuse;
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 localhost test SMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            let reply: String = if upper.starts_with("EHLO") {
                "250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME".into()
            } else if upper.starts_with("HELO") {
                "250 localhost".into()
            } else if upper.starts_with("AUTH PLAIN") {
                let encoded = match line.split_whitespace().nth(2) {
                    Some(given) => given.to_owned(),
                    None => {
                        write.write_all(b"334 \r\n").await?;
                        lines.next_line().await?.unwrap_or_default()
                    }
                };
                let decoded = BASE64.decode(encoded.trim()).unwrap_or_default();
                let parts: Vec<String> = decoded
                    .split(|b| *b == 0)
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
                if let [_, user, password] = parts.as_slice() {
                    self.logins.lock().unwrap().push(format!("{user}:{password}"));
                }
                "235 2.7.0 Authentication successful".into()
            } else if upper.starts_with("AUTH LOGIN") {
                write.write_all(b"334 VXNlcm5hbWU6\r\n").await?;
                let user = lines.next_line().await?.unwrap_or_default();
                write.write_all(b"334 UGFzc3dvcmQ6\r\n").await?;
                let password = lines.next_line().await?.unwrap_or_default();
                let text = |b64: &str| {
                    String::from_utf8_lossy(&BASE64.decode(b64.trim()).unwrap_or_default()).into_owned()
                };
                self.logins
                    .lock()
                    .unwrap()
                    .push(format!("{}:{}", text(&user), text(&password)));
                "235 2.7.0 Authentication successful".into()
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&line[10..]);
                to.clear();
                "250 OK".into()
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&line[8..]));
                "250 OK".into()
            } else if upper.starts_with("DATA") {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut raw = String::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    let line = line
                        .strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line);
                    raw.push_str(line);
                    raw.push_str("\r\n");
                }
                if *self.refuse.lock().unwrap() {
                    "451 4.3.0 Try again later".into()
                } else {
                    self.mails.lock().unwrap().push(parse(&from, &to, raw));
                    "250 OK: queued".into()
                }
            } else if upper.starts_with("QUIT") {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            } else {
                // RSET, NOOP and the rest.
                "250 OK".into()
            };
            write.write_all(format!("{reply}\r\n").as_bytes()).await?;
        }
        Ok(())
    }
}

fn address(text: &str) -> String {
    text.trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn parse(from: &str, to: &[String], raw: String) -> Mail {
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .expect("a MIME message");
    Mail {
        from: from.to_owned(),
        to: to.to_vec(),
        subject: parsed.subject().unwrap_or_default().to_owned(),
        message_id: parsed.message_id().unwrap_or_default().to_owned(),
        text: parsed.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: parsed.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        raw,
    }
}

/// One request a chat receiver got.
#[derive(Debug, Clone)]
pub struct Posted {
    /// Its JSON body.
    pub body: serde_json::Value,
    /// Its `webhook-id` header, if any (event streams).
    pub webhook_id: Option<String>,
    /// Its `webhook-signature` header, if any.
    pub signature: Option<String>,
    /// Its `webhook-timestamp` header, if any.
    pub timestamp: Option<String>,
    /// The body as sent.
    pub raw: String,
}

/// A chat receiver on loopback (an incoming webhook): answers 200 `ok`,
/// or what it is told.
#[derive(Clone)]
pub struct ChatReceiver {
    /// Where it listens.
    pub url: String,
    posted: Arc<Mutex<Vec<Posted>>>,
    status: Arc<Mutex<u16>>,
}

impl ChatReceiver {
    /// Starts one.
    pub async fn start() -> Self {
        let posted: Arc<Mutex<Vec<Posted>>> = Arc::default();
        let status = Arc::new(Mutex::new(200_u16));
        let (shared, answer) = (posted.clone(), status.clone());
        let app = axum::Router::new().route(
            "/services/T000/B000/XXXX",
            axum::routing::post(move |headers: axum::http::HeaderMap, raw: String| {
                let (shared, answer) = (shared.clone(), answer.clone());
                async move {
                    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
                    let status = *answer.lock().unwrap();
                    if status == 200 {
                        shared.lock().unwrap().push(Posted {
                            body: serde_json::from_str(&raw).unwrap_or_default(),
                            webhook_id: header("webhook-id"),
                            signature: header("webhook-signature"),
                            timestamp: header("webhook-timestamp"),
                            raw,
                        });
                    }
                    (axum::http::StatusCode::from_u16(status).unwrap(), "ok")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/services/T000/B000/XXXX",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        ChatReceiver { url, posted, status }
    }

    /// What it got so far.
    pub fn posted(&self) -> Vec<Posted> {
        self.posted.lock().unwrap().clone()
    }

    /// From now on, answers `status` (and records nothing unless it is 200).
    pub fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = status;
    }
}

/// Waits up to `seconds` for `done` to hold, looking every 100 ms.
pub async fn eventually(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    done()
}

/// Waits up to `seconds` for `done` (which may ask the database) to answer
/// true, asking every 100 ms.
pub async fn until(seconds: u64, mut done: impl AsyncFnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while tokio::time::Instant::now() < deadline {
        if done().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    done().await
}

/// Settings that send email to `smtp`, with links to `address`, retrying after a second.
pub fn settings(address: &str, smtp: &SmtpServer) -> Settings {
    Settings {
        public_url: Some(url::Url::parse(&format!("{address}/")).unwrap()),
        notify: Config {
            smtp: Some(SmtpConfig::new(&smtp.url(), "Muster <muster@muster.test>").unwrap()),
            first_retry: Duration::from_secs(1),
            ..Config::default()
        },
        ..Settings::default()
    }
}

/// [`settings`], with a scheduler that ticks every 200 ms on `clock`.
pub fn scheduled(address: &str, smtp: &SmtpServer, clock: &Clock) -> Settings {
    Settings {
        clock: clock.clone(),
        schedule: Some(Duration::from_millis(200)),
        ..settings(address, smtp)
    }
}

/// A server sending email to `smtp`, whose scheduler ticks every 200 ms on
/// a manual clock the test moves on.
pub async fn scheduled_app(backend: Backend, smtp: &SmtpServer) -> (TestApp, Clock) {
    let clock = Clock::manual(chrono::Utc::now());
    let app = spawn_app_with(backend, async |address| scheduled(address, smtp, &clock)).await;
    (app, clock)
}

/// A server sending email to `smtp`.
pub async fn notifying_app(backend: Backend, smtp: &SmtpServer) -> TestApp {
    spawn_app_with(backend, async |address| settings(address, smtp)).await
}

/// The people of these tests.
pub struct People {
    /// An admin.
    pub admin: reqwest::Client,
    /// An approver.
    pub ann: reqwest::Client,
    /// Another approver.
    pub ben: reqwest::Client,
    /// release-bot's own token.
    pub bot: reqwest::Client,
    /// release-bot.
    pub agent: i64,
    /// deploy-key, which Olga owns.
    pub credential: i64,
    /// Olga, who owns both.
    pub owner: i64,
}

/// Olga owns release-bot (and is an approver), Ann and Ben approve, Cleo is
/// a CISO, Max manages Olga.
pub async fn people(app: &TestApp) -> People {
    let team = app.insert("INSERT INTO team (name) VALUES ('Platform')").await;
    let max = app
        .insert(&format!(
            "INSERT INTO person (name, email, team_id, status) VALUES ('Max Manager', 'max@muster.test', {team}, 'active')"
        ))
        .await;
    let owner = app
        .insert(&format!(
            "INSERT INTO person (name, email, team_id, manager_id, status) \
             VALUES ('Olga Owner', 'olga@muster.test', {team}, {max}, 'active')"
        ))
        .await;
    let agent = app
        .insert(&format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen) \
             VALUES ('release-bot', 'self_hosted', 'LangChain', 'prod', 1, {owner}, '2026-01-01T00:00:00Z')"
        ))
        .await;
    let credential = app
        .insert(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, created_at, status, owner_id, \
             fingerprint) VALUES ('deploy-key', 'access_key', 'aws', 'AKIADEPLOY', 's3:*', '2026-01-01T00:00:00Z', \
             'active', {owner}, 'fp-5ecret-f1ngerprint')"
        ))
        .await;
    app.insert(
        "INSERT INTO resource (name, provider, kind, environment, sensitivity) \
         VALUES ('orders-db', 'aws', 'database', 'prod', 'restricted')",
    )
    .await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    app.signed_in_as("olga@muster.test", &[Role::Approver]).await;
    app.signed_in_as("cleo@muster.test", &[Role::Ciso]).await;
    People {
        bot: app.agent_client_for(&admin, agent).await,
        ann: app.signed_in_as("ann@muster.test", &[Role::Approver]).await,
        ben: app.signed_in_as("ben@muster.test", &[Role::Approver]).await,
        admin,
        agent,
        credential,
        owner,
    }
}

/// The request of these tests, with a parameter that must never be sent.
pub fn export() -> Value {
    json!({
        "operation": "db:export",
        "resource": "orders-db",
        "parameters": { "table": "customers", "password": "hunter2-never-mailed" },
        "justification": "quarterly churn analysis",
    })
}

pub async fn ask(app: &TestApp, bot: &reqwest::Client, key: &str) -> i64 {
    let response = bot
        .post(app.url("/api/v1/approval-requests"))
        .header("idempotency-key", key)
        .json(&export())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}
