//! The notice courier: sends each queued notification by email (SMTP, with
//! lettre) or to an organisation channel (Slack, Microsoft Teams, or a
//! signed event stream), and says which failures are worth retrying.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use model::api::{ChannelKind, OutboxTopic};
use serde::Deserialize;

use crate::db::outbox::Message;
use crate::db::{Db, notify as db};
use crate::outbox::{Attempt, Courier, Policy};
use crate::webhook::WebhookConfig;

/// Where email goes: the mail server's URL (which holds its password, so it
/// is never shown) and the sender's address.
#[derive(Clone)]
pub struct SmtpConfig {
    url: String,
    /// The `From` of every message.
    pub from: Mailbox,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = url::Url::parse(&self.url)
            .map(|u| {
                format!(
                    "{}://{}:{}",
                    u.scheme(),
                    u.host_str().unwrap_or(""),
                    u.port().unwrap_or(0)
                )
            })
            .unwrap_or_default();
        f.debug_struct("SmtpConfig")
            .field("server", &shown)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl SmtpConfig {
    /// `url` is `smtp://user:pass@host:587` (STARTTLS whenever the server
    /// offers it; `?tls=required` insists, `?tls=none` never tries: a relay
    /// on the same host), or `smtps://user:pass@host:465` (TLS from the
    /// start); `from` an address, with a name if wanted
    /// (`Muster <muster@example.com>`).
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let mut parsed = url::Url::parse(url)
            .map_err(|_| "--smtp-url is not a URL like smtp://user:pass@host:587".to_owned())?;
        if parsed.scheme() == "smtp" {
            let tls = parsed
                .query_pairs()
                .find(|(k, _)| k == "tls")
                .map(|(_, v)| v.into_owned());
            match tls.as_deref() {
                // lettre reads a plain `smtp://` as "never encrypt"; a
                // password should not cross the network in the clear
                // when the server could take it encrypted.
                None => {
                    parsed.query_pairs_mut().append_pair("tls", "opportunistic");
                }
                Some("none") => parsed.set_query(None),
                Some(_) => {}
            }
        }
        let url = parsed.to_string();
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| format!("--smtp-url is not an smtp:// or smtps:// URL Muster can use: {e}"))?;
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("--smtp-from {from:?} is not an email address: {e}"))?;
        Ok(Self { url, from })
    }
}

/// An email as queued ([`super::render::email`]).
#[derive(Debug, Deserialize)]
struct Email {
    to: String,
    subject: String,
    text: String,
    html: String,
}

/// The notice courier.
pub struct Notices {
    db: Db,
    mailer: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    client: reqwest::Client,
    policy: Policy,
}

impl Notices {
    /// The courier, sending email through `smtp` when there is one.
    pub fn new(db: Db, smtp: Option<&SmtpConfig>, first_retry: Duration) -> Result<Self, String> {
        let timeout = Duration::from_secs(15);
        let mailer = match smtp {
            Some(config) => Some((
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url)
                    .map_err(|e| e.to_string())?
                    .timeout(Some(timeout))
                    .build(),
                config.from.clone(),
            )),
            None => None,
        };
        // Channels are set by admins (a Slack or Teams URL, an automation on
        // the organisation's network), so any address; never a redirect.
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("Muster/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            db,
            mailer,
            client,
            policy: Policy {
                attempts: 8,
                first_retry,
                longest_wait: Duration::from_secs(3600),
                timeout,
                slots: 16,
                slots_per_lane: 8,
            },
        })
    }

    async fn email(&self, message: &Message) -> Attempt {
        let Some((mailer, from)) = &self.mailer else {
            return Attempt::refused("this server sends no email (no --smtp-url)");
        };
        let Ok(email) = serde_json::from_str::<Email>(&message.body) else {
            return Attempt::refused("the queued email cannot be read");
        };
        let Ok(to) = email.to.parse::<Mailbox>() else {
            return Attempt::refused(format!("{:?} is not an email address", email.to));
        };
        let domain = from.email.domain().to_owned();
        let built = lettre::Message::builder()
            .from(from.clone())
            .to(to)
            .subject(email.subject)
            // The same on every attempt, so that a mail system can drop a repeat.
            .message_id(Some(format!("<{}@{domain}>", message.message_id())))
            .multipart(MultiPart::alternative_plain_html(email.text, email.html));
        let built = match built {
            Ok(built) => built,
            Err(error) => return Attempt::refused(format!("the email cannot be built: {error}")),
        };
        match mailer.send(built).await {
            Ok(response) => Attempt::delivered(Some(u16::from(response.code()))),
            Err(error) if error.is_permanent() => {
                Attempt::refused(format!("the mail server refused it: {error}"))
            }
            Err(error) => Attempt::failed(None, format!("the mail server could not take it: {error}")),
        }
    }

    async fn channel(&self, message: &Message, id: i64) -> Attempt {
        let channel = match self.db.pool().acquire().await {
            Ok(mut conn) => db::channel(&mut conn, id).await,
            Err(error) => Err(error),
        };
        let channel = match channel {
            Ok(Some(channel)) => channel,
            Ok(None) => return Attempt::refused("the channel was removed"),
            Err(error) => return Attempt::failed(None, format!("cannot read the channel: {error}")),
        };
        let mut request = self
            .client
            .post(&channel.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if matches!(channel.kind(), Ok(ChannelKind::Webhook))
            && let Some(secret) = &channel.secret
        {
            let Ok(signer) = WebhookConfig::new(&channel.url, secret) else {
                return Attempt::refused("the channel's URL or secret is not usable");
            };
            let id = message.message_id();
            let timestamp = chrono::Utc::now().timestamp();
            request = request
                .header("webhook-id", &id)
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    signer.signature(&id, timestamp, &message.body),
                );
        }
        match request.body(message.body.clone()).send().await {
            Ok(response) if response.status().is_success() => {
                Attempt::delivered(Some(response.status().as_u16()))
            }
            // A wrong or revoked URL does not mend itself.
            Ok(response) if matches!(response.status().as_u16(), 400 | 401 | 403 | 404 | 410) => Attempt {
                status: Some(response.status().as_u16()),
                ..Attempt::refused(format!("the channel answered {}", response.status()))
            },
            Ok(response) => Attempt::failed(
                Some(response.status().as_u16()),
                format!("the channel answered {}", response.status()),
            ),
            Err(error) => Attempt::failed(None, crate::outbox::error_text(&error)),
        }
    }
}

impl Courier for Notices {
    const TOPIC: OutboxTopic = OutboxTopic::Notification;

    fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Email waits for a replica with a mail server.
    fn accepts(&self, message: &Message) -> bool {
        self.mailer.is_some() || message.destination.starts_with("channel:")
    }

    /// The mail server is one lane; each channel another.
    fn lane(&self, message: &Message) -> String {
        if message.destination.starts_with("channel:") {
            message.destination.clone()
        } else {
            "smtp".to_owned()
        }
    }

    async fn send(&self, message: &Message) -> Attempt {
        match message.destination.strip_prefix("channel:") {
            Some(id) => match id.parse() {
                Ok(id) => self.channel(message, id).await,
                Err(_) => Attempt::refused("no such channel"),
            },
            None => self.email(message).await,
        }
    }
}
