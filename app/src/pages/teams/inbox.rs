//! The inbox: the agents and credentials counted against the team that have
//! no accountable owner (unowned, or orphaned by a leaver), filtered by why
//! and by what, claimed one by one or a selection at once; the page of gaps
//! itself is [`super::gaps`].

use std::collections::BTreeSet;

use leptos::prelude::*;
use model::api::{self as json, GapState, OwnedKind, PersonStatus};

use super::View;
use super::gaps::GapTable;
use crate::api;
use crate::components::form::{Alert, Outcome};

/// Gaps per page of the inbox.
const INBOX_PAGE: u32 = 20;

/// The inbox: gaps counted against the team, with hints, claimed one by one
/// (for the hinted person) or in bulk (for a chosen person).
#[component]
pub(super) fn Inbox(view: View) -> impl IntoView {
    let state = RwSignal::new(None::<GapState>);
    let kind = RwSignal::new(None::<OwnedKind>);
    let page = RwSignal::new(1u32);
    let selected = RwSignal::new(BTreeSet::<(OwnedKind, i64)>::new());
    let owner = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let gaps = api::Fetched::new(move || {
        let query = json::GapQuery {
            team: view.team.get(),
            state: state.get(),
            kind: kind.get(),
            // Orphans are a queue: the earliest due date first.
            sort: (state.get() == Some(GapState::Orphaned)).then(|| "due".to_owned()),
            page: Some(page.get()),
            limit: Some(INBOX_PAGE),
            ..Default::default()
        };
        view.version.track();
        api::gaps(&query)
    });
    let members = api::Fetched::new(move || {
        let query = json::PersonQuery {
            team: view.team.get(),
            status: Some(PersonStatus::Active),
            limit: Some(json::MAX_PAGE_LIMIT),
            sort: Some("name".into()),
            ..Default::default()
        };
        api::people(&query)
    });
    // Claims `items` for `person`: one request per kind, each all or none.
    let claim = move |items: Vec<(OwnedKind, i64)>, person: json::Ref| {
        leptos::task::spawn_local(async move {
            let mut claimed = 0;
            for kind in [OwnedKind::Agent, OwnedKind::Credential] {
                let ids: Vec<i64> = items
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, id)| *id)
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let assignment = json::OwnerAssignment {
                    kind,
                    ids,
                    owner: person.id,
                    reason: "claimed from the My teams inbox".into(),
                };
                match api::assign_owner(&assignment).await {
                    Ok(changes) => claimed += changes.len(),
                    Err(error) => {
                        message.set(Some(Err(error.message)));
                        view.version.update(|v| *v += 1);
                        return;
                    }
                }
            }
            message.set(Some(Ok(format!("{claimed} claimed for {}.", person.name))));
            selected.update(BTreeSet::clear);
            view.version.update(|v| *v += 1);
        });
    };
    let claim_selected = move |_| {
        let Some(person) = members.get().and_then(Result::ok).and_then(|people| {
            let id = owner.get_untracked().parse::<i64>().ok()?;
            people.items.into_iter().find(|p| p.id == id).map(|p| json::Ref {
                id: p.id,
                name: p.name,
            })
        }) else {
            message.set(Some(Err("Choose who will own the selected rows.".into())));
            return;
        };
        claim(selected.get_untracked().into_iter().collect(), person);
    };
    // A tab of one filter; choosing it starts again from the first page.
    fn tab<T: PartialEq + Copy + Send + Sync + 'static>(
        label: &'static str,
        value: Option<T>,
        filter: RwSignal<Option<T>>,
        page: RwSignal<u32>,
        selected: RwSignal<BTreeSet<(OwnedKind, i64)>>,
    ) -> impl IntoView {
        view! {
            <button
                type="button"
                aria-pressed=move || (filter.get() == value).to_string()
                on:click=move |_| {
                    filter.set(value);
                    page.set(1);
                    selected.update(BTreeSet::clear);
                }
            >
                {label}
            </button>
        }
    }
    view! {
        <section class="card section" data-testid="inbox">
            <h2>"Inbox: agents and credentials without an accountable owner"</h2>
            <div class="tab-rows">
                <div class="tabs" role="group" aria-label="Why" data-testid="state-tabs">
                    {tab("All", None, state, page, selected)}
                    {tab("Unowned", Some(GapState::Unowned), state, page, selected)}
                    {tab("Orphaned", Some(GapState::Orphaned), state, page, selected)}
                </div>
                <div class="tabs" role="group" aria-label="What" data-testid="kind-tabs">
                    {tab("Agents and credentials", None, kind, page, selected)}
                    {tab("Agents", Some(OwnedKind::Agent), kind, page, selected)}
                    {tab("Credentials", Some(OwnedKind::Credential), kind, page, selected)}
                </div>
            </div>
            <div class="bulk-bar">
                <span class="num" data-testid="selected">{move || selected.with(BTreeSet::len)} " selected"</span>
                <label class="field inline">
                    <span class="field-label">"Claim for"</span>
                    <select
                        name="claim-owner"
                        prop:value=move || owner.get()
                        on:change:target=move |ev| owner.set(ev.target().value())
                    >
                        <option value="">"Choose a person…"</option>
                        {move || {
                            members
                                .get()
                                .and_then(Result::ok)
                                .map(|people| {
                                    people
                                        .items
                                        .into_iter()
                                        .map(|p| view! { <option value=p.id.to_string()>{p.name}</option> })
                                        .collect_view()
                                })
                        }}
                    </select>
                </label>
                <button
                    type="button"
                    class="primary"
                    name="claim-selected"
                    disabled=move || selected.with(BTreeSet::is_empty)
                    on:click=claim_selected
                >
                    "Claim selected"
                </button>
            </div>
            <Outcome outcome=message />
            <Transition fallback=|| view! { <p class="loading">"Reading the inbox…"</p> }>
                {move || match gaps.get() {
                    Some(Ok(gaps)) if gaps.items.is_empty() => {
                        view! {
                            <div class="empty-state">
                                <p class="empty-title">"Nothing to claim"</p>
                                <p>"Every agent and active credential counted against this team has an owner still with us."</p>
                            </div>
                        }
                            .into_any()
                    }
                    Some(Ok(gaps)) => view! { <GapTable gaps selected page claim /> }.into_any(),
                    Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                    None => view! { <p class="loading">"Reading the inbox…"</p> }.into_any(),
                }}
            </Transition>
        </section>
    }
}
