//! Campaigns near or past their due date: reminders, escalation of the
//! undecided items, and moving a campaign on (escalated, closed); repeating
//! campaigns whose next cycle is due.

use chrono::{DateTime, Utc};
use model::api::{CampaignState, OwnedKind};
use sqlx::AnyConnection;

use super::super::sql::{self, Params, parse_enum, timestamp};
use super::{CAMPAIGN, CampaignRow, DECIDER};

/// Open campaigns due by `by` (to remind) or by `now` (to escalate).
pub async fn open_due(conn: &mut AnyConnection, by: DateTime<Utc>) -> Result<Vec<CampaignRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CAMPAIGN} WHERE c.state = 'open' AND c.due_at <= $1 ORDER BY c.id"
    ))
    .bind(timestamp(by))
    .fetch_all(conn)
    .await
}

/// Marks a campaign reminded; answers whether this call did (once across replicas).
pub async fn mark_reminded(
    conn: &mut AnyConnection,
    campaign: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sql::stamp_once(conn, "review_campaign", "reminded_at", campaign, now).await
}

/// Moves a campaign from `from` to `to`; answers whether this call did.
pub async fn set_state(
    conn: &mut AnyConnection,
    campaign: i64,
    from: &[CampaignState],
    to: CampaignState,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut params = Params::default();
    let to_state = params.bind(to.as_str());
    let at = params.bind(timestamp(now));
    let id = params.bind(campaign);
    let from: Vec<String> = from.iter().map(|s| params.bind(s.as_str())).collect();
    let column = if to == CampaignState::Closed {
        "closed_at"
    } else {
        "escalated_at"
    };
    let done = sqlx::query_with(
        &format!(
            "UPDATE review_campaign SET state = {to_state}, {column} = {at} WHERE id = {id} AND state IN ({})",
            from.join(", ")
        ),
        params.args(),
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Each reviewer (or, for items nobody reviews, `None`) with their undecided items in a campaign.
pub async fn open_by_reviewer(
    conn: &mut AnyConnection,
    campaign: i64,
) -> Result<Vec<(Option<i64>, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DECIDER} AS reviewer, COUNT(*) FROM review_item i \
         WHERE i.campaign_id = $1 AND i.decision IS NULL GROUP BY {DECIDER} ORDER BY reviewer"
    ))
    .bind(campaign)
    .fetch_all(conn)
    .await
}

/// Undecided items of a campaign with their reviewer's manager (when they
/// have one who can sign in), for escalation.
pub async fn undecided_with_manager(
    conn: &mut AnyConnection,
    campaign: i64,
) -> Result<Vec<(i64, OwnedKind, i64, Option<i64>)>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT i.id, i.kind, i.subject_id, m.id FROM review_item i LEFT JOIN person p ON p.id = i.reviewer_id \
         LEFT JOIN person m ON m.id = p.manager_id AND m.status = 'active' \
         AND EXISTS (SELECT 1 FROM account ac WHERE ac.person_id = m.id AND ac.disabled = 0) \
         WHERE i.campaign_id = $1 AND i.decision IS NULL ORDER BY i.id",
    )
    .bind(campaign)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, kind, subject, manager)| Ok((id, parse_enum("kind", &kind)?, subject, manager)))
        .collect()
}

/// Sends an undecided item to `manager` (or, with none, to admins).
pub async fn escalate(conn: &mut AnyConnection, item: i64, manager: Option<i64>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE review_item SET escalated_to = $1, basis = 'escalated' WHERE id = $2 AND decision IS NULL",
    )
    .bind(manager)
    .bind(item)
    .execute(conn)
    .await?;
    Ok(())
}

/// Repeating campaigns whose next cycle starts by `now`.
pub async fn cycles_due(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<Vec<CampaignRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CAMPAIGN} WHERE c.next_start_at IS NOT NULL AND c.next_start_at <= $1 ORDER BY c.id"
    ))
    .bind(timestamp(now))
    .fetch_all(conn)
    .await
}

/// Claims the next cycle of `campaign` as read, for this caller (once
/// across replicas): clears it, or moves it on to `then` when this cycle is
/// skipped. Answers whether this call claimed it.
pub async fn claim_next_cycle(
    conn: &mut AnyConnection,
    campaign: &CampaignRow,
    then: Option<DateTime<Utc>>,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE review_campaign SET next_start_at = $1 WHERE id = $2 AND next_start_at = $3")
            .bind(then.map(timestamp))
            .bind(campaign.id)
            .bind(campaign.next_start_at.as_deref())
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Stops a campaign repeating; answers whether it still did.
pub async fn stop_repeating(conn: &mut AnyConnection, campaign: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE review_campaign SET next_start_at = NULL WHERE id = $1 AND next_start_at IS NOT NULL",
    )
    .bind(campaign)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
