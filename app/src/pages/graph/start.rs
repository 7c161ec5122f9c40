//! The explorer without a start node: where to start, the riskiest
//! credentials and agents, each a link to its drawing.

use leptos::prelude::*;
use model::api::{self as json, NodeKind};

use crate::api;
use crate::components::form::Alert;
use crate::components::risk::RiskBadge;
use crate::routes;

/// Where to start when no node is given: the riskiest credentials and
/// agents, and the search box.
#[component]
pub(super) fn Start() -> impl IntoView {
    let credentials =
        api::Fetched::new(|| api::inventory::<json::CredentialSummary>("credentials", "sort=-risk&limit=8"));
    let agents = api::Fetched::new(|| api::inventory::<json::AgentSummary>("agents", "sort=-risk&limit=8"));
    let list = |rows: Vec<(NodeKind, i64, String, json::RiskBrief)>| {
        view! {
            <table class="data compact">
                <tbody>
                    {rows.into_iter().map(|(kind, id, name, risk)| view! {
                        <tr>
                            <td><a href=routes::graph_path(kind, id, false)>{name}</a></td>
                            <td><RiskBadge band=risk.band score=risk.score /></td>
                            <td>{(kind == NodeKind::Credential).then(|| view! {
                                <a href=routes::graph_path(kind, id, true)>"Blast radius"</a>
                            })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    };
    view! {
        <p class="card section">
            "Start from anything: find it with the search box above and choose \"Explore in graph\" on its page, "
            "or start from one of the riskiest credentials and agents below."
        </p>
        <div class="grid-2" data-testid="graph-start">
            <section class="card section">
                <h2>"Riskiest credentials"</h2>
                {move || credentials.get().map(|page| match page {
                    Ok(page) => list(page.items.into_iter().map(|c| (NodeKind::Credential, c.id, c.name, c.risk)).collect()).into_any(),
                    Err(e) => view! { <Alert message=e.message /> }.into_any(),
                })}
            </section>
            <section class="card section">
                <h2>"Riskiest agents"</h2>
                {move || agents.get().map(|page| match page {
                    Ok(page) => list(page.items.into_iter().map(|a| (NodeKind::Agent, a.id, a.name, a.risk)).collect()).into_any(),
                    Err(e) => view! { <Alert message=e.message /> }.into_any(),
                })}
            </section>
        </div>
    }
}
