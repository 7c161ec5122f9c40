//! The tokens admins issue to machines, on the Admin screen: enrolment
//! tokens for endpoint collectors and SCIM tokens for the identity
//! provider. One section for both: the list with each token's state and
//! last use, a form that issues one (its secret shown once), and a button
//! that revokes one at once.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api as json;

use crate::api::{self, Issued};
use crate::components::form::{Outcome, TextField};
use crate::components::tokens::{ShownOnce, token_state};
use crate::format;

/// What a section says of each kind of token.
trait Wording {
    /// The names the page gives the section, a row, the secret, and the
    /// form's two fields (the tests find them by these).
    fn names(self) -> [&'static str; 5];
    /// The list when it is empty.
    fn none_yet(self) -> &'static str;
    /// The form's button.
    fn create(self) -> &'static str;
    /// The section's title.
    fn title(self) -> &'static str;
    /// The token, in a sentence.
    fn noun(self) -> &'static str;
    /// An example of what one is for.
    fn what_for(self) -> &'static str;
    /// Days a new one lasts unless the admin says otherwise.
    fn days(self) -> &'static str;
    /// What to do with the secret.
    fn advice(self) -> &'static str;
    /// What the tokens open.
    fn explanation(self) -> AnyView;
}

impl Wording for Issued {
    fn names(self) -> [&'static str; 5] {
        match self {
            Self::Enrolment => [
                "enrolment-tokens",
                "enrolment-token",
                "enrolment-secret",
                "enrolment-name",
                "enrolment-days",
            ],
            Self::Scim => [
                "scim-tokens",
                "scim-token",
                "scim-secret",
                "scim-name",
                "scim-days",
            ],
        }
    }

    fn none_yet(self) -> &'static str {
        match self {
            Self::Enrolment => "No enrolment token yet.",
            Self::Scim => "No SCIM token yet.",
        }
    }

    fn create(self) -> &'static str {
        match self {
            Self::Enrolment => "Create an enrolment token",
            Self::Scim => "Create a SCIM token",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Enrolment => "Endpoint enrolment",
            Self::Scim => "Identity provider (SCIM)",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Enrolment => "Enrolment token",
            Self::Scim => "SCIM token",
        }
    }

    fn what_for(self) -> &'static str {
        match self {
            Self::Enrolment => "engineering laptops",
            Self::Scim => "Okta provisioning",
        }
    }

    fn days(self) -> &'static str {
        match self {
            Self::Enrolment => "90",
            Self::Scim => "365",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Self::Enrolment => {
                "Put this in the collectors' MUSTER_ENROLMENT_TOKEN now: it is shown only once."
            }
            Self::Scim => {
                "Put this in the identity provider's SCIM settings (Bearer token) now: it is shown only once."
            }
        }
    }

    fn explanation(self) -> AnyView {
        match self {
            Self::Enrolment => view! {
                "Laptops and build hosts run " <code>"muster scan --server URL"</code>
                " with one of these: it can only have secrets fingerprinted blind and submit scan reports."
            }
            .into_any(),
            Self::Scim => view! {
                "Okta or Entra pushes people to " <code>"/scim/v2"</code>
                " with one of these: a person switched off there departs here, and what they own is orphaned at once."
            }
            .into_any(),
        }
    }
}

/// The tokens of one kind: the list, a form that issues one, the secret once.
#[component]
pub fn IssuedTokens(kind: Issued) -> impl IntoView {
    let tokens = api::Fetched::new(move || api::issued_tokens(kind));
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(kind.days().to_owned());
    let secret = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let create = move |event: SubmitEvent| {
        event.prevent_default();
        let Ok(expires_in_days) = days.get_untracked().trim().parse::<u32>() else {
            outcome.set(Some(Err("Days must be a whole number, 1 to 365.".into())));
            return;
        };
        let token = json::NewIssuedToken {
            name: name.get_untracked(),
            expires_in_days,
        };
        spawn_local(async move {
            match api::issue_token(kind, &token).await {
                Ok(created) => {
                    secret.set(Some(created.secret));
                    outcome.set(Some(Ok(format!(
                        "{} \u{201c}{}\u{201d} created.",
                        kind.noun(),
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
            match api::revoke_issued_token(kind, id).await {
                Ok(token) => {
                    outcome.set(Some(Ok(format!(
                        "{} \u{201c}{}\u{201d} revoked.",
                        kind.noun(),
                        token.name
                    ))));
                    tokens.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let reports = kind == Issued::Enrolment;
    let [section, row, shown, name_field, days_field] = kind.names();
    view! {
        <section class="card section" data-testid=section>
            <h2>{kind.title()}</h2>
            <p class="subtle">{kind.explanation()}</p>
            {move || tokens.get().map(|answer| match answer {
                Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p>{kind.none_yet()}</p> }.into_any(),
                Ok(list) => view! {
                    <table class="data compact">
                        <thead>
                            <tr>
                                <th>"Token"</th><th>"Created"</th><th>"State"</th>
                                {reports.then(|| view! { <th class="num">"Reports"</th> })}
                                <th>"Last used"</th><th></th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.into_iter().map(|t| {
                                let state = token_state(t.revoked_at.as_deref(), &t.expires_at);
                                let active = t.revoked_at.is_none();
                                view! {
                                    <tr data-testid=row class:barred=!active>
                                        <td>{t.name.clone()}</td>
                                        <td class="subtle">{format!("by {}, {}", t.created_by, format::minute(&t.created_at))}</td>
                                        <td>{state}</td>
                                        {reports.then(|| view! { <td class="num">{t.reports.unwrap_or(0)}</td> })}
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
                <ShownOnce testid=shown advice=kind.advice() secret />
            })}
            <form class="inline-form" on:submit=create>
                <TextField label="What it is for" name=name_field value=name required=true placeholder=kind.what_for() />
                <TextField label="Days" name=days_field value=days required=true />
                <button type="submit" class="primary">{kind.create()}</button>
            </form>
            <Outcome outcome />
        </section>
    }
}
