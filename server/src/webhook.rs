//! The automation webhook: Muster tells the organisation's own automation
//! what to revoke, by POSTing JSON to a configured URL.
//!
//! Requests follow the [Standard Webhooks](https://www.standardwebhooks.com/)
//! specification, so that receivers can use its libraries: headers
//! `webhook-id` (`msg_<delivery id>`, the same on every retry, to drop
//! duplicates), `webhook-timestamp` (Unix seconds, to reject replays) and
//! `webhook-signature` (`v1,` and the Base64 HMAC-SHA256 of
//! `<id>.<timestamp>.<body>` under the secret `whsec_<Base64 key>`).
//!
//! Deliveries are messages of the one outbox ([`crate::outbox`]), written in
//! the same transaction as the revocation; [`spawn`] sends them from
//! `muster serve`, retrying with exponential back-off, so that neither a
//! failing receiver nor a restart loses one; a webhook that keeps failing
//! is told to admins ([`crate::notify`]). The receiver's answer moves the revocation on: 2xx means the
//! credential is revoked upstream (or only disabled, when the body is
//! `{"state": "disabled"}`); 202 Accepted leaves the revocation as requested,
//! for the automation or an operator to move on later.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use hmac::{Hmac, Mac};
use model::api::{DeliveryState, OutboxTopic, RevocationState};
use sha2::Sha256;
use sqlx::AnyConnection;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::audit::{self, Actor, AuditTarget, Entry, TargetKind};
use crate::db::outbox::Message;
use crate::db::{Db, revocations};
use crate::outbox::{self, Attempt, Courier, Policy, Settled};
use crate::{ApiError, notify, revocation};

/// The prefix of webhook secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// Where and how to deliver.
#[derive(Clone)]
pub struct WebhookConfig {
    /// The receiver's URL (`http` or `https`).
    pub url: reqwest::Url,
    key: Vec<u8>,
    /// The wait before the first retry; each further retry waits twice as
    /// long, up to an hour.
    pub retry_after: Duration,
    /// Attempts before a delivery (and its revocation) is failed.
    pub max_attempts: u32,
    /// How long to wait for the receiver's answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url.as_str())
            .field("key", &"<hidden>")
            .field("retry_after", &self.retry_after)
            .field("max_attempts", &self.max_attempts)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a webhook configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The URL does not parse or is not http(s).
    #[error("the webhook URL {0:?} is not an http:// or https:// URL")]
    Url(String),
    /// The secret is not `whsec_` and Base64 of 24 to 64 bytes.
    #[error("the webhook secret must be \"whsec_\" followed by the Base64 of 24 to 64 random bytes")]
    Secret,
}

