//! Revocations: the list of credentials being revoked; the "what breaks"
//! plan of revoking one, with the form that revokes it; and one revocation,
//! from requested to complete, with the checklist of every stored copy of
//! the secret, the consumers to move and the automation webhook's deliveries.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use model::api::{self as json, ChecklistState, DeliveryState, RevocationState, Role};

use crate::api;
use crate::auth::Auth;
use crate::components::form::{Alert, Outcome, TextField};
use crate::components::page::{Page, ScreenPage};
use crate::components::reach::ReachTable;
use crate::components::revocation::StateBadge;
use crate::format;
use crate::routes::{self, Screen};

/// Who may revoke: admins anywhere, managers for their teams' credentials
/// (the server checks the team; the app only hides what would surely fail).
const STEWARDS: &[Role] = &[Role::Admin, Role::Manager];

/// `/revocations`: open revocations first; all of them on demand.
#[component]
pub fn Revocations() -> impl IntoView {
    let all = RwSignal::new(false);
    let list = api::Fetched::new(move || {
        api::revocations(&json::RevocationQuery {
            open: (!all.get()).then_some(true),
            limit: Some(json::MAX_PAGE_LIMIT),
            ..Default::default()
        })
    });
    view! {
        <ScreenPage screen=Screen::Revocations>
            <div class="tabs">
                <button type="button" aria-pressed=move || (!all.get()).to_string() on:click=move |_| all.set(false)>"Open"</button>
                <button type="button" aria-pressed=move || all.get().to_string() on:click=move |_| all.set(true)>"All"</button>
            </div>
            <section class="card section" data-testid="revocations">
                {move || match list.get() {
                    None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                    Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                    Some(Ok(page)) if page.items.is_empty() => view! {
                        <p>"No revocation in progress. Revoke a credential from its page: "
                           <a href=routes::inventory_path("credentials", &[("sort", "-risk")])>"the riskiest credentials"</a> "."</p>
                    }.into_any(),
                    Some(Ok(page)) => view! {
                        <table class="data">
                            <thead>
                                <tr>
                                    <th>"Credential"</th>
                                    <th>"State"</th>
                                    <th class="num-col">"Copies left"</th>
                                    <th>"Reason"</th>
                                    <th>"Asked by"</th>
                                    <th>"Last change"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {page.items.into_iter().map(|r| view! {
                                    <tr>
                                        <td><a href=routes::revocation_path(r.id)>{r.credential.name}</a></td>
                                        <td><StateBadge state=r.state /></td>
                                        <td class="num-col num">{r.copies_left}</td>
                                        <td>{r.reason}</td>
                                        <td class="subtle">{r.requested_by}</td>
                                        <td class="nowrap">{format::at(r.updated_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }}
            </section>
        </ScreenPage>
    }
}

/// `/revocations/new?credential=ID`: what revoking breaks, then the form.
#[component]
pub fn NewRevocation() -> impl IntoView {
    let query = use_query_map();
    let credential = Memo::new(move |_| {
        query
            .with(|q| q.get("credential"))
            .and_then(|c| c.parse::<i64>().ok())
    });
    let plan = api::Fetched::when(move || credential.get().map(api::revocation_plan));
    move || {
        match (credential.get(), plan.get()) {
        (None, _) => view! {
            <Page title="Revoke a credential" question="Open a credential's page and choose \u{201c}What breaks if revoked\u{201d}." />
        }
        .into_any(),
        (_, None) => view! { <p class="loading">"Loading…"</p> }.into_any(),
        (_, Some(Err(error))) => view! { <Page title="Not available" question=error.message /> }.into_any(),
        (Some(_), Some(Ok(plan))) => view! { <Plan plan /> }.into_any(),
    }
    }
}

#[component]
fn Plan(plan: json::RevocationPlan) -> impl IntoView {
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

/// The agents and tools using a credential; with a replacement, each is to move there.
#[component]
fn Consumers(consumers: Vec<json::Consumer>, replacement: Option<json::Ref>) -> impl IntoView {
    if consumers.is_empty() {
        return view! { <p>"No agent is known to use it."</p> }.into_any();
    }
    view! {
        <table class="data compact">
            <tbody>
                {consumers.into_iter().map(|c| view! {
                    <tr>
                        <td>
                            <a href=routes::entity_path("agents", c.agent.id)>{c.agent.name}</a>
                            <div class="subtle">{format!("through {}", c.tool.name)}</div>
                        </td>
                        <td>{c.owner.map(|o| o.name).unwrap_or_else(|| "no owner".into())}</td>
                        <td class="nowrap subtle">{c.last_seen.map(|t| format!("seen {}", format::at(t)))}</td>
                        {replacement.clone().map(|r| view! {
                            <td>"to move to " <a href=routes::entity_path("credentials", r.id)>{r.name}</a></td>
                        })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
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

/// `/revocations/:id`. While the webhook still has a delivery to make, the
/// page looks again every two seconds, so that its answer shows up.
#[component]
pub fn RevocationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).and_then(|id| id.parse::<i64>().ok()));
    let revocation = api::Fetched::when(move || id.get().map(api::revocation));
    let outcome = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        let waiting = matches!(
            revocation.get(),
            Some(Ok(r)) if r.deliveries.iter().any(|d| d.state == DeliveryState::Pending)
        );
        if waiting && let Ok(timer) = set_timeout_with_handle(move || revocation.refetch(), POLL) {
            on_cleanup(move || timer.clear());
        }
    });
    move || match revocation.get() {
        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
        Some(Err(error)) => view! { <Page title="Not available" question=error.message /> }.into_any(),
        Some(Ok(r)) => view! { <Tracking r revocation outcome /> }.into_any(),
    }
}

/// How often a page waiting for the webhook looks again.
const POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// The steps every revocation goes through, in order.
const STEPS: [RevocationState; 4] = [
    RevocationState::Requested,
    RevocationState::Disabled,
    RevocationState::Revoked,
    RevocationState::Complete,
];

#[component]
fn Tracking(
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

/// Every copy of the secret: removed, accepted (with a reason) or pending.
#[component]
fn Checklist(
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
