//! The screen for a path the app does not know.

use leptos::prelude::*;
use leptos_router::components::A;

/// "No page at this address", with a way back.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page" data-testid="not-found">
            <header class="page-header">
                <h1>"No page at this address"</h1>
                <p class="page-question">"The link may be old, or mistyped."</p>
            </header>
            <p>
                <A href="/">"Go to the overview"</A>
            </p>
        </section>
    }
}
