//! The lineage graph explorer,
//! `/graph?node=<kind>:<id>[&mode=blast|paths][&from=<kind>:<id>][&expanded=...]`.
//! It starts from any entity and draws its own chain (owner and team,
//! agents, tools, credentials, what they reach, the copies of its secrets),
//! folding siblings into "N more" nodes so that the first drawing fits the
//! screen and can be read; a click on a node draws its neighbours, a click
//! on "N more" unfolds it. Beside the drawing, the details of the node under
//! the pointer (or in focus) with links to its page. In blast-radius mode,
//! started from a credential, what it reaches stands out, most sensitive
//! first, and a panel sums up its whole reach; in paths mode, every way to
//! reach the start is drawn with the weakest links marked. The address
//! keeps the state: reload it or share it and the same drawing comes back.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use model::api::{self as json, NodeKind};

use crate::api;
use crate::components::form::Alert;
use crate::components::graph::{Budget, Graph, LineageGraph, budget_for, is_fold, visible};
use crate::components::page::ScreenPage;
use crate::components::risk::RiskBadge;
use crate::routes::{self, GraphMode, Screen};

/// Hops drawn around the starting node: enough for the whole chain from a
/// team to the resources, which the server walks one way only and folds.
const START_DEPTH: u32 = 5;
/// Paths drawn in paths mode.
const PATHS: u32 = 50;

/// `/graph`.
#[component]
pub fn GraphExplorer() -> impl IntoView {
    let query = use_query_map();
    // A new start, a switch to or from paths mode, or another `from` draws
    // afresh; blast mode and the expanded nodes change within a drawing.
    let start = Memo::new(move |_| {
        query.with(|q| {
            let paths = GraphMode::from_query(q.get("mode").as_deref()) == GraphMode::Paths;
            q.get("node").map(|node| (node, paths, q.get("from")))
        })
    });
    let mode = Memo::new(move |_| query.with(|q| GraphMode::from_query(q.get("mode").as_deref())));
    view! {
        <ScreenPage screen=Screen::Graph>
            {move || match start.get() {
                Some((node, _, from)) => {
                    let expanded: Vec<String> = query.with_untracked(|q| {
                        q.get("expanded")
                            .map(|e| e.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect())
                            .unwrap_or_default()
                    });
                    view! { <Explorer node mode=mode.into() from expanded /> }.into_any()
                }
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
/// or `fold:resource:credential:4` → `credential:4`).
fn parent_of(aggregate: &str) -> Option<&str> {
    if let Some(rest) = aggregate.strip_prefix("fold:") {
        return rest.split_once(':').map(|(_, parent)| parent);
    }
    aggregate.split_once(":more:").map(|(_, parent)| parent)
}

/// The drawing around `node`, with the details panel.
#[component]
fn Explorer(
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

/// What the node under the pointer (else the node in focus) is, with links.
#[component]
fn Details(
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
fn PathsSummary(found: Signal<Option<json::Paths>>) -> impl IntoView {
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
        assert_eq!(parent_of("fold:agent:tool:7"), Some("tool:7"));
        assert_eq!(parent_of("credential:4"), None);
    }
}
