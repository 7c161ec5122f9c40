//! A credential's page: its owner, risk and revocation, the last review
//! that vouched for it, its OAuth grant, the stored copies of its secret,
//! the agents using it, what it reaches, and its activity and behaviour
//! ([`super::activity`]).

use leptos::prelude::*;
use model::api::{self as json, NodeKind, OwnedKind};

use super::activity::{ActivityTable, BehaviourSection};
use super::{EntityHeader, RefList, RiskFactors, loaded};
use crate::api;
use crate::components::attestation::LastAttested;
use crate::components::owner::AssignOwner;
use crate::components::page::Page;
use crate::components::platform::GrantFacts;
use crate::components::reach::ReachTable;
use crate::components::revocation::RevocationLink;

/// The page of credential `id`.
#[component]
pub fn CredentialPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::credential(id));
    let outcome = RwSignal::new(None);
    move || {
        loaded(detail.get(), move |d: json::CredentialDetail| {
            let c = d.credential.clone();
            let question = format!(
                "{} · {} · {} · {}",
                c.kind.label(),
                c.provider,
                c.external_id,
                c.status.label()
            );
            view! {
                <Page title=c.name.clone() question testid="credential-page">
                    <EntityHeader kind=NodeKind::Credential id=c.id owner=c.owner.clone() risk=d.risk.clone() />
                    <div class="entity-header">
                        <RevocationLink credential=c.id revocation=d.revocation.clone() />
                        <LastAttested attestation=d.last_attested.clone() />
                    </div>
                    <AssignOwner kind=OwnedKind::Credential id=c.id outcome done=move || detail.refetch() />
                    <RiskFactors risk=d.risk.clone() />
                    {d.grant.clone().map(|grant| view! { <GrantFacts credential=c.id grant done=move || detail.refetch() /> })}
                    <div class="grid-2">
                        <section class="card section" data-testid="copies">
                            <h2>"Stored copies of the secret " <span class="num subtle">{c.copies} " present"</span></h2>
                            <table class="data compact">
                                <tbody>
                                    {d.copies.iter().map(|copy| view! {
                                        <tr>
                                            <td>{copy.kind.label()}</td>
                                            <td class="mono subtle">{copy.locator.clone()}</td>
                                            <td>{copy.status.label()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                        <section class="card section" data-testid="consumers">
                            <h2>"Used by"</h2>
                            <p>
                                <span class="num">{d.agents_total}</span> " agents through "
                                <span class="num">{d.tools.len()}</span> " tools"
                            </p>
                            <RefList list="agents" refs=d.agents.clone() />
                        </section>
                    </div>
                    <div class="grid-2">
                        <section class="card section" data-testid="reach">
                            <h2>
                                "Reach: " <span class="num">{d.reach_total}</span> " resources · blast radius "
                                <span class="num">{d.blast_radius}</span> "/100"
                            </h2>
                            <ReachTable reach=d.reach.clone() />
                        </section>
                        <section class="card section" data-testid="activity">
                            <h2>"Recent activity"</h2>
                            <ActivityTable events=d.recent_activity.clone() />
                        </section>
                    </div>
                    <BehaviourSection id=c.id />
                </Page>
            }
            .into_any()
        })
    }
}
