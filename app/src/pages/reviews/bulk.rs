//! Deciding a review's items: the bulk bar (Keep, Revoke or Reassign for
//! every selected item, with one reason, in one request), the person
//! picker of a reassignment, and the reduction of one credential, which
//! names the scopes to remove.

use std::collections::BTreeSet;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use model::api::{self as json, ReviewDecision};

use super::selection::Batch;
use crate::components::owner::PersonPicker;

/// The decisions the bulk bar makes (a reduction names scopes: one row at a time).
const BULK: [ReviewDecision; 3] = [
    ReviewDecision::Keep,
    ReviewDecision::Revoke,
    ReviewDecision::Reassign,
];

/// "Select all open on this page", and once something is selected, the
/// sticky bar that decides it all: Keep, Revoke or Reassign (to a person),
/// with one required reason.
#[component]
pub fn BulkBar(
    selected: RwSignal<BTreeSet<i64>>,
    choosable: Memo<Vec<i64>>,
    live: Memo<bool>,
    busy: RwSignal<bool>,
    reason: RwSignal<String>,
    result: RwSignal<Batch>,
    decide: impl Fn(json::ReviewDecisions) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let decision = RwSignal::new(ReviewDecision::Keep);
    let new_owner = RwSignal::new(String::new());
    let find_owner = RwSignal::new(String::new());
    let count = move || selected.with(BTreeSet::len);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let decision = decision.get_untracked();
        let new_owner = if decision == ReviewDecision::Reassign {
            match new_owner.get_untracked().parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    result.set(Some(Err("Find the new owner by name or email first.".into())));
                    return;
                }
            }
        } else {
            None
        };
        decide(json::ReviewDecisions {
            items: selected.get_untracked().into_iter().collect(),
            decision,
            reason: reason.get_untracked().trim().to_owned(),
            new_owner,
            scopes: Vec::new(),
        });
    };
    view! {
        <Show when=move || live.get()>
            <div class="review-toolbar">
                <button type="button" class="secondary small" data-testid="select-all-open"
                    disabled=move || choosable.with(Vec::is_empty)
                    on:click=move |_| selected.set(choosable.get_untracked().into_iter().collect())>
                    {move || format!("Select all open on this page ({})", choosable.with(Vec::len))}
                </button>
                <button type="button" class="secondary small" data-testid="clear-selection"
                    disabled=move || selected.with(BTreeSet::is_empty)
                    on:click=move |_| selected.set(BTreeSet::new())>
                    "Clear selection"
                </button>
            </div>
        </Show>
        <Show when=move || { live.get() && count() > 0 }>
            <form class="bulk-bar review-bulk" data-testid="review-bulk" on:submit=submit>
                <span class="num" data-testid="review-selected">{count} " selected"</span>
                <fieldset class="decision-picker">
                    <legend class="field-label">"Decision"</legend>
                    {BULK.iter().copied().map(|d| view! {
                        <label class="check">
                            <input type="radio" name="review-decision" value=d.as_str()
                                data-testid=format!("decision-{}", d.as_str())
                                prop:checked=move || decision.get() == d
                                on:change=move |_| decision.set(d) />
                            {d.label()}
                        </label>
                    }).collect_view()}
                </fieldset>
                <Show when=move || decision.get() == ReviewDecision::Reassign>
                    <PersonPicker chosen=new_owner find=find_owner label="Find the new owner" search="reassign-search" name="reassign-owner" />
                </Show>
                <label class="field review-reason">
                    <span class="field-label">"Reason (required)"</span>
                    <textarea name="review-reason" data-testid="review-reason" rows="2" required
                        placeholder="Why, for the auditor: e.g. still used nightly by the billing export"
                        prop:value=move || reason.get()
                        on:input:target=move |ev| reason.set(ev.target().value())></textarea>
                </label>
                <button type="submit" class="primary" data-testid="decide-selected" disabled=move || busy.get()>
                    {move || format!("{} {} selected", decision.get().label(), count())}
                </button>
            </form>
        </Show>
    }
}

/// The reduction of one credential, under its row: its scopes as
/// checkboxes (those ticked are removed, each through a change request the
/// approvers decide), and the reason.
#[component]
pub fn ReduceEditor(
    item: i64,
    name: String,
    scopes: Vec<String>,
    busy: RwSignal<bool>,
    decide: impl Fn(json::ReviewDecisions) + Copy + Send + Sync + 'static,
    reducing: RwSignal<Option<i64>>,
) -> impl IntoView {
    let remove = RwSignal::new(BTreeSet::<String>::new());
    let reason = RwSignal::new(String::new());
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        decide(json::ReviewDecisions {
            items: vec![item],
            decision: ReviewDecision::Reduce,
            reason: reason.get_untracked().trim().to_owned(),
            new_owner: None,
            scopes: remove.get_untracked().into_iter().collect(),
        });
    };
    let boxes = scopes
        .into_iter()
        .map(|scope| {
            let ticked = scope.clone();
            let toggled = scope.clone();
            view! {
                <label class="check">
                    <input type="checkbox" name="reduce-scope" value=scope.clone()
                        prop:checked=move || remove.with(|s| s.contains(&ticked))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let scope = toggled.clone();
                            remove.update(|s| {
                                if on {
                                    s.insert(scope);
                                } else {
                                    s.remove(&scope);
                                }
                            });
                        } />
                    <code>{scope}</code>
                </label>
            }
        })
        .collect_view();
    view! {
        <form class="reduce-editor" role="dialog" aria-label=format!("Reduce {name}") data-testid="reduce-dialog"
            on:submit=submit>
            <fieldset class="scope-picker">
                <legend class="field-label">{format!("Scopes of {name} to remove")}</legend>
                {boxes}
            </fieldset>
            <label class="field review-reason">
                <span class="field-label">"Reason (required)"</span>
                <textarea name="reduce-reason" data-testid="reduce-reason" rows="2" required
                    placeholder="Why it needs less: e.g. it only reads the reports bucket"
                    prop:value=move || reason.get()
                    on:input:target=move |ev| reason.set(ev.target().value())></textarea>
            </label>
            <div class="form-actions">
                <button type="submit" class="primary" data-testid="reduce-submit"
                    disabled=move || busy.get() || remove.with(BTreeSet::is_empty)>
                    {move || match remove.with(BTreeSet::len) {
                        1 => "Remove 1 scope".to_owned(),
                        n => format!("Remove {n} scopes"),
                    }}
                </button>
                <button type="button" class="secondary" on:click=move |_| reducing.set(None)>"Cancel"</button>
            </div>
        </form>
    }
}
