//! Repeating campaigns: a campaign started with a cadence (every quarter,
//! say) starts its next cycle when that much time has passed, with the same
//! name, scope and team; the cycle before is closed then (what it left
//! undecided stays not attested). The scheduler claims each next cycle once
//! across replicas; a CISO or admin stops the repetition on the newest
//! cycle.
//!
//! Dates are counted from the first cycle: cycle n starts n cadences after
//! the first started and is due n cadences after the first was due, so a
//! review begun on 31 January runs on the 28th of February and the 31st of
//! March again. A cycle always ends before the next begins. A cycle whose
//! scope holds nothing (or whose team is gone) is skipped, audited, and the
//! next one is tried in its turn. Cycles the server missed while it was
//! down are not made up: the latest one due starts now (given its full time
//! to decide when less than half of it is left), and the one after at its
//! planned time.

use chrono::{DateTime, Months, Utc};
use model::api::{self as json, CampaignState, ReviewCadence};
use serde_json::json;

use super::{campaign_row, open_cycle, rescore_attested, wire};
use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::reviews::{self as db, CampaignRow, Series};
use crate::db::{Db, Tx};

/// The least time a cycle's decisions are due before the next cycle starts.
const GAP: chrono::Duration = chrono::Duration::minutes(1);

/// `n` cadences after `at`; an error past the calendar's end.
pub fn after(at: DateTime<Utc>, cadence: ReviewCadence, n: i64) -> Result<DateTime<Utc>, ApiError> {
    u32::try_from(n)
        .ok()
        .and_then(|n| n.checked_mul(cadence.months()))
        .and_then(|months| at.checked_add_months(Months::new(months)))
        .ok_or_else(|| ApiError::BadRequest("the next cycle would fall past the calendar's end".into()))
}

/// The cycle of a series to start at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Its place in the series.
    pub series: Series,
    /// When its decisions are due.
    pub due_at: DateTime<Utc>,
    /// When the one after it starts.
    pub next_start_at: DateTime<Utc>,
}

/// Plans the cycle of `series` (whose newest is `series.cycle`) that starts
/// at `now`: the latest one whose start has come, due as planned, or, with
/// less than half its time left, its full time from now; always before the
/// next starts. `None` when no cycle's start has come yet.
pub fn plan(series: Series, cadence: ReviewCadence, now: DateTime<Utc>) -> Result<Option<Plan>, ApiError> {
    let mut cycle = series.cycle + 1;
    if after(series.start_at, cadence, cycle)? > now {
        return Ok(None);
    }
    while after(series.start_at, cadence, cycle + 1)? <= now {
        cycle += 1;
    }
    let next_start_at = after(series.start_at, cadence, cycle + 1)?;
    let window = series.due_at - series.start_at;
    let planned = after(series.due_at, cadence, cycle)?;
    let due_at = if planned - now < window / 2 {
        now + window
    } else {
        planned
    };
    Ok(Some(Plan {
        series: Series { cycle, ..series },
        due_at: due_at.min(next_start_at - GAP),
        next_start_at,
    }))
}

/// The actor of what the scheduler does to campaigns.
fn scheduler() -> Actor {
    Actor::System("reviews".into())
}

/// Starts the next cycle of every repeating campaign whose time has come
/// (each claimed once, across replicas); answers whether any started. One
/// campaign's failure is logged and does not hold up the others.
pub async fn start_next_cycles(db: &Db, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let due = {
        let mut conn = db.pool().acquire().await?;
        db::cycles_due(&mut conn, now).await?
    };
    let mut started = false;
    for previous in due {
        match next_cycle(db, &previous, now).await {
            Ok(true) => started = true,
            Ok(false) => {}
            Err(error) => {
                tracing::error!(error = ?error, campaign = previous.id, "starting a review's next cycle failed");
            }
        }
    }
    Ok(started)
}

/// Starts the cycle that follows `previous`, or skips it when its scope
/// holds nothing; answers whether one started.
async fn next_cycle(db: &Db, previous: &CampaignRow, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let (Some(cadence), Some(series)) = (previous.cadence()?, previous.series()?) else {
        return Ok(false);
    };
    let Some(plan) = plan(series, cadence, now)? else {
        return Ok(false);
    };
    let new = db::NewCampaign {
        name: &previous.name,
        scope: previous.scope()?,
        team: previous.team(),
        started_by: &previous.started_by,
        due_at: plan.due_at,
        cadence: Some(cadence),
        next_start_at: Some(plan.next_start_at),
        follows: Some(previous.id),
        series: Some(plan.series),
    };
    let mut tx = db.begin().await?;
    if !db::claim_next_cycle(&mut tx, previous, None).await? {
        return Ok(false);
    }
    let why = match open_cycle(&mut tx, &new, Entry::new(scheduler(), "review.start"), now).await {
        Ok(id) => {
            close_previous(&mut tx, previous.id, "its next cycle started", now).await?;
            // The series' items move from the one cycle to the other.
            rescore_attested(&mut tx, &[previous.id, id], now).await?;
            tx.commit().await?;
            return Ok(true);
        }
        Err(ApiError::Unprocessable(why)) => why,
        Err(error) => return Err(error),
    };
    // Nothing to review this time: the cycle is skipped (the one before
    // ends all the same), and the campaign waits for the one after.
    tx.rollback().await?;
    let mut tx = db.begin().await?;
    if db::claim_next_cycle(&mut tx, previous, Some(plan.next_start_at)).await? {
        let skipped = Entry::new(scheduler(), "review.skip_cycle")
            .target(AuditTarget::new(TargetKind::Review, previous.id))
            .details(json!({
                "campaign": previous.id, "cycle": plan.series.cycle, "why": why,
                "next_start_at": plan.next_start_at,
            }));
        audit::record(&mut tx, &skipped, now).await?;
        close_previous(&mut tx, previous.id, "its next cycle was due", now).await?;
        tx.commit().await?;
    }
    Ok(false)
}

