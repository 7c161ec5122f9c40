//! The one outbox: how everything Muster sends leaves it. A message is
//! queued in the same transaction as the change it announces
//! ([`crate::db::outbox::enqueue`]), so that none is lost to a crash; a
//! sender per topic ([`spawn`]) finds what is due, claims each message with a
//! lease (so that one replica sends it), hands it to the topic's
//! [`Courier`], and records the attempt: delivered, due again after a
//! back-off, or failed for good (a dead letter, which an admin may retry).
//!
//! Four couriers use it: the revocation webhook ([`crate::webhook`]),
//! approval callbacks ([`crate::approval`]), the organisation's events,
//! which fan out to the people and channels that should hear of them, and
//! the notifications they become ([`crate::notify`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use model::api::{DeliveryState, OutboxTopic};
use sqlx::AnyConnection;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

use crate::ApiError;
use crate::db::Db;
use crate::db::outbox::{self, Message, Recorded};
use crate::serve::PerKey;

/// How a topic's messages are sent and retried.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Attempts before a message is given up (a dead letter).
    pub attempts: i64,
    /// The wait before the first retry; each further retry waits twice as long.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub longest_wait: Duration,
    /// How long one attempt may take: the lease is this and a margin.
    pub timeout: Duration,
    /// Messages sent at once, in all.
    pub slots: usize,
    /// Messages sent at once to one destination ([`Courier::lane`]): a slow
    /// receiver holds these, not everyone's slots.
    pub slots_per_lane: usize,
}

impl Policy {
    /// How long to wait after `attempts` failed attempts.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
        self.first_retry
            .saturating_mul(2_u32.saturating_pow(doublings))
            .min(self.longest_wait)
    }
}

/// What came of one attempt.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    /// The receiver's status code, if it answered.
    pub status: Option<u16>,
    /// What went wrong; `None` means delivered.
    pub error: Option<String>,
    /// Whether to give up now rather than retry (the destination is no
    /// longer allowed, the channel was removed).
    pub give_up: bool,
    /// What the receiver said, for the courier's [`Courier::settle`].
    pub answer: Option<String>,
}

impl Attempt {
    /// Delivered, with the receiver's status if there was one.
    pub fn delivered(status: Option<u16>) -> Self {
        Self {
            status,
            ..Self::default()
        }
    }

    /// Failed, to be retried.
    pub fn failed(status: Option<u16>, error: impl Into<String>) -> Self {
        Self {
            status,
            error: Some(error.into()),
            ..Self::default()
        }
    }

    /// Failed, and not worth retrying.
    pub fn refused(error: impl Into<String>) -> Self {
        Self {
            error: Some(error.into()),
            give_up: true,
            ..Self::default()
        }
    }
}

/// What an attempt settled, for [`Courier::settle`].
#[derive(Debug, Clone, Copy)]
pub struct Settled {
    /// Where the message now stands.
    pub state: DeliveryState,
    /// Attempts made, this one included.
    pub attempts: i64,
    /// When it was recorded.
    pub now: DateTime<Utc>,
}

/// How one topic's messages are sent.
pub trait Courier: Send + Sync + 'static {
    /// The topic it sends.
    const TOPIC: OutboxTopic;

    /// Its retry policy.
    fn policy(&self) -> &Policy;

    /// Whether this process can send `message` at all (a replica without a
    /// mail server leaves email to those with one).
    fn accepts(&self, _message: &Message) -> bool {
        true
    }

    /// The destination a message goes to, for [`Policy::slots_per_lane`].
    fn lane(&self, _message: &Message) -> String {
        String::new()
    }

    /// Makes one attempt.
    fn send(&self, message: &Message) -> impl Future<Output = Attempt> + Send;

    /// What else an attempt changes, in the transaction that records it
    /// (a revocation moved on, an audit entry, an event's fan-out).
    fn settle(
        &self,
        _conn: &mut AnyConnection,
        _message: &Message,
        _attempt: &Attempt,
        _settled: Settled,
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        async { Ok(()) }
    }

    /// Called once an attempt and what it settled are committed.
    fn after_commit(&self) {}
}

