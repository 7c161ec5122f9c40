//! The lineage graph explorer, `/graph?node=<kind>:<id>[&mode=blast]`:
//! starts from any entity and draws two hops around it; a click on a node
//! focuses it and loads its own neighbours. Beside the drawing, the details of
//! the node under the pointer (or in focus) with links to its page. In
//! blast-radius mode, started from a credential, what it reaches stands out
//! and a panel sums up its whole reach, drawn or not.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_query_map;
use model::api::{self as json, NodeKind};

use crate::api;
use crate::components::form::Alert;
use crate::components::graph::{Graph, LineageGraph};
use crate::components::page::ScreenPage;
use crate::components::risk::RiskBadge;
use crate::routes::{self, Screen};

/// Hops drawn around the starting node.
const START_DEPTH: u32 = 2;

/// `/graph`.
#[component]
pub fn GraphExplorer() -> impl IntoView {
    let query = use_query_map();
    let start = Memo::new(move |_| query.with(|q| q.get("node")));
    let blast = Memo::new(move |_| query.with(|q| q.get("mode").as_deref() == Some("blast")));
    view! {
        <ScreenPage screen=Screen::Graph>
            {move || match start.get() {
                Some(node) => view! { <Explorer node blast=blast.into() /> }.into_any(),
                None => view! { <Start /> }.into_any(),
            }}
        </ScreenPage>
    }
}

/// `<kind>:<id>` read back.
fn parse_node(id: &str) -> Option<(NodeKind, i64)> {
    let (kind, id) = id.split_once(':')?;
    Some((kind.parse().ok()?, id.parse().ok()?))
}

/// The node an aggregate "N more" node hangs off (`resource:more:credential:4`
/// → `credential:4`).
fn parent_of(aggregate: &str) -> Option<&str> {
    aggregate.split_once(":more:").map(|(_, parent)| parent)
}

