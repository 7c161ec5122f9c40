//! Raising events, in the transaction of the change they announce: each is
//! a message of the outbox that the event courier later fans out.

use chrono::{DateTime, Utc};
use model::api::{self as json, NotifyEvent};
use serde_json::json;
use sqlx::AnyConnection;

use crate::ApiError;
use crate::db::{Db, notify as db, outbox};

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
