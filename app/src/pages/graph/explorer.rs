//! The explorer: the drawing around the start node, loaded from the API
//! (its lineage, or the paths to it) and grown a click at a time, with the
//! address following what is open; the legend above it and the panels
//! ([`super::side`]) beside it.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::use_navigate;
use model::api::{self as json, NodeKind};

use super::side::{BlastSummary, Details, PathsSummary};
use super::{parent_of, parse_node};
use crate::api;
use crate::components::form::Alert;
use crate::components::graph::{Budget, Graph, LineageGraph, budget_for, is_fold, visible};
use crate::routes::{self, GraphMode};

/// Hops drawn around the starting node: enough for the whole chain from a
/// team to the resources, which the server walks one way only and folds.
const START_DEPTH: u32 = 5;
/// Paths drawn in paths mode.
const PATHS: u32 = 50;

/// The drawing around `node`, with the details panel.
#[component]
pub(super) fn Explorer(
    node: String,
    mode: Signal<GraphMode>,
    from: Option<String>,
    expanded: Vec<String>,
) -> impl IntoView {
    let loaded = RwSignal::new(Graph::default());
    let found = RwSignal::new(None::<json::Paths>);
    let error = RwSignal::new(None::<String>);
    let expanding = RwSignal::new(None::<String>);
    let focus = RwSignal::new(Some(node.clone()));
    let hover = RwSignal::new(None::<String>);
    let open = RwSignal::new(expanded.iter().cloned().collect::<HashSet<String>>());
    let room = RwSignal::new(None::<(f64, f64)>);
    let budget = RwSignal::new(None::<(bool, Budget)>);
    let paths_mode = mode.get_untracked() == GraphMode::Paths;
    let blast = Signal::derive(move || mode.get() == GraphMode::Blast);

    // The start (its lineage, or the paths to it), then the nodes the
    // address says were expanded, one after the other.
    {
        let (node, from) = (node.clone(), from.clone());
        expanding.set(Some(node.clone()));
        spawn_local(async move {
            let first = if paths_mode {
                api::paths(&node, from.as_deref(), PATHS)
                    .send()
                    .await
                    .map(|answer| {
                        let graph = answer.graph.clone();
                        found.try_set(Some(answer));
                        (graph, 0)
                    })
            } else {
                api::lineage(&node, START_DEPTH)
                    .send()
                    .await
                    .map(|l| (l, START_DEPTH))
            };
            match first {
                Ok((lineage, depth)) => {
                    loaded.try_update(|g| g.merge(lineage, depth));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
            for id in expanded.into_iter().filter(|id| !is_fold(id)) {
                if let Ok(lineage) = api::lineage(&id, 1).send().await {
                    loaded.try_update(|g| g.merge(lineage, 1));
                }
            }
            expanding.try_set(None);
        });
    }
    let load = move |id: String| {
        expanding.set(Some(id.clone()));
        spawn_local(async move {
            let answer = api::lineage(&id, 1).send().await;
            // The explorer may be gone (another start node) by now.
            expanding.try_set(None);
            match answer {
                Ok(lineage) => {
                    loaded.try_update(|g| g.merge(lineage, 1));
                }
                Err(e) => {
                    error.try_set(Some(e.message));
                }
            }
        });
    };
    // The budget of the first drawing, chosen once the start is loaded and
    // the canvas measured (again when blast mode is switched), with nothing
    // open: an address with opened nodes then draws the same on reload.
    let start = node.clone();
    Effect::new(move |_| {
        let (Some(size), blast) = (room.get(), blast.get()) else {
            return;
        };
        if expanding.get().is_some() || budget.with(|b| b.is_some_and(|(was, _)| was == blast)) {
            return;
        }
        let chosen = loaded.with_untracked(|g| {
            g.node(&start)
                .map(|_| budget_for(g, &start, &HashSet::new(), blast, size))
        });
        if let Some(chosen) = chosen {
            budget.set(Some((blast, chosen)));
        }
    });
    let start = node.clone();
    let graph = Memo::new(move |_| {
        let Some((_, budget)) = budget.get() else {
            return Graph::default();
        };
        loaded.with(|g| open.with(|o| visible(g, &start, o, budget)))
    });
    // The address follows what is open.
    let navigate = use_navigate();
    let (start, paths_from) = (node.clone(), from.clone());
    Effect::new(move |previous: Option<()>| {
        let mut opened: Vec<String> = open.get().into_iter().collect();
        opened.sort();
        if previous.is_some() {
            let path = routes::graph_state(&start, mode.get_untracked(), paths_from.as_deref(), &opened);
            navigate(
                &path,
                NavigateOptions {
                    replace: true,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    });
    let select = Callback::new(move |id: String| {
        if is_fold(&id) {
            // The fold gives way to what it held; its parent keeps the focus
            // (and its place on the screen).
            focus.set(parent_of(&id).map(str::to_owned));
            open.update(|o| {
                o.insert(id);
            });
            return;
        }
        focus.set(Some(id.clone()));
        let (known, loaded_all, aggregate) = loaded.with_untracked(|g| {
            (
                g.node(&id).is_some(),
                g.expanded.contains(&id),
                g.node(&id).is_some_and(|n| n.more.is_some()),
            )
        });
        if !known || aggregate {
            return;
        }
        if !loaded_all {
            if expanding.get_untracked().is_some() {
                return;
            }
            load(id.clone());
        }
        open.update(|o| {
            o.insert(id);
        });
    });
    let blast_from = parse_node(&node)
        .filter(|(kind, _)| *kind == NodeKind::Credential)
        .map(|(_, id)| id);
    let root = node.clone();
    let highlight = Signal::derive(move || {
        if paths_mode {
            // What lies on the paths, and the folds of it.
            let folds: Vec<String> = graph.with(|g| {
                g.nodes
                    .iter()
                    .filter(|n| is_fold(&n.id))
                    .map(|n| n.id.clone())
                    .collect()
            });
            return found.with(|f| {
                f.as_ref()
                    .map(|f| f.graph.nodes.iter().map(|n| n.id.clone()).chain(folds).collect())
            });
        }
        (blast.get() && blast_from.is_some()).then(|| graph.with(|g| g.reached_from(&root)))
    });
    let weak = Signal::derive(move || {
        found.with(|f| {
            f.as_ref().map(|f| {
                f.paths
                    .iter()
                    .filter_map(|p| p.weakest.clone())
                    .collect::<HashSet<String>>()
            })
        })
    });
    let shown = Signal::derive(move || hover.get().or_else(|| focus.get()));
    let export_name = format!("muster-lineage-{}", node.replace(':', "-"));
    view! {
        <Legend />
        {move || error.get().map(|message| view! {
            <Alert message=format!("The graph could not be loaded: {message}") />
        })}
        <div class="graph-layout">
            <section class="card graph-card" data-testid="graph" aria-busy=move || expanding.get().is_some().to_string()>
                <LineageGraph graph=graph.into() focus=focus.into() hover highlight weak select room export_name />
                <p class="footnote" data-testid="graph-count">
                    {move || graph.with(|g| format!("{} nodes, {} edges drawn", g.nodes.len(), g.edges.len()))}
                    {move || loaded.with(|all| graph.with(|g| {
                        let folded = all.nodes.len().saturating_sub(g.nodes.iter().filter(|n| !is_fold(&n.id)).count());
                        (folded > 0).then(|| format!(" ({folded} more loaded, folded)"))
                    }))}
                    {move || expanding.get().map(|_| " · loading…")}
                </p>
            </section>
            <aside class="graph-side">
                <Details graph=graph.into() shown mode start=node.clone() />
                {paths_mode.then(|| view! { <PathsSummary found=found.into() /> })}
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
            <li class="subtle">"The pill is the risk score, on its band's colour; + marks a node with more to show; red outline: a path's weakest link."</li>
        </ul>
    }
}
