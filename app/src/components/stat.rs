//! One headline figure: what it counts, the figure, and a line on it (the
//! Overview's cards, each a link to the list behind it, and the figures of
//! My teams).

use leptos::prelude::*;

/// One figure on a card: a link to the list behind it when given `href`,
/// else a plain block; `testid` names the card for the browser tests.
#[component]
pub fn Stat(
    label: &'static str,
    value: String,
    detail: String,
    /// The list behind the figure: the whole card links there.
    #[prop(optional)]
    href: Option<String>,
    /// The card's `data-testid`, if it has one.
    #[prop(optional)]
    testid: Option<&'static str>,
) -> impl IntoView {
    let parts = view! {
        <span class="stat-label">{label}</span>
        <span class="stat-value num">{value}</span>
        <span class="stat-detail">{detail}</span>
    };
    match href {
        Some(href) => view! { <a class="card stat" href=href data-testid=testid>{parts}</a> }.into_any(),
        None => view! { <div class="card stat" data-testid=testid>{parts}</div> }.into_any(),
    }
}
