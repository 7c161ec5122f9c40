//! Deciding a campaign's items: who may decide which, checking a batch,
//! and recording it with what each decision opens.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use model::api::{self as json, CampaignState, OwnedKind, ReviewDecision, ReviewerBasis, Role};
use serde_json::json;
use sqlx::AnyConnection;

use super::{campaign_row, check_text};
use crate::audit::{self, Actor, AuditTarget, Entry, Source};
use crate::db::reviews::{self as db, ItemRow};
use crate::db::{ownership, risk};
use crate::{ApiError, AppState, approval, revocation};

/// At most this many items are decided in one request.
pub const MAX_DECISIONS: usize = 500;

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
        return Err(ApiError::Conflict(format!(
            "{} is closed: no more decisions",
            row.name
        )));
    }
    let items = db::items_by_id(conn, campaign, &ids).await?;
    if let Some(missing) = crate::error::missing_ids(&ids, items.iter().map(|i| i.id)) {
        return Err(ApiError::NotFound(format!(
            "no item {missing} in access review {campaign}"
        )));
    }
    for item in &items {
        if !may_decide(session, item) {
            return Err(ApiError::Forbidden(format!(
                "{} is not yours to decide: it is for {}",
                item.name(),
                item.to_wire()?
                    .reviewer
                    .map_or_else(|| "admins".to_owned(), |r| r.name)
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
struct Reduction {
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
async fn reduction(
    conn: &mut AnyConnection,
    session: &json::Session,
    campaign: i64,
    request: &json::ReviewDecisions,
) -> Result<Reduction, ApiError> {
    let items = decidable(&mut *conn, session, campaign, request).await?;
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
            if held.is_empty() {
                "none".to_owned()
            } else {
                held.join(" ")
            }
        )));
    }
    for scope in &request.scopes {
        if !held.contains(scope) {
            return Err(ApiError::Unprocessable(format!(
                "{} has no scope {scope:?}",
                item.name()
            )));
        }
    }
    let agent = db::an_agent_using(&mut *conn, item.subject_id).await?;
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

/// Opens, in `conn`'s transaction, a change request per scope a reduction
/// removes (each idempotent by the item and scope); answers them as the
/// decision's follow-up. Refused (422) when the policy denies one.
async fn reduce(
    state: &AppState,
    conn: &mut AnyConnection,
    session: &json::Session,
    campaign: i64,
    request: &json::ReviewDecisions,
    source: &Source,
) -> Result<String, ApiError> {
    let reduction = reduction(&mut *conn, session, campaign, request).await?;
    let mut opened = Vec::new();
    // The justification holds the reason whole when it fits, as a change request's must.
    let reason: String = request.reason.trim().chars().take(1900).collect();
    for scope in &reduction.scopes {
        let change = json::NewChangeRequest {
            agent: reduction.agent,
            operation: "muster:remove_scope".into(),
            parameters: json!({ "credential": reduction.credential, "scope": scope }),
            justification: format!("Access review {campaign}: {reason}"),
        };
        let key = format!("review-item-{}-{scope}", reduction.item);
        let stored =
            approval::request_change(state, &mut *conn, &session.email, &change, &key, source).await?;
        if stored.state == json::ApprovalState::Denied {
            return Err(ApiError::Unprocessable(format!(
                "the approval policy denies removing {scope:?} (rule {:?}); the item stays undecided",
                stored.rule
            )));
        }
        opened.push(format!("approval:{}", stored.id));
    }
    Ok(opened.join(","))
}

/// Records a batch of decisions, all or none, each audited: `keep` attests;
/// `reduce` opens change requests that remove the scopes named; `revoke`
/// opens a revocation of the credential (of an agent: of each active
/// credential only it uses); `reassign` gives the item to `new_owner`.
/// Rescored, since attestation is a risk factor. The caller wakes the
/// senders of what was queued ([`crate::AppState::wake_senders`]).
pub async fn decide(
    state: &AppState,
    session: &json::Session,
    campaign: i64,
    request: &json::ReviewDecisions,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<json::ReviewDecided, ApiError> {
    let db = &state.db;
    let automated = state.settings.webhook.is_some();
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
                OwnedKind::Agent => db::credentials_only_used_by(&mut conn, item.subject_id).await?,
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
                    let others = db::agents_of_other_owners(&mut conn, credential).await?;
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
            return Err(ApiError::BadRequest(
                "reassign needs new_owner, a person id".into(),
            ));
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
    let mut tx = db.begin().await?;
    let follow_up = match request.decision {
        ReviewDecision::Reduce => Some(reduce(state, &mut tx, session, campaign, request, source).await?),
        _ => None,
    };
    let follow_up = follow_up.as_deref();
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
            .target(AuditTarget::new(kind, item.subject_id))
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
