//! Entity pages: a credential or an agent with its risk explained factor by
//! factor, the last access review that vouched for it, and what it is
//! connected to; a person with what they own; a team
//! with its place in the hierarchy and its people; a resource with the
//! credentials that reach it; a tool with its agents and credentials; a
//! stored copy of a secret; for admins, an agent's API tokens. Each links to
//! the graph explorer started from it.
//!
//! One file per kind of page: [`credential`], [`agent`], [`people`] (a
//! person, a team), [`resource`], [`tool`], [`copy`]; a credential's
//! activity and behaviour are [`activity`]. This module holds what the
//! pages share: the loading state, the header, the graph links and lists.

mod activity;
mod agent;
mod copy;
mod credential;
mod people;
mod resource;
mod tool;

pub use activity::ActivityTable;
pub use agent::AgentPage;
pub use copy::CopyPage;
pub use credential::CredentialPage;
pub use people::{PersonPage, TeamPage};
pub use resource::ResourcePage;
pub use tool::ToolPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use model::api::{self as json, NodeKind};

use crate::api;
use crate::components::page::Page;
use crate::components::risk::RiskBadge;
use crate::pages::not_found::NotFound;
use crate::routes;

/// `/inventory/<list>/:id`: the page `page` draws for the id in the path
/// (each kind of entity is its own lazy route, see `app.rs`), or Not found
/// for an id that is not a number.
pub fn entity_page(page: fn(i64) -> AnyView) -> AnyView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    (move || match id.get() {
        Some(id) => page(id),
        None => view! { <NotFound /> }.into_any(),
    })
    .into_any()
}

/// The loading and error states around a detail.
fn loaded<T: Clone + 'static>(
    result: Option<Result<T, api::ApiError>>,
    page: impl Fn(T) -> AnyView + 'static,
) -> AnyView {
    match result {
        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
        Some(Err(error)) => view! {
            <Page title="Not available" question=error.message.clone() testid="entity-error" />
        }
        .into_any(),
        Some(Ok(detail)) => page(detail),
    }
}

/// The graph explorer started here, and for a credential its blast radius.
#[component]
fn GraphLinks(kind: NodeKind, id: i64) -> impl IntoView {
    view! {
        <a href=routes::graph_path(kind, id, false) data-testid="explore-graph">"Explore in graph"</a>
        {(kind == NodeKind::Credential).then(|| view! {
            <a href=routes::graph_path(kind, id, true)>"Blast radius in the graph"</a>
        })}
    }
}

/// Owner and risk, first.
#[component]
fn EntityHeader(kind: NodeKind, id: i64, owner: Option<json::Ref>, risk: json::Risk) -> impl IntoView {
    view! {
        <div class="entity-header">
            <RiskBadge band=risk.band score=risk.score />
            <GraphLinks kind id />
            <span>
                "Owner: "
                {match owner {
                    Some(person) => view! { <a href=routes::entity_path("people", person.id)>{person.name}</a> }.into_any(),
                    None => view! { <span class="badge badge-muted">"No owner"</span> }.into_any(),
                }}
            </span>
        </div>
    }
}

/// Every factor with its weight, OWASP reference and evidence.
#[component]
fn RiskFactors(risk: json::Risk) -> impl IntoView {
    if risk.factors.is_empty() {
        return view! { <p class="card section">"No risk factor fires for it."</p> }.into_any();
    }
    view! {
        <section class="card section" data-testid="risk-factors">
            <h2>"Why it scores " <span class="num">{risk.score}</span></h2>
            <table class="data compact">
                <thead>
                    <tr>
                        <th class="num-col">"Points"</th>
                        <th>"Factor"</th>
                        <th>"OWASP"</th>
                        <th>"Evidence"</th>
                    </tr>
                </thead>
                <tbody>
                    {risk.factors.into_iter().map(|f| view! {
                        <tr>
                            <td class="num-col num">"+" {f.weight}</td>
                            <td>{f.title}</td>
                            <td class="nowrap" title=f.reference_title><span class="nhi">{f.reference}</span></td>
                            <td>{f.evidence}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="footnote">"Risk model " {risk.risk_model_version} "; the sum is capped at 100."</p>
        </section>
    }
    .into_any()
}

/// Entities of one list, each linked to its page.
#[component]
fn RefList(list: &'static str, refs: Vec<json::Ref>) -> impl IntoView {
    view! {
        <ul class="plain">
            {refs.into_iter().map(|r| view! {
                <li><a href=routes::entity_path(list, r.id)>{r.name}</a></li>
            }).collect_view()}
        </ul>
    }
}

/// Agents or credentials, each linked, with its band.
#[component]
fn RiskList(list: &'static str, rows: Vec<(i64, String, json::RiskBrief)>) -> impl IntoView {
    view! {
        <table class="data compact">
            <tbody>
                {rows.into_iter().map(|(id, name, risk)| view! {
                    <tr>
                        <td><a href=routes::entity_path(list, id)>{name}</a></td>
                        <td><RiskBadge band=risk.band score=risk.score /></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