/// Closes the cycle before (unless a CISO or admin closed it already), audited.
async fn close_previous(tx: &mut Tx, id: i64, why: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    let from = [CampaignState::Open, CampaignState::Escalated];
    if db::set_state(tx, id, &from, CampaignState::Closed, now).await? {
        let closed = Entry::new(scheduler(), "review.close")
            .target(AuditTarget::new(TargetKind::Review, id))
            .details(json!({ "campaign": id, "why": why }));
        audit::record(tx, &closed, now).await?;
    }
    Ok(())
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
    // What it held is measured by the usual quarter again.
    rescore_attested(&mut tx, &[id], now).await?;
    let campaign = wire(&mut tx, id).await?;
    tx.commit().await?;
    Ok(campaign)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
    }

    fn first(start: DateTime<Utc>, due: DateTime<Utc>) -> Series {
        Series {
            cycle: 0,
            start_at: start,
            due_at: due,
        }
    }

    #[test]
    fn the_next_cycle_starts_a_cadence_after_the_first_and_is_due_as_long_after() {
        let series = first(at(2027, 1, 6), at(2027, 1, 27));
        let now = at(2027, 4, 6) + chrono::Duration::seconds(1);
        let plan = plan(series, ReviewCadence::Quarterly, now).unwrap().unwrap();
        assert_eq!(plan.series.cycle, 1);
        assert_eq!(plan.due_at, at(2027, 4, 27));
        assert_eq!(plan.next_start_at, at(2027, 7, 6));
        let early = plan_at(series, at(2027, 4, 5));
        assert_eq!(early, None, "not before its time");
    }

    fn plan_at(series: Series, now: DateTime<Utc>) -> Option<Plan> {
        plan(series, ReviewCadence::Quarterly, now).unwrap()
    }

    #[test]
    fn dates_counted_from_the_first_cycle_do_not_drift_at_the_end_of_a_month() {
        let mut series = first(at(2027, 1, 31), at(2027, 2, 20));
        let mut starts = Vec::new();
        for now in [at(2027, 2, 28), at(2027, 3, 31), at(2027, 4, 30)] {
            let plan = plan(series, ReviewCadence::Monthly, now).unwrap().unwrap();
            starts.push(plan.next_start_at);
            assert!(plan.due_at < plan.next_start_at);
            series = plan.series;
        }
        assert_eq!(starts, [at(2027, 3, 31), at(2027, 4, 30), at(2027, 5, 31)]);
    }

    #[test]
    fn a_cycle_is_always_due_before_the_next_starts() {
        // Due 30 days after a start on the 31st: February's clamped dates meet.
        let series = first(at(2026, 12, 31), at(2027, 1, 30));
        let plan = plan(series, ReviewCadence::Monthly, at(2027, 1, 31))
            .unwrap()
            .unwrap();
        assert_eq!(plan.next_start_at, at(2027, 2, 28));
        assert_eq!(plan.due_at, at(2027, 2, 28) - GAP);
    }

    #[test]
    fn missed_cycles_are_not_made_up_and_a_late_one_keeps_its_time_within_its_turn() {
        // Down from 6 April to 20 May: the April cycle is missed for good;
        // the one starting now gets its full 21 days, ending before July's.
        let series = first(at(2027, 1, 6), at(2027, 1, 27));
        let plan = plan(series, ReviewCadence::Quarterly, at(2027, 5, 20))
            .unwrap()
            .unwrap();
        assert_eq!(plan.series.cycle, 1);
        assert_eq!(plan.due_at, at(2027, 6, 10));
        assert_eq!(plan.next_start_at, at(2027, 7, 6));
        // Down for two quarters: the latest cycle due starts, the one after on time.
        let plan = plan_at(series, at(2027, 7, 7)).unwrap();
        assert_eq!(plan.series.cycle, 2);
        assert_eq!(plan.due_at, at(2027, 7, 27));
        assert_eq!(plan.next_start_at, at(2027, 10, 6));
        // A long window, started late with little left: its full time, but
        // never past the next start.
        let long = first(at(2027, 1, 6), at(2027, 3, 30));
        let plan = plan_at(long, at(2027, 6, 1)).unwrap();
        assert_eq!(plan.due_at, at(2027, 7, 6) - GAP);
    }
}
