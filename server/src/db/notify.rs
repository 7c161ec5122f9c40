//! Queries of notifications: the organisation's channels, each person's
//! preferences, notices held for a digest, and who should hear of an event
//! (approvers by role, an owner, a manager, admins).

use chrono::{DateTime, Utc};
use model::api::{self as json, ChannelKind, NotifyDelivery, NotifyEvent, Role};
use sqlx::{AnyConnection, FromRow};

use super::sql::{parse_enum, parse_time, timestamp};

/// A channel as stored.
#[derive(Debug, Clone, FromRow)]
pub struct ChannelRow {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    kind: String,
    /// Where to post (secret: never answered through the API).
    pub url: String,
    /// An event stream's signing secret.
    pub secret: Option<String>,
    events: String,
    created_by: String,
    created_at: String,
}

impl ChannelRow {
    /// Its kind.
    pub fn kind(&self) -> Result<ChannelKind, sqlx::Error> {
        parse_enum("kind", &self.kind)
    }

    /// What it hears (empty: everything).
    pub fn events(&self) -> Result<Vec<NotifyEvent>, sqlx::Error> {
        self.events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(|e| parse_enum("events", e))
            .collect()
    }

    /// Whether it hears `event`.
    pub fn hears(&self, event: NotifyEvent) -> bool {
        self.events.is_empty() || self.events.split(',').any(|e| e == event.as_str())
    }

