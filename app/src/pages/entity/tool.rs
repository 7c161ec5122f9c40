//! A tool's page: what it is, the agents that use it and the credentials it
//! authenticates with.

use leptos::prelude::*;
use model::api::{self as json, NodeKind};

use super::{GraphLinks, RefList, RiskList, loaded};
use crate::api;
use crate::components::page::Page;

/// The page of tool `id`.
#[component]
pub fn ToolPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::tool(id));
    move || {
        loaded(detail.get(), |d: json::ToolDetail| {
            let t = d.tool.clone();
            let question = format!("{} · used by {} agents", t.kind.label(), t.agents);
            view! {
                <Page title=t.name.clone() question testid="tool-page">
                    <div class="entity-header">
                        <GraphLinks kind=NodeKind::Tool id=t.id />
                    </div>
                    <p class="card section">{d.description.clone()}</p>
                    <div class="grid-2">
                        <section class="card section" data-testid="tool-agents">
                            <h2>"Agents that use it " <span class="num subtle">{t.agents}</span></h2>
                            <RefList list="agents" refs=d.agents.clone() />
                        </section>
                        <section class="card section" data-testid="tool-credentials">
                            <h2>"Credentials it authenticates with"</h2>
                            <RiskList list="credentials" rows=d.credentials.iter().map(|c| (c.id, c.name.clone(), c.risk.clone())).collect() />
                        </section>
                    </div>
                </Page>
            }
            .into_any()
        })
    }
}
