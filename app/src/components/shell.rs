//! The application shell: top bar, left navigation and the content area, plus
//! the server's status (version and database) read from `/api/health`.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::routes::Screen;

/// Frames every screen.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let health = LocalResource::new(api::health);
    view! {
        <div class="shell">
            <header class="topbar">
                <a class="brand" href="/">
                    <img src="/logo.svg" alt="" width="26" height="26" />
                    <span class="brand-name">"Muster"</span>
                    <span class="brand-tagline">"agent identity governance"</span>
                </a>
                <div class="topbar-spacer"></div>
                <ServerStatus health />
            </header>
            <nav class="sidenav" aria-label="Main">
                <ul>
                    {Screen::ALL
                        .map(|screen| {
                            view! {
                                <li>
                                    <A href=screen.path() exact=true>
                                        <span class="nav-glyph" aria-hidden="true">
                                            {screen.glyph()}
                                        </span>
                                        <span>{screen.title()}</span>
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
            <main class="content">{children()}</main>
        </div>
    }
}

/// "Server 0.1.0 · sqlite" when healthy; the reason when not.
#[component]
fn ServerStatus(health: LocalResource<Result<model::api::Health, api::ApiError>>) -> impl IntoView {
    move || {
        match health.get() {
        None => view! { <span class="server-status pending">"Connecting…"</span> }.into_any(),
        Some(Ok(health)) => view! {
            <span class="server-status ok" data-testid="server-status" title="The server and its database answer">
                <span class="status-dot" aria-hidden="true"></span>
                <span>
                    "Server " <span data-testid="server-version">{health.version}</span> " · "
                    {health.database}
                </span>
            </span>
        }
        .into_any(),
        Some(Err(error)) => view! {
            <span class="server-status error" role="alert">
                <span class="status-dot" aria-hidden="true"></span>
                <span>"Server unavailable: " {error.message}</span>
            </span>
        }
        .into_any(),
    }
    }
}
