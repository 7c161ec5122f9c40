//! A review's item filters: whose items and which state as tabs that are
//! links, then kind, band, decision, order and text in a form; every
//! filter is in the URL, which is what changes.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use model::api::{self as json, OwnedKind, ReviewDecision, RiskBand};

use super::selection::items_link;
use crate::components::form::TextField;

/// A tab that is a link to the items `edit` selects, marked current when
/// `on` holds for the query on screen.
fn tab(
    campaign: i64,
    query: Memo<json::ReviewItemQuery>,
    label: &'static str,
    testid: &'static str,
    edit: fn(&mut json::ReviewItemQuery),
    on: fn(&json::ReviewItemQuery) -> bool,
) -> impl IntoView {
    view! {
        <a
            data-testid=testid
            href=move || {
                let mut next = query.get();
                edit(&mut next);
                next.page = None;
                items_link(campaign, &next)
            }
            aria-current=move || if query.with(on) { "page" } else { "false" }
        >
            {label}
        </a>
    }
}

/// Whose items and which state as tabs (links), then kind, band, decision,
/// order and text; applying them changes the URL.
#[component]
pub fn Filters(
    campaign: i64,
    query: Memo<json::ReviewItemQuery>,
    reviewers: Memo<Vec<json::ProgressRow>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let kind = RwSignal::new(String::new());
    let band = RwSignal::new(String::new());
    let decision = RwSignal::new(String::new());
    let sort = RwSignal::new(String::new());
    // The fields show what the URL says, also after a link changed it.
    Effect::new(move |_| {
        let q = query.get();
        text.set(q.q.unwrap_or_default());
        kind.set(q.kind.map(|k| k.as_str().to_owned()).unwrap_or_default());
        band.set(q.band.map(|b| b.as_str().to_owned()).unwrap_or_default());
        decision.set(q.decision.map(|d| d.as_str().to_owned()).unwrap_or_default());
        sort.set(q.sort.unwrap_or_default());
    });
    let navigate = use_navigate();
    let apply = move |event: SubmitEvent| {
        event.prevent_default();
        let mut next = query.get_untracked();
        next.q = Some(text.get_untracked().trim().to_owned()).filter(|t| !t.is_empty());
        next.kind = kind.get_untracked().parse().ok();
        next.band = band.get_untracked().parse().ok();
        next.decision = decision.get_untracked().parse().ok();
        next.sort = Some(sort.get_untracked()).filter(|s| !s.is_empty());
        next.page = None;
        navigate(&items_link(campaign, &next), Default::default());
    };
    let reviewer_filter = move || {
        let q = query.get();
        let id = q.reviewer?;
        let name = reviewers
            .with(|rows| {
                rows.iter()
                    .find_map(|r| r.who.as_ref().filter(|w| w.id == id).map(|w| w.name.clone()))
            })
            .unwrap_or_else(|| format!("person {id}"));
        let everyone = json::ReviewItemQuery {
            reviewer: None,
            page: None,
            ..q
        };
        Some(view! {
            <span class="filter-chip" data-testid="reviewer-filter">
                "Reviewer: " <strong>{name}</strong> " "
                <a href=items_link(campaign, &everyone) aria-label="Show every reviewer's items">"×"</a>
            </span>
        })
    };
    view! {
        <div class="tab-rows">
            <div class="tabs" role="group" aria-label="Whose" data-testid="whose-tabs">
                {tab(campaign, query, "Everyone's", "filter-everyone",
                    |q| { q.mine = None; q.reviewer = None; },
                    |q| q.mine.is_none() && q.reviewer.is_none())}
                {tab(campaign, query, "Mine", "filter-mine",
                    |q| { q.mine = Some(true); q.reviewer = None; },
                    |q| q.mine == Some(true))}
                {reviewer_filter}
            </div>
            <div class="tabs" role="group" aria-label="Which" data-testid="state-tabs">
                {tab(campaign, query, "Open", "filter-open",
                    |q| { q.open = Some(true); q.decision = None; },
                    |q| q.open == Some(true))}
                {tab(campaign, query, "Decided", "filter-decided",
                    |q| q.open = Some(false),
                    |q| q.open == Some(false))}
                {tab(campaign, query, "All", "filter-all",
                    |q| { q.open = None; q.decision = None; },
                    |q| q.open.is_none())}
            </div>
        </div>
        <form class="filters review-filters" data-testid="review-filters" on:submit=apply>
            <TextField label="Search" name="q" value=text placeholder="agent or credential name" />
            <label class="field">
                <span class="field-label">"Kind"</span>
                <select name="kind" on:change:target=move |ev| kind.set(ev.target().value())>
                    <option value="" selected=move || kind.with(String::is_empty)>"Agents and credentials"</option>
                    {OwnedKind::ALL.iter().copied().map(|k| view! {
                        <option value=k.as_str() selected=move || kind.with(|v| v == k.as_str())>{k.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"Risk band"</span>
                <select name="band" on:change:target=move |ev| band.set(ev.target().value())>
                    <option value="" selected=move || band.with(String::is_empty)>"Any"</option>
                    {RiskBand::ALL.iter().rev().copied().map(|b| view! {
                        <option value=b.as_str() selected=move || band.with(|v| v == b.as_str())>{b.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"Decision"</span>
                <select name="decision" on:change:target=move |ev| decision.set(ev.target().value())>
                    <option value="" selected=move || decision.with(String::is_empty)>"Any"</option>
                    {ReviewDecision::ALL.iter().copied().map(|d| view! {
                        <option value=d.as_str() selected=move || decision.with(|v| v == d.as_str())>{d.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"Order"</span>
                <select name="sort" on:change:target=move |ev| sort.set(ev.target().value())>
                    {[("", "Riskiest first"), ("name", "Name"), ("last_used", "Unused longest first")]
                        .into_iter()
                        .map(|(value, label)| view! {
                            <option value=value selected=move || sort.with(|v| v == value)>{label}</option>
                        })
                        .collect_view()}
                </select>
            </label>
            <div class="form-actions">
                <button type="submit" class="primary">"Filter"</button>
            </div>
        </form>
    }
}
