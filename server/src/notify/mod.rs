//! Telling people what Muster needs of them. A change raises an event in its
//! own transaction (an approval request, a leaver's orphans, a credential
//! turned critical: the functions below), as a message of the one outbox
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

pub mod render;
pub mod send;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use model::api::{self as json, NotifyDelivery, NotifyEvent, OutboxTopic, Role};
use serde_json::{Value, json};
use sqlx::AnyConnection;
use tokio::sync::Notify;

use crate::ApiError;
use crate::db::outbox::{self, Message};
use crate::db::{Db, notify as db};
use crate::outbox::{Attempt, Courier, Policy, Settled};
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

// Raising events, in the transaction of the change they announce.

/// An approval request waits for a decision.
pub async fn approval_requested(
    conn: &mut AnyConnection,
    request: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    about_request(conn, NotifyEvent::ApprovalRequested, request, now).await
}

/// An approval request was decided, or expired.
pub async fn approval_decided(
    conn: &mut AnyConnection,
    request: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    about_request(conn, NotifyEvent::ApprovalDecided, request, now).await
}

/// Raises `event` about an approval request, once per request.
async fn about_request(
    conn: &mut AnyConnection,
    event: NotifyEvent,
    request: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let facts = json!({ "request": request });
    outbox::raise(conn, event, &format!("approval:{request}"), facts, now).await
}

/// A person left, and what they owned has no owner.
pub async fn orphaned(
    conn: &mut AnyConnection,
    person: &json::Ref,
    agents: &[json::Ref],
    credentials: &[json::Ref],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if agents.is_empty() && credentials.is_empty() {
        return Ok(());
    }
    let facts = json!({ "person": person, "agents": agents, "credentials": credentials });
    let key = format!("person:{}:{}", person.id, now.timestamp());
    outbox::raise(conn, NotifyEvent::OwnershipOrphaned, &key, facts, now).await
}

/// Agents or credentials were given to `owner` by `by`.
pub async fn assigned(
    conn: &mut AnyConnection,
    owner: &json::Ref,
    kind: json::OwnedKind,
    items: &[json::Ref],
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if items.is_empty() {
        return Ok(());
    }
    let facts = json!({ "owner": owner, "kind": kind, "items": items, "by": by });
    let key = format!("person:{}:{kind}:{}:{}", owner.id, items[0].id, now.timestamp());
    outbox::raise(conn, NotifyEvent::OwnershipAssigned, &key, facts, now).await
}

/// The revocation webhook failed `attempts` times for one delivery.
pub async fn webhook_failing(
    conn: &mut AnyConnection,
    revocation: i64,
    delivery: i64,
    attempts: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let facts = json!({ "revocation": revocation, "attempts": attempts });
    outbox::raise(
        conn,
        NotifyEvent::WebhookFailing,
        &format!("delivery:{delivery}:{attempts}"),
        facts,
        now,
    )
    .await
}

