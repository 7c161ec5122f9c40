//! Telling people what Muster needs of them. A change raises an event in its
//! own transaction (an approval request, a leaver's orphans, a credential
//! turned critical: the functions of [`raise`]), as a message of the one outbox
//! ([`crate::outbox`]). The event courier ([`Events`]) then works out who
//! should hear of it (the approvers a rule names, an owner, a manager,
//! admins, the channels that listen) and queues one message for each, by
//! their preferences: at once, held for a daily digest, or not at all. The
//! notice courier ([`send::Notices`]) sends those by email (SMTP) and to
//! Slack, Microsoft Teams and signed event streams.
//!
//! Repeats collapse at both steps: an event is queued once per occurrence,
//! and a message once per event per recipient, whatever replicas or retries
//! do. No message carries a secret, token or fingerprint: names, what was
//! asked, and a link to the screen where it is decided.

mod audience;
mod raise;
pub mod render;
pub mod send;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use model::api::{NotifyDelivery, NotifyEvent, OutboxTopic};
use serde_json::Value;
use sqlx::AnyConnection;
use tokio::sync::Notify;

use crate::ApiError;
use crate::db::outbox::{self, Message};
use crate::db::{Db, notify as db};
use crate::outbox::{Attempt, Courier, Policy, Settled};
use audience::plan;
pub use raise::{
    approval_decided, approval_requested, assigned, orphaned, remind_approvers, webhook_failing,
    weekly_summaries,
};
pub use render::Notice;
pub use send::{Notices, SmtpConfig};

/// How this server notifies.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where people open Muster: every link in a message starts with it.
    pub base: url::Url,
    /// The mail server, if email is sent (`--smtp-url`, `--smtp-from`).
    pub smtp: Option<SmtpConfig>,
    /// The wait before a failed message is tried again (doubling each time).
    pub first_retry: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            base: url::Url::parse("http://localhost:8080/").expect("a valid URL"),
            smtp: None,
            first_retry: std::time::Duration::from_secs(10),
        }
    }
}

impl Config {
    /// The absolute address of a screen's `path` (`/approvals?request=3`).
    pub fn link(&self, path: &str) -> String {
        let base = self.base.as_str().trim_end_matches('/');
        format!("{base}{path}")
    }
}

// Fanning events out.

/// The event courier: turns each event into messages for the people and
/// channels that should hear of it, in the transaction that records the
/// event as delivered, so that a retry or another replica adds none.
pub struct Events {
    config: Config,
    policy: Policy,
    notices: Arc<Notify>,
}

impl Events {
    /// The courier; `notices` wakes the notice courier when it queued messages.
    pub fn new(config: Config, notices: Arc<Notify>) -> Self {
        Self {
            config,
            policy: Policy {
                attempts: 5,
                first_retry: std::time::Duration::from_secs(2),
                longest_wait: std::time::Duration::from_secs(60),
                timeout: std::time::Duration::from_secs(30),
                slots: 4,
                slots_per_lane: 4,
            },
            notices,
        }
    }
}

impl Courier for Events {
    const TOPIC: OutboxTopic = OutboxTopic::Event;

    fn policy(&self) -> &Policy {
        &self.policy
    }

    async fn send(&self, _message: &Message) -> Attempt {
        // The work is the fan-out, done where the attempt is recorded.
        Attempt::delivered(None)
    }

    async fn settle(
        &self,
        conn: &mut AnyConnection,
        message: &Message,
        _attempt: &Attempt,
        settled: Settled,
    ) -> Result<(), ApiError> {
        fan_out(conn, &self.config, message, settled.now).await
    }

    fn after_commit(&self) {
        self.notices.notify_one();
    }
}

/// Queues the messages of one event.
async fn fan_out(
    conn: &mut AnyConnection,
    config: &Config,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let Ok(event) = message.event.parse::<NotifyEvent>() else {
        return Ok(());
    };
    let body: Value = serde_json::from_str(&message.body).unwrap_or_default();
    let key = body["key"].as_str().unwrap_or_default().to_owned();
    let Some(plan) = plan(conn, config, event, &body["facts"]).await? else {
        return Ok(());
    };
    let mut told = std::collections::HashSet::new();
    for (email, why) in &plan.people {
        let email = email.to_lowercase();
        if !told.insert(email.clone()) {
            continue;
        }
        match db::delivery(conn, &email, event).await? {
            NotifyDelivery::Each if config.smtp.is_some() => {
                let body = render::email(&plan.notice, &email, why);
                queue(conn, event, &key, &email, &body, now).await?;
            }
            NotifyDelivery::Digest => {
                db::hold_for_digest(conn, &email, event, &plan.notice.title, &plan.notice.link, now).await?;
            }
            NotifyDelivery::Each | NotifyDelivery::Off => {}
        }
    }
    for channel in db::channels(conn).await? {
        if !(channel.hears(event) || plan.channel == Some(channel.id)) {
            continue;
        }
        let body = render::for_channel(&plan.notice, &channel.name, channel.kind()?, &key);
        queue(conn, event, &key, &format!("channel:{}", channel.id), &body, now).await?;
    }
    Ok(())
}

/// Queues one message, once per event per recipient.
async fn queue(
    conn: &mut AnyConnection,
    event: NotifyEvent,
    key: &str,
    destination: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let dedupe_key = format!("{}:{key}:{destination}", event.as_str());
    let new = outbox::New {
        topic: OutboxTopic::Notification,
        subject: None,
        dedupe_key: Some(&dedupe_key),
        destination,
        event: event.as_str(),
        body,
    };
    outbox::enqueue(conn, &new, now).await?;
    Ok(())
}

/// Sends each person's held notices as one digest email (the daily job),
/// and lets go of them in the same transaction.
pub async fn send_digests(db: &Db, config: &Config, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let held = {
        let mut conn = db.pool().acquire().await?;
        db::held(&mut conn, 10_000).await?
    };
    let mut by_person: std::collections::BTreeMap<String, Vec<db::Held>> = Default::default();
    for notice in held {
        by_person.entry(notice.email.clone()).or_default().push(notice);
    }
    let mut sent = 0;
    for (email, notices) in by_person {
        let last = notices.iter().map(|n| n.id).max().unwrap_or_default();
        let mut tx = db.begin().await?;
        if config.smtp.is_some() {
            let body = render::digest(&notices, &email, &config.link("/notifications"));
            let new = outbox::New {
                topic: OutboxTopic::Notification,
                subject: None,
                dedupe_key: Some(&format!("digest:{email}:{}", now.format("%Y-%m-%d"))),
                destination: &email,
                event: "digest",
                body: &body,
            };
            outbox::enqueue(&mut tx, &new, now).await?;
            sent += 1;
        }
        db::release(&mut tx, &email, last).await?;
        tx.commit().await?;
    }
    Ok(sent)
}
