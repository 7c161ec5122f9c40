//! What the item sections share: the link to a view of the items, who may
//! decide which item, and what a batch of decisions came to and opened.

use leptos::prelude::*;
use model::api::{self as json, ReviewDecision, ReviewerBasis, Role};

use crate::auth::Auth;
use crate::{api, routes};

/// The review's page showing the items `query` selects.
pub fn items_link(campaign: i64, query: &json::ReviewItemQuery) -> String {
    format!("{}{}", routes::review_path(campaign), api::query_string(query))
}

/// What a batch of decisions came to, or why it was refused.
pub type Batch = Option<Result<(ReviewDecision, json::ReviewDecided), String>>;

/// The signed-in person's id in the inventory, and whether they are an admin.
pub fn decider(auth: Auth) -> (Option<i64>, bool) {
    auth.session.with(|session| {
        session
            .as_ref()
            .and_then(Option::as_ref)
            .map_or((None, false), |s| {
                (s.person.as_ref().map(|p| p.id), s.roles.contains(&Role::Admin))
            })
    })
}

/// Whether the signed-in person may decide `item`: it is open, and theirs,
/// or escalated to them, or an admin's because nobody else reviews it. The
/// server decides; this only keeps a selection to what it would accept,
/// since a batch is all or none.
pub fn may_decide(item: &json::ReviewItem, me: Option<i64>, admin: bool) -> bool {
    if item.decision.is_some() {
        return false;
    }
    let is_me = |who: &Option<json::Ref>| me.is_some() && who.as_ref().map(|r| r.id) == me;
    if is_me(&item.reviewer) || is_me(&item.escalated_to) {
        return true;
    }
    let nobody =
        item.reviewer.is_none() || (item.escalated_to.is_none() && item.basis == ReviewerBasis::Escalated);
    admin && nobody
}

/// The pages of what a decision opened (`approval:<id>`, `revocation:<id>`,
/// several joined by commas): change requests and revocations.
pub fn follow_ups(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|one| {
            let (kind, id) = one.trim().split_once(':')?;
            let id: i64 = id.parse().ok()?;
            match kind {
                "approval" => Some((format!("change request {id}"), routes::approval_path(id))),
                "revocation" => Some((format!("revocation {id}"), routes::revocation_path(id))),
                _ => None,
            }
        })
        .collect()
}
