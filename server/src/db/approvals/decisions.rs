//! Votes and decisions: a request's votes, counting one (a conditional
//! update, so that exactly one of two simultaneous deciders changes the
//! row), expiry, the overdue sweep, and using an approval once.

use chrono::{DateTime, Utc};
use model::api::{self as json, ApprovalState, Verdict};
use sqlx::{AnyConnection, Row};

use super::super::sql::{get_enum, get_time, timestamp};

/// The votes on a request, in order.
pub async fn votes(conn: &mut AnyConnection, id: i64) -> Result<Vec<json::Vote>, sqlx::Error> {
    sqlx::query(
        "SELECT approver, verdict, comment, decided_at FROM approval_vote WHERE request_id = $1 \
         ORDER BY decided_at, approver",
    )
    .bind(id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok(json::Vote {
            approver: row.try_get("approver")?,
            verdict: get_enum(row, "verdict")?,
            comment: row.try_get("comment")?,
            decided_at: get_time(row, "decided_at")?,
        })
    })
    .collect()
}

/// Counts one vote, if the request is still pending and not expired at `now`:
/// a denial decides at once; an approval decides when it is the last one
/// needed. Returns the new state, or `None` when the request could not be
/// decided (already decided, or expired).
pub async fn vote(
    conn: &mut AnyConnection,
    id: i64,
    approver: &str,
    verdict: Verdict,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<Option<ApprovalState>, sqlx::Error> {
    let now_text = timestamp(now);
    let sql = match verdict {
        Verdict::Deny => {
            "UPDATE approval_request SET state = 'denied', decided_at = $2 \
             WHERE id = $1 AND state = 'pending' AND expires_at > $2 RETURNING state"
        }
        Verdict::Approve => {
            "UPDATE approval_request SET approvals = approvals + 1, \
             state = CASE WHEN approvals + 1 >= required_approvals THEN 'approved' ELSE 'pending' END, \
             decided_at = CASE WHEN approvals + 1 >= required_approvals THEN $2 ELSE NULL END \
             WHERE id = $1 AND state = 'pending' AND expires_at > $2 RETURNING state"
        }
    };
    let state: Option<String> = sqlx::query_scalar(sql)
        .bind(id)
        .bind(&now_text)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(state) = state else { return Ok(None) };
    sqlx::query(
        "INSERT INTO approval_vote (request_id, approver, verdict, comment, decided_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(approver)
    .bind(verdict.as_str())
    .bind(comment)
    .bind(&now_text)
    .execute(&mut *conn)
    .await?;
    state
        .parse()
        .map(Some)
        .map_err(|e: json::UnknownValue| sqlx::Error::Decode(e.into()))
}

/// Whether this person has voted on the request.
pub async fn has_voted(conn: &mut AnyConnection, id: i64, approver: &str) -> Result<bool, sqlx::Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM approval_vote WHERE request_id = $1 AND approver = $2")
            .bind(id)
            .bind(approver)
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// Marks the request expired if it is pending and past its expiry at `now`;
/// false when it was not.
pub async fn expire(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE approval_request SET state = 'expired', decided_at = expires_at \
         WHERE id = $1 AND state = 'pending' AND expires_at <= $2",
    )
    .bind(id)
    .bind(timestamp(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pending requests past their expiry at `now` (at most `limit`).
pub async fn overdue(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM approval_request WHERE state = 'pending' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2",
    )
    .bind(timestamp(now))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Marks an approval used, once: false when it is not this agent's, not
/// approved, already used or expired at `now`.
pub async fn consume(
    conn: &mut AnyConnection,
    id: i64,
    agent: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE approval_request SET consumed_at = $3 WHERE id = $1 AND agent_id = $2 AND state = 'approved' \
         AND consumed_at IS NULL AND expires_at > $3",
    )
    .bind(id)
    .bind(agent)
    .bind(timestamp(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
