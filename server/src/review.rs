//! Access reviews (certification campaigns), the service the HTTP handlers
//! and the scheduler call: starting a campaign (each item to one reviewer),
//! who sees and decides what, recording decisions with what they open (a
//! change request, a revocation, a new owner), reminders before the due date
//! and escalation after it.
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

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use model::api::{self as json, CampaignState, OwnedKind, ReviewDecision, ReviewScope, ReviewerBasis, Role};
use serde_json::json;
use sqlx::AnyConnection;

use crate::ApiError;
use crate::audit::{self, Actor, Entry, Source};
use crate::db::reviews::{self as db, ItemRow, NewItem, Reviewers, Sight};
use crate::db::{Db, ownership, risk};
use crate::revocation;

/// At most this many items are decided in one request.
pub const MAX_DECISIONS: usize = 500;

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
        (Some(team), true) => ownership::managed_teams(conn, team.id).await?.into_iter().collect(),
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
        return Err(ApiError::BadRequest(format!("{name} must have 1 to {max} characters")));
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
/// are told; audited with the change.
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
    if let Some(team) = new.team {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM team WHERE id = $1")
            .bind(team)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(ApiError::Unprocessable(format!("no team with id {team}")));
        }
    }
    let candidates = db::candidates(&mut tx, new.scope, new.team).await?;
    if candidates.is_empty() {
        return Err(ApiError::Unprocessable(
            "nothing to review: the scope holds no agent and no active credential".into(),
        ));
    }
    let reviewers = db::reviewers(&mut tx).await?;
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
    let id = db::create(
        &mut tx,
        &db::NewCampaign {
            name: new.name.trim(),
            scope: new.scope,
            team: new.team,
            started_by: &session.email,
            due_at: new.due_at,
        },
        now,
    )
    .await?;
    db::add_items(&mut tx, id, &items).await?;
    let entry = Entry::new(Actor::Person(session.email.clone()), "review.start")
        .target(format!("review:{id}"))
        .details(json!({
            "campaign": id, "name": new.name.trim(), "scope": new.scope, "team": new.team,
            "due_at": new.due_at, "items": items.len(),
        }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    tell_reviewers(&mut tx, id, json::NotifyEvent::ReviewAssigned, now).await?;
    let row = db::campaign(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no campaign with id {id}")))?;
    let all = Sight {
        all: true,
        ..Sight::default()
    };
    let progress = db::progress_by(&mut tx, id, &all, None).await?;
    let campaign = row.to_wire(progress.into_iter().next().map(|(_, p)| p).unwrap_or_default())?;
    tx.commit().await?;
    Ok(campaign)
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

/// Whether `session` may decide `item`: its reviewer, the manager it was
/// escalated to, or an admin for an item nobody else reviews.
fn may_decide(session: &json::Session, item: &ItemRow) -> bool {
    let me = session.person.as_ref().map(|p| p.id);
    let deciders = match item.escalated_to {
        Some(manager) => vec![Some(manager), item.reviewer_id],
        None => vec![item.reviewer_id],
    };
    if me.is_some() && deciders.contains(&me) {
        return true;
    }
    // Escalated with no manager to go to, it is the admins'.
    let escalated = item.basis().is_ok_and(|b| b == ReviewerBasis::Escalated);
    let nobody = item.reviewer_id.is_none() || (item.escalated_to.is_none() && escalated);
    nobody && session.roles.contains(&Role::Admin)
}

/// Checks a batch of decisions and loads its items: all exist in the
/// campaign, are undecided, and are the caller's to decide.
async fn decidable(
    conn: &mut AnyConnection,
    session: &json::Session,
    campaign: i64,
    request: &json::ReviewDecisions,
) -> Result<Vec<ItemRow>, ApiError> {
    let mut ids = request.items.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_DECISIONS {
        return Err(ApiError::BadRequest(format!(
            "items must name 1 to {MAX_DECISIONS} items, not {}",
            ids.len()
        )));
    }
    check_text("reason", &request.reason, 2000)?;
    let row = campaign_row(conn, campaign).await?;
    if row.state()? == CampaignState::Closed {
        return Err(ApiError::Conflict(format!("{} is closed: no more decisions", row.name)));
    }
    let items = db::items_by_id(conn, campaign, &ids).await?;
    if items.len() < ids.len() {
        let found: Vec<i64> = items.iter().map(|i| i.id).collect();
        let missing: Vec<String> = ids.iter().filter(|id| !found.contains(id)).map(i64::to_string).collect();
        return Err(ApiError::NotFound(format!(
            "no item {} in access review {campaign}",
            missing.join(", ")
        )));
    }
    for item in &items {
        if !may_decide(session, item) {
            return Err(ApiError::Forbidden(format!(
                "{} is not yours to decide: it is for {}",
                item.name(),
                item.to_wire()?.reviewer.map_or_else(|| "admins".to_owned(), |r| r.name)
            )));
        }
        if let Some(decision) = item.decision()? {
            return Err(ApiError::Conflict(format!(
                "{} was decided already ({decision}); a decision is made once",
                item.name()
            )));
        }
    }
    Ok(items)
}

/// A reduction to ask for: remove `scopes` from `credential`, through an agent that uses it.
#[derive(Debug, Clone)]
pub struct Reduction {
    /// The item.
    pub item: i64,
    /// The credential.
    pub credential: i64,
    /// An agent that uses it (a change request is about an agent).
    pub agent: i64,
    /// The scopes to remove.
    pub scopes: Vec<String>,
}

/// Checks a `reduce` decision (one credential at a time, naming scopes it
/// holds, used by an agent) before its change requests are opened.
pub async fn reduction(
    db: &Db,
    session: &json::Session,
    campaign: i64,
    request: &json::ReviewDecisions,
) -> Result<Reduction, ApiError> {
    let mut conn = db.pool().acquire().await?;
    let items = decidable(&mut conn, session, campaign, request).await?;
    let [item] = items.as_slice() else {
        return Err(ApiError::BadRequest(
            "reduce is decided one item at a time, naming the scopes to remove".into(),
        ));
    };
    if item.kind()? != OwnedKind::Credential {
        return Err(ApiError::Unprocessable(format!(
            "{} is an agent: reduce one of its credentials (each is an item), or revoke",
            item.name()
        )));
    }
    let held = item.scopes();
    if request.scopes.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "name the scopes to remove from {} (it holds: {})",
            item.name(),
            if held.is_empty() { "none".to_owned() } else { held.join(" ") }
        )));
    }
    for scope in &request.scopes {
        if !held.contains(scope) {
            return Err(ApiError::Unprocessable(format!("{} has no scope {scope:?}", item.name())));
        }
    }
    let agent: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(at.agent_id) FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         WHERE tc.credential_id = $1",
    )
    .bind(item.subject_id)
    .fetch_one(&mut *conn)
    .await?;
    let agent = agent.ok_or_else(|| {
        ApiError::Unprocessable(format!(
            "no agent uses {}, so no change request can be asked for: keep it or revoke it",
            item.name()
        ))
    })?;
    Ok(Reduction {
        item: item.id,
        credential: item.subject_id,
        agent,
        scopes: request.scopes.clone(),
    })
}

