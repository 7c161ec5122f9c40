//! Large imports (gitleaks, trufflehog, CloudTrail: up to millions of
//! records) in steps that never hold the database for long.
//!
//! One transaction for a whole import held SQLite's write lock for tens of
//! seconds, and decisions, sign-ins and agents' requests waited or failed
//! meanwhile. Instead, a run goes through three states
//! (`import_run.state`):
//!
//! 1. **staging**: the reports are read whole into `import_item` (the
//!    parsed records: fingerprints, never secrets), as many to a
//!    transaction as take about [`crate::db::STEP`]. Nothing of it is visible yet; an
//!    unreadable record anywhere deletes the run and its records, and the
//!    import fails with nothing applied.
//! 2. **applying**: the records are joined to the inventory in the order
//!    read, as many to a transaction as take about [`crate::db::STEP`], then what they
//!    touched is rescored, a few hundred to a transaction; between two, the
//!    writers waiting go first ([`Db::between_steps`]). A reader sees
//!    each finding whole (a credential with its copy), never half of one.
//! 3. **done**: in one last transaction, a full import's removals, the
//!    events' baselines and findings, the summary and its audit entry.
//!
//! The importer beats the run's heartbeat every [`HEARTBEAT`]. When it stops
//! (the process was killed), any replica's scheduled work ([`recover`])
//! takes the run over: a run cut short while staging is deleted (nothing was
//! applied), one cut short while applying is applied again from its first
//! record, which is safe because an import is idempotent: what was joined
//! already is found again, and the run ends as if it had never stopped.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use model::api::{self as json, ImportKind};

use super::cloudtrail::Event;
use super::scanners::{Finding, Record};
use super::{ImportError, Item, ReportFile, Request, activity, sightings};
use crate::ApiError;
use crate::db::staged::{self as db, RunState};
use crate::db::{Db, Pace, imports};
use crate::fingerprint::Fingerprinter;

/// Staged records deleted per statement once the run is over.
const DROP_ROWS: i64 = 20_000;
/// The tables an import grows, whose statistics it refreshes as it goes
/// ([`Db::analyze`]).
const GROWN: &[&str] = &["credential", "credential_copy", "activity_event"];
/// Records applied before the statistics are first refreshed.
const ANALYZE_FROM: usize = 5_000;
/// How often an importer beats its run's heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A run whose heartbeat is older than this, by default, has lost its
/// importer (`--import-takeover-seconds`): long enough that a live importer
/// waiting its turn to write still beats in time (SQLite's busy timeout is
/// ten seconds).
pub const TAKEOVER_AFTER: Duration = Duration::from_secs(15);

/// Whether imports of `kind` are staged (those that run to millions of records).
pub fn is_staged(kind: ImportKind) -> bool {
    matches!(
        kind,
        ImportKind::Gitleaks | ImportKind::Trufflehog | ImportKind::Cloudtrail
    )
}

/// A record as staged.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Staged {
    /// A secret scanner's finding.
    Finding(Box<Finding>),
    /// An activity event.
    Event(Box<Event>),
}

/// Beats a run's heartbeat for its holder until dropped, from now on.
/// Dropped, it stops between two beats, never inside one: a task cancelled
/// while it begins a transaction could hand its connection back to the pool
/// holding SQLite's write lock.
struct Heartbeat(std::sync::Arc<tokio::sync::Notify>);

impl Heartbeat {
    fn start(db: &Db, run: i64, holder: &str) -> Self {
        let (db, holder) = (db.clone(), holder.to_owned());
        let stop = std::sync::Arc::new(tokio::sync::Notify::new());
        let stopped = stop.clone();
        tokio::spawn(async move {
            loop {
                if let Err(error) = db::beat(&db, run, &holder, Utc::now()).await {
                    tracing::warn!(error = ?error, run, "cannot beat an import's heartbeat");
                }
                tokio::select! {
                    () = stopped.notified() => break,
                    () = tokio::time::sleep(HEARTBEAT) => {}
                }
            }
        });
        Self(stop)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        // A stored permit: the task stops at its next wait, even if it is beating now.
        self.0.notify_one();
    }
}

