//! Scheduled work of `muster serve`: the daily risk recompute (time moves
//! scores: a key crosses 90 days without rotation), the hourly posture
//! snapshot (the coverage and risk history has a row for each day), each
//! person's daily digest of notices ([`crate::notify::send_digests`]) and
//! each manager's weekly summary, access reviews' reminders and escalation
//! ([`crate::review::tend`]), and taking over imports whose importer
//! stopped ([`crate::import::staged::recover`]).
//!
//! Several replicas may run on one database, and each runs this loop; each
//! job and period (a day, an hour) is claimed in `scheduled_run`
//! ([`crate::db::schedule`]) before it runs, so exactly one replica does it.
//! A claim is a lease: if its holder dies mid-job, another replica takes the
//! job over once the lease ends; if the job fails, the claim is given back
//! and the next tick tries again.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::AppState;
use crate::db::{Db, schedule as db};

/// How often the loop looks for work due, by default (`muster serve`).
pub const TICK: Duration = Duration::from_secs(1);

/// A kind of scheduled work and how long one run may hold its claim.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// The job's name in `scheduled_run`.
    pub name: &'static str,
    /// How long a claim lasts before another replica may take the job over.
    pub lease: chrono::Duration,
}

/// The daily rescoring of the whole inventory; its period is the day.
pub const DAILY_RECOMPUTE: Job = Job {
    name: "risk.daily",
    lease: chrono::Duration::minutes(30),
};

/// Scoring with a risk model this database has not been scored with; its
/// period is the model's version.
pub const MODEL_RECOMPUTE: Job = Job {
    name: "risk.model",
    lease: chrono::Duration::minutes(30),
};

/// Each person's digest of the notices they asked to hear of once a day;
/// its period is the day.
pub const DAILY_DIGEST: Job = Job {
    name: "notify.digest",
    lease: chrono::Duration::minutes(10),
};

/// Each manager's summary of their teams' unowned and critical items; its
/// period is the ISO week.
pub const WEEKLY_SUMMARY: Job = Job {
    name: "notify.weekly",
    lease: chrono::Duration::minutes(10),
};

/// Forgetting delivered events and notifications; its period is the day.
pub const OUTBOX_PRUNE: Job = Job {
    name: "outbox.prune",
    lease: chrono::Duration::minutes(10),
};

/// How long delivered events and notifications are kept.
const KEEP_DELIVERED: chrono::Duration = chrono::Duration::days(30);

/// The posture snapshot; its period is the hour.
pub const POSTURE_SNAPSHOT: Job = Job {
    name: "posture.snapshot",
    lease: chrono::Duration::minutes(5),
};

/// A name for this process's claims, unique among replicas (two replicas
/// may share a host and even, in tests, a process).
pub fn holder() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "muster".into());
    format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>())
}

/// Runs `work` unless another replica has run it (or is running it) for
/// `period`: answers its result, or `None` when it was not this replica's
/// to do. A failed run gives its claim back.
pub async fn run_once<T, F, Fut>(
    db: &Db,
    holder: &str,
    job: Job,
    period: &str,
    now: DateTime<Utc>,
    work: F,
) -> Result<Option<T>, sqlx::Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    if !db::claim(db, job.name, period, holder, now, now + job.lease).await? {
        return Ok(None);
    }
    match work().await {
        Ok(done) => {
            db::finish(db, job.name, period, holder, Utc::now().max(now)).await?;
            Ok(Some(done))
        }
        Err(error) => {
            db::release(db, job.name, period, holder).await?;
            Err(error)
        }
    }
}