/// Records a batch of decisions, all or none, each audited: `keep` attests;
/// `reduce` records the change requests opened for it (`follow_up`);
/// `revoke` opens a revocation of the credential (of an agent: of each
/// active credential only it uses); `reassign` gives the item to
/// `new_owner`. Rescored, since attestation is a risk factor.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &Db,
    session: &json::Session,
    campaign: i64,
    request: &json::ReviewDecisions,
    follow_up: Option<&str>,
    automated: bool,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<json::ReviewDecided, ApiError> {
    let items = {
        let mut conn = db.pool().acquire().await?;
        decidable(&mut conn, session, campaign, request).await?
    };
    let reason = request.reason.trim();
    let by = session.email.as_str();
    // What each revocation revokes, per credential, read before the transaction.
    let mut revoking: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    if request.decision == ReviewDecision::Revoke {
        let mut conn = db.pool().acquire().await?;
        for item in &items {
            let credentials = match item.kind()? {
                OwnedKind::Credential => vec![item.subject_id],
                OwnedKind::Agent => sqlx::query_scalar(
                    "SELECT DISTINCT c.id FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
                     JOIN credential c ON c.id = tc.credential_id WHERE at.agent_id = $1 AND c.status = 'active' \
                     AND NOT EXISTS (SELECT 1 FROM agent_tool o JOIN tool_credential otc ON otc.tool_id = o.tool_id \
                     WHERE otc.credential_id = c.id AND o.agent_id <> at.agent_id) ORDER BY c.id",
                )
                .bind(item.subject_id)
                .fetch_all(&mut *conn)
                .await?,
            };
            if credentials.is_empty() {
                return Err(ApiError::Unprocessable(format!(
                    "{} uses no active credential of its own (those it uses are shared): revoke them as items, \
                     where what breaks is shown",
                    item.name()
                )));
            }
            // Revoking what other people's agents use is for an admin, or
            // from the credential's page where what breaks is shown.
            if !session.roles.contains(&Role::Admin) {
                for &credential in &credentials {
                    let others: Vec<String> = sqlx::query_scalar(
                        "SELECT DISTINCT a.name FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
                         JOIN agent a ON a.id = at.agent_id JOIN credential c ON c.id = tc.credential_id \
                         WHERE tc.credential_id = $1 AND (a.owner_id IS NULL OR c.owner_id IS NULL \
                         OR a.owner_id <> c.owner_id) ORDER BY a.name",
                    )
                    .bind(credential)
                    .fetch_all(&mut *conn)
                    .await?;
                    if !others.is_empty() {
                        return Err(ApiError::Unprocessable(format!(
                            "{} is used by agents other owners answer for ({}): an admin revokes it, or revoke it \
                             from its page after looking at what breaks",
                            item.name(),
                            others.join(", ")
                        )));
                    }
                }
            }
            revoking.insert(item.id, credentials);
        }
    }
    let mut events = BTreeMap::new();
    if automated {
        for &credential in revoking.values().flatten() {
            events.insert(
                credential,
                revocation::request_event(db, credential, reason, by, None, now).await?,
            );
        }
    }
    let new_owner = match (request.decision, request.new_owner) {
        (ReviewDecision::Reassign, None) => {
            return Err(ApiError::BadRequest("reassign needs new_owner, a person id".into()));
        }
        (ReviewDecision::Reassign, Some(id)) => {
            let mut conn = db.pool().acquire().await?;
            let owner = ownership::candidate(&mut conn, id)
                .await?
                .ok_or_else(|| ApiError::Unprocessable(format!("no person with id {id}")))?;
            if owner.status == json::PersonStatus::Departed {
                return Err(ApiError::Unprocessable(format!(
                    "{} has left the organisation and cannot own anything",
                    owner.person.name
                )));
            }
            Some(owner.person)
        }
        (_, Some(_)) => {
            return Err(ApiError::BadRequest("new_owner is only given to reassign".into()));
        }
        (_, None) => None,
    };
    if request.decision == ReviewDecision::Reduce && follow_up.is_none() {
        return Err(ApiError::BadRequest("reduce opens change requests first".into()));
    }
    let mut tx = db.begin().await?;
    let mut follow_ups = Vec::new();
    let (mut agents, mut credentials) = (Vec::new(), Vec::new());
    for item in &items {
        let kind = item.kind()?;
        match kind {
            OwnedKind::Agent => agents.push(item.subject_id),
            OwnedKind::Credential => credentials.push(item.subject_id),
        }
        let opened = match request.decision {
            ReviewDecision::Keep => None,
            ReviewDecision::Reduce => follow_up.map(str::to_owned),
            ReviewDecision::Revoke => {
                let mut opened = Vec::new();
                for &credential in revoking.get(&item.id).into_iter().flatten() {
                    let opening = revocation::Opening {
                        credential,
                        reason,
                        replacement: None,
                        by,
                        event: events.remove(&credential),
                    };
                    let id = match revocation::open(&mut tx, &opening, Some(source), now).await? {
                        Some(id) => id,
                        // Revoked before: the review points at that revocation.
                        None => crate::db::revocations::of_credential(&mut tx, credential)
                            .await?
                            .map(|r| r.id)
                            .unwrap_or_default(),
                    };
                    opened.push(format!("revocation:{id}"));
                }
                (!opened.is_empty()).then(|| opened.join(","))
            }
            ReviewDecision::Reassign => {
                let owner = new_owner.as_ref().expect("checked above");
                let owned = ownership::owned(&mut tx, kind, &[item.subject_id]).await?;
                let owned: Vec<&ownership::Owned> = owned.iter().collect();
                crate::ownership::give(&mut tx, kind, &owned, owner, by, reason, Some(source), now).await?;
                Some(format!("person:{}", owner.id))
            }
        };
        let recorded = db::decide(
            &mut tx,
            &db::Decided {
                item: item.id,
                decision: request.decision,
                reason,
                by,
                follow_up: opened.as_deref(),
            },
            now,
        )
        .await?;
        if !recorded {
            tx.rollback().await?;
            return Err(ApiError::Conflict(format!(
                "{} was decided meanwhile; a decision is made once",
                item.name()
            )));
        }
        let entry = Entry::new(Actor::Person(by.to_owned()), "review.decide")
            .target(format!("{kind}:{}", item.subject_id))
            .details(json!({
                "campaign": campaign, "item": item.id, "decision": request.decision, "reason": reason,
                "follow_up": opened,
            }))
            .from(source);
        audit::record(&mut tx, &entry, now).await?;
        follow_ups.extend(opened);
    }
    // An attestation changes the attestation factor.
    risk::refresh(&mut tx, &credentials, &agents, now).await?;
    tx.commit().await?;
    Ok(json::ReviewDecided {
        decided: items.len(),
        follow_ups,
    })
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
        .target(format!("review:{id}"))
        .details(json!({ "campaign": id }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    let all = Sight {
        all: true,
        ..Sight::default()
    };
    let progress = db::progress_by(&mut tx, id, &all, None).await?;
    let row = campaign_row(&mut tx, id).await?;
    let campaign = row.to_wire(progress.into_iter().next().map(|(_, p)| p).unwrap_or_default())?;
    tx.commit().await?;
    Ok(campaign)
}

/// The scheduler's part: reminds the reviewers of open campaigns due within
/// [`REMIND_BEFORE`] (once), and escalates campaigns past their due date
/// (once, across replicas): each undecided item goes to its reviewer's
/// manager, or admins, who are told. Answers whether it raised events.
pub async fn tend(db: &Db, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let due = {
        let mut conn = db.pool().acquire().await?;
        db::open_due(&mut conn, now + REMIND_BEFORE).await?
    };
    let mut raised = false;
    for campaign in due {
        let mut tx = db.begin().await?;
        if campaign.due_at()? <= now {
            if db::set_state(&mut tx, campaign.id, &[CampaignState::Open], CampaignState::Escalated, now).await? {
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
                    .target(format!("review:{}", campaign.id))
                    .details(json!({ "campaign": campaign.id, "undecided": undecided.len() }));
                audit::record(&mut tx, &entry, now).await?;
                tell_reviewers(&mut tx, campaign.id, json::NotifyEvent::ReviewEscalated, now).await?;
                // Attestation is now expected: what was not attested scores so.
                for chunk in credentials.chunks(500) {
                    risk::refresh(&mut tx, chunk, &[], now).await?;
                }
                for chunk in agents.chunks(500) {
                    risk::refresh(&mut tx, &[], chunk, now).await?;
                }
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
