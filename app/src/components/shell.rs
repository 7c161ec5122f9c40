//! The application shell: top bar, left navigation and the content area, plus
//! the server's status (version and database) read from `/api/health`, and
//! who is signed in. Until somebody is, the content area is the sign-in form;
//! then the navigation lists the screens the person's roles may open.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::auth::Auth;
use crate::components::search::SearchBox;
use crate::pages::sign_in::SignIn;
use crate::routes::Screen;

/// Frames every screen.
#[component]
pub fn Shell(children: ChildrenFn) -> impl IntoView {
    let health = api::Fetched::new(api::health);
    let auth = Auth::provide();
    let content = move || match auth.session.get() {
        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
        Some(None) => view! { <SignIn /> }.into_any(),
        Some(Some(_)) => children().into_any(),
    };
    view! {
        <div class="shell">
            <header class="topbar">
                <a class="brand" href="/">
                    <img src="/logo.svg" alt="" width="26" height="26" />
                    <span class="brand-name">"Muster"</span>
                    <span class="brand-tagline">"agent identity governance"</span>
                </a>
                <div class="topbar-spacer">
                    <Show when=move || auth.session.get().flatten().is_some()>
                        <SearchBox />
                    </Show>
                </div>
                <ServerStatus health />
                <UserMenu />
            </header>
            <nav class="sidenav" aria-label="Main">
                <ul>
                    {move || {
                        // Only the screens the signed-in roles may open.
                        let roles = auth.session.get().flatten().map(|s| s.roles).unwrap_or_default();
                        Screen::ALL
                            .into_iter()
                            .filter(|screen| screen.open_to(&roles) && !roles.is_empty())
                            .map(|screen| {
                                view! {
                                    <li>
                                        <A href=screen.path() exact={screen == Screen::Overview}>
                                            <span class="nav-glyph" aria-hidden="true">
                                                {screen.glyph()}
                                            </span>
                                            <span>{screen.title()}</span>
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </nav>
            <main class="content">{content}</main>
        </div>
    }
}

/// The signed-in account, its roles, and signing out.
#[component]
fn UserMenu() -> impl IntoView {
    let auth = Auth::get();
    let sign_out = move |_| {
        // A session the identity provider opened ends there too (RP-initiated
        // logout): the provider sends the browser back to Muster's front page.
        let at_provider = auth
            .session
            .get_untracked()
            .flatten()
            .and_then(|s| s.sign_out_url);
        leptos::task::spawn_local(async move {
            // Even if the server cannot be told, forget the session here.
            let _ = api::sign_out().await;
            match at_provider {
                Some(url) => {
                    let _ = window().location().assign(&url);
                }
                None => auth.session.set(Some(None)),
            }
        });
    };
    move || {
        auth.session.get().flatten().map(|session| {
            let roles: Vec<&str> = session.roles.iter().map(|r| r.label()).collect();
            view! {
                <div class="user-menu">
                    <span class="user-email" data-testid="user">{session.email}</span>
                    <span class="user-roles" data-testid="roles">{roles.join(", ")}</span>
                    <button type="button" class="ghost" data-testid="sign-out" on:click=sign_out>
                        "Sign out"
                    </button>
                </div>
            }
        })
    }
}

/// "Server 0.1.0 · sqlite" when healthy; the reason when not.
#[component]
fn ServerStatus(health: api::Fetched<model::api::Health>) -> impl IntoView {
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
