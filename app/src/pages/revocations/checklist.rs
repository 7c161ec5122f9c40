//! A revocation's checklist: every stored copy of the secret, removed,
//! accepted (with a reason why it cannot be removed) or pending.

use leptos::prelude::*;
use model::api::{self as json, ChecklistState};

use super::STEWARDS;
use crate::api;
use crate::auth::Auth;
use crate::components::form::TextField;
use crate::format;

/// Every copy of the secret: removed, accepted (with a reason) or pending.
#[component]
pub(super) fn Checklist(
    id: i64,
    checklist: Vec<json::ChecklistItem>,
    left: i64,
    revocation: api::Fetched<json::Revocation>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let auth = Auth::get();
    let accepting = RwSignal::new(None::<i64>);
    let reason = RwSignal::new(String::new());
    let resolve = move |copy: i64, state: ChecklistState| {
        let resolution = json::CopyResolution {
            copy,
            state,
            reason: (state == ChecklistState::Accepted).then(|| reason.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::resolve_copy(id, &resolution).await {
                Ok(now) => {
                    outcome.set(Some(Ok(format!(
                        "Copy {}; {} left.",
                        state.label().to_lowercase(),
                        now.copies_left
                    ))));
                    revocation.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let total = checklist.len();
    view! {
        <section class="card section" data-testid="checklist">
            <h2>"Stored copies " <span class="num subtle">{format!("{left} of {total} left")}</span></h2>
            {(total == 0).then(|| view! { <p>"No stored copy is known."</p> })}
            <table class="data compact">
                <tbody>
                    {checklist.into_iter().map(|item| {
                        let copy = item.copy.id;
                        let pending = item.state == ChecklistState::Pending;
                        let resolved = match (&item.resolved_by, item.resolved_at, &item.reason) {
                            (Some(by), Some(at), Some(reason)) => format!("{by}, {}: {reason}", format::at(at)),
                            (Some(by), Some(at), None) => format!("{by}, {}", format::at(at)),
                            _ => String::new(),
                        };
                        view! {
                            <tr data-copy=copy>
                                <td>{item.copy.kind.label()}</td>
                                <td class="mono">{item.copy.locator.clone()}</td>
                                <td><span class=format!("badge check-{}", item.state.as_str())>{item.state.label()}</span></td>
                                <td class="subtle">{resolved}</td>
                                <td>
                                    <Show when=move || pending && auth.holds(STEWARDS)>
                                        <div class="row-actions">
                                            <button type="button" class="secondary small" data-action="removed"
                                                on:click=move |_| resolve(copy, ChecklistState::Removed)>"Removed"</button>
                                            <button type="button" class="secondary small" data-action="accept"
                                                on:click=move |_| accepting.set(Some(copy))>"Accept\u{2026}"</button>
                                        </div>
                                    </Show>
                                </td>
                            </tr>
                            <Show when=move || accepting.get() == Some(copy)>
                                <tr class="editor-row">
                                    <td colspan="5">
                                        <div class="inline-form">
                                            <TextField label="Why it cannot be removed" name="accept-reason" value=reason required=true
                                                placeholder="The vendor keeps chat history; the key is dead" />
                                            <button type="button" class="primary" data-action="accept-confirm"
                                                on:click=move |_| resolve(copy, ChecklistState::Accepted)>"Accept the copy"</button>
                                            <button type="button" class="secondary" on:click=move |_| accepting.set(None)>"Cancel"</button>
                                        </div>
                                    </td>
                                </tr>
                            </Show>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
