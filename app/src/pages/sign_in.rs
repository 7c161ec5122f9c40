//! The sign-in screen, shown in place of any screen while nobody is signed
//! in: "Sign in with <provider>" first when the server has an identity
//! provider, then the email-and-password form (for everyone, for admins
//! only as break-glass, or not at all), and why the last attempt failed.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api::{PasswordSignIn, SignInOptions};

use crate::api;
use crate::auth::Auth;
use crate::components::form::{Alert, TextField};

/// What the server said when the identity provider's sign-in did not let
/// the person in (`/?sign_in_error=<code>`), in words for that person.
fn provider_refusal(code: &str, provider: &str) -> String {
    match code {
        "no_role" => format!(
            "None of your groups at {provider} gives a role in Muster, so you were not signed in. \
             Ask an admin to add you to a group that Muster maps to a role."
        ),
        "groups_unknown" => format!(
            "{provider} did not list your groups: you are in more groups than it puts in a sign-in \
             (Microsoft Entra's group overage). Muster cannot tell your roles, so it did not sign you in. \
             Ask an admin to map app roles instead of groups, or to send only the groups assigned to Muster."
        ),
        "state" => "That sign-in was used already, took more than ten minutes, or was started in another \
                    browser. Start again."
            .to_owned(),
        "provider" => format!("{provider} did not sign you in."),
        "token" => format!(
            "{provider}'s answer failed Muster's checks, so you were not signed in. \
             An admin can find why in the server's log."
        ),
        "unreachable" => format!("{provider} cannot be reached right now. Try again in a minute."),
        "no_email" => {
            format!("{provider} sent no email address for you, and Muster needs one to make your account.")
        }
        "local_account" => "A Muster account with your email exists already, and Muster links it to your \
                            identity provider account only when the provider vouches for the address (and never \
                            an admin's). Ask an admin."
            .to_owned(),
        "departed" => "Muster has you as having left the organisation, so you were not signed in.".to_owned(),
        "retry" => "Signing in did not finish. Start again.".to_owned(),
        "email_taken" => {
            "Another person at the identity provider already has the Muster account with your email. \
                          Ask an admin."
                .to_owned()
        }
        "disabled" => "Your Muster account is barred. Ask an admin.".to_owned(),
        _ => "Signing in did not succeed. Start again.".to_owned(),
    }
}

/// The `sign_in_error` code in the address, if any.
fn refusal_code() -> Option<String> {
    let search = window().location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get("sign_in_error")
}

/// Where the person was going: the address without `sign_in_error`.
fn return_to() -> String {
    let location = window().location();
    let path = location.pathname().unwrap_or_else(|_| "/".to_owned());
    let search = location.search().unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return path;
    };
    params.delete("sign_in_error");
    let rest: String = params.to_string().into();
    if rest.is_empty() {
        path
    } else {
        format!("{path}?{rest}")
    }
}

/// The sign-in screen: the provider's button, the password form, the demo's notice.
#[component]
pub fn SignIn() -> impl IntoView {
    let options = api::Fetched::new(api::sign_in_options);
    move || {
        match options.get() {
        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
        // Without the options, the password form is still the way in.
        Some(Err(_)) => view! {
            <SignInCard options=SignInOptions { provider: None, passwords: PasswordSignIn::All, demo: false } />
        }
        .into_any(),
        Some(Ok(options)) => view! { <SignInCard options /> }.into_any(),
    }
    }
}

#[component]
fn SignInCard(options: SignInOptions) -> impl IntoView {
    let provider = options.provider.clone();
    let refusal = refusal_code()
        .map(|code| provider_refusal(&code, provider.as_deref().unwrap_or("The identity provider")));
    let passwords = options.passwords;
    let with_provider = provider.is_some();
    view! {
        <section class="sign-in" data-testid="sign-in">
            <div class="card sign-in-card">
                <h1>"Sign in to Muster"</h1>
                <Show when=move || options.demo>
                    <p class="notice" data-testid="demo-notice">
                        "This is a demo on invented data. Sign in as admin@demo.test, ciso@demo.test, "
                        "manager@demo.test, approver@demo.test or viewer@demo.test with the password "
                        "printed when the server started."
                    </p>
                </Show>
                {refusal.map(|message| view! { <p class="form-error" role="alert" data-testid="sign-in-refusal">{message}</p> })}
                {provider.map(|name| {
                    let href = api::oidc_start_url(&return_to());
                    view! {
                        <a class="button primary provider" href=href rel="external" data-testid="sign-in-provider">
                            {format!("Sign in with {name}")}
                        </a>
                    }
                })}
                {match passwords {
                    PasswordSignIn::Off => None,
                    PasswordSignIn::Admins if with_provider => Some(view! {
                        <details class="break-glass">
                            <summary>"Admins: sign in with a password"</summary>
                            <PasswordForm />
                        </details>
                    }.into_any()),
                    _ => Some(view! {
                        {with_provider.then(|| view! { <p class="or">"or with your email and password"</p> })}
                        <PasswordForm />
                    }.into_any()),
                }}
            </div>
        </section>
    }
}

/// Email and password.
#[component]
fn PasswordForm() -> impl IntoView {
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
        <form class="sign-in-form" on:submit=submit>
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
    }
}
