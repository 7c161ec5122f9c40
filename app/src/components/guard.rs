//! Screens some roles may not open: the app shows why instead of a screen
//! whose every request the server would refuse.

use leptos::prelude::*;

use crate::auth::Auth;
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
            view! {
                <section class="page" data-testid="forbidden">
                    <header class="page-header">
                        <h1>{screen.title()}</h1>
                        <p class="page-question">
                            "This screen needs one of the roles: " {needed.join(", ")}
                            ". An admin can give you one."
                        </p>
                    </header>
                </section>
            }
            .into_any()
        }
    }
}
