//! My teams: a manager's view of ownership. The coverage of their team (and
//! its sub-teams) with its trend, the sub-teams' figures ([`figures`]), the
//! claim inbox of unowned and orphaned agents and credentials counted against
//! them ([`inbox`]), each with hints of the likely owner ([`gaps`]), and a
//! transfer of everything a person owns ([`leavers`]).
//! `?team=` looks at another team (a sub-team's link, or for admins and
//! CISOs, who may have no team); without it, the signed-in person's team, or
//! the whole organisation.

mod figures;
mod gaps;
mod inbox;
mod leavers;

use figures::Figures;
use inbox::Inbox;
use leavers::Leavers;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::auth::Auth;
use crate::components::form::Alert;
use crate::components::page::ScreenPage;
use crate::routes::Screen;
use crate::{api, format};

/// The team looked at, and a counter bumped after each change so that every
/// figure reloads.
#[derive(Debug, Clone, Copy)]
struct View {
    team: Memo<Option<i64>>,
    version: RwSignal<u32>,
}

/// Coverage, trend, sub-teams, inbox and transfer.
#[component]
pub fn Teams() -> impl IntoView {
    crate::components::chart::preload();
    let auth = Auth::get();
    let query = use_query_map();
    let team = Memo::new(move |_| {
        query
            .with(|q| q.get("team"))
            .and_then(|t| t.parse::<i64>().ok())
            .or_else(|| auth.session.get().flatten().and_then(|s| s.team.map(|t| t.id)))
    });
    let view = View {
        team,
        version: RwSignal::new(0),
    };
    let coverage = api::Fetched::new(move || {
        let team = team.get();
        view.version.track();
        api::coverage(team)
    });
    let no_team =
        move || auth.session.get().flatten().is_some_and(|s| s.team.is_none()) && team.get().is_none();
    view! {
        <ScreenPage screen=Screen::Teams>
            <Show when=no_team>
                <p class="notice">
                    "Your account matches no person with a team in the inventory, so this shows the whole organisation."
                </p>
            </Show>
            <Transition fallback=|| view! { <p class="loading">"Counting owners…"</p> }>
                {move || match coverage.get() {
                    Some(Ok(coverage)) => view! { <Figures coverage /> }.into_any(),
                    Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                    None => view! { <p class="loading">"Counting owners…"</p> }.into_any(),
                }}
            </Transition>
            <Inbox view />
            <Leavers view />
        </ScreenPage>
    }
}

/// "3 Dec 2026", and whether that is past.
fn due_text(due: DateTime<Utc>) -> (String, bool) {
    (format::day(due.date_naive()), due < Utc::now())
}