/// Starts the sender of `courier`'s topic: it wakes when `wake` is notified
/// (a message was queued, a slot came free) and whenever the next retry is due.
pub fn spawn<C: Courier>(db: Db, courier: C, wake: Arc<Notify>) -> JoinHandle<()> {
    let courier = Arc::new(courier);
    tokio::spawn(async move {
        let slots = Arc::new(Semaphore::new(courier.policy().slots));
        let lanes = PerKey::new(courier.policy().slots_per_lane);
        loop {
            if let Err(error) = start_due(&db, &courier, &slots, &lanes, &wake).await {
                tracing::error!(error = ?error, topic = C::TOPIC.as_str(), "sending the outbox failed");
            }
            let wait = match outbox::next_due(&db, C::TOPIC).await {
                Ok(Some(next)) => (next - Utc::now()).to_std().unwrap_or_default(),
                _ => Duration::from_secs(5),
            };
            // Due times are whole seconds: never spin faster.
            let wait = wait.clamp(Duration::from_millis(200), Duration::from_secs(5));
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// Starts an attempt for each message due, as slots allow: each claimed (for
/// one attempt's time, from the moment of its claim, so that no other
/// replica sends it meanwhile) and sent in a task of its own.
async fn start_due<C: Courier>(
    db: &Db,
    courier: &Arc<C>,
    slots: &Arc<Semaphore>,
    lanes: &PerKey<String>,
    wake: &Arc<Notify>,
) -> Result<(), ApiError> {
    let policy = courier.policy();
    for mut message in outbox::due(db, C::TOPIC, Utc::now(), 100).await? {
        if !courier.accepts(&message) {
            continue;
        }
        let Some(place) = lanes.take(courier.lane(&message)) else {
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            break;
        };
        let lease = Utc::now() + policy.timeout + Duration::from_secs(5);
        if !outbox::claim(db, &mut message, lease).await? {
            continue;
        }
        let (db, courier, wake) = (db.clone(), courier.clone(), wake.clone());
        tokio::spawn(async move {
            let attempt = courier.send(&message).await;
            match record(&db, courier.as_ref(), &message, &attempt).await {
                Ok(()) => courier.after_commit(),
                Err(error) => {
                    tracing::error!(error = ?error, topic = C::TOPIC.as_str(), message = message.id,
                    "recording an outbox attempt (or what it settles) failed; the message is tried again")
                }
            }
            drop((place, slot));
            // What waited for this slot or lane may go now.
            wake.notify_one();
        });
    }
    Ok(())
}

/// Records an attempt and what it settles, in one transaction. An attempt
/// whose lease ran out (another process claimed the message meanwhile)
/// records nothing. When what it settles fails, the attempt is recorded as
/// failed on its own, so that a message that cannot be settled ends as a
/// dead letter instead of being sent for ever.
async fn record<C: Courier>(
    db: &Db,
    courier: &C,
    message: &Message,
    attempt: &Attempt,
) -> Result<(), ApiError> {
    let policy = courier.policy();
    let now = Utc::now();
    let attempts = message.attempts + 1;
    let state = |attempt: &Attempt| {
        if attempt.error.is_none() {
            DeliveryState::Delivered
        } else if attempt.give_up || attempts >= policy.attempts {
            DeliveryState::Failed
        } else {
            DeliveryState::Pending
        }
    };
    let recorded = Recorded {
        state: state(attempt),
        status: attempt.status,
        error: attempt.error.as_deref(),
        retry_at: now + policy.backoff(attempts),
    };
    let mut tx = db.begin().await?;
    if !outbox::record(&mut tx, message, &recorded, now).await? {
        tx.rollback().await?;
        return Ok(());
    }
    let settled = Settled {
        state: recorded.state,
        attempts,
        now,
    };
    let settling = courier.settle(&mut tx, message, attempt, settled).await;
    if let Err(error) = settling {
        tx.rollback().await?;
        let failed = Attempt::failed(
            attempt.status,
            format!("recording what it changed failed: {error}"),
        );
        let recorded = Recorded {
            state: state(&failed),
            error: failed.error.as_deref(),
            ..recorded
        };
        let mut tx = db.begin().await?;
        outbox::record(&mut tx, message, &recorded, now).await?;
        tx.commit().await?;
        return Err(error);
    }
    tx.commit().await?;
    Ok(())
}

/// An HTTP error in a few words, with its causes (the refusal of a private
/// address is a cause of reqwest's connection error), without the URL,
/// which may hold a token.
pub fn error_text(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text = format!("{text}: {inner}");
        cause = inner.source();
    }
    match error.url() {
        Some(url) => text.replace(url.as_str(), "the destination"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_the_longest_wait() {
        let policy = Policy {
            attempts: 10,
            first_retry: Duration::from_secs(30),
            longest_wait: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            slots: 1,
            slots_per_lane: 1,
        };
        let waits: Vec<u64> = (1..=9).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(policy.backoff(i64::MAX).as_secs(), 3600);
        assert_eq!(policy.backoff(0).as_secs(), 30);
    }
}
