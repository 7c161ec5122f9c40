//! Queries of the one outbox (`outbox`): queueing a message in the caller's
//! transaction, finding what is due, claiming it with a lease, recording an
//! attempt, and what admins see of it.
//!
//! A claim is a compare-and-set on the message's due time, which it moves to
//! the lease's end: of several replicas, exactly one takes a message, and a
//! replica that dies while sending leaves the lease to run out, after which
//! the message is sent again (at least once; receivers drop repeats by the
//! message id, the same on every attempt).

use chrono::{DateTime, Utc};
use model::api::{self as json, DeliveryState, OutboxTopic};
use sqlx::{AnyConnection, FromRow};

use super::Db;
use super::sql::{parse_enum, parse_time, timestamp};

/// A message to queue.
#[derive(Debug, Clone)]
pub struct New<'a> {
    /// What it carries.
    pub topic: OutboxTopic,
    /// The row it is about (a revocation, an approval request).
    pub subject: Option<i64>,
    /// Collapses repeats: a second message with the same key is not queued.
    pub dedupe_key: Option<&'a str>,
    /// Where it goes: a URL, an email address, `channel:<id>`, or `''` for
    /// the configured revocation webhook.
    pub destination: &'a str,
    /// The event it announces.
    pub event: &'a str,
    /// What is sent (or, for an event, its facts).
    pub body: &'a str,
}

/// Queues a message made at `now`, due at once; answers its id, or `None`
/// when a message with the same dedupe key was queued before. "At once" is
/// by the real clock, which the senders go by, whatever `now` says (the
/// approval workflow's clock, set by hand in tests).
pub async fn enqueue(
    conn: &mut AnyConnection,
    new: &New<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let due = Utc::now();
    sqlx::query_scalar(
        "INSERT INTO outbox (topic, subject_id, dedupe_key, destination, event, body, state, attempts, \
         created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8) \
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(new.topic.as_str())
    .bind(new.subject)
    .bind(new.dedupe_key)
    .bind(new.destination)
    .bind(new.event)
    .bind(new.body)
    .bind(timestamp(now))
    .bind(timestamp(due))
    .fetch_optional(conn)
    .await
}

/// A message to attempt.
#[derive(Debug, Clone, FromRow)]
pub struct Message {
    /// Its id.
    pub id: i64,
    /// The row it is about.
    #[sqlx(rename = "subject_id")]
    pub subject: Option<i64>,
    /// The id it is sent with, when not `msg_<id>` (callbacks queued
    /// before the outbox was one).
    message_id: Option<String>,
    /// Where it goes.
    pub destination: String,
    /// The event it announces.
    pub event: String,
    /// What is sent.
    pub body: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// When it was due, as stored: the claim compares it.
    next_attempt_at: String,
}

impl Message {
    /// The id receivers see (`webhook-id`, `Message-ID`): the same on every attempt.
    pub fn message_id(&self) -> String {
        self.message_id
            .clone()
            .unwrap_or_else(|| format!("msg_{}", self.id))
    }
}

/// Pending messages of `topic` due at `now`, oldest first.
pub async fn due(
    db: &Db,
    topic: OutboxTopic,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Message>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, subject_id, message_id, destination, event, body, attempts, next_attempt_at FROM outbox \
         WHERE topic = $1 AND state = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3",
    )
    .bind(topic.as_str())
    .bind(timestamp(now))
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// When the next pending message of `topic` is due, if any.
pub async fn next_due(db: &Db, topic: OutboxTopic) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let next: Option<String> =
        sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE topic = $1 AND state = 'pending'")
            .bind(topic.as_str())
            .fetch_one(db.pool())
            .await?;
    Ok(next.and_then(|text| parse_time("next_attempt_at", &text).ok()))
}