/// A new holder's fencing token: unique to one importer of one run.
fn new_holder() -> String {
    format!("{}:{:016x}", std::process::id(), rand::random::<u64>())
}

/// The error of an importer whose run another took over (it stalled past
/// the takeover time): its step rolled back, the other finishes the run.
fn taken_over(run: i64) -> ImportError {
    ImportError::Api(ApiError::Conflict(format!(
        "import {run} stalled and was taken over; it is being finished by another importer"
    )))
}

/// The counts a run's steps have created so far, carried on by a takeover.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Progress {
    credentials_created: i64,
    copies_created: i64,
    revocations_reopened: i64,
}

/// Imports `files`: read whole into the run's records, then applied.
pub async fn run(
    db: &Db,
    keys: &Fingerprinter,
    request: &Request,
    files: &[ReportFile],
) -> Result<json::ImportSummary, ImportError> {
    let asked = serde_json::to_string(request).map_err(|e| ApiError::Internal(e.into()))?;
    let holder = new_holder();
    let found_by = request.found_by();
    let created = db::create(
        db,
        request.kind,
        &found_by,
        request.full,
        request.actor.name(),
        &asked,
        &holder,
        Utc::now(),
    )
    .await?;
    let Some(run) = created else {
        let under_way = db::under_way(db, &found_by).await?.unwrap_or_default();
        return Err(ImportError::Api(ApiError::Conflict(format!(
            "an import of {found_by} is under way (import {under_way}); send this one when it has finished"
        ))));
    };
    let heartbeat = Heartbeat::start(db, run, &holder);
    let (findings, skipped) = match stage(db, keys, request, files, run).await {
        Ok(counts) => counts,
        Err(error) => {
            drop(heartbeat);
            if let Err(cleaning) = discard(db, run, &holder).await {
                // The heartbeat has stopped: a takeover deletes the run later.
                tracing::warn!(error = ?cleaning, run, "cannot discard a failed import's records yet");
            }
            return Err(error);
        }
    };
    if !db::start_applying(db, run, &holder, findings, skipped).await? {
        return Err(taken_over(run));
    }
    let summary = apply(db, run, &holder).await;
    drop(heartbeat);
    summary.map_err(|error| match error {
        // Applied in part: the rest is not lost, and saying "nothing was
        // changed" would be wrong. A takeover finishes it.
        ImportError::Api(ApiError::Unavailable(_) | ApiError::AuditFailed(_) | ApiError::Internal(_)) => {
            ImportError::Api(ApiError::Busy(format!(
                "import {run} stopped part-way ({error}); a running Muster server finishes it on its own \
                 within a minute, and sending the same report again after that changes nothing"
            )))
        }
        other => other,
    })
}

/// Reads every file into the run's records; answers the findings read and
/// those skipped (a redacted secret).
async fn stage(
    db: &Db,
    keys: &Fingerprinter,
    request: &Request,
    files: &[ReportFile],
    run: i64,
) -> Result<(i64, i64), ImportError> {
    let label = request.source.clone().unwrap_or_default();
    let (mut findings, mut skipped, mut staged) = (0_i64, 0_i64, 0_i64);
    let mut pace = Pace::new(1_000, 100, 20_000);
    let mut rows = Vec::new();
    for file in files {
        let (mut receiver, parser) = super::read_items(request.kind, file, &label, keys);
        while let Some(batch) = receiver.recv().await {
            for item in batch {
                let record = match item {
                    Item::Scanner(Record::Finding(finding)) => {
                        findings += 1;
                        Staged::Finding(finding)
                    }
                    Item::Scanner(Record::Redacted) => {
                        findings += 1;
                        skipped += 1;
                        continue;
                    }
                    Item::Event(event) => Staged::Event(event),
                    Item::Principal(_) | Item::KeySlot(_) | Item::Declared(_) => {
                        return Err(ImportError::Api(ApiError::Internal(anyhow::anyhow!(
                            "a {} import is not staged",
                            request.kind.as_str()
                        ))));
                    }
                };
                rows.push(serde_json::to_string(&record).map_err(|e| ApiError::Internal(e.into()))?);
                if rows.len() >= pace.size() {
                    staged = write(db, run, staged, &mut rows, &mut pace).await?;
                }
            }
        }
        super::finish_reading(file, parser.await)?;
    }
    write(db, run, staged, &mut rows, &mut pace).await?;
    Ok((findings, skipped))
}

