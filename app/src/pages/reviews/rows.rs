//! A review's page of items as a table: one row per agent or credential,
//! with a checkbox when the signed-in person may decide it, and the
//! reduction editor under an open credential's row.

use std::collections::BTreeSet;

use leptos::prelude::*;
use model::api::{self as json, OwnedKind, ReviewDecision};

use super::bulk::ReduceEditor;
use super::selection::{decider, follow_ups, items_link, may_decide};
use crate::auth::Auth;
use crate::components::risk::RiskCell;
use crate::{format, routes};

/// The page of items, then the pager.
#[component]
pub fn ItemTable(
    campaign: i64,
    page: json::Page<json::ReviewItem>,
    query: Memo<json::ReviewItemQuery>,
    selected: RwSignal<BTreeSet<i64>>,
    reducing: RwSignal<Option<i64>>,
    live: Memo<bool>,
    busy: RwSignal<bool>,
    decide: impl Fn(json::ReviewDecisions) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let (me, admin) = decider(Auth::get());
    let first = u64::from(page.page.max(1) - 1) * u64::from(page.limit) + 1;
    let last = first + page.items.len() as u64 - 1;
    let number = page.page;
    let more = (last as i64) < page.total;
    let total = page.total;
    let link = move |to: u32| {
        let mut next = query.get_untracked();
        next.page = (to > 1).then_some(to);
        items_link(campaign, &next)
    };
    let rows = page
        .items
        .into_iter()
        .map(|item| view! { <ItemRow campaign item me admin selected reducing live busy decide /> })
        .collect_view();
    view! {
        <table class="data review-items" data-testid="review-items-table">
            <thead>
                <tr>
                    <th><span class="visually-hidden">"Select"</span></th>
                    <th>"Agent or credential"</th>
                    <th>"Kind"</th>
                    <th>"Risk"</th>
                    <th>"Owner"</th>
                    <th>"Reach"</th>
                    <th class="num-col">"Copies"</th>
                    <th>"Last used"</th>
                    <th>"Reviewer"</th>
                    <th>"Decision"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            <span class="num" data-testid="review-count">{format!("{first}–{last} of {total}")}</span>
            {(number > 1).then(|| view! { <a href=link(number - 1)>"← Previous"</a> })}
            {more.then(|| view! { <a href=link(number + 1)>"Next →"</a> })}
        </nav>
    }
}

/// One item: its checkbox when the signed-in person may decide it, what it
/// is and reaches, who reviews it, and its decision (or, for an open
/// credential, the way to reduce it).
#[component]
fn ItemRow(
    campaign: i64,
    item: json::ReviewItem,
    me: Option<i64>,
    admin: bool,
    selected: RwSignal<BTreeSet<i64>>,
    reducing: RwSignal<Option<i64>>,
    live: Memo<bool>,
    busy: RwSignal<bool>,
    decide: impl Fn(json::ReviewDecisions) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = item.id;
    let decidable = may_decide(&item, me, admin);
    let reducible = decidable && item.kind == OwnedKind::Credential && !item.scopes.is_empty();
    let list = match item.kind {
        OwnedKind::Agent => "agents",
        OwnedKind::Credential => "credentials",
    };
    let label = format!("Select {}", item.subject.name);
    let check = decidable.then(move || {
        view! {
            <input type="checkbox" name="review-item" aria-label=label
                prop:checked=move || selected.with(|s| s.contains(&id))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    selected.update(|s| {
                        if on {
                            s.insert(id);
                        } else {
                            s.remove(&id);
                        }
                    });
                } />
        }
    });
    let owner = match item.owner.clone() {
        Some(person) => {
            view! { <a href=routes::entity_path("people", person.id)>{person.name}</a> }.into_any()
        }
        None => view! { <span class="badge badge-muted">"No owner"</span> }.into_any(),
    };
    let reviewer = match item.reviewer.clone() {
        Some(person) => {
            let theirs = json::ReviewItemQuery {
                reviewer: Some(person.id),
                ..Default::default()
            };
            view! { <a href=items_link(campaign, &theirs)>{person.name}</a> }.into_any()
        }
        None => view! { <span class="subtle">"Admins"</span> }.into_any(),
    };
    let decision = match item.decision {
        Some(d) => {
            let by = match (&item.decided_by, item.decided_at) {
                (Some(by), Some(at)) => format!("{by}, {}", format::at(at)),
                (Some(by), None) => by.clone(),
                _ => String::new(),
            };
            let reason = item.reason.clone().unwrap_or_default();
            let title = reason.clone();
            let opened = item.follow_up.as_deref().map(follow_ups).unwrap_or_default();
            view! {
                <span class=format!("badge decision-{}", d.as_str())>{d.label()}</span>
                <div class="subtle">{by}</div>
                <div class="decision-reason" title=title>{reason}</div>
                {opened.into_iter().map(|(label, href)| view! { <div><a href=href>{label}</a></div> }).collect_view()}
            }
            .into_any()
        }
        None => view! {
            <span class="badge badge-muted">"Open"</span>
            {reducible.then(|| view! {
                <div>
                    <button type="button" class="secondary small" data-testid="reduce-item"
                        disabled=move || !live.get() || busy.get()
                        on:click=move |_| reducing.set(Some(id))>"Reduce…"</button>
                </div>
            })}
        }
        .into_any(),
    };
    let editor = reducible.then(|| {
        let name = item.subject.name.clone();
        let scopes = item.scopes.clone();
        view! {
            <Show when=move || reducing.get() == Some(id)>
                <tr class="editor-row">
                    <td colspan="10">
                        <ReduceEditor item=id name=name.clone() scopes=scopes.clone() busy decide reducing />
                    </td>
                </tr>
            </Show>
        }
    });
    let used = item.last_used.map_or_else(|| "never".to_owned(), format::at);
    view! {
        <tr
            data-testid="review-item"
            data-item=id
            data-decision=item.decision.map_or("open", ReviewDecision::as_str)
            aria-selected=move || selected.with(|s| s.contains(&id)).to_string()
        >
            <td>{check}</td>
            <td class="ranked-name">
                <a href=routes::entity_path(list, item.subject.id) data-testid="review-item-name">{item.subject.name.clone()}</a>
            </td>
            <td><span class="kind-tag">{item.kind.label()}</span></td>
            <td><RiskCell risk=item.risk.clone() /></td>
            <td>{owner}</td>
            <td class="nowrap num">{format!("{} resources, {} prod", item.reach, item.reach_prod)}</td>
            <td class="num-col num">{item.copies}</td>
            <td class="nowrap">{used}</td>
            <td>
                {reviewer}
                <div class="subtle">{item.basis.label()}</div>
                {item.escalated_to.clone().map(|m| view! { <div class="escalated">{format!("escalated to {}", m.name)}</div> })}
            </td>
            <td>{decision}</td>
        </tr>
        {editor}
    }
}