/// The drawing around `node`, with the details panel.
#[component]
fn Explorer(node: String, blast: Signal<bool>) -> impl IntoView {
    let graph = RwSignal::new(Graph::default());
    let error = RwSignal::new(None::<String>);
    let expanding = RwSignal::new(None::<String>);
    let focus = RwSignal::new(Some(node.clone()));
    let hover = RwSignal::new(None::<String>);
    let load = move |id: String, depth: u32| {
        expanding.set(Some(id.clone()));
        spawn_local(async move {
            let answer = api::lineage(&id, depth).send().await;
            // The explorer may be gone (another start node) by now.
            expanding.try_set(None);
            match answer {
                Ok(lineage) => {
                    graph.try_update(|g| g.merge(lineage, depth));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    load(node.clone(), START_DEPTH);
    let select = Callback::new(move |id: String| {
        focus.set(Some(id.clone()));
        let expandable = graph
            .with_untracked(|g| !g.expanded.contains(&id) && g.node(&id).is_some_and(|n| n.more.is_none()));
        if expandable && expanding.get_untracked().is_none() {
            load(id, 1);
        }
    });
    let blast_from = parse_node(&node)
        .filter(|(kind, _)| *kind == NodeKind::Credential)
        .map(|(_, id)| id);
    let root = node.clone();
    let highlight = Signal::derive(move || {
        (blast.get() && blast_from.is_some()).then(|| graph.with(|g| g.reached_from(&root)))
    });
    let shown = Signal::derive(move || hover.get().or_else(|| focus.get()));
    view! {
        <Legend />
        {move || error.get().map(|message| view! {
            <Alert message=format!("The graph could not be loaded: {message}") />
        })}
        <div class="graph-layout">
            <section class="card graph-card" data-testid="graph" aria-busy=move || expanding.get().is_some().to_string()>
                <LineageGraph graph=graph.into() focus=focus.into() hover highlight select />
                <p class="footnote" data-testid="graph-count">
                    {move || graph.with(|g| format!("{} nodes, {} edges", g.nodes.len(), g.edges.len()))}
                    {move || expanding.get().map(|_| " · loading…")}
                </p>
            </section>
            <aside class="graph-side">
                <Details graph=graph.into() shown blast start=node.clone() />
                {blast_from.map(|id| view! {
                    <Show when=move || blast.get()>
                        <BlastSummary id />
                    </Show>
                })}
            </aside>
        </div>
    }
}

/// The colours of the kinds, and what the score pill means.
#[component]
fn Legend() -> impl IntoView {
    const KINDS: [NodeKind; 7] = [
        NodeKind::Team,
        NodeKind::Person,
        NodeKind::Agent,
        NodeKind::Tool,
        NodeKind::Credential,
        NodeKind::Resource,
        NodeKind::Copy,
    ];
    view! {
        <ul class="graph-legend" aria-label="Legend">
            {KINDS.into_iter().map(|kind| view! {
                <li><span class=format!("swatch kind-{}", kind.as_str())></span>{kind.label()}</li>
            }).collect_view()}
            <li class="subtle">"Agents and credentials show their risk score on their band's colour; + marks a node that has more to show."</li>
        </ul>
    }
}

/// What the node under the pointer (else the node in focus) is, with links.
#[component]
fn Details(
    graph: Signal<Graph>,
    shown: Signal<Option<String>>,
    blast: Signal<bool>,
    start: String,
) -> impl IntoView {
    move || {
        let id = shown.get()?;
        let (node, expanded) = graph.with(|g| g.node(&id).cloned().map(|n| (n, g.expanded.contains(&id))))?;
        let state = match (node.more, expanded) {
            (Some(_), _) => "Too many to draw: their full list is on the page linked below.",
            (None, true) => "Its neighbours are drawn.",
            (None, false) => "Click it (or press Enter) to draw its neighbours.",
        };
        // An aggregate's links are its parent's.
        let target = match node.more {
            Some(_) => parent_of(&node.id).and_then(parse_node),
            None => node.entity_id.map(|id| (node.kind, id)),
        };
        let links = target.map(|(kind, entity)| {
            let here = format!("{}:{entity}", kind.as_str());
            let credential = kind == NodeKind::Credential;
            let blast_here = credential && here == start && blast.get();
            view! {
                <ul class="plain graph-links">
                    <li><a href=routes::node_path(kind, entity) data-testid="graph-open">{format!("Open the {} page", kind.label().to_lowercase())}</a></li>
                    {(here != start).then(|| view! {
                        <li><a href=routes::graph_path(kind, entity, false)>"Start the graph here"</a></li>
                    })}
                    {credential.then(|| if blast_here {
                        view! { <li><a href=routes::graph_path(kind, entity, false)>"Leave blast-radius mode"</a></li> }.into_any()
                    } else {
                        view! { <li><a href=routes::graph_path(kind, entity, true) data-testid="graph-blast">"Show its blast radius"</a></li> }.into_any()
                    })}
                </ul>
            }
        });
        Some(view! {
            <section class="card section graph-details" data-testid="graph-details">
                <span class=format!("kind-tag kind-{}", node.kind.as_str())>{node.kind.label()}</span>
                <h2 class="graph-details-title">{node.label.clone()}</h2>
                <p class="subtle">{node.detail.clone()}</p>
                {node.band.zip(node.score).map(|(band, score)| view! { <p><RiskBadge band score /></p> })}
                <p>{state}</p>
                {links}
            </section>
        })
    }
}

/// A credential's whole reach, from `GET /credentials/{id}/blast-radius`.
#[component]
fn BlastSummary(id: i64) -> impl IntoView {
    let radius = api::Fetched::new(move || api::blast_radius(id));
    move || match radius.get() {
        None => view! { <p class="loading">"Loading the blast radius…"</p> }.into_any(),
        Some(Err(e)) => view! { <Alert message=e.message /> }.into_any(),
        Some(Ok(radius)) => {
            let total = radius.resources.len();
            let admin = radius
                .resources
                .iter()
                .filter(|r| r.permission == json::Permission::Admin)
                .count();
            let shared: HashSet<i64> = radius
                .resources
                .iter()
                .filter(|r| r.others_total > 0)
                .map(|r| r.resource.id)
                .collect();
            view! {
                <section class="card section" data-testid="blast-summary">
                    <h2>"Blast radius"</h2>
                    <p>
                        <strong>{radius.credential.name.clone()}</strong> " reaches "
                        <span class="num">{total}</span> " resources, "
                        <span class="num">{admin}</span> " of them as admin; "
                        <span class="num">{shared.len()}</span> " are reached by other credentials too."
                    </p>
                    <table class="data compact">
                        <tbody>
                            {radius.by_sensitivity.iter().map(|s| view! {
                                <tr>
                                    <td>{s.sensitivity.label()}</td>
                                    <td class="num-col num">{s.count}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <p class="footnote">"Highlighted in the graph: the resources drawn; the rest are behind its \"N more\" node."</p>
                </section>
            }
            .into_any()
        }
    }
}

/// Where to start when no node is given: the riskiest credentials and
/// agents, and the search box.
#[component]
fn Start() -> impl IntoView {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_and_aggregates_read_back() {
        assert_eq!(parse_node("credential:12"), Some((NodeKind::Credential, 12)));
        assert_eq!(parse_node("robot:1"), None);
        assert_eq!(parent_of("resource:more:credential:4"), Some("credential:4"));
        assert_eq!(parent_of("credential:4"), None);
    }
}
