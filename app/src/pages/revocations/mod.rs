//! Revocations: the list of credentials being revoked; the "what breaks"
//! plan of revoking one, with the form that revokes it; and one revocation,
//! from requested to complete, with the checklist of every stored copy of
//! the secret, the consumers to move and the automation webhook's deliveries.
//! The plan and its form are [`plan`], one revocation [`tracking`], its
//! checklist of copies [`checklist`].

mod checklist;
mod plan;
mod tracking;

use plan::Plan;
use tracking::Tracking;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use model::api::{self as json, DeliveryState, Role};

use crate::api;
use crate::components::form::Alert;
use crate::components::page::{Page, ScreenPage};
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
