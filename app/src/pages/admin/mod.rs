//! The Admin screen: every account with its roles and state, an editor per
//! account (roles, barred, new password), and a form to create one; then
//! the tokens issued to machines (the identity provider's SCIM tokens,
//! endpoint enrolment tokens) and the sanctioned list ([`sanctions`]).

mod ai_apps;
mod sanctions;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api::{self as json, Role};

use crate::api::Issued;
use crate::components::form::{Alert, CheckField, RolePicker, TextField};
use crate::components::issued_tokens::IssuedTokens;
use crate::components::page::ScreenPage;
use crate::routes::{self, Screen};
use crate::{api, format};

/// Accounts at a glance, then the list, then a new account.
#[component]
pub fn Admin() -> impl IntoView {
    let accounts = api::Fetched::new(api::accounts);
    let editing = RwSignal::new(None::<i64>);
    let refresh = Callback::new(move |()| accounts.refetch());
    view! {
        <ScreenPage screen=Screen::Admin>
            <Suspense fallback=|| view! { <p class="loading">"Loading accounts…"</p> }>
                {move || {
                    accounts
                        .get()
                        .map(|result| match result {
                            Ok(list) => view! { <AccountList list editing refresh /> }.into_any(),
                            Err(error) => {
                                view! { <Alert message=error.message /> }.into_any()
                            }
                        })
                }}
            </Suspense>
            <NewAccountForm refresh />
            <IssuedTokens kind=Issued::Scim />
            <IssuedTokens kind=Issued::Enrolment />
            <sanctions::SanctionedList />
            <ai_apps::AiApps />
        </ScreenPage>
    }
}

/// The summary line and the table, with the open editor under its row.
#[component]
fn AccountList(
    list: Vec<json::Account>,
    editing: RwSignal<Option<i64>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let admins = list
        .iter()
        .filter(|a| !a.disabled && a.roles.contains(&Role::Admin))
        .count();
    let barred = list.iter().filter(|a| a.disabled).count();
    let rows = list
        .into_iter()
        .map(|account| {
            let id = account.id;
            let roles: Vec<&str> = account.roles.iter().map(|r| r.label()).collect();
            let history = routes::target_path(&format!("account:{id}")).unwrap_or_default();
            let last = account.last_sign_in.as_deref().map_or("never".to_owned(), format::minute);
            let editor_account = account.clone();
            view! {
                <tr data-testid="account-row" data-email=account.email.clone() class:barred=account.disabled>
                    <td>{account.email.clone()}</td>
                    <td>{roles.join(", ")}</td>
                    <td>
                        {if account.disabled {
                            view! { <span class="badge badge-muted">"Barred"</span> }.into_any()
                        } else {
                            view! { <span class="badge badge-ok">"Active"</span> }.into_any()
                        }}
                    </td>
                    <td class="num">{last}</td>
                    <td class="row-actions">
                        <a href=history>"History"</a>
                        <button
                            type="button"
                            class="secondary"
                            data-testid="edit-account"
                            on:click=move |_| editing.set(if editing.get() == Some(id) { None } else { Some(id) })
                        >
                            "Edit"
                        </button>
                    </td>
                </tr>
                <Show when=move || editing.get() == Some(id)>
                    <tr class="editor-row">
                        <td colspan="5">
                            <AccountEditor account=editor_account.clone() editing refresh />
                        </td>
                    </tr>
                </Show>
            }
        })
        .collect_view();
    view! {
        <div class="card section">
            <p class="summary" data-testid="accounts-summary">
                <span class="num">{admins}</span>
                {if admins == 1 { " active admin · " } else { " active admins · " }}
                <span class="num">{barred}</span>
                " barred"
            </p>
            <table class="data">
                <thead>
                    <tr>
                        <th>"Email"</th>
                        <th>"Roles"</th>
                        <th>"State"</th>
                        <th>"Last sign-in"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Roles, barred or not, and a new password for one account; only what
/// changed is sent.
#[component]
fn AccountEditor(
    account: json::Account,
    editing: RwSignal<Option<i64>>,
    refresh: Callback<()>,
) -> impl IntoView {
    let roles = RwSignal::new(account.roles.clone());
    let disabled = RwSignal::new(account.disabled);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let id = account.id;
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let change = json::AccountChange {
            roles: Some(roles.get_untracked()).filter(|r| *r != account.roles),
            disabled: Some(disabled.get_untracked()).filter(|d| *d != account.disabled),
            password: Some(password.get_untracked()).filter(|p| !p.is_empty()),
        };
        if change == json::AccountChange::default() {
            editing.set(None);
            return;
        }
        if let Some(problem) = change.password.as_deref().and_then(password_problem) {
            error.set(Some(problem));
            return;
        }
        spawn_local(async move {
            match api::update_account(id, &change).await {
                Ok(_) => {
                    editing.set(None);
                    refresh.run(());
                }
                Err(failure) => error.set(Some(failure.message)),
            }
        });
    };
    view! {
        <form class="editor" data-testid="account-editor" on:submit=submit>
            <RolePicker selected=roles name="edit-role" />
            <CheckField label="Barred from signing in (ends its sessions)" name="disabled" checked=disabled />
            <TextField label="New password (optional)" name="new-password" kind="password" autocomplete="new-password" value=password />
            {move || error.get().map(|message| view! { <Alert message /> })}
            <div class="form-actions">
                <button type="submit" class="primary">"Save"</button>
                <button type="button" class="secondary" on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
        </form>
    }
}

/// Email, first password and roles of a new account.
#[component]
fn NewAccountForm(refresh: Callback<()>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let roles = RwSignal::new(vec![Role::Viewer]);
    let error = RwSignal::new(None::<String>);
    let created = RwSignal::new(None::<String>);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        error.set(None);
        created.set(None);
        let account = json::NewAccount {
            email: email.get_untracked(),
            roles: roles.get_untracked(),
            password: password.get_untracked(),
        };
        // The server checks too; saying it here spares a round trip.
        if let Some(problem) = password_problem(&account.password) {
            error.set(Some(problem));
            return;
        }
        spawn_local(async move {
            match api::create_account(&account).await {
                Ok(account) => {
                    created.set(Some(account.email));
                    email.set(String::new());
                    password.set(String::new());
                    refresh.run(());
                }
                Err(failure) => error.set(Some(failure.message)),
            }
        });
    };
    view! {
        <form class="card section form-grid" data-testid="new-account" on:submit=submit>
            <h2>"New account"</h2>
            <TextField label="Email" name="email" kind="email" value=email required=true />
            <TextField
                label="First password (12 characters or more)"
                name="password"
                kind="password"
                autocomplete="new-password"
                value=password
                required=true
            />
            <RolePicker selected=roles name="new-role" />
            {move || error.get().map(|message| view! { <Alert message /> })}
            {move || {
                created
                    .get()
                    .map(|email| {
                        view! {
                            <p class="form-ok" role="status">
                                "Created " {email} ". Give them the password through a separate channel."
                            </p>
                        }
                    })
            }}
            <div class="form-actions">
                <button type="submit" class="primary">"Create account"</button>
            </div>
        </form>
    }
}

/// Why the server would refuse this password, if it would.
fn password_problem(password: &str) -> Option<String> {
    (password.chars().count() < json::MIN_PASSWORD_CHARS).then(|| {
        format!(
            "the password must have at least {} characters",
            json::MIN_PASSWORD_CHARS
        )
    })
}