impl WebhookConfig {
    /// A configuration with the default retry policy: 30 s, doubling, 10 attempts (about 4 hours).
    pub fn new(url: &str, secret: &str) -> Result<Self, ConfigError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| ConfigError::Url(url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(ConfigError::Url(url.to_owned()));
        }
        let key = secret
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .and_then(|b64| BASE64.decode(b64).ok())
            .filter(|key| (24..=64).contains(&key.len()))
            .ok_or(ConfigError::Secret)?;
        Ok(Self {
            url: parsed,
            key,
            retry_after: Duration::from_secs(30),
            max_attempts: 10,
            timeout: Duration::from_secs(10),
        })
    }

    /// The `webhook-signature` header of a message.
    pub fn signature(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

/// A new random secret, `whsec_` and Base64 of 32 bytes, for `muster webhook secret`.
pub fn new_secret() -> String {
    let mut key = [0_u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
    format!("{SECRET_PREFIX}{}", BASE64.encode(key))
}

/// The revocation webhook's courier in the one outbox ([`crate::outbox`]).
pub struct Revocations {
    config: WebhookConfig,
    client: reqwest::Client,
    policy: Policy,
}

impl Revocations {
    /// The courier of `config`'s webhook.
    pub fn new(config: WebhookConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("Muster/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let policy = Policy {
            attempts: i64::from(config.max_attempts),
            first_retry: config.retry_after,
            longest_wait: Duration::from_secs(3600),
            timeout: config.timeout,
            slots: 4,
            slots_per_lane: 4,
        };
        Ok(Self {
            config,
            client,
            policy,
        })
    }
}

/// Starts the sender of queued deliveries, when a webhook is configured.
pub fn spawn(db: Db, config: Option<WebhookConfig>, wake: Arc<Notify>) -> Option<JoinHandle<()>> {
    let config = config?;
    let url = config.url.clone();
    match Revocations::new(config) {
        Ok(courier) => {
            tracing::info!(url = %url, "sending revocations to the automation webhook");
            Some(outbox::spawn(db, courier, wake))
        }
        Err(error) => {
            tracing::error!(error = ?error, "cannot build the webhook's HTTP client; no deliveries will be sent");
            None
        }
    }
}

impl Courier for Revocations {
    const TOPIC: OutboxTopic = OutboxTopic::Revocation;

    fn policy(&self) -> &Policy {
        &self.policy
    }

    async fn send(&self, delivery: &Message) -> Attempt {
        let id = delivery.message_id();
        let timestamp = Utc::now().timestamp();
        let sent = self
            .client
            .post(self.config.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                self.config.signature(&id, timestamp, &delivery.body),
            )
            .body(delivery.body.clone())
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => return Attempt::failed(None, describe(&error)),
        };
        let status = response.status();
        if !status.is_success() {
            return Attempt::failed(Some(status.as_u16()), format!("the receiver answered {status}"));
        }
        let mut attempt = Attempt::delivered(Some(status.as_u16()));
        if status != reqwest::StatusCode::ACCEPTED {
            // An optional {"state": "disabled" | "revoked"}; anything else means revoked.
            let said = response
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|body| body.get("state")?.as_str()?.parse::<RevocationState>().ok());
            attempt.answer = Some(
                match said {
                    Some(RevocationState::Disabled) => RevocationState::Disabled,
                    _ => RevocationState::Revoked,
                }
                .as_str()
                .to_owned(),
            );
        }
        attempt
    }

    /// Audits a delivery that settled, moves its revocation on by the
    /// receiver's answer, and tells admins of a webhook that keeps failing.
    async fn settle(
        &self,
        conn: &mut AnyConnection,
        delivery: &Message,
        attempt: &Attempt,
        settled: Settled,
    ) -> Result<(), ApiError> {
        let Settled { state, attempts, now } = settled;
        let actor = Actor::System("webhook".into());
        let revocation = delivery.subject.unwrap_or_default();
        let stored = revocations::stored(&mut *conn, revocation).await?;
        if state != DeliveryState::Pending {
            let mut entry = Entry::new(actor.clone(), &format!("webhook.{}", state.as_str()));
            if let Some(stored) = &stored {
                entry = entry.target(AuditTarget::new(TargetKind::Credential, stored.credential));
            }
            let entry = entry.details(serde_json::json!({
                "revocation": revocation,
                "delivery": delivery.id,
                "event": delivery.event,
                "attempts": attempts,
                "status": attempt.status,
                "error": attempt.error,
            }));
            audit::record(&mut *conn, &entry, now).await?;
        }
        if state == DeliveryState::Failed || (state == DeliveryState::Pending && attempts == FAILING_AFTER) {
            notify::webhook_failing(&mut *conn, revocation, delivery.id, attempts, now).await?;
        }
        let move_to = match state {
            DeliveryState::Delivered => attempt.answer.as_deref().and_then(|a| a.parse().ok()),
            DeliveryState::Failed => Some(RevocationState::Failed),
            DeliveryState::Pending => None,
        };
        // Only a revocation still waiting for the automation is moved on by its
        // answer: an operator may have moved it meanwhile.
        if let Some(to) = move_to
            && let Some(stored) = stored
            && stored.state == RevocationState::Requested
        {
            let note = match (to, attempt.status) {
                (RevocationState::Failed, _) => format!("the webhook failed {attempts} times"),
                (_, Some(status)) => format!("the automation answered {status}"),
                (_, None) => String::new(),
            };
            revocation::transition(conn, &stored, to, &actor, Some(&note), None, None, now).await?;
        }
        Ok(())
    }
}

/// Failed attempts after which admins hear that the webhook keeps failing
/// (and again when it is given up).
const FAILING_AFTER: i64 = 3;

/// A transport error in a few words, without the URL's query (which might hold a token).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".into()
    } else if error.is_connect() {
        "cannot connect to the receiver".into()
    } else {
        "the request failed".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        // The example of the Standard Webhooks specification (and Svix's docs).
        let config = WebhookConfig::new(
            "https://example.com/hook",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
        .unwrap();
        assert_eq!(
            config.signature(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn a_webhook_needs_an_http_url_and_a_whsec_secret_of_24_to_64_bytes() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        assert!(WebhookConfig::new("https://hooks.example.com/muster", &secret).is_ok());
        assert!(matches!(
            WebhookConfig::new("ftp://example.com/", &secret),
            Err(ConfigError::Url(_))
        ));
        assert!(matches!(
            WebhookConfig::new("not a url", &secret),
            Err(ConfigError::Url(_))
        ));
        for bad in [
            "",
            "whsec_",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_c2hvcnQ=",
            "whsec_!!!",
        ] {
            assert!(
                matches!(
                    WebhookConfig::new("https://example.com/", bad),
                    Err(ConfigError::Secret)
                ),
                "{bad:?}"
            );
        }
        let debug = format!(
            "{:?}",
            WebhookConfig::new("https://example.com/", &secret).unwrap()
        );
        assert!(
            !debug.contains(&secret[6..]),
            "the key never reaches a log: {debug}"
        );
    }
}
