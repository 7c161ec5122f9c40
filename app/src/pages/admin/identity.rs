//! Admin › Identity provider: the SCIM tokens the provider (Okta, Entra)
//! pushes people with — the secret shown once, revoked at once. A SCIM token
//! opens `/scim/v2` and nothing else. See docs/identity.md.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api as json;

use crate::components::form::{Outcome, TextField};
use crate::components::tokens::{ShownOnce, token_state};
use crate::{api, format};

/// SCIM tokens: the list, a form that creates one, the secret once.
#[component]
pub fn ScimTokens() -> impl IntoView {
    let tokens = api::Fetched::new(api::scim_tokens);
    let name = RwSignal::new(String::new());
    let days = RwSignal::new("365".to_owned());
    let secret = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let create = move |event: SubmitEvent| {
        event.prevent_default();
        let Ok(expires_in_days) = days.get_untracked().trim().parse::<u32>() else {
            outcome.set(Some(Err("Days must be a whole number, 1 to 365.".into())));
            return;
        };
        let token = json::NewScimToken {
            name: name.get_untracked(),
            expires_in_days,
        };
        spawn_local(async move {
            match api::create_scim_token(&token).await {
                Ok(created) => {
                    secret.set(Some(created.secret));
                    outcome.set(Some(Ok(format!(
                        "SCIM token \u{201c}{}\u{201d} created.",
                        created.token.name
                    ))));
                    name.set(String::new());
                    tokens.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let revoke = move |id: i64| {
        spawn_local(async move {
            match api::revoke_scim_token(id).await {
                Ok(token) => {
                    outcome.set(Some(Ok(format!(
                        "SCIM token \u{201c}{}\u{201d} revoked.",
                        token.name
                    ))));
                    tokens.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <section class="card section" data-testid="scim-tokens">
            <h2>"Identity provider (SCIM)"</h2>
            <p class="subtle">
                "Okta or Entra pushes people to " <code>"/scim/v2"</code>
                " with one of these: a person switched off there departs here, and what they own is orphaned at once."
            </p>
            {move || tokens.get().map(|answer| match answer {
                Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p>"No SCIM token yet."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="data compact">
                        <thead>
                            <tr><th>"Token"</th><th>"Created"</th><th>"State"</th><th>"Last used"</th><th></th></tr>
                        </thead>
                        <tbody>
                            {list.into_iter().map(|t| {
                                let state = token_state(t.revoked_at.as_deref(), &t.expires_at);
                                let active = t.revoked_at.is_none();
                                view! {
                                    <tr data-testid="scim-token" class:barred=!active>
                                        <td>{t.name.clone()}</td>
                                        <td class="subtle">{format!("by {}, {}", t.created_by, format::minute(&t.created_at))}</td>
                                        <td>{state}</td>
                                        <td class="subtle">{t.last_used_at.as_deref().map_or("never".to_owned(), format::minute)}</td>
                                        <td>{active.then(|| view! {
                                            <button type="button" class="secondary small" on:click=move |_| revoke(t.id)>"Revoke"</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
            {move || secret.get().map(|secret| view! {
                <ShownOnce
                    testid="scim-secret"
                    advice="Put this in the identity provider's SCIM settings (Bearer token) now: it is shown only once."
                    secret
                />
            })}
            <form class="inline-form" on:submit=create>
                <TextField label="What it is for" name="scim-name" value=name required=true placeholder="Okta provisioning" />
                <TextField label="Days" name="scim-days" value=days required=true />
                <button type="submit" class="primary">"Create a SCIM token"</button>
            </form>
            <Outcome outcome />
        </section>
    }
}
