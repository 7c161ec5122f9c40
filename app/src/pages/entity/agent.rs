//! An agent's page: its owner and risk, the last review that vouched for
//! it, what an endpoint scan or a platform says of it, what it reaches
//! through its credentials, its API tokens (for admins), the change requests
//! and the credentials its tools use.

use leptos::prelude::*;
use model::api::{self as json, NodeKind, OwnedKind};

use super::{EntityHeader, RiskFactors, loaded};
use crate::api;
use crate::components::attestation::LastAttested;
use crate::components::change_request::RequestChange;
use crate::components::endpoint::EndpointFacts;
use crate::components::owner::AssignOwner;
use crate::components::page::Page;
use crate::components::platform::PlatformFacts;
use crate::components::reach::ReachTable;
use crate::components::risk::RiskBadge;
use crate::components::tokens::AgentTokens;
use crate::routes;

/// The page of agent `id`.
#[component]
pub fn AgentPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::agent(id));
    let outcome = RwSignal::new(None);
    let sanction_outcome = RwSignal::new(None);
    move || {
        loaded(detail.get(), move |d: json::AgentDetail| {
            let a = d.agent.clone();
            let question = format!(
                "{} · {} · {}{}",
                a.category.label(),
                a.platform,
                a.environment.label(),
                if a.sanctioned {
                    ""
                } else {
                    " · shadow (not sanctioned)"
                }
            );
            view! {
                <Page title=a.name.clone() question testid="agent-page">
                    <EntityHeader kind=NodeKind::Agent id=a.id owner=a.owner.clone() risk=d.risk.clone() />
                    <div class="entity-header">
                        <LastAttested attestation=d.last_attested.clone() />
                    </div>
                    <AssignOwner kind=OwnedKind::Agent id=a.id outcome done=move || detail.refetch() />
                    <RiskFactors risk=d.risk.clone() />
                    {d.endpoint.clone().map(|facts| view! {
                        <EndpointFacts
                            agent=a.id
                            facts
                            sanctioned=a.sanctioned
                            outcome=sanction_outcome
                            done=move || detail.refetch()
                        />
                    })}
                    {d.platform.clone().map(|facts| view! {
                        <PlatformFacts
                            agent=a.id
                            facts
                            sanctioned=a.sanctioned
                            outcome=sanction_outcome
                            done=move || detail.refetch()
                        />
                    })}
                    <section class="card section" data-testid="agent-reach">
                        <h2>"What it reaches, through its credentials"</h2>
                        {if d.reach.is_empty() {
                            view! { <p class="subtle">"Nothing the inventory knows of."</p> }.into_any()
                        } else {
                            view! { <ReachTable reach=d.reach.clone() /> }.into_any()
                        }}
                    </section>
                    <AgentTokens agent=a.id />
                    <RequestChange agent=a.id />
                    <section class="card section" data-testid="credentials">
                        <h2>"Credentials its tools use"</h2>
                        <table class="data compact">
                            <tbody>
                                {d.credentials.iter().map(|c| view! {
                                    <tr>
                                        <td><a href=routes::entity_path("credentials", c.id)>{c.name.clone()}</a></td>
                                        <td>{c.kind.label()}</td>
                                        <td>{c.status.label()}</td>
                                        <td><RiskBadge band=c.risk.band score=c.risk.score /></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                </Page>
            }
            .into_any()
        })
    }
}
