//! Access reviews (certification campaigns), the service the HTTP handlers
//! and the scheduler call: starting a campaign (each item to one reviewer),
//! who sees and decides what, recording decisions with what they open (a
//! change request, a revocation, a new owner), reminders before the due date
//! and escalation after it, and the next cycles of repeating campaigns.
//!
//! Who reviews an item: its owner, when they can sign in; for an item with
//! no owner, or whose owner left, the owner's manager or else the manager of
//! the team it counts for (the nearest up the hierarchy); when nobody is
//! found, admins. Past the due date an undecided item goes to its reviewer's
//! manager (or admins) and counts as not attested.
//!
//! Who sees what: CISOs and admins every item; a manager the items of their
//! teams; everyone the items they review. Only an item's reviewer (or the
//! manager it was escalated to; admins for items nobody else reviews)
//! decides it, once.

use chrono::{DateTime, Utc};
use model::api::{self as json, CampaignState, OwnedKind, ReviewScope, ReviewerBasis, Role};
use serde_json::json;
use sqlx::AnyConnection;

use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::reviews::{self as db, NewItem, Reviewers, Sight};
use crate::db::{Db, ownership, risk};

mod cycle;
mod decide;
pub use cycle::stop_repeating;
pub use decide::{MAX_DECISIONS, decide};

/// Reviewers are reminded once, this long before the due date.
pub const REMIND_BEFORE: chrono::Duration = chrono::Duration::days(3);

