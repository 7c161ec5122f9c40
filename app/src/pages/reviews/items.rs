//! A review's items: what each reviewer decides on, riskiest first, with
//! what they need to decide (risk and its leading factor, owner, reach,
//! copies, last use). The filters are the URL's query ([`super::filters`]),
//! so that the review emails' `?mine=true` opens on the reviewer's own
//! items and every view can be shared. Deciding is built for volume
//! ([`super::bulk`]): "Select all open on this page" (a page holds 200
//! items), one reason, one click, one request; a reduction, which names
//! scopes, is one credential at a time.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use model::api::{self as json, ReviewDecision};

use super::bulk::BulkBar;
use super::filters::Filters;
use super::rows::ItemTable;
use super::selection::{Batch, decider, follow_ups, items_link, may_decide};
use crate::api;
use crate::auth::Auth;
use crate::components::form::Alert;

/// Items on one page: the API's most, so that a 200-item review is one
/// page whose items are selected at once.
const PAGE: u32 = json::MAX_PAGE_LIMIT;

/// The filters, the bulk bar, the page of items and the pager. `live`:
/// whether the review still takes decisions; `version` is bumped after
/// each decision, so that the review's figures reload with the items.
#[component]
pub fn Items(
    campaign: i64,
    live: Memo<bool>,
    reviewers: Memo<Vec<json::ProgressRow>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let auth = Auth::get();
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| {
            let read = |name: &str| p.get(name).filter(|v| !v.trim().is_empty());
            json::ReviewItemQuery {
                open: read("open").and_then(|v| v.parse().ok()),
                reviewer: read("reviewer").and_then(|v| v.parse().ok()),
                mine: read("mine")
                    .and_then(|v| v.parse().ok())
                    .filter(|mine: &bool| *mine),
                kind: read("kind").and_then(|v| v.parse().ok()),
                band: read("band").and_then(|v| v.parse().ok()),
                decision: read("decision").and_then(|v| v.parse().ok()),
                q: read("q"),
                sort: read("sort"),
                page: read("page")
                    .and_then(|v| v.parse().ok())
                    .filter(|page: &u32| *page > 1),
                limit: None,
            }
        })
    });
    let page = api::Fetched::new(move || {
        version.track();
        let mut query = query.get();
        query.limit = Some(PAGE);
        api::review_items(campaign, &query)
    });
    let selected = RwSignal::new(BTreeSet::<i64>::new());
    let reducing = RwSignal::new(None::<i64>);
    let reason = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let result: RwSignal<Batch> = RwSignal::new(None);
    // A selection belongs to the rows it was made on.
    Effect::new(move |_| {
        query.track();
        selected.set(BTreeSet::new());
        reducing.set(None);
    });
    // The open items of this page the signed-in person may decide.
    let choosable = Memo::new(move |_| {
        let (me, admin) = decider(auth);
        match page.get() {
            Some(Ok(page)) => page
                .items
                .iter()
                .filter(|item| may_decide(item, me, admin))
                .map(|item| item.id)
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        }
    });
    let decide = move |decisions: json::ReviewDecisions| {
        busy.set(true);
        result.set(None);
        let decision = decisions.decision;
        spawn_local(async move {
            match api::decide_review_items(campaign, &decisions).await {
                Ok(done) => {
                    result.set(Some(Ok((decision, done))));
                    selected.set(BTreeSet::new());
                    reducing.set(None);
                    reason.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(error) => result.set(Some(Err(error.message))),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card section" id="items" data-testid="review-items">
            <h2>"Items"</h2>
            <Filters campaign query reviewers />
            <BulkBar selected choosable live busy reason result decide />
            <Decided result />
            {move || match page.get() {
                None => view! { <p class="loading">"Loading the items…"</p> }.into_any(),
                Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                Some(Ok(page)) if page.items.is_empty() => {
                    let everything = items_link(campaign, &json::ReviewItemQuery::default());
                    view! {
                        <div class="empty-state" data-testid="review-items-empty">
                            <p class="empty-title">
                                {if query.with(|q| q.mine == Some(true)) {
                                    "Nothing here is yours to review"
                                } else {
                                    "No item matches these filters"
                                }}
                            </p>
                            <p>"Clear a filter to see more: " <a href=everything>"every item you can see"</a> "."</p>
                        </div>
                    }
                    .into_any()
                }
                Some(Ok(page)) => view! {
                    <ItemTable campaign page query selected reducing live busy decide />
                }
                .into_any(),
            }}
        </section>
    }
}

/// What the last batch did: how many were decided, and links to what
/// they opened; or why it was refused.
#[component]
fn Decided(result: RwSignal<Batch>) -> impl IntoView {
    move || {
        result.get().map(|outcome| match outcome {
            Err(message) => view! { <Alert message /> }.into_any(),
            Ok((decision, done)) => {
                let links: Vec<(String, String)> =
                    done.follow_ups.iter().flat_map(|f| follow_ups(f)).collect();
                let what = match decision {
                    ReviewDecision::Keep => "kept: attested as they are",
                    ReviewDecision::Reduce => "to be reduced: change requests are waiting for approval",
                    ReviewDecision::Revoke => "to be revoked: revocations are open",
                    ReviewDecision::Reassign => "reassigned to their new owner",
                };
                view! {
                    <p class="form-ok" role="status" data-testid="decided-result">
                        <span class="num" data-testid="decided-count">{done.decided}</span>
                        {format!(" {} {what}.", if done.decided == 1 { "item" } else { "items" })}
                        {(!links.is_empty()).then(|| view! {
                            " Opened: "
                            {links.into_iter().enumerate().map(|(i, (label, href))| view! {
                                {(i > 0).then_some(", ")}
                                <a href=href>{label}</a>
                            }).collect_view()}
                        })}
                    </p>
                }
                .into_any()
            }
        })
    }
}
