//! Claims of scheduled work (`scheduled_run`): which replica runs a job for
//! a period, and whether it finished. A claim is a compare-and-set that only
//! one replica can win, on either engine.

use chrono::{DateTime, Utc};

use super::Db;
use super::sql::timestamp;

/// A claim as stored.
#[derive(Debug, sqlx::FromRow)]
struct ClaimRow {
    leased_until: String,
    done_at: Option<String>,
}

/// Claims `job` for `period` for `holder` until `lease_until`: a period
/// nobody claimed, or one whose claim lapsed unfinished (its holder died).
/// Answers whether this holder won; exactly one of several replicas does.
/// A period done or held is seen by a read, without a write: replicas
/// asking every second do not queue for SQLite's write lock.
pub async fn claim(
    db: &Db,
    job: &str,
    period: &str,
    holder: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let stored: Option<ClaimRow> =
        sqlx::query_as("SELECT leased_until, done_at FROM scheduled_run WHERE job = $1 AND period = $2")
            .bind(job)
            .bind(period)
            .fetch_optional(db.pool())
            .await?;
    if let Some(stored) = stored
        && (stored.done_at.is_some() || stored.leased_until >= timestamp(now))
    {
        return Ok(false);
    }
    let inserted = db.execute(sqlx::query(
        "INSERT INTO scheduled_run (job, period, holder, claimed_at, leased_until) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (job, period) DO NOTHING",
    )
    .bind(job)
    .bind(period)
    .bind(holder)
    .bind(timestamp(now))
    .bind(timestamp(lease_until))
    )
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(true);
    }
    let taken_over = db
        .execute(
            sqlx::query(
                "UPDATE scheduled_run SET holder = $3, claimed_at = $4, leased_until = $5 \
         WHERE job = $1 AND period = $2 AND done_at IS NULL AND leased_until < $4",
            )
            .bind(job)
            .bind(period)
            .bind(holder)
            .bind(timestamp(now))
            .bind(timestamp(lease_until)),
        )
        .await?;
    Ok(taken_over.rows_affected() == 1)
}

/// Marks `holder`'s claim of `job` for `period` finished.
pub async fn finish(
    db: &Db,
    job: &str,
    period: &str,
    holder: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    db.execute(
        sqlx::query("UPDATE scheduled_run SET done_at = $4 WHERE job = $1 AND period = $2 AND holder = $3")
            .bind(job)
            .bind(period)
            .bind(holder)
            .bind(timestamp(now)),
    )
    .await
    .map(|_| ())
}

/// Gives `holder`'s unfinished claim back at once (its work failed), so that
/// the next tick, here or on another replica, tries again.
pub async fn release(db: &Db, job: &str, period: &str, holder: &str) -> Result<(), sqlx::Error> {
    db.execute(
        sqlx::query(
            "DELETE FROM scheduled_run WHERE job = $1 AND period = $2 AND holder = $3 AND done_at IS NULL",
        )
        .bind(job)
        .bind(period)
        .bind(holder),
    )
    .await
    .map(|_| ())
}