/// Which items `session` sees.
pub async fn sight(conn: &mut AnyConnection, session: &json::Session) -> Result<Sight, sqlx::Error> {
    let admin = session.roles.contains(&Role::Admin);
    if admin || session.roles.contains(&Role::Ciso) {
        return Ok(Sight {
            all: true,
            ..Sight::default()
        });
    }
    let teams = match (&session.team, session.roles.contains(&Role::Manager)) {
        (Some(team), true) => ownership::managed_teams(conn, team.id)
            .await?
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    Ok(Sight {
        all: false,
        person: session.person.as_ref().map(|p| p.id),
        teams,
        unassigned: false,
    })
}

fn check_text(name: &str, text: &str, max: usize) -> Result<(), ApiError> {
    if text.trim().is_empty() || text.chars().count() > max {
        return Err(ApiError::BadRequest(format!(
            "{name} must have 1 to {max} characters"
        )));
    }
    Ok(())
}

/// The reviewer of one item, and why them.
fn reviewer_of(candidate: &db::Candidate, reviewers: &Reviewers) -> (Option<i64>, ReviewerBasis) {
    let can = |person: Option<i64>| person.filter(|p| reviewers.people.contains(p));
    if !candidate.orphaned()
        && let Some(owner) = can(candidate.owner_id)
    {
        return (Some(owner), ReviewerBasis::Owner);
    }
    if candidate.orphaned()
        && let Some(manager) = can(candidate.owner_manager)
    {
        return (Some(manager), ReviewerBasis::Manager);
    }
    // The nearest team up the hierarchy with a manager (a cycle, which
    // writes refuse, ends the walk).
    let mut team = candidate.team_id;
    let mut seen = 0;
    while let Some(id) = team {
        if let Some(manager) = reviewers.managers.get(&id).copied().and_then(|m| can(Some(m))) {
            return (Some(manager), ReviewerBasis::Manager);
        }
        team = reviewers.parents.get(&id).copied().flatten();
        seen += 1;
        if seen > 64 {
            break;
        }
    }
    (None, ReviewerBasis::Admin)
}

/// Starts a campaign: every item in its scope, each to its reviewer, who
/// are told; audited with the change. With a cadence, its next cycle is
/// due that long after now, and its due date must come first.
pub async fn start(
    db: &Db,
    session: &json::Session,
    new: &json::NewCampaign,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<json::Campaign, ApiError> {
    check_text("name", &new.name, 200)?;
    if new.due_at <= now {
        return Err(ApiError::BadRequest("due_at must be in the future".into()));
    }
    if new.due_at > now + chrono::Duration::days(366) {
        return Err(ApiError::BadRequest("due_at must be within a year".into()));
    }
    let next_start_at = match new.repeat {
        Some(cadence) => {
            let next = cycle::after(now, cadence, 1)?;
            if new.due_at >= next {
                return Err(ApiError::BadRequest(format!(
                    "due_at must come before the next cycle starts, on {} ({})",
                    next.format("%Y-%m-%d"),
                    cadence.label().to_lowercase()
                )));
            }
            Some(next)
        }
        None => None,
    };
    match (new.scope, new.team) {
        (ReviewScope::Team, None) => {
            return Err(ApiError::BadRequest("the team scope needs a team".into()));
        }
        (ReviewScope::Team, Some(_)) => {}
        (_, Some(_)) => {
            return Err(ApiError::BadRequest(format!(
                "a team is only given with the team scope, not {}",
                new.scope
            )));
        }
        (_, None) => {}
    }
    let mut tx = db.begin().await?;
    let started = Entry::new(Actor::Person(session.email.clone()), "review.start").from(source);
    let new = db::NewCampaign {
        name: new.name.trim(),
        scope: new.scope,
        team: new.team,
        started_by: &session.email,
        due_at: new.due_at,
        cadence: new.repeat,
        next_start_at,
        follows: None,
        series: new.repeat.map(|_| db::Series {
            cycle: 0,
            start_at: now,
            due_at: new.due_at,
        }),
    };
    let id = open_cycle(&mut tx, &new, started, now).await?;
    if new.cadence.is_some() {
        rescore_attested(&mut tx, &[id], now).await?;
    }
    let campaign = wire(&mut tx, id).await?;
    tx.commit().await?;
    Ok(campaign)
}

/// Rescores credentials and agents in the caller's transaction, 500 at a
/// time (a campaign may hold the whole inventory).
async fn rescore(
    conn: &mut AnyConnection,
    credentials: &[i64],
    agents: &[i64],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    for chunk in credentials.chunks(500) {
        risk::refresh(conn, chunk, &[], now).await?;
    }
    for chunk in agents.chunks(500) {
        risk::refresh(conn, &[], chunk, now).await?;
    }
    Ok(())
}

/// Rescores, in the caller's transaction, what `campaigns` hold that a
/// reviewer once vouched for: the repeating review over it started, moved
/// on or stopped, and with it how long an attestation counts
/// (`risk::ReviewCycle`).
async fn rescore_attested(
    conn: &mut AnyConnection,
    campaigns: &[i64],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (agents, credentials) = db::attested_items(conn, campaigns).await?;
    rescore(conn, &credentials, &agents, now).await
}

/// Opens a campaign (a first cycle or a later one) in the caller's
/// transaction: every item in its scope to its reviewer, who are told;
/// `started` (who, from where) is audited with it. A 422 when its team is
/// gone or its scope holds nothing.
async fn open_cycle(
    conn: &mut AnyConnection,
    new: &db::NewCampaign<'_>,
    started: Entry,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    if let Some(team) = new.team
        && !db::team_exists(conn, team).await?
    {
        return Err(ApiError::Unprocessable(format!("no team with id {team}")));
    }
    let candidates = db::candidates(conn, new.scope, new.team).await?;
    if candidates.is_empty() {
        return Err(ApiError::Unprocessable(
            "nothing to review: the scope holds no agent and no active credential".into(),
        ));
    }
    let reviewers = db::reviewers(conn).await?;
    let mut items = Vec::with_capacity(candidates.len());
    for candidate in &candidates {
        let (reviewer, basis) = reviewer_of(candidate, &reviewers);
        items.push(NewItem {
            kind: candidate.kind()?,
            subject: candidate.subject_id,
            team: candidate.team_id,
            reviewer,
            basis,
        });
    }
    let id = db::create(conn, new, now).await?;
    db::add_items(conn, id, &items).await?;
    let entry = started
        .target(AuditTarget::new(TargetKind::Review, id))
        .details(json!({
            "campaign": id, "name": new.name, "scope": new.scope, "team": new.team,
            "due_at": new.due_at, "items": items.len(), "repeat": new.cadence,
            "next_start_at": new.next_start_at, "follows": new.follows,
        }));
    audit::record(conn, &entry, now).await?;
    tell_reviewers(conn, id, json::NotifyEvent::ReviewAssigned, now).await?;
    Ok(id)
}

/// Campaign `id` on the wire, with the progress of all its items.
async fn wire(conn: &mut AnyConnection, id: i64) -> Result<json::Campaign, ApiError> {
    let row = campaign_row(conn, id).await?;
    let all = Sight {
        all: true,
        ..Sight::default()
    };
    let progress = db::progress_by(conn, id, &all, None).await?;
    Ok(row.to_wire(progress.into_iter().next().map(|(_, p)| p).unwrap_or_default())?)
}

/// Raises `event` for each reviewer with undecided items in a campaign
/// (items nobody reviews: for admins), once per campaign and reviewer.
async fn tell_reviewers(
    conn: &mut AnyConnection,
    campaign: i64,
    event: json::NotifyEvent,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for (reviewer, items) in db::open_by_reviewer(conn, campaign).await? {
        let who = reviewer.map_or_else(|| "admins".to_owned(), |p| p.to_string());
        let facts = json!({ "campaign": campaign, "person": reviewer, "items": items });
        crate::db::outbox::raise(conn, event, &format!("review:{campaign}:{who}"), facts, now).await?;
    }
    Ok(())
}

/// The campaign `id` as `session` sees it, or a 404.
async fn campaign_row(conn: &mut AnyConnection, id: i64) -> Result<db::CampaignRow, ApiError> {
    db::campaign(conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no access review with id {id}")))
}

/// Campaigns, newest first, with the progress of what `session` sees.
pub async fn list(db: &Db, session: &json::Session) -> Result<Vec<json::Campaign>, ApiError> {
    let mut conn = db.pool().acquire().await?;
    let sight = sight(&mut conn, session).await?;
    Ok(db::campaigns(&mut conn, &sight).await?)
}

/// One campaign with its progress by team and by reviewer, over what `session` sees.
pub async fn detail(db: &Db, session: &json::Session, id: i64) -> Result<json::CampaignDetail, ApiError> {
    let mut conn = db.pool().acquire().await?;
    let row = campaign_row(&mut conn, id).await?;
    let sight = sight(&mut conn, session).await?;
    let total = db::progress_by(&mut conn, id, &sight, None).await?;
    let progress = total.into_iter().next().map(|(_, p)| p).unwrap_or_default();
    let rows = |groups: Vec<(Option<json::Ref>, json::ReviewProgress)>| {
        groups
            .into_iter()
            .map(|(who, progress)| json::ProgressRow { who, progress })
            .collect()
    };
    Ok(json::CampaignDetail {
        campaign: row.to_wire(progress)?,
        teams: rows(db::progress_by(&mut conn, id, &sight, Some("team")).await?),
        reviewers: rows(db::progress_by(&mut conn, id, &sight, Some("reviewer")).await?),
    })
}

/// A page of a campaign's items that `session` sees.
pub async fn items(
    db: &Db,
    session: &json::Session,
    id: i64,
    query: &json::ReviewItemQuery,
) -> Result<json::Page<json::ReviewItem>, ApiError> {
    let mut conn = db.pool().acquire().await?;
    campaign_row(&mut conn, id).await?;
    let sight = sight(&mut conn, session).await?;
    let me = session.person.as_ref().map(|p| p.id);
    db::items(&mut conn, id, &sight, me, query).await
}

/// Closes a campaign (CISOs and admins): no more decisions; what is
/// undecided stays not attested.
pub async fn close(
    db: &Db,
    session: &json::Session,
    id: i64,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<json::Campaign, ApiError> {
    let mut tx = db.begin().await?;
    let row = campaign_row(&mut tx, id).await?;
    if !db::set_state(
        &mut tx,
        id,
        &[CampaignState::Open, CampaignState::Escalated],
        CampaignState::Closed,
        now,
    )
    .await?
    {
        return Err(ApiError::Conflict(format!("{} is closed already", row.name)));
    }
    let entry = Entry::new(Actor::Person(session.email.clone()), "review.close")
        .target(AuditTarget::new(TargetKind::Review, id))
        .details(json!({ "campaign": id }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    let campaign = wire(&mut tx, id).await?;
    tx.commit().await?;
    Ok(campaign)
}

/// The scheduler's part: reminds the reviewers of open campaigns due within
/// [`REMIND_BEFORE`] (once), escalates campaigns past their due date
/// (once, across replicas): each undecided item goes to its reviewer's
/// manager, or admins, who are told; and starts repeating campaigns' next
/// cycles. Answers whether it raised events.
pub async fn tend(db: &Db, now: DateTime<Utc>) -> Result<bool, ApiError> {
    // Each pass runs whatever the other met.
    let deadlines = remind_and_escalate(db, now).await;
    let cycles = cycle::start_next_cycles(db, now).await;
    Ok(deadlines? | cycles?)
}

/// Reminders and escalations due by `now`; answers whether it raised events.
async fn remind_and_escalate(db: &Db, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let due = {
        let mut conn = db.pool().acquire().await?;
        db::open_due(&mut conn, now + REMIND_BEFORE).await?
    };
    let mut raised = false;
    for campaign in due {
        let mut tx = db.begin().await?;
        if campaign.due_at()? <= now {
            if db::set_state(
                &mut tx,
                campaign.id,
                &[CampaignState::Open],
                CampaignState::Escalated,
                now,
            )
            .await?
            {
                let undecided = db::undecided_with_manager(&mut tx, campaign.id).await?;
                let (mut agents, mut credentials) = (Vec::new(), Vec::new());
                for (item, kind, subject, manager) in &undecided {
                    db::escalate(&mut tx, *item, *manager).await?;
                    match kind {
                        OwnedKind::Agent => agents.push(*subject),
                        OwnedKind::Credential => credentials.push(*subject),
                    }
                }
                let entry = Entry::new(Actor::System("reviews".into()), "review.escalate")
                    .target(AuditTarget::new(TargetKind::Review, campaign.id))
                    .details(json!({ "campaign": campaign.id, "undecided": undecided.len() }));
                audit::record(&mut tx, &entry, now).await?;
                tell_reviewers(&mut tx, campaign.id, json::NotifyEvent::ReviewEscalated, now).await?;
                // Attestation is now expected: what was not attested scores so.
                rescore(&mut tx, &credentials, &agents, now).await?;
                raised = true;
            }
        } else if db::mark_reminded(&mut tx, campaign.id, now).await? {
            tell_reviewers(&mut tx, campaign.id, json::NotifyEvent::ReviewReminder, now).await?;
            raised = true;
        }
        tx.commit().await?;
    }
    Ok(raised)
}
