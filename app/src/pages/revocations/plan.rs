//! What revoking a credential breaks (its last use, the agents that would
//! lose it, the resources that would lose access, the stored copies to
//! remove), then the form that revokes it.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use model::api as json;

use super::{Consumers, STEWARDS};
use crate::api;
use crate::auth::Auth;
use crate::components::form::{Outcome, TextField};
use crate::components::page::Page;
use crate::components::reach::ReachTable;
use crate::components::revocation::StateBadge;
use crate::format;
use crate::routes;

/// The plan of revoking `plan.credential`: what stops working, what must go,
/// and the form.
#[component]
pub(super) fn Plan(plan: json::RevocationPlan) -> impl IntoView {
    let c = plan.credential.clone();
    let question = format!(
        "What stops working if {} ({} · {}) is revoked, and which copies of its secret must go?",
        c.name, c.provider, c.external_id
    );
    view! {
        <Page title=format!("Revoke {}", c.name) question testid="revocation-plan">
            <div class="entity-header">
                <a href=routes::entity_path("credentials", c.id)>"Back to the credential"</a>
                <span>"Status: " <strong>{c.status.label()}</strong></span>
            </div>
            <p class="summary" data-testid="last-use">
                {match plan.last_activity.clone() {
                    Some(e) => view! {
                        "Last used " {format::at(e.occurred_at)} ": " <code>{e.action}</code>
                        {e.resource.map(|r| format!(" on {}", r.name))}
                        {e.user_agent.map(|ua| format!(", by {ua}"))}
                        {e.source_address.map(|a| format!(", from {a}"))}
                    }.into_any(),
                    None => view! { "No recorded use." }.into_any(),
                }}
            </p>
            {plan.revocation.map(|r| view! {
                <p class="notice">"It is being revoked already: " <StateBadge state=r.state /> " "
                   <a href=routes::revocation_path(r.id)>"follow the revocation"</a> "."</p>
            })}
            <div class="grid-2">
                <section class="card section" data-testid="plan-consumers">
                    <h2>"Agents that would lose it " <span class="num subtle">{plan.consumers.len()}</span></h2>
                    <Consumers consumers=plan.consumers.clone() replacement=None />
                </section>
                <section class="card section" data-testid="plan-resources">
                    <h2>"Resources that would lose access " <span class="num subtle">{plan.resources_total}</span></h2>
                    <ReachTable reach=plan.resources.clone() />
                </section>
            </div>
            <section class="card section" data-testid="plan-copies">
                <h2>"Stored copies to remove " <span class="num subtle">{plan.copies.len()}</span></h2>
                {if plan.copies.is_empty() {
                    view! { <p>"No stored copy is known."</p> }.into_any()
                } else {
                    view! {
                        <table class="data compact">
                            <tbody>
                                {plan.copies.iter().map(|copy| view! {
                                    <tr>
                                        <td>{copy.kind.label()}</td>
                                        <td class="mono">{copy.locator.clone()}</td>
                                        <td class="subtle">{format!("found by {}", copy.found_by)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
            <RevokeForm credential=c.id />
        </Page>
    }
}

/// The reason, an optional replacement, and the button.
#[component]
fn RevokeForm(credential: i64) -> impl IntoView {
    let auth = Auth::get();
    let reason = RwSignal::new(String::new());
    let replacement = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let navigate = use_navigate();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let replacement = match replacement.get_untracked().trim() {
            "" => None,
            text => match text.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    outcome.set(Some(Err(
                        "The replacement is a credential's number, e.g. 42.".into()
                    )));
                    return;
                }
            },
        };
        let request = json::NewRevocation {
            reason: reason.get_untracked(),
            replacement,
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::revoke_credential(credential, &request).await {
                Ok(revocation) => navigate(&routes::revocation_path(revocation.id), Default::default()),
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <Show
            when=move || auth.holds(STEWARDS)
            fallback=|| view! { <p class="card section">"An admin, or a manager of the owner\u{2019}s team, can revoke it."</p> }
        >
            <form class="card section inline-form" on:submit=submit.clone() data-testid="revoke-form">
                <TextField label="Reason" name="revoke-reason" value=reason required=true placeholder="Leaked in a chat" />
                <TextField label="Replacement credential number (rotation)" name="revoke-replacement" value=replacement placeholder="optional" />
                <button type="submit" class="danger">"Revoke credential"</button>
            </form>
            <Outcome outcome />
        </Show>
    }
}
