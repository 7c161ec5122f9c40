//! Screens some roles may not open: the app shows why instead of a screen
//! whose every request the server would refuse.

use leptos::prelude::*;

use crate::auth::Auth;
use crate::components::page::Page;
use crate::routes::Screen;

/// Shows `children` to a person whose roles open `screen`, and a refusal that
/// names the roles needed to anyone else.
#[component]
pub fn Guard(screen: Screen, children: ChildrenFn) -> impl IntoView {
    let auth = Auth::get();
    move || {
        let roles = auth.session.get().flatten().map(|s| s.roles).unwrap_or_default();
        if screen.open_to(&roles) {
            children().into_any()
        } else {
            let needed: Vec<&str> = screen
                .roles()
                .unwrap_or_default()
                .iter()
                .map(|r| r.label())
                .collect();
            let question = format!(
                "This screen needs one of the roles: {}. An admin can give you one.",
                needed.join(", ")
            );
            view! { <Page title=screen.title() question testid="forbidden" /> }.into_any()
        }
    }
}
