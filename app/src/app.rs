//! The root component: the router inside the application shell. Screens some
//! roles may not open sit behind a [`Guard`].
//!
//! Every screen but the Overview is a lazy route: its code is a separate
//! WebAssembly chunk, fetched on the screen's first visit (the build splits
//! the module at these points, see `app/split-wasm.sh`). The Overview, where
//! every visit lands, is part of the main module, so that a first visit is
//! three files rather than a hundred small chunks.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, lazy_route, path};

use crate::components::guard::Guard;
use crate::components::shell::Shell;
use crate::pages::{
    admin::Admin,
    approvals::{ApprovalPolicy, Approvals},
    audit::Audit,
    entity::{
        AgentPage, CopyPage, CredentialPage, PersonPage, ResourcePage, TeamPage, ToolPage, entity_page,
    },
    graph::GraphExplorer,
    imports::Imports,
    inventory::Inventory,
    not_found::NotFound,
    notifications::Notifications,
    overview::Overview,
    reviews::{CampaignPage, Reviews},
    revocations::{NewRevocation, RevocationPage, Revocations},
    teams::Teams,
};
use crate::routes::Screen;

/// Declares a screen as a lazy route: a unit type whose view (and all the
/// code only it reaches) loads on first visit. Screens read their own data,
/// so there is no route data to load alongside.
macro_rules! lazy_screen {
    ($(#[$doc:meta])* $route:ident => $view:expr) => {
        $(#[$doc])*
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $view.into_any()
            }
        }
    };
}

lazy_screen!(
    /// The inventory's tabs.
    InventoryScreen => view! { <Inventory /> }
);
lazy_screen!(
    /// A credential's page.
    CredentialScreen => entity_page(|id| view! { <CredentialPage id /> }.into_any())
);
lazy_screen!(
    /// An agent's page.
    AgentScreen => entity_page(|id| view! { <AgentPage id /> }.into_any())
);
lazy_screen!(
    /// A person's page.
    PersonScreen => entity_page(|id| view! { <PersonPage id /> }.into_any())
);
lazy_screen!(
    /// A team's page.
    TeamScreen => entity_page(|id| view! { <TeamPage id /> }.into_any())
);
lazy_screen!(
    /// A resource's page.
    ResourceScreen => entity_page(|id| view! { <ResourcePage id /> }.into_any())
);
lazy_screen!(
    /// A tool's page.
    ToolScreen => entity_page(|id| view! { <ToolPage id /> }.into_any())
);
lazy_screen!(
    /// A stored copy's page.
    CopyScreen => entity_page(|id| view! { <CopyPage id /> }.into_any())
);
lazy_screen!(
    /// A manager's teams.
    TeamsScreen => view! { <Guard screen=Screen::Teams><Teams /></Guard> }
);
lazy_screen!(
    /// The lineage graph explorer.
    GraphScreen => view! { <GraphExplorer /> }
);
lazy_screen!(
    /// The revocations list.
    RevocationsScreen => view! { <Revocations /> }
);
lazy_screen!(
    /// A revocation's plan.
    NewRevocationScreen => view! { <NewRevocation /> }
);
lazy_screen!(
    /// One revocation.
    RevocationScreen => view! { <RevocationPage /> }
);
lazy_screen!(
    /// The approvals inbox.
    ApprovalsScreen => view! { <Guard screen=Screen::Approvals><Approvals /></Guard> }
);
lazy_screen!(
    /// The approval policy.
    ApprovalPolicyScreen => view! { <Guard screen=Screen::Approvals><ApprovalPolicy /></Guard> }
);
lazy_screen!(
    /// The access reviews. Open to everyone: reviewers see their items,
    /// and the CISOs' and admins' forms hide themselves from others.
    ReviewsScreen => view! { <Reviews /> }
);
lazy_screen!(
    /// One access review: its progress and its items.
    ReviewScreen => view! { <CampaignPage /> }
);
lazy_screen!(
    /// What each person hears of; for admins, the channels and the outbox.
    /// Open to everyone: the admins' sections hide themselves.
    NotificationsScreen => view! { <Notifications /> }
);
lazy_screen!(
    /// Imports.
    ImportsScreen => view! { <Guard screen=Screen::Imports><Imports /></Guard> }
);
lazy_screen!(
    /// The audit log.
    AuditScreen => view! { <Guard screen=Screen::Audit><Audit /></Guard> }
);
lazy_screen!(
    /// Accounts and roles.
    AdminScreen => view! { <Guard screen=Screen::Admin><Admin /></Guard> }
);

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Shell>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Overview />
                    <Route path=path!("/inventory") view={Lazy::<InventoryScreen>::new()} />
                    <Route path=path!("/inventory/:list") view={Lazy::<InventoryScreen>::new()} />
                    <Route path=path!("/inventory/credentials/:id") view={Lazy::<CredentialScreen>::new()} />
                    <Route path=path!("/inventory/agents/:id") view={Lazy::<AgentScreen>::new()} />
                    <Route path=path!("/inventory/people/:id") view={Lazy::<PersonScreen>::new()} />
                    <Route path=path!("/inventory/teams/:id") view={Lazy::<TeamScreen>::new()} />
                    <Route path=path!("/inventory/resources/:id") view={Lazy::<ResourceScreen>::new()} />
                    <Route path=path!("/inventory/tools/:id") view={Lazy::<ToolScreen>::new()} />
                    <Route path=path!("/inventory/copies/:id") view={Lazy::<CopyScreen>::new()} />
                    <Route path=path!("/teams") view={Lazy::<TeamsScreen>::new()} />
                    <Route path=path!("/graph") view={Lazy::<GraphScreen>::new()} />
                    <Route path=path!("/revocations") view={Lazy::<RevocationsScreen>::new()} />
                    <Route path=path!("/revocations/new") view={Lazy::<NewRevocationScreen>::new()} />
                    <Route path=path!("/revocations/:id") view={Lazy::<RevocationScreen>::new()} />
                    <Route path=path!("/approvals") view={Lazy::<ApprovalsScreen>::new()} />
                    <Route path=path!("/approvals/policy") view={Lazy::<ApprovalPolicyScreen>::new()} />
                    <Route path=path!("/reviews") view={Lazy::<ReviewsScreen>::new()} />
                    <Route path=path!("/reviews/:id") view={Lazy::<ReviewScreen>::new()} />
                    <Route path=path!("/notifications") view={Lazy::<NotificationsScreen>::new()} />
                    <Route path=path!("/imports") view={Lazy::<ImportsScreen>::new()} />
                    <Route path=path!("/audit") view={Lazy::<AuditScreen>::new()} />
                    <Route path=path!("/admin") view={Lazy::<AdminScreen>::new()} />
                </Routes>
            </Shell>
        </Router>
    }
}
