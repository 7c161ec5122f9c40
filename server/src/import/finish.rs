//! How an import ends ([`conclude`]): its events' baselines, the rescoring
//! of what it touched (in its transaction, or after its commit in steps),
//! its summary and audit entry; and how it begins ([`begin_run`]).

use std::collections::HashSet;

use chrono::Utc;
use model::api as json;

use super::{ImportError, Request, activity};
use crate::audit::{self, AuditTarget, Entry, TargetKind};
use crate::db::{Db, Pace, accounts, bulk, imports, risk};

/// Above this many touched credentials and agents, an import rescores them
/// after its commit, a thousand to a transaction, rather than inside it.
const REFRESH_LIMIT: usize = 20_000;

/// Ends an import: its events' baselines, the rescoring of what it touched,
/// its summary and audit entry, and the commit.
#[allow(clippy::too_many_arguments)]
pub(super) async fn conclude(
    db: &Db,
    mut tx: crate::db::Tx,
    request: &Request,
    mut summary: json::ImportSummary,
    recorder: activity::Recorder,
    mut touched: HashSet<i64>,
    touched_agents: HashSet<i64>,
    clock: std::time::Instant,
    reading: std::time::Duration,
) -> Result<json::ImportSummary, ImportError> {
    let (counts, active) = recorder.finish(&mut tx).await?;
    summary.events = counts.events;
    summary.events_recorded = counts.recorded;
    summary.events_unmatched = counts.unmatched;
    summary.unmatched_principals = counts.unmatched_principals;
    summary.behaviour_findings = counts.findings;
    touched.extend(active);
    summary.finished_at = Utc::now();
    let finishing = clock.elapsed() - reading;
    let touched: Vec<i64> = touched.into_iter().collect();
    let touched_agents: Vec<i64> = touched_agents.into_iter().collect();
    let refresh_here = touched.len() + touched_agents.len() <= REFRESH_LIMIT;
    if refresh_here {
        rescore(&mut tx, &touched, &touched_agents, summary.finished_at).await?;
    }
    record_run(&mut tx, request, &summary).await?;
    bulk::bulk_cache(&mut tx, db.backend(), false).await?;
    tx.commit().await?;
    if !refresh_here
        && let Err(error) = rescore_in_steps(db, &touched, &touched_agents, summary.finished_at).await
    {
        // The import is committed: its answer must not say otherwise.
        tracing::error!(error = ?error, import = summary.id, "rescoring what an import touched failed");
        summary.notes.push(
            "rescoring what this import touched stopped part-way; the daily recompute finishes it".into(),
        );
    }
    tracing::info!(
        import = summary.id,
        kind = request.kind.as_str(),
        read_and_recorded_ms = reading.as_millis() as u64,
        finished_ms = finishing.as_millis() as u64,
        scored_ms = (clock.elapsed() - reading - finishing).as_millis() as u64,
        "import done"
    );
    Ok(summary)
}

/// Rescores the credentials and agents an import touched, a thousand at a time.
pub(crate) async fn rescore(
    conn: &mut sqlx::AnyConnection,
    credentials: &[i64],
    agents: &[i64],
    now: chrono::DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for chunk in credentials.chunks(1000) {
        risk::refresh(conn, chunk, &[], now).await?;
    }
    for chunk in agents.chunks(1000) {
        risk::refresh(conn, &[], chunk, now).await?;
    }
    Ok(())
}

/// Rescores these credentials and agents as many to a transaction as take
/// about [`crate::db::STEP`], letting other writers go between two: an import that
/// touched much of the inventory rescores what it touched, never holding
/// the database for long.
pub(crate) async fn rescore_in_steps(
    db: &Db,
    credentials: &[i64],
    agents: &[i64],
    now: chrono::DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let rescored = async {
        db.in_steps(credentials, Pace::new(250, 50, 5_000), |conn, step| {
            Box::pin(risk::refresh(conn, step, &[], now))
        })
        .await?;
        db.in_steps(agents, Pace::new(250, 50, 5_000), |conn, step| {
            Box::pin(risk::refresh(conn, &[], step, now))
        })
        .await
    }
    .await;
    // Scores changed with no audit entry of their own, even if it stopped
    // part-way: the kept figures and totals are counted again.
    risk::scores_changed(db).await?;
    rescored.map(drop)
}

/// Writes a finished import's counts, and its audit entry, in its transaction.
pub(crate) async fn record_run(
    conn: &mut sqlx::AnyConnection,
    request: &Request,
    summary: &json::ImportSummary,
) -> Result<(), ImportError> {
    imports::finish_run(conn, summary).await?;
    // People an import created may be the people of existing accounts.
    accounts::link_people(conn).await?;
    let entry = Entry::new(request.actor.clone(), "import.run")
        .target(AuditTarget::new(TargetKind::Import, summary.id))
        .details(serde_json::to_value(summary).unwrap_or_default())
        .from(&request.origin);
    audit::record(conn, &entry, summary.finished_at).await?;
    Ok(())
}

/// Starts an import's row; answers its summary before it has read anything.
pub(crate) async fn begin_run(
    conn: &mut sqlx::AnyConnection,
    request: &Request,
    started_at: chrono::DateTime<Utc>,
) -> Result<json::ImportSummary, ImportError> {
    let id = imports::start_run(
        conn,
        request.kind,
        &request.found_by(),
        request.full,
        request.actor.name(),
        started_at,
    )
    .await?;
    Ok(empty_summary(id, request, started_at))
}

/// The summary of import `id` before it has read anything.
pub(crate) fn empty_summary(
    id: i64,
    request: &Request,
    started_at: chrono::DateTime<Utc>,
) -> json::ImportSummary {
    json::ImportSummary {
        id,
        kind: request.kind,
        found_by: request.found_by(),
        full: request.full,
        findings: 0,
        skipped: 0,
        secrets: 0,
        credentials_created: 0,
        copies_created: 0,
        copies_removed: 0,
        revocations_reopened: 0,
        events: 0,
        events_recorded: 0,
        events_unmatched: 0,
        unmatched_principals: Vec::new(),
        behaviour_findings: 0,
        principals: 0,
        credentials_updated: 0,
        reach_edges: 0,
        entities_read: 0,
        entities_created: 0,
        entities_updated: 0,
        links_created: 0,
        grants: 0,
        grants_revoked: 0,
        agents: 0,
        agents_created: 0,
        notes: Vec::new(),
        started_at,
        finished_at: started_at,
    }
}
