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
//! The drawing is [`explorer`], the panels beside it [`side`], the page
//! without a start [`start`].

mod explorer;
mod side;
mod start;

use explorer::Explorer;
use start::Start;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use model::api::NodeKind;

use crate::components::page::ScreenPage;
use crate::routes::{GraphMode, Screen};

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