    /// The channel as admins see it: its URL's host only.
    pub fn public(&self) -> Result<json::NotificationChannel, sqlx::Error> {
        Ok(json::NotificationChannel {
            id: self.id,
            name: self.name.clone(),
            kind: self.kind()?,
            host: reqwest::Url::parse(&self.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default(),
            signed: self.secret.is_some(),
            events: self.events()?,
            created_by: self.created_by.clone(),
            created_at: parse_time("created_at", &self.created_at)?,
        })
    }
}

const CHANNEL: &str =
    "SELECT id, name, kind, url, secret, events, created_by, created_at FROM notification_channel";

/// Every channel, by name.
pub async fn channels(conn: &mut AnyConnection) -> Result<Vec<ChannelRow>, sqlx::Error> {
    sqlx::query_as(&format!("{CHANNEL} ORDER BY name, id"))
        .fetch_all(conn)
        .await
}

/// One channel.
pub async fn channel(conn: &mut AnyConnection, id: i64) -> Result<Option<ChannelRow>, sqlx::Error> {
    sqlx::query_as(&format!("{CHANNEL} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A channel's name is taken.
pub async fn channel_named(conn: &mut AnyConnection, name: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM notification_channel WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// A new channel, checked.
#[derive(Debug)]
pub struct NewChannel<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its kind.
    pub kind: ChannelKind,
    /// Where to post.
    pub url: &'a str,
    /// An event stream's secret.
    pub secret: Option<&'a str>,
    /// What it hears.
    pub events: &'a [NotifyEvent],
}

/// Adds a channel; answers its id.
pub async fn create_channel(
    conn: &mut AnyConnection,
    new: &NewChannel<'_>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let mut events: Vec<&str> = new.events.iter().map(|e| e.as_str()).collect();
    events.sort_unstable();
    events.dedup();
    sqlx::query_scalar(
        "INSERT INTO notification_channel (name, kind, url, secret, events, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.name)
    .bind(new.kind.as_str())
    .bind(new.url)
    .bind(new.secret)
    .bind(events.join(","))
    .bind(by)
    .bind(timestamp(now))
    .fetch_one(conn)
    .await
}

/// Removes a channel, takes it off the rules that named it, and gives up
/// the messages still waiting for it (a new channel must never receive them).
pub async fn delete_channel(conn: &mut AnyConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET state = 'failed', last_error = 'the channel was removed' \
         WHERE topic = 'notification' AND state = 'pending' AND destination = $1",
    )
    .bind(format!("channel:{id}"))
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE approval_rule SET channel_id = NULL WHERE channel_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM notification_channel WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// How `email` hears of each event they chose (others: each time).
pub async fn preferences(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Vec<(NotifyEvent, NotifyDelivery)>, sqlx::Error> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event, delivery FROM notification_preference WHERE email = $1")
            .bind(email.to_lowercase())
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|(event, delivery)| Ok((parse_enum("event", event)?, parse_enum("delivery", delivery)?)))
        .collect()
}

/// How `email` hears of `event`.
pub async fn delivery(
    conn: &mut AnyConnection,
    email: &str,
    event: NotifyEvent,
) -> Result<NotifyDelivery, sqlx::Error> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT delivery FROM notification_preference WHERE email = $1 AND event = $2")
            .bind(email.to_lowercase())
            .bind(event.as_str())
            .fetch_optional(conn)
            .await?;
    found.map_or(Ok(NotifyDelivery::Each), |d| parse_enum("delivery", &d))
}

/// Sets how `email` hears of `event`.
pub async fn set_delivery(
    conn: &mut AnyConnection,
    email: &str,
    event: NotifyEvent,
    delivery: NotifyDelivery,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_preference (email, event, delivery) VALUES ($1, $2, $3) \
         ON CONFLICT (email, event) DO UPDATE SET delivery = excluded.delivery",
    )
    .bind(email.to_lowercase())
    .bind(event.as_str())
    .bind(delivery.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Holds a notice for `email`'s next digest.
pub async fn hold_for_digest(
    conn: &mut AnyConnection,
    email: &str,
    event: NotifyEvent,
    title: &str,
    link: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_digest (email, event, title, link, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(email.to_lowercase())
    .bind(event.as_str())
    .bind(title)
    .bind(link)
    .bind(timestamp(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// A notice held for a digest.
#[derive(Debug, Clone, FromRow)]
pub struct Held {
    /// Its id.
    pub id: i64,
    /// Whose it is.
    pub email: String,
    /// What it says.
    pub title: String,
    /// Where to look.
    pub link: String,
}

/// Every notice held for a digest, by person (at most `limit`).
pub async fn held(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Held>, sqlx::Error> {
    sqlx::query_as("SELECT id, email, title, link FROM notification_digest ORDER BY email, id LIMIT $1")
        .bind(limit)
        .fetch_all(conn)
        .await
}

/// Lets go of the notices up to `last` of `email`, sent in a digest.
pub async fn release(conn: &mut AnyConnection, email: &str, last: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM notification_digest WHERE email = $1 AND id <= $2")
        .bind(email)
        .bind(last)
        .execute(conn)
        .await?;
    Ok(())
}

/// An account that may be told of something.
#[derive(Debug, Clone, FromRow)]
pub struct Account {
    /// Its email.
    pub email: String,
    roles: String,
    /// The person it is, if linked.
    pub person_id: Option<i64>,
}

/// The enabled accounts holding `role` whose person has not left.
pub async fn accounts_with_role(conn: &mut AnyConnection, role: Role) -> Result<Vec<Account>, sqlx::Error> {
    let rows: Vec<Account> = sqlx::query_as(
        "SELECT a.email, a.roles, a.person_id FROM account a LEFT JOIN person p ON p.id = a.person_id \
         WHERE a.disabled = 0 AND (p.id IS NULL OR p.status = 'active') ORDER BY a.email",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|account| super::accounts::parse_roles(&account.roles).contains(&role))
        .collect())
}

/// Whether `email` is an enabled account whose person has not left (a
/// requester told of the decision).
pub async fn standing_account(conn: &mut AnyConnection, email: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT a.id FROM account a LEFT JOIN person p ON p.id = a.person_id \
         WHERE a.email = $1 AND a.disabled = 0 AND (p.id IS NULL OR p.status = 'active')",
    )
    .bind(email.to_lowercase())
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// A person's email, if they are still with the organisation.
pub async fn active_email(conn: &mut AnyConnection, person: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM person WHERE id = $1 AND status = 'active'")
        .bind(person)
        .fetch_optional(conn)
        .await
}

/// A person's manager, as the people import records it
/// (`person.manager_id`), if still active.
pub async fn manager_of(conn: &mut AnyConnection, person: i64) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.id, m.email FROM person p JOIN person m ON m.id = p.manager_id \
         WHERE p.id = $1 AND m.status = 'active'",
    )
    .bind(person)
    .fetch_optional(conn)
    .await
}

/// What a notice about an approval request needs.
#[derive(Debug, Clone, FromRow)]
pub struct RequestFacts {
    /// The request.
    pub id: i64,
    /// Its agent.
    pub agent_id: i64,
    /// The agent's name.
    pub agent_name: String,
    /// The operation asked for.
    pub operation: String,
    /// The resource named.
    pub resource_name: Option<String>,
    /// The rule that applied.
    pub rule_name: String,
    /// The rule's channel.
    pub channel_id: Option<i64>,
    /// Approvals needed.
    pub required_approvals: i64,
    /// Approvals so far.
    pub approvals: i64,
    /// Who may decide.
    pub approver_role: String,
    /// Where it stands.
    pub state: String,
    /// When it expires.
    pub expires_at: String,
    /// Who asked.
    pub requested_by: String,
    /// The agent's owner now.
    pub owner_id: Option<i64>,
    /// The agent's deployer now.
    pub deployer_id: Option<i64>,
    /// The agent's owner when the request was made.
    pub owner_then: Option<i64>,
    /// The agent's deployer when the request was made.
    pub deployer_then: Option<i64>,
}

/// The facts of a request, for a notice.
pub async fn request_facts(conn: &mut AnyConnection, id: i64) -> Result<Option<RequestFacts>, sqlx::Error> {
    sqlx::query_as(
        "SELECT q.id, q.agent_id, a.name AS agent_name, q.operation, q.resource_name, q.rule_name, \
         r.channel_id, q.required_approvals, q.approvals, q.approver_role, q.state, q.expires_at, q.requested_by, \
         a.owner_id, a.deployed_by_id AS deployer_id, q.owner_id AS owner_then, q.deployer_id AS deployer_then \
         FROM approval_request q JOIN agent a ON a.id = q.agent_id LEFT JOIN approval_rule r ON r.id = q.rule_id \
         WHERE q.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Who voted on a request.
pub async fn voters(conn: &mut AnyConnection, request: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT approver FROM approval_vote WHERE request_id = $1")
        .bind(request)
        .fetch_all(conn)
        .await
}

/// Pending requests expiring before `until`, not reminded yet, that have
/// lived at least half their time (a short request is not reminded at once).
pub async fn to_remind(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, created_at, expires_at FROM approval_request WHERE state = 'pending' AND reminded_at IS NULL \
         AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at LIMIT 100",
    )
    .bind(timestamp(now))
    .bind(timestamp(until))
    .fetch_all(conn)
    .await
}

/// Marks a request reminded; false when another replica did first.
pub async fn mark_reminded(
    conn: &mut AnyConnection,
    request: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    super::sql::stamp_once(conn, "approval_request", "reminded_at", request, now).await
}

/// A credential's name, owner and environment-free facts for a notice.
#[derive(Debug, Clone, FromRow)]
pub struct CredentialFacts {
    /// Its name.
    pub name: String,
    /// Its owner.
    pub owner_id: Option<i64>,
    /// Its score.
    pub risk_score: i64,
}

/// A credential's facts, for a notice.
pub async fn credential_facts(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<CredentialFacts>, sqlx::Error> {
    sqlx::query_as("SELECT name, owner_id, risk_score FROM credential WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A manager to summarise a week for: their person and team.
pub async fn managers(conn: &mut AnyConnection) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let accounts = accounts_with_role(conn, Role::Manager).await?;
    let mut managers = Vec::new();
    for account in accounts {
        let Some(person) = account.person_id else {
            continue;
        };
        let team: Option<Option<i64>> =
            sqlx::query_scalar("SELECT team_id FROM person WHERE id = $1 AND status = 'active'")
                .bind(person)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(Some(team)) = team {
            managers.push((person, team));
        }
    }
    Ok(managers)
}

/// What a team and its sub-teams have to fix, as the weekly summary tells it.
#[derive(Debug, Clone, Default, FromRow)]
pub struct Gaps {
    /// The team's name.
    pub team: String,
    /// Active credentials without an owner.
    pub credentials_unowned: i64,
    /// Of those with an owner, owned by someone who left.
    pub credentials_orphaned: i64,
    /// Active credentials scored critical.
    pub credentials_critical: i64,
    /// Agents without an owner.
    pub agents_unowned: i64,
    /// Agents whose owner left.
    pub agents_orphaned: i64,
}

/// The gaps counted against `team` and its sub-teams (as the Overview and
/// My teams count them, by each item's coverage team).
pub async fn team_gaps(conn: &mut AnyConnection, team: i64) -> Result<Gaps, sqlx::Error> {
    let mut params = super::sql::Params::default();
    let subtree = super::sql::team_subtree(&mut params, team);
    let team_param = params.bind(team);
    let critical = model::api::RiskBand::Critical.range().0;
    sqlx::query_as_with(
        &format!(
            "SELECT (SELECT name FROM team WHERE id = {team_param}) AS team, \
             (SELECT COUNT(*) FROM credential c WHERE c.status = 'active' AND c.owner_id IS NULL \
               AND c.coverage_team_id IN {subtree}) AS credentials_unowned, \
             (SELECT COUNT(*) FROM credential c JOIN person p ON p.id = c.owner_id WHERE c.status = 'active' \
               AND p.status = 'departed' AND c.coverage_team_id IN {subtree}) AS credentials_orphaned, \
             (SELECT COUNT(*) FROM credential c WHERE c.status = 'active' AND c.risk_score >= {critical} \
               AND c.coverage_team_id IN {subtree}) AS credentials_critical, \
             (SELECT COUNT(*) FROM agent a WHERE a.owner_id IS NULL AND a.coverage_team_id IN {subtree}) \
               AS agents_unowned, \
             (SELECT COUNT(*) FROM agent a JOIN person p ON p.id = a.owner_id WHERE p.status = 'departed' \
               AND a.coverage_team_id IN {subtree}) AS agents_orphaned"
        ),
        params.args(),
    )
    .fetch_one(conn)
    .await
}