/// Starts the loop of scheduled work, when the settings ask for it
/// ([`crate::Settings::schedule`]). The scores are fresh at start-up
/// (`muster serve` rescores with a new model), so a replica rescores from
/// the first day after the one it started on; whichever replica's tick comes
/// first on a new day does it for all.
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let tick = state.settings.schedule?;
    Some(tokio::spawn(async move {
        let holder = holder();
        let started_on = state.settings.clock.now().date_naive();
        let mut recovering: Option<tokio::task::JoinHandle<()>> = None;
        for ticks in 0_u64.. {
            // Imports whose importer stopped: taken over in a task of their
            // own (applying one may take minutes), one at a time here.
            if recovering.as_ref().is_none_or(|task| task.is_finished()) {
                let db = state.db.clone();
                let after = state
                    .settings
                    .import_takeover
                    .unwrap_or(crate::import::staged::TAKEOVER_AFTER);
                // Records a finished run left behind are rare: looked for once a minute.
                let leftovers = ticks % 60 == 0;
                recovering = Some(tokio::spawn(async move {
                    if let Err(error) = crate::import::staged::recover(&db, after, leftovers).await {
                        tracing::error!(error = ?error, "taking over interrupted imports failed");
                    }
                }));
            }
            // Steady reads and writes with no long work grow it too.
            state.db.keep_wal_short().await;
            let now = state.settings.clock.now();
            if now.date_naive() != started_on {
                let day = now.format("%Y-%m-%d").to_string();
                let done = run_once(&state.db, &holder, DAILY_RECOMPUTE, &day, now, || {
                    crate::scoring::recompute(&state.db, now, "muster serve (daily)")
                })
                .await;
                match done {
                    Ok(Some(done)) => {
                        tracing::info!(
                            credentials = done.scores.credentials(),
                            agents = done.scores.agents(),
                            "rescored risk"
                        );
                        // Credentials aged into critical raised events.
                        if done.written > 0 {
                            state.events.notify_one();
                        }
                    }
                    Ok(None) => {}
                    Err(error) => tracing::error!(error = ?error, "the daily risk recompute failed"),
                }
            }
            // A day's digests go out on the first tick of the day, or
            // at start-up, on whichever replica's tick comes first.
            let day = now.format("%Y-%m-%d").to_string();
            let config = state.notify_config();
            let digests = run_once(&state.db, &holder, DAILY_DIGEST, &day, now, || {
                crate::notify::send_digests(&state.db, &config, now)
            })
            .await;
            match digests {
                Ok(Some(sent)) if sent > 0 => state.notices.notify_one(),
                Ok(_) => {}
                Err(error) => tracing::error!(error = ?error, "sending the daily digests failed"),
            }
            // Each manager's weekly summary, on the first tick of the week.
            let week = now.format("%G-W%V").to_string();
            let summaries = run_once(&state.db, &holder, WEEKLY_SUMMARY, &week, now, || {
                crate::notify::weekly_summaries(&state.db, &week, now)
            })
            .await;
            match summaries {
                Ok(Some(raised)) if raised > 0 => state.events.notify_one(),
                Ok(_) => {}
                Err(error) => tracing::error!(error = ?error, "raising the weekly summaries failed"),
            }
            let pruned = run_once(&state.db, &holder, OUTBOX_PRUNE, &day, now, || async {
                let mut tx = state.db.begin().await?;
                let pruned = crate::db::outbox::prune(&mut tx, Utc::now() - KEEP_DELIVERED).await?;
                tx.commit().await?;
                Ok(pruned)
            })
            .await;
            if let Err(error) = pruned {
                tracing::error!(error = ?error, "pruning the outbox failed");
            }
            // Access reviews: reminders before the due date, escalation after
            // it (each claimed once per campaign by a conditional update).
            match crate::review::tend(&state.db, now).await {
                Ok(true) => state.events.notify_one(),
                Ok(false) => {}
                Err(error) => tracing::error!(error = ?error, "tending access reviews failed"),
            }
            let hour = now.format("%Y-%m-%dT%H").to_string();
            let snapshot = run_once(&state.db, &holder, POSTURE_SNAPSHOT, &hour, now, || {
                crate::db::coverage::snapshot(&state.db, now)
            })
            .await;
            if let Err(error) = snapshot {
                tracing::error!(error = ?error, "recording the posture snapshot failed");
            }
            tokio::time::sleep(tick).await;
        }
    }))
}