/// Takes a due message for this process until `lease_until`; false when
/// another took it first. Taken, the message holds its lease, which
/// [`record`] checks.
pub async fn claim(db: &Db, message: &mut Message, lease_until: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let lease = timestamp(lease_until);
    let done = db.execute(sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND state = 'pending' AND next_attempt_at = $3",
    )
    .bind(&lease)
    .bind(message.id)
    .bind(&message.next_attempt_at)
    )
    .await?;
    let taken = done.rows_affected() == 1;
    if taken {
        message.next_attempt_at = lease;
    }
    Ok(taken)
}

/// What came of an attempt, to record.
#[derive(Debug, Clone)]
pub struct Recorded<'a> {
    /// Where the message now stands.
    pub state: DeliveryState,
    /// The receiver's status code, if it answered.
    pub status: Option<u16>,
    /// What went wrong.
    pub error: Option<&'a str>,
    /// When it is due again (pending).
    pub retry_at: DateTime<Utc>,
}

/// Records an attempt at a message claimed by this process, in the
/// caller's transaction; false when its lease ran out and another process
/// claimed it meanwhile (whose attempt then counts, not this one).
pub async fn record(
    conn: &mut AnyConnection,
    message: &Message,
    recorded: &Recorded<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let now = timestamp(now);
    let done = sqlx::query(
        "UPDATE outbox SET state = $1, attempts = attempts + 1, last_attempt_at = $2, last_status = $3, \
         last_error = $4, next_attempt_at = $5, \
         delivered_at = CASE WHEN $1 = 'delivered' THEN $2 ELSE delivered_at END \
         WHERE id = $6 AND state = 'pending' AND next_attempt_at = $7",
    )
    .bind(recorded.state.as_str())
    .bind(&now)
    .bind(recorded.status.map(i64::from))
    .bind(recorded.error)
    .bind(timestamp(recorded.retry_at))
    .bind(message.id)
    .bind(&message.next_attempt_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A message as its sender and admins see it.
#[derive(Debug, FromRow)]
pub struct Row {
    /// Its id.
    pub id: i64,
    topic: String,
    /// The event it announces.
    pub event: String,
    /// Where it goes.
    pub destination: String,
    state: String,
    /// Attempts made.
    pub attempts: i64,
    created_at: String,
    last_attempt_at: Option<String>,
    /// The last answer's status.
    pub last_status: Option<i64>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    next_attempt_at: String,
    delivered_at: Option<String>,
    /// The channel's name, for a message to a channel.
    channel_name: Option<String>,
}

const ROW: &str = "SELECT o.id, o.topic, o.event, o.destination, o.state, o.attempts, o.created_at, \
     o.last_attempt_at, o.last_status, o.last_error, o.next_attempt_at, o.delivered_at, ch.name AS channel_name \
     FROM outbox o LEFT JOIN notification_channel ch \
     ON o.topic = 'notification' AND o.destination = 'channel:' || CAST(ch.id AS TEXT)";

impl Row {
    /// Where it stands.
    pub fn state(&self) -> Result<DeliveryState, sqlx::Error> {
        parse_enum("state", &self.state)
    }

    /// A revocation's delivery, as its page shows it.
    pub fn delivery(&self) -> Result<json::Delivery, sqlx::Error> {
        let state = self.state()?;
        Ok(json::Delivery {
            id: self.id,
            event: self.event.clone(),
            state,
            attempts: self.attempts,
            created_at: parse_time("created_at", &self.created_at)?,
            last_attempt_at: self
                .last_attempt_at
                .as_deref()
                .map(|t| parse_time("last_attempt_at", t))
                .transpose()?,
            last_status: self.last_status,
            last_error: self.last_error.clone(),
            next_attempt_at: (state == DeliveryState::Pending)
                .then(|| parse_time("next_attempt_at", &self.next_attempt_at))
                .transpose()?,
            delivered_at: self
                .delivered_at
                .as_deref()
                .map(|t| parse_time("delivered_at", t))
                .transpose()?,
        })
    }

    /// The message as admins see it: never its body, nor a URL (which may
    /// hold a token), but an address, a channel's name or a host.
    pub fn message(&self) -> Result<json::OutboxMessage, sqlx::Error> {
        let topic: OutboxTopic = parse_enum("topic", &self.topic)?;
        let recipient = match (&self.channel_name, topic) {
            (Some(name), _) => name.clone(),
            (None, OutboxTopic::Revocation) => "the revocation webhook".to_owned(),
            (None, OutboxTopic::Event) => "everyone it concerns".to_owned(),
            (None, OutboxTopic::Callback) => reqwest::Url::parse(&self.destination)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .unwrap_or_default(),
            (None, OutboxTopic::Notification) => self.destination.clone(),
        };
        Ok(json::OutboxMessage {
            id: self.id,
            topic,
            event: self.event.clone(),
            recipient,
            state: self.state()?,
            attempts: self.attempts,
            created_at: parse_time("created_at", &self.created_at)?,
            delivered_at: self
                .delivered_at
                .as_deref()
                .map(|t| parse_time("delivered_at", t))
                .transpose()?,
            last_error: self.last_error.clone(),
        })
    }
}

/// The newest messages of `topic` about `subject`.
pub async fn of_subject(
    conn: &mut AnyConnection,
    topic: OutboxTopic,
    subject: i64,
    limit: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ROW} WHERE o.topic = $1 AND o.subject_id = $2 ORDER BY o.id DESC LIMIT $3"
    ))
    .bind(topic.as_str())
    .bind(subject)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Counts by state and the newest 100 messages matching `query`.
