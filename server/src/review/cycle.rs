//! Repeating campaigns: a campaign started with a cadence (every quarter,
//! say) starts its next cycle when that much time has passed, with the same
//! name, scope and team, and as long to decide; the cycle before is closed
//! then (what it left undecided stays not attested). The scheduler claims
//! each next cycle once across replicas; a CISO or admin stops the
//! repetition on the newest cycle.
//!
//! A cycle whose scope holds nothing (or whose team is gone) is skipped,
//! audited, and the one after it is tried in its turn. Cycles the server
//! missed while it was down are not made up: the next one starts now (with
//! its full time to decide when less than half of it is left), and the one
//! after at its planned time.

use chrono::{DateTime, Months, Utc};
use model::api::{self as json, CampaignState, ReviewCadence};
use serde_json::json;

use super::{campaign_row, open_cycle, wire};
use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::Db;
use crate::db::reviews as db;

/// One `cadence` after `at`.
pub fn after(at: DateTime<Utc>, cadence: ReviewCadence) -> Result<DateTime<Utc>, ApiError> {
    at.checked_add_months(Months::new(cadence.months()))
        .ok_or_else(|| ApiError::BadRequest("the next cycle would fall past the calendar's end".into()))
}

/// The actor of what the scheduler does to campaigns.
fn scheduler() -> Actor {
    Actor::System("reviews".into())
}

/// Starts the next cycle of every repeating campaign whose time has come
/// (each claimed once, across replicas); answers whether any started.
pub async fn start_next_cycles(db: &Db, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let due = {
        let mut conn = db.pool().acquire().await?;
        db::cycles_due(&mut conn, now).await?
    };
    let mut started = false;
    for previous in due {
        let (Some(cadence), Some(planned)) = (previous.cadence()?, previous.next_start_at()?) else {
            continue;
        };
        // The one after: its planned time, or, when the server missed
        // cycles, the first such time still ahead.
        let mut following = after(planned, cadence)?;
        while following <= now {
            following = after(following, cadence)?;
        }
        // As long to decide as the cycle before; started so late that less
        // than half of that is left, the full time from now.
        let window = previous.due_at()? - previous.started_at()?;
        let planned_due = after(previous.due_at()?, cadence)?;
        let due_at = if planned_due - now < window / 2 {
            now + window
        } else {
            planned_due
        };
        let new = db::NewCampaign {
            name: &previous.name,
            scope: previous.scope()?,
            team: previous.team(),
            started_by: &previous.started_by,
            due_at,
            cadence: Some(cadence),
            next_start_at: Some(following),
            follows: Some(previous.id),
        };
        let mut tx = db.begin().await?;
        if !db::claim_next_cycle(&mut tx, &previous, None).await? {
            continue;
        }
        let entry = Entry::new(scheduler(), "review.start");
        match open_cycle(&mut tx, &new, entry, now).await {
            Ok(_) => {
                if db::set_state(
                    &mut tx,
                    previous.id,
                    &[CampaignState::Open, CampaignState::Escalated],
                    CampaignState::Closed,
                    now,
                )
                .await?
                {
                    let closed = Entry::new(scheduler(), "review.close")
                        .target(AuditTarget::new(TargetKind::Review, previous.id))
                        .details(json!({ "campaign": previous.id, "why": "its next cycle started" }));
                    audit::record(&mut tx, &closed, now).await?;
                }
                tx.commit().await?;
                started = true;
            }
            Err(ApiError::Unprocessable(why)) => {
                // Nothing to review this time: the cycle is skipped, and
                // the campaign waits for the one after.
                tx.rollback().await?;
                let mut tx = db.begin().await?;
                if db::claim_next_cycle(&mut tx, &previous, Some(following)).await? {
                    let skipped = Entry::new(scheduler(), "review.skip_cycle")
                        .target(AuditTarget::new(TargetKind::Review, previous.id))
                        .details(json!({
                            "campaign": previous.id, "why": why, "next_start_at": following,
                        }));
                    audit::record(&mut tx, &skipped, now).await?;
                    tx.commit().await?;
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(started)
}

/// Stops campaign `id` repeating (CISOs and admins): no next cycle starts.
/// A 409 when it does not repeat (any more, or was superseded).
pub async fn stop_repeating(
    db: &Db,
    session: &json::Session,
    id: i64,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<json::Campaign, ApiError> {
    let mut tx = db.begin().await?;
    let row = campaign_row(&mut tx, id).await?;
    if !db::stop_repeating(&mut tx, id).await? {
        return Err(ApiError::Conflict(format!(
            "{} has no next cycle to stop",
            row.name
        )));
    }
    let entry = Entry::new(Actor::Person(session.email.clone()), "review.stop_repeating")
        .target(AuditTarget::new(TargetKind::Review, id))
        .details(json!({ "campaign": id, "repeat": row.cadence()?, "next_start_at": row.next_start_at()? }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    let campaign = wire(&mut tx, id).await?;
    tx.commit().await?;
    Ok(campaign)
}
