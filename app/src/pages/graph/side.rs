//! The panels beside the drawing: the details of the node under the pointer
//! (or in focus) with links to its page and to other drawings; in paths
//! mode, how many paths and their weakest links; in blast-radius mode, the
//! credential's whole reach.

use std::collections::HashSet;

use leptos::prelude::*;
use model::api::{self as json, NodeKind};

use super::{parent_of, parse_node};
use crate::api;
use crate::components::form::Alert;
use crate::components::graph::{Graph, is_fold};
use crate::components::risk::RiskBadge;
use crate::routes::{self, GraphMode};

/// What the node under the pointer (else the node in focus) is, with links.
#[component]
pub(super) fn Details(
    graph: Signal<Graph>,
    shown: Signal<Option<String>>,
    mode: Signal<GraphMode>,
    start: String,
) -> impl IntoView {
    move || {
        let id = shown.get()?;
        let (node, expanded) = graph.with(|g| g.node(&id).cloned().map(|n| (n, g.expanded.contains(&id))))?;
        let state = match (node.more, expanded) {
            (Some(_), _) if is_fold(&node.id) => {
                "Folded to keep the drawing readable: click it to draw them."
            }
            (Some(_), _) => "Too many to draw: their full list is on the page linked below.",
            (None, true) => "Its neighbours are drawn.",
            (None, false) => "Click it (or press Enter) to draw its neighbours.",
        };
        // An aggregate's links are its parent's.
        let target = match node.more {
            Some(_) => parent_of(&node.id).and_then(parse_node),
            None => node.entity_id.map(|id| (node.kind, id)),
        };
        let mode = mode.get();
        let links = target.map(|(kind, entity)| {
            let here = format!("{}:{entity}", kind.as_str());
            let credential = kind == NodeKind::Credential;
            let blast_here = credential && here == start && mode == GraphMode::Blast;
            let reachable = !matches!(kind, NodeKind::Team | NodeKind::Person | NodeKind::Copy);
            let paths_here = mode == GraphMode::Paths && here == start;
            view! {
                <ul class="plain graph-links">
                    <li><a href=routes::node_path(kind, entity) data-testid="graph-open">{format!("Open the {} page", kind.label().to_lowercase())}</a></li>
                    {(here != start || mode == GraphMode::Paths).then(|| view! {
                        <li><a href=routes::graph_path(kind, entity, false)>"Start the graph here"</a></li>
                    })}
                    {(reachable && !paths_here).then(|| view! {
                        <li><a href=routes::graph_paths(&here, None) data-testid="graph-paths">"Who can reach it"</a></li>
                    })}
                    {(mode == GraphMode::Paths && here != start).then(|| view! {
                        <li><a href=routes::graph_paths(&start, Some(&here)) data-testid="graph-paths-from">"Only the paths through here"</a></li>
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

/// In paths mode: how many paths there are, and their weakest links.
#[component]
pub(super) fn PathsSummary(found: Signal<Option<json::Paths>>) -> impl IntoView {
    move || {
        found.with(|f| {
            let f = f.as_ref()?;
            let names: std::collections::HashMap<&str, &str> =
                f.graph.nodes.iter().map(|n| (n.id.as_str(), n.label.as_str())).collect();
            let mut weakest: Vec<(String, String)> = Vec::new();
            for path in &f.paths {
                if let (Some(node), Some(why)) = (&path.weakest, &path.weakness) {
                    let line = (names.get(node.as_str()).copied().unwrap_or(node).to_owned(), why.clone());
                    if !weakest.contains(&line) {
                        weakest.push(line);
                    }
                }
            }
            let through = f.from.as_ref().map(|from| {
                let name = names.get(from.as_str()).copied().unwrap_or(from).to_owned();
                view! { <p>"Only the paths through " <strong>{name}</strong> ". " <a href=routes::graph_paths(&f.to, None)>"Show them all"</a></p> }
            });
            Some(view! {
                <section class="card section" data-testid="paths-summary">
                    <h2>"Who can reach it"</h2>
                    {through}
                    <p>
                        <span class="num">{f.total}</span> " paths, shortest first"
                        {(f.total as usize > f.paths.len()).then(|| format!("; the first {} are drawn", f.paths.len()))}
                        "."
                        {f.truncated.clone().map(|why| format!(" The search stopped short: {why}."))}
                    </p>
                    {(!weakest.is_empty()).then(|| view! {
                        <h3 class="subtle">"Weakest links, marked in red"</h3>
                        <ul class="plain graph-weak">
                            {weakest.into_iter().take(8).map(|(name, why)| view! {
                                <li><strong>{name}</strong> ": " {why}</li>
                            }).collect_view()}
                        </ul>
                    })}
                </section>
            })
        })
    }
}

/// A credential's whole reach, from `GET /credentials/{id}/blast-radius`.
#[component]
pub(super) fn BlastSummary(id: i64) -> impl IntoView {
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