/// Stores `rows` after the `staged` records already stored, in a
/// transaction of their own; answers how many are stored now.
async fn write(
    db: &Db,
    run: i64,
    staged: i64,
    rows: &mut Vec<String>,
    pace: &mut Pace,
) -> Result<i64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(staged);
    }
    let rows = std::mem::take(rows);
    let count = rows.len() as i64;
    let mut tx = db.begin().await?;
    let started = std::time::Instant::now();
    db::stage(&mut tx, db.backend(), run, staged + 1, rows).await?;
    tx.commit().await?;
    pace.took(started.elapsed());
    db.between_steps().await;
    Ok(staged + count)
}

/// Applies a run's records for `holder` (its first application, or another
/// after its importer stopped): steps 2 and 3 of the module's description.
/// Each step commits only while `holder` holds the run.
async fn apply(db: &Db, run: i64, holder: &str) -> Result<json::ImportSummary, ImportError> {
    let clock = std::time::Instant::now();
    let stored = db::run(db, run)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no import {run}")))?;
    let request: Request = serde_json::from_str(&stored.request).map_err(|e| ApiError::Internal(e.into()))?;
    let started_at = stored.started_at;
    let mut summary = super::empty_summary(run, &request, started_at);
    summary.findings = stored.findings;
    summary.skipped = stored.skipped;
    // What an earlier importer's steps created is found again by these: its
    // counts carry on.
    let earlier: Progress = serde_json::from_str(&stored.progress).unwrap_or_default();
    summary.credentials_created = earlier.credentials_created;
    summary.copies_created = earlier.copies_created;
    summary.revocations_reopened = earlier.revocations_reopened;
    let mut touched: HashSet<i64> = HashSet::new();
    let mut recorder = activity::Recorder::new(db.backend(), run, started_at);
    let mut sightings = sightings::Sightings::new(db.backend(), run, request.found_by());
    let mut after = 0;
    let mut pace = Pace::new(250, 50, 5_000);
    // Statistics are refreshed each time the records applied double.
    let (mut applied, mut analyzed_at) = (0_usize, ANALYZE_FROM);
    loop {
        let items = db::items(db, run, after, pace.size() as i64).await?;
        let Some(last) = items.last() else {
            break;
        };
        after = last.seq;
        applied += items.len();
        let mut tx = db.begin().await?;
        let started = std::time::Instant::now();
        for item in items {
            match serde_json::from_str(&item.item).map_err(|e| ApiError::Internal(e.into()))? {
                Staged::Finding(finding) => {
                    sightings
                        .add(&mut tx, finding, &request, &mut summary, &mut touched, started_at)
                        .await?
                }
                Staged::Event(event) => recorder.add(&mut tx, *event).await?,
            }
        }
        sightings
            .flush(&mut tx, &request, &mut summary, &mut touched, started_at)
            .await?;
        if !db::fence(&mut tx, run, holder, &progress(&summary), Utc::now()).await? {
            return Err(taken_over(run));
        }
        tx.commit().await?;
        pace.took(started.elapsed());
        db.between_steps().await;
        if applied >= analyzed_at {
            db.analyze(GROWN).await?;
            analyzed_at = applied * 2;
        }
    }
    let reading = clock.elapsed();
    let found: Vec<i64> = touched.iter().copied().collect();
    super::rescore_in_steps(db, &found, &[], Utc::now()).await?;
    let scoring = clock.elapsed() - reading;

    // The end, in one transaction: what needs the whole run read.
    let mut tx = db.begin().await?;
    let mut late: HashSet<i64> = HashSet::new();
    let scanner = matches!(request.kind, ImportKind::Gitleaks | ImportKind::Trufflehog);
    if request.full && scanner {
        let removed = imports::remove_unseen(&mut tx, &request.found_by(), run).await?;
        summary.copies_removed = removed.len() as i64;
        late.extend(removed.iter().copied());
        touched.extend(removed);
    }
    if scanner {
        summary.secrets = touched.len() as i64;
    }
    let (counts, active) = recorder.finish(&mut tx).await?;
    summary.events = counts.events;
    summary.events_recorded = counts.recorded;
    summary.events_unmatched = counts.unmatched;
    summary.unmatched_principals = counts.unmatched_principals;
    summary.behaviour_findings = counts.findings;
    late.extend(active);
    summary.finished_at = Utc::now();
    let late: Vec<i64> = late.into_iter().collect();
    super::rescore(&mut tx, &late, &[], summary.finished_at).await?;
    if !db::fence(&mut tx, run, holder, &progress(&summary), Utc::now()).await? {
        return Err(taken_over(run));
    }
    super::record_run(&mut tx, &request, &summary).await?;
    tx.commit().await?;
    if applied >= ANALYZE_FROM {
        db.analyze(GROWN).await?;
    }
    drop_items(db, run).await?;
    tracing::info!(
        import = run,
        kind = request.kind.as_str(),
        applied_ms = reading.as_millis() as u64,
        rescored_ms = scoring.as_millis() as u64,
        finished_ms = (clock.elapsed() - reading - scoring).as_millis() as u64,
        "import applied"
    );
    Ok(summary)
}

