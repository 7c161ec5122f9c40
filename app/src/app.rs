//! The root component: the router inside the application shell.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::shell::Shell;
use crate::pages::{not_found::NotFound, placeholder::Placeholder};
use crate::routes::Screen;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Shell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=|| view! { <Placeholder screen=Screen::Overview /> } />
                    <Route path=path!("/inventory") view=|| view! { <Placeholder screen=Screen::Inventory /> } />
                    <Route path=path!("/graph") view=|| view! { <Placeholder screen=Screen::Graph /> } />
                    <Route path=path!("/approvals") view=|| view! { <Placeholder screen=Screen::Approvals /> } />
                    <Route path=path!("/audit") view=|| view! { <Placeholder screen=Screen::Audit /> } />
                </Routes>
            </Shell>
        </Router>
    }
}
