//! The frame of a screen whose content has not been built yet: its heading,
//! the question it will answer, and an honest note saying so.

use leptos::prelude::*;

use crate::components::page::ScreenPage;
use crate::routes::Screen;

/// A screen's heading and empty state.
#[component]
pub fn Placeholder(screen: Screen) -> impl IntoView {
    view! {
        <ScreenPage screen>
            <div class="empty-state">
                <p class="empty-title">"This screen is not built yet"</p>
                <p>
                    "The inventory behind it is already served by the JSON API, described at "
                    <a href="/api/v1/openapi.json">"/api/v1/openapi.json"</a> "."
                </p>
            </div>
        </ScreenPage>
    }
}