/// The counts of `summary` a takeover carries on, as stored.
fn progress(summary: &json::ImportSummary) -> String {
    serde_json::to_string(&Progress {
        credentials_created: summary.credentials_created,
        copies_created: summary.copies_created,
        revocations_reopened: summary.revocations_reopened,
    })
    .unwrap_or_default()
}

/// Deletes a run cut short while staging, and its records.
async fn discard(db: &Db, run: i64, holder: &str) -> Result<(), sqlx::Error> {
    drop_items(db, run).await?;
    db::forget(db, run, holder).await
}

/// Deletes a run's records, a slice at a time.
async fn drop_items(db: &Db, run: i64) -> Result<(), sqlx::Error> {
    while db::drop_items(db, run, DROP_ROWS).await? > 0 {
        db.between_steps().await;
    }
    Ok(())
}

/// Takes over the runs whose importer stopped `after` ago or longer (see
/// the module's description), and deletes the records finished runs left
/// behind. Called by every replica's scheduled work; each run is taken over
/// by one.
pub async fn recover(db: &Db, after: Duration, leftovers: bool) -> Result<(), sqlx::Error> {
    let after = chrono::Duration::from_std(after).unwrap_or(chrono::Duration::MAX);
    for (run, state) in db::stale(db, Utc::now() - after).await? {
        let Some(state) = RunState::parse(&state) else {
            tracing::error!(
                run,
                state,
                "an import run in a state no release wrote; it is left as it is"
            );
            continue;
        };
        // The time of this takeover, not of the loop's start: applying an
        // earlier run may have taken minutes.
        let (now, holder) = (Utc::now(), new_holder());
        if !db::take_over(db, run, state, &holder, now - after, now).await? {
            continue;
        }
        let heartbeat = Heartbeat::start(db, run, &holder);
        match state {
            RunState::Staging => {
                tracing::warn!(
                    run,
                    "an import was cut short while reading; nothing of it was applied, it is deleted"
                );
                discard(db, run, &holder).await?;
            }
            RunState::Applying => {
                tracing::warn!(run, "an import was cut short while applying; applying it again");
                // Its events are recorded again, each once.
                db::forget_events(db, run).await?;
                match apply(db, run, &holder).await {
                    Ok(summary) => tracing::info!(run, findings = summary.findings, "import finished"),
                    // The heartbeat stops with this answer: the next tick tries again.
                    Err(error) => tracing::error!(error = ?error, run, "applying an import again failed"),
                }
            }
            // A finished run is never stale: `db::stale` reads those under way.
            RunState::Done => {}
        }
        drop(heartbeat);
    }
    if leftovers {
        for run in db::leftovers(db).await? {
            drop_items(db, run).await?;
        }
    }
    Ok(())
}
