//! One revocation, from requested to complete: its steps, what is still to
//! do upstream (with the automation webhook's deliveries), the checklist of
//! copies ([`super::checklist`]) and the agents to move.

use leptos::prelude::*;
use model::api::{self as json, RevocationState};

use super::checklist::Checklist;
use super::{Consumers, STEWARDS};
use crate::api;
use crate::auth::Auth;
use crate::components::form::{Outcome, TextField};
use crate::components::page::Page;
use crate::components::revocation::StateBadge;
use crate::format;
use crate::routes;

/// The steps every revocation goes through, in order.
const STEPS: [RevocationState; 4] = [
    RevocationState::Requested,
    RevocationState::Disabled,
    RevocationState::Revoked,
    RevocationState::Complete,
];

/// The revocation `r`: where it is, the actions that move it on, the
/// deliveries, the checklist and the consumers.
#[component]
pub(super) fn Tracking(
    r: json::Revocation,
    revocation: api::Fetched<json::Revocation>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let auth = Auth::get();
    let id = r.id;
    let left = r.copies_left;
    let question = match r.state {
        RevocationState::Complete => {
            "Complete: the credential is revoked and every copy is resolved.".to_owned()
        }
        RevocationState::Failed => {
            "The upstream revocation failed: ask again, or mark what was done by hand.".to_owned()
        }
        RevocationState::Revoked => format!(
            "Revoked upstream; {left} of {} copies still to resolve.",
            r.checklist.len()
        ),
        _ => format!(
            "Still to do: revoke it upstream, and resolve {left} of {} copies.",
            r.checklist.len()
        ),
    };
    let reached = STEPS.iter().position(|s| *s == r.state);
    let next = StoredValue::new(r.next.clone());
    let note = RwSignal::new(String::new());
    let act = move |to: RevocationState| {
        let transition = json::RevocationTransition {
            to,
            note: Some(note.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            match api::move_revocation(id, &transition).await {
                Ok(now) => {
                    outcome.set(Some(Ok(format!("Now {}.", now.state.label().to_lowercase()))));
                    revocation.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <Page title=format!("Revoking {}", r.credential.name) question testid="revocation-page">
            <div class="entity-header">
                <StateBadge state=r.state />
                <a href=routes::entity_path("credentials", r.credential.id)>"The credential"</a>
                <span>"Credential status: " <strong data-testid="credential-status">{r.credential_status.label()}</strong></span>
                <span class="subtle">{format!("Asked by {} on {}: \u{201c}{}\u{201d}", r.requested_by, format::at(r.requested_at), r.reason)}</span>
            </div>
            <ol class="steps" aria-label="Progress">
                {STEPS.iter().enumerate().map(|(i, step)| {
                    let class = match reached {
                        Some(at) if i < at => "done",
                        Some(at) if i == at => "current",
                        _ => "todo",
                    };
                    // Disabling first is a choice, not a step every revocation takes.
                    let optional = (*step == RevocationState::Disabled).then_some(" (optional)");
                    view! { <li class=class>{step.label()}{optional}</li> }
                }).collect_view()}
                {(r.state == RevocationState::Failed).then(|| view! { <li class="failed">"Failed"</li> })}
            </ol>
            <section class="card section" data-testid="revocation-actions">
                <h2>"Upstream"</h2>
                <p class="subtle">
                    {if r.automated {
                        "The automation webhook is asked to revoke it; its answer moves this on. You can also record what was done by hand."
                    } else {
                        "No automation webhook is configured: revoke it at the provider, then record it here."
                    }}
                </p>
                <Show when=move || auth.holds(STEWARDS) && next.with_value(|n| !n.is_empty())>
                    <div class="inline-form">
                        <TextField label="Note" name="transition-note" value=note placeholder="What was done" />
                        {next.get_value().into_iter().map(|to| {
                            let label = match to {
                                RevocationState::Requested => "Ask again",
                                RevocationState::Disabled => "Mark disabled",
                                RevocationState::Revoked => "Mark revoked",
                                RevocationState::Failed => "Mark failed",
                                RevocationState::Complete => "Complete",
                            };
                            view! { <button type="button" class="secondary" data-to=to.as_str() on:click=move |_| act(to)>{label}</button> }
                        }).collect_view()}
                    </div>
                </Show>
                <Outcome outcome />
                {(!r.deliveries.is_empty()).then(|| view! { <Deliveries deliveries=r.deliveries.clone() /> })}
            </section>
            <Checklist id checklist=r.checklist.clone() left revocation outcome />
            <section class="card section" data-testid="revocation-consumers">
                <h2>{match &r.replacement {
                    Some(_) => "Agents to move to the new credential",
                    None => "Agents that lose it",
                }}</h2>
                <Consumers consumers=r.consumers.clone() replacement=r.replacement.clone() />
            </section>
        </Page>
    }
}

/// The webhook's deliveries and how they went.
#[component]
fn Deliveries(deliveries: Vec<json::Delivery>) -> impl IntoView {
    view! {
        <table class="data compact" data-testid="deliveries">
            <thead>
                <tr><th>"Webhook"</th><th>"State"</th><th class="num-col">"Attempts"</th><th>"Last answer"</th><th>"When"</th></tr>
            </thead>
            <tbody>
                {deliveries.into_iter().map(|d| {
                    let answer = match (d.last_status, d.last_error) {
                        (_, Some(error)) => error,
                        (Some(status), None) => format!("HTTP {status}"),
                        (None, None) => "not sent yet".into(),
                    };
                    let when = match (d.delivered_at, d.next_attempt_at) {
                        (Some(at), _) => format!("delivered {}", format::at(at)),
                        (None, Some(next)) => format!("next attempt {}", format::at(next)),
                        (None, None) => "no more attempts".into(),
                    };
                    view! {
                        <tr>
                            <td><code>{d.event}</code></td>
                            <td>{d.state.label()}</td>
                            <td class="num-col num">{d.attempts}</td>
                            <td>{answer}</td>
                            <td class="nowrap">{when}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