/// Raises each manager's weekly summary of their teams' unowned, orphaned
/// and critical items (the weekly job; `week` names it, `2026-W49`), in one
/// transaction; answers how many were raised.
pub async fn weekly_summaries(db: &Db, week: &str, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let mut tx = db.begin().await?;
    let managers = db::managers(&mut tx).await?;
    for (person, team) in &managers {
        let facts = json!({ "person": person, "team": team });
        outbox::raise(
            &mut tx,
            NotifyEvent::OwnershipWeekly,
            &format!("person:{person}:{week}"),
            facts,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(managers.len())
}

/// Reminds approvers of pending requests in the last tenth of their time
/// (at most 15 minutes before they expire), once each.
pub async fn remind_approvers(db: &Db, now: DateTime<Utc>) -> Result<(), ApiError> {
    let due = {
        let mut conn = db.pool().acquire().await?;
        db::to_remind(&mut conn, now, now + chrono::Duration::minutes(15)).await?
    };
    for (id, created_at, expires_at) in due {
        let (Ok(created), Ok(expires)) = (
            DateTime::parse_from_rfc3339(&created_at),
            DateTime::parse_from_rfc3339(&expires_at),
        ) else {
            continue;
        };
        let left = expires.with_timezone(&Utc) - now;
        if left * 10 > expires - created {
            continue;
        }
        let mut tx = db.begin().await?;
        if db::mark_reminded(&mut tx, id, now).await? {
            about_request(&mut tx, NotifyEvent::ApprovalReminder, id, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

// Fanning events out.

/// Who hears of an event, and what they are told.
struct Plan {
    notice: Notice,
    /// People, by email, and why each is told.
    people: Vec<(String, String)>,
    /// A channel told whatever it listens to (a rule's approvers' channel).
    channel: Option<i64>,
}

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

fn refs(value: &Value) -> Vec<json::Ref> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

/// At most this many items are listed in a message; the link shows the rest.
const LISTED: usize = 20;

fn listed(lines: &mut Vec<String>, kind: &str, items: &[json::Ref]) {
    for item in items.iter().take(LISTED) {
        lines.push(format!("{kind}: {}", item.name));
    }
    if items.len() > LISTED {
        lines.push(format!("and {} more {kind}s", items.len() - LISTED));
    }
}

/// Who should hear of an event, and what to tell them; `None` when nobody
/// (a request decided before its notice went out).
async fn plan(
    conn: &mut AnyConnection,
    config: &Config,
    event: NotifyEvent,
    facts: &Value,
) -> Result<Option<Plan>, ApiError> {
    let id = |name: &str| facts[name].as_i64().unwrap_or_default();
    Ok(match event {
        NotifyEvent::ApprovalRequested | NotifyEvent::ApprovalReminder => {
            let Some(request) = db::request_facts(conn, id("request")).await? else {
                return Ok(None);
            };
            if request.state != json::ApprovalState::Pending.as_str() {
                return Ok(None);
            }
            let role: Role = request.approver_role.parse().unwrap_or(Role::Approver);
            let mut excluded = db::voters(conn, request.id).await?;
            excluded.push(request.requested_by.clone());
            // The parties nobody asks to decide (`approval::decide`'s `party`):
            // the agent's owner and deployer, then and now, by their person.
            let parties = [
                request.owner_id,
                request.deployer_id,
                request.owner_then,
                request.deployer_then,
            ];
            let why = format!(
                "You hold the {} role, which the rule \u{201c}{}\u{201d} asks to decide this request.",
                role.label(),
                request.rule_name
            );
            let people = db::accounts_with_role(conn, role)
                .await?
                .into_iter()
                .filter(|a| !excluded.iter().any(|e| e.eq_ignore_ascii_case(&a.email)))
                .filter(|a| a.person_id.is_none_or(|p| !parties.contains(&Some(p))))
                .map(|a| (a.email, why.clone()))
                .collect();
            let target = request
                .resource_name
                .as_deref()
                .map(|r| format!(" on {r}"))
                .unwrap_or_default();
            let more = request.required_approvals - request.approvals;
            let needed = match (request.required_approvals, more) {
                (2, 1) => "One approval given; one more person must approve.".to_owned(),
                (2, _) => "Two different people must approve.".to_owned(),
                _ => "One approval decides it.".to_owned(),
            };
            let title = if event == NotifyEvent::ApprovalReminder {
                format!(
                    "Reminder: {} asks to {}{target}, and expires soon",
                    request.agent_name, request.operation
                )
            } else {
                format!("{} asks to {}{target}", request.agent_name, request.operation)
            };
            Some(Plan {
                notice: Notice {
                    event,
                    title,
                    lines: vec![
                        format!("Rule: {}", request.rule_name),
                        needed,
                        format!("Decide by {}.", request.expires_at),
                        "The parameters and the agent's risk are on the request's page.".to_owned(),
                    ],
                    link: config.link(&format!("/approvals?request={}", request.id)),
                    action: "Decide in Muster".to_owned(),
                },
                people,
                channel: request.channel_id,
            })
        }
        NotifyEvent::ApprovalDecided => {
            let Some(request) = db::request_facts(conn, id("request")).await? else {
                return Ok(None);
            };
            let mut people = Vec::new();
            if let Some(owner) = request.owner_id
                && let Some(email) = db::active_email(conn, owner).await?
            {
                people.push((email, format!("You own agent {}.", request.agent_name)));
            }
            if request.requested_by.contains('@') && db::standing_account(conn, &request.requested_by).await?
            {
                people.push((
                    request.requested_by.clone(),
                    "You asked for this change.".to_owned(),
                ));
            }
            let voters = db::voters(conn, request.id).await?;
            let mut lines = vec![format!("Rule: {}", request.rule_name)];
            if !voters.is_empty() {
                lines.push(format!("Decided by {}.", voters.join(", ")));
            }
            Some(Plan {
                notice: Notice {
                    event,
                    title: format!(
                        "{}'s request to {} was {}",
                        request.agent_name, request.operation, request.state
                    ),
                    lines,
                    link: config.link(&format!("/approvals?request={}", request.id)),
                    action: "See the request".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::OwnershipOrphaned => {
            let Ok(person) = serde_json::from_value::<json::Ref>(facts["person"].clone()) else {
                return Ok(None);
            };
            let (agents, credentials) = (refs(&facts["agents"]), refs(&facts["credentials"]));
            let mut people = Vec::new();
            match db::manager_of(conn, person.id).await? {
                Some((_, email)) => people.push((email, format!("{} reported to you.", person.name))),
                // Nobody's manager: somebody must still re-home it.
                None => people.extend(db::accounts_with_role(conn, Role::Admin).await?.into_iter().map(
                    |a| {
                        (
                            a.email,
                            format!(
                                "You are an admin of Muster, and nobody is recorded as {}'s manager.",
                                person.name
                            ),
                        )
                    },
                )),
            }
            let mut lines = vec![
                "They need a new owner: claim them or give them to someone in the claim inbox.".to_owned(),
            ];
            listed(&mut lines, "agent", &agents);
            listed(&mut lines, "credential", &credentials);
            Some(Plan {
                notice: Notice {
                    event,
                    title: format!(
                        "{} left: {} agents and {} credentials have no owner",
                        person.name,
                        agents.len(),
                        credentials.len()
                    ),
                    lines,
                    link: config.link("/teams"),
                    action: "Open the claim inbox".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::OwnershipAssigned => {
            let Ok(owner) = serde_json::from_value::<json::Ref>(facts["owner"].clone()) else {
                return Ok(None);
            };
            let kind: json::OwnedKind = facts["kind"]
                .as_str()
                .and_then(|k| k.parse().ok())
                .unwrap_or(json::OwnedKind::Agent);
            let items = refs(&facts["items"]);
            let by = facts["by"].as_str().unwrap_or("someone");
            let list = if kind == json::OwnedKind::Agent {
                "agents"
            } else {
                "credentials"
            };
            let mut lines = Vec::new();
            listed(&mut lines, &kind.label().to_lowercase(), &items);
            let (title, link) = match items.as_slice() {
                [one] => (
                    format!("{} {} is now yours", kind.label(), one.name),
                    config.link(&format!("/inventory/{list}/{}", one.id)),
                ),
                _ => (
                    format!("{} {list} are now yours", items.len()),
                    config.link(&format!("/inventory/people/{}", owner.id)),
                ),
            };
            let people = db::active_email(conn, owner.id)
                .await?
                .map(|email| (email, format!("{by} made you the owner.")))
                .into_iter()
                .collect();
            Some(Plan {
                notice: Notice {
                    event,
                    title,
                    lines,
                    link,
                    action: "See what you own".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::ReviewAssigned | NotifyEvent::ReviewReminder | NotifyEvent::ReviewEscalated => {
            let Some(campaign) = crate::db::reviews::campaign(conn, id("campaign")).await? else {
                return Ok(None);
            };
            let n = id("items");
            let items = if n == 1 {
                "1 item".to_owned()
            } else {
                format!("{n} items")
            };
            let due = campaign.due_at()?.format("%Y-%m-%d %H:%M UTC");
            let (title, why) = match event {
                NotifyEvent::ReviewAssigned => (
                    format!("{}: {items} wait for your decision", campaign.name),
                    "You own these items, or manage the team they count for.",
                ),
                NotifyEvent::ReviewReminder => (
                    format!("{}: {items} left, due {due}", campaign.name),
                    "You have items in this access review that are not decided yet.",
                ),
                _ => (
                    format!("{}: {items} not decided in time, escalated to you", campaign.name),
                    "Someone who reports to you did not decide them by the due date.",
                ),
            };
            let people: Vec<(String, String)> = match facts["person"].as_i64() {
                Some(person) => db::active_email(conn, person)
                    .await?
                    .map(|email| (email, why.to_owned()))
                    .into_iter()
                    .collect(),
                None => db::accounts_with_role(conn, Role::Admin)
                    .await?
                    .into_iter()
                    .map(|a| {
                        (
                            a.email,
                            "You are an admin of Muster, and nobody else can review these items.".to_owned(),
                        )
                    })
                    .collect(),
            };
            Some(Plan {
                notice: Notice {
                    event,
                    title,
                    lines: vec![
                        format!("Due {due}."),
                        "For each item: keep it (with a reason), reduce it, revoke it, or give it to its \
                         rightful owner. Items that agree can be decided together."
                            .to_owned(),
                    ],
                    link: config.link(&format!("/reviews/{}?mine=true", campaign.id)),
                    action: "Review your items".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::OwnershipWeekly => {
            let Some(email) = db::active_email(conn, id("person")).await? else {
                return Ok(None);
            };
            let gaps = db::team_gaps(conn, id("team")).await?;
            let unowned = gaps.credentials_unowned + gaps.agents_unowned;
            let orphaned = gaps.credentials_orphaned + gaps.agents_orphaned;
            if unowned + orphaned + gaps.credentials_critical == 0 {
                // Nothing to do is not news.
                return Ok(None);
            }
            Some(Plan {
                notice: Notice {
                    event,
                    title: format!(
                        "{} this week: {} without an owner, {} critical",
                        gaps.team,
                        unowned + orphaned,
                        gaps.credentials_critical
                    ),
                    lines: vec![
                        format!(
                            "Credentials without an owner: {} (and {} whose owner left)",
                            gaps.credentials_unowned, gaps.credentials_orphaned
                        ),
                        format!(
                            "Agents without an owner: {} (and {} whose owner left)",
                            gaps.agents_unowned, gaps.agents_orphaned
                        ),
                        format!("Critical credentials: {}", gaps.credentials_critical),
                    ],
                    link: config.link("/teams"),
                    action: "Open My teams".to_owned(),
                },
                people: vec![(email, format!("You manage {} and the teams under it.", gaps.team))],
                channel: None,
            })
        }
        NotifyEvent::RiskCritical | NotifyEvent::BehaviourFinding => {
            let credential = id("credential");
            let Some(facts_row) = db::credential_facts(conn, credential).await? else {
                return Ok(None);
            };
            let mut people = Vec::new();
            if let Some(owner) = facts_row.owner_id
                && let Some(email) = db::active_email(conn, owner).await?
            {
                people.push((email, format!("You own credential {}.", facts_row.name)));
            }
            let (title, lines) = if event == NotifyEvent::RiskCritical {
                (
                    format!(
                        "Credential {} turned critical (risk {})",
                        facts_row.name, facts_row.risk_score
                    ),
                    vec![
                        "Its page explains the score factor by factor, with what would lower it.".to_owned(),
                    ],
                )
            } else {
                (
                    format!("Credential {} behaved unusually in production", facts_row.name),
                    vec![facts["finding"].as_str().unwrap_or_default().to_owned()],
                )
            };
            Some(Plan {
                notice: Notice {
                    event,
                    title,
                    lines,
                    link: config.link(&format!("/inventory/credentials/{credential}")),
                    action: "See the credential".to_owned(),
                },
                people,
                channel: None,
            })
        }
        NotifyEvent::WebhookFailing => {
            let revocation = id("revocation");
            let attempts = id("attempts");
            let people = db::accounts_with_role(conn, Role::Admin)
                .await?
                .into_iter()
                .map(|a| (a.email, "You are an admin of Muster.".to_owned()))
                .collect();
            Some(Plan {
                notice: Notice {
                    event,
                    title: format!("The revocation webhook failed {attempts} times"),
                    lines: vec![
                        "The automation did not accept a revocation; the credential may still work upstream."
                            .to_owned(),
                        "The revocation's page shows each attempt and lets you move it on by hand."
                            .to_owned(),
                    ],
                    link: config.link(&format!("/revocations/{revocation}")),
                    action: "See the revocation".to_owned(),
                },
                people,
                channel: None,
            })
        }
    })
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
