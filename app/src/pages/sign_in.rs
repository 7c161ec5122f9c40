//! The sign-in screen, shown in place of any screen while nobody is signed in.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::auth::Auth;
use crate::components::form::{Alert, TextField};

/// Email and password; says so when the server runs on demo data.
#[component]
pub fn SignIn(demo: Signal<bool>) -> impl IntoView {
    let auth = Auth::get();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::sign_in(email.get_untracked(), password.get_untracked()).await {
                Ok(session) => auth.session.set(Some(Some(session))),
                Err(failure) => {
                    error.set(Some(match failure.code.as_str() {
                        "unauthorized" => "Wrong email or password.".to_owned(),
                        _ => failure.message,
                    }));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <section class="sign-in" data-testid="sign-in">
            <form class="card sign-in-card" on:submit=submit>
                <h1>"Sign in to Muster"</h1>
                <Show when=move || demo.get()>
                    <p class="notice" data-testid="demo-notice">
                        "This is a demo on invented data. Sign in as admin@demo.test, ciso@demo.test, "
                        "manager@demo.test, approver@demo.test or viewer@demo.test with the password "
                        "printed when the server started."
                    </p>
                </Show>
                <TextField label="Email" name="email" kind="email" autocomplete="username" value=email required=true />
                <TextField
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="current-password"
                    value=password
                    required=true
                />
                {move || error.get().map(|message| view! { <Alert message /> })}
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </section>
    }
}
