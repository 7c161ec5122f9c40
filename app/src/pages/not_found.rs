//! The screen for a path the app does not know.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page::Page;

/// "No page at this address", with a way back.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <Page title="No page at this address" question="The link may be old, or mistyped." testid="not-found">
            <p>
                <A href="/">"Go to the overview"</A>
            </p>
        </Page>
    }
}
