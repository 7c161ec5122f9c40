//! A screen's frame: its heading and the question it answers, then its content.

use leptos::prelude::*;

use crate::routes::Screen;

/// The heading, the question under it, and `children`.
#[component]
pub fn Page(
    /// The heading.
    #[prop(into)]
    title: String,
    /// The question the screen answers (or why it cannot).
    #[prop(into)]
    question: String,
    /// The section's test handle.
    #[prop(default = "page")]
    testid: &'static str,
    /// The content.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <section class="page" data-testid=testid>
            <header class="page-header">
                <h1>{title}</h1>
                <p class="page-question">{question}</p>
            </header>
            {children.map(|children| children())}
        </section>
    }
}

/// [`Page`] for a screen of the navigation.
#[component]
pub fn ScreenPage(screen: Screen, children: Children) -> impl IntoView {
    view! {
        <Page title=screen.title() question=screen.question()>
            {children()}
        </Page>
    }
}
