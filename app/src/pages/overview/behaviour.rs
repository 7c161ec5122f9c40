//! Unusual behaviour: the behaviour findings of the last 30 days, counted
//! by kind, then the newest, each a link to its credential.

use leptos::prelude::*;
use model::api as json;

use crate::{format, routes};

/// Behaviour findings of the last 30 days, by kind, then the newest, each
/// linking to its credential (shown only when activity has been imported).
#[component]
pub(super) fn UnusualBehaviour(recent: json::RecentFindings) -> impl IntoView {
    if recent.by_kind.is_empty() {
        return ().into_any();
    }
    let total: i64 = recent.by_kind.iter().map(|c| c.count).sum();
    let counts = recent
        .by_kind
        .iter()
        .map(
            |c| view! { <li><strong class="num">{c.count}</strong> " " {c.kind.label().to_lowercase()}</li> },
        )
        .collect_view();
    let rows = recent
        .findings
        .iter()
        .take(10)
        .map(|f| {
            view! {
                <tr>
                    <td class="nowrap">{format::at(f.occurred_at)}</td>
                    <td>
                        <a href=routes::entity_path("credentials", f.credential.id)>{f.credential.name.clone()}</a>
                    </td>
                    <td><strong>{f.kind.label()}</strong></td>
                    <td>{f.evidence.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card section" id="behaviour" data-testid="unusual-behaviour">
            <h2>
                "Unusual behaviour in the last 30 days: " <span class="num">{total}</span> " findings"
            </h2>
            <ul class="inline-counts">{counts}</ul>
            <table class="data compact">
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}
