//! A resource's page: its owning team, who can reach it (every path to it,
//! each with its weakest link) and the credentials that reach it.

use leptos::prelude::*;
use model::api::{self as json, NodeKind};

use super::{GraphLinks, loaded};
use crate::components::page::Page;
use crate::{api, routes};

/// The page of resource `id`.
#[component]
pub fn ResourcePage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::resource(id));
    move || {
        loaded(detail.get(), |d: json::ResourceDetail| {
            let r = d.resource.clone();
            let question = format!(
                "{} · {} · {} · {}",
                r.kind.label(),
                r.provider,
                r.environment.label(),
                r.sensitivity.label()
            );
            view! {
                <Page title=r.name.clone() question testid="resource-page">
                    <div class="entity-header">
                        <GraphLinks kind=NodeKind::Resource id=r.id />
                        {match r.owner_team.clone() {
                            Some(t) => view! {
                                <span>"Owned by " <a href=routes::entity_path("teams", t.id)>{t.name}</a></span>
                            }.into_any(),
                            None => view! { <span class="badge badge-muted">"No owning team"</span> }.into_any(),
                        }}
                    </div>
                    <WhoCanReach to=format!("resource:{}", r.id) />
                    <section class="card section" data-testid="reached-by">
                        <h2>"Credentials that reach it " <span class="num subtle">{d.reached_by_total}</span></h2>
                        <table class="data compact">
                            <tbody>
                                {d.reached_by.iter().map(|x| view! {
                                    <tr>
                                        <td><a href=routes::entity_path("credentials", x.credential.id)>{x.credential.name.clone()}</a></td>
                                        <td>{x.permission.label()}</td>
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

/// Who can reach `to`: every path from the people (or from an agent or a
/// credential nobody owns) down to it, shortest first, each with its
/// permission and its weakest link; each step links to its page.
#[component]
fn WhoCanReach(to: String) -> impl IntoView {
    let query = to.clone();
    let paths = api::Fetched::new(move || api::paths(&query, None, 25));
    move || {
        paths.get().map(|answer| match answer {
            Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
            Ok(found) => {
                let names: std::collections::HashMap<String, json::GraphNode> = found
                    .graph
                    .nodes
                    .iter()
                    .map(|n| (n.id.clone(), n.clone()))
                    .collect();
                let step = move |id: &String| {
                    let node = names.get(id).cloned();
                    match node {
                        Some(n) => match n.entity_id {
                            Some(entity) => view! {
                                <a href=routes::node_path(n.kind, entity) title=n.detail.clone()>
                                    <span class="subtle">{n.kind.label()} " "</span>{n.label.clone()}
                                </a>
                            }.into_any(),
                            None => view! { <span class="subtle">{n.label.clone()}</span> }.into_any(),
                        },
                        None => view! { <span>{id.clone()}</span> }.into_any(),
                    }
                };
                let shown = found.paths.len();
                view! {
                    <section class="card section" data-testid="who-can-reach">
                        <h2>"Who can reach it " <span class="num subtle">{found.total}</span></h2>
                        <p class="subtle">
                            "Every path to it, shortest first, then the strongest permission; the weakest link of each is named."
                            {(found.total as usize > shown).then(|| format!(" The first {shown} are shown."))}
                            {found.truncated.clone().map(|why| format!(" The search stopped short: {why}."))}
                            " " <a href=routes::graph_paths(&found.to, None) data-testid="draw-paths">"Draw them in the graph"</a>
                        </p>
                        {(shown == 0).then(|| view! { <p>"No active credential reaches it."</p> })}
                        <table class="data compact">
                            <tbody>
                                {found.paths.iter().map(|path| {
                                    let last = path.nodes.len().saturating_sub(1);
                                    view! {
                                        <tr data-testid="reach-path">
                                            <td>
                                                {path.nodes[..last].iter().enumerate().map(|(i, id)| view! {
                                                    {(i > 0).then_some(" → ")}
                                                    {step(id)}
                                                }).collect_view()}
                                            </td>
                                            <td>{path.permission.map(|p| p.label())}</td>
                                            <td class="subtle">{path.weakness.clone()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                }
                .into_any()
            }
        })
    }
}
