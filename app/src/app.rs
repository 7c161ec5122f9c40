//! The root component: the router inside the application shell. Screens some
//! roles may not open sit behind a [`Guard`].

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::guard::Guard;
use crate::components::shell::Shell;
use crate::pages::{
    admin::Admin,
    approvals::{ApprovalPolicy, Approvals},
    audit::Audit,
    entity::Entity,
    graph::GraphExplorer,
    imports::Imports,
    inventory::Inventory,
    not_found::NotFound,
    overview::Overview,
    revocations::{NewRevocation, RevocationPage, Revocations},
    teams::Teams,
};
use crate::routes::Screen;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Shell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Overview />
                    <Route path=path!("/inventory") view=Inventory />
                    <Route path=path!("/inventory/:list") view=Inventory />
                    <Route path=path!("/inventory/:list/:id") view=Entity />
                    <Route path=path!("/teams") view=|| view! { <Guard screen=Screen::Teams><Teams /></Guard> } />
                    <Route path=path!("/graph") view=GraphExplorer />
                    <Route path=path!("/revocations") view=Revocations />
                    <Route path=path!("/revocations/new") view=NewRevocation />
                    <Route path=path!("/revocations/:id") view=RevocationPage />
                    <Route path=path!("/approvals") view=|| view! { <Guard screen=Screen::Approvals><Approvals /></Guard> } />
                    <Route
                        path=path!("/approvals/policy")
                        view=|| view! { <Guard screen=Screen::Approvals><ApprovalPolicy /></Guard> }
                    />
                    <Route path=path!("/imports") view=|| view! { <Guard screen=Screen::Imports><Imports /></Guard> } />
                    <Route path=path!("/audit") view=|| view! { <Guard screen=Screen::Audit><Audit /></Guard> } />
                    <Route path=path!("/admin") view=|| view! { <Guard screen=Screen::Admin><Admin /></Guard> } />
                </Routes>
            </Shell>
        </Router>
    }
}