pub async fn status(db: &Db, query: &json::OutboxQuery) -> Result<json::OutboxStatus, sqlx::Error> {
    let counts: Vec<(String, i64)> = sqlx::query_as("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        .fetch_all(db.pool())
        .await?;
    let count = |state: DeliveryState| {
        counts
            .iter()
            .find(|(s, _)| s == state.as_str())
            .map_or(0, |(_, n)| *n)
    };
    // Only the conditions asked for, so that an index serves each view.
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(state) = query.state {
        values.push(state.as_str());
        conditions.push(format!("o.state = ${}", values.len()));
    }
    if let Some(topic) = query.topic {
        values.push(topic.as_str());
        conditions.push(format!("o.topic = ${}", values.len()));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!("{ROW} {filter} ORDER BY o.id DESC LIMIT 100");
    let mut rows = sqlx::query_as::<_, Row>(&sql);
    for value in values {
        rows = rows.bind(value);
    }
    let rows = rows.fetch_all(db.pool()).await?;
    Ok(json::OutboxStatus {
        pending: count(DeliveryState::Pending),
        delivered: count(DeliveryState::Delivered),
        failed: count(DeliveryState::Failed),
        messages: rows.iter().map(Row::message).collect::<Result<_, _>>()?,
    })
}

/// One message.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Row>, sqlx::Error> {
    sqlx::query_as(&format!("{ROW} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Gives a dead letter another round of attempts, due at `now`; false when
/// it is not a dead letter.
pub async fn retry(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2 AND state = 'failed'",
    )
    .bind(timestamp(now))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Queues an event, in the caller's transaction, for the event courier to
/// tell whoever should hear of it ([`crate::notify`]): `key` names the
/// occurrence (`approval:12`), and an event raised twice for one key is
/// queued once.
pub async fn raise(
    conn: &mut AnyConnection,
    event: json::NotifyEvent,
    key: &str,
    facts: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let dedupe_key = format!("{}:{key}", event.as_str());
    let body = serde_json::json!({ "key": key, "facts": facts }).to_string();
    let new = New {
        topic: OutboxTopic::Event,
        subject: None,
        dedupe_key: Some(&dedupe_key),
        destination: "",
        event: event.as_str(),
        body: &body,
    };
    enqueue(conn, &new, now).await?;
    Ok(())
}

/// Forgets delivered events and notifications made before `before` (the
/// daily job): they were told, and the audit log keeps what changed. The
/// revocation webhook's and callbacks' messages stay, as their pages show them.
pub async fn prune(conn: &mut AnyConnection, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM outbox WHERE topic IN ('event', 'notification') AND state = 'delivered' AND created_at < $1",
    )
    .bind(timestamp(before))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
