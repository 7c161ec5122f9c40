//! The frame of a screen whose content has not been built yet: its heading,
//! the question it will answer, and an honest empty state.

use leptos::prelude::*;

use crate::routes::Screen;

/// A screen's heading and empty state.
#[component]
pub fn Placeholder(screen: Screen) -> impl IntoView {
    view! {
        <section class="page" data-testid="page">
            <header class="page-header">
                <h1>{screen.title()}</h1>
                <p class="page-question">{screen.question()}</p>
            </header>
            <div class="empty-state">
                <p class="empty-title">"Nothing to show yet"</p>
                <p>"Muster has no inventory yet. Once agents, credentials and their copies are loaded, this screen answers the question above."</p>
            </div>
        </section>
    }
}
