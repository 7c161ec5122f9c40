//! Admin › the catalogue of AI applications: the entries that make a
//! platform's grant to an application a SaaS agent (built in, and the
//! admins' own), and a form to add one. See docs/imports.md.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api as json;

use crate::api;
use crate::components::form::{Outcome, TextField};

/// Splits a comma-separated field into its values.
fn values(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The catalogue, the admins' entries first, and a form to add one.
#[component]
pub fn AiApps() -> impl IntoView {
    let apps = api::Fetched::new(api::ai_apps);
    let (name, vendor, client_ids, github_apps, publishers, names) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let add = move |event: SubmitEvent| {
        event.prevent_default();
        let entry = json::NewAiApp {
            name: name.get_untracked(),
            vendor: vendor.get_untracked(),
            client_ids: values(&client_ids.get_untracked()),
            github_apps: values(&github_apps.get_untracked()),
            publishers: values(&publishers.get_untracked()),
            names: values(&names.get_untracked()),
        };
        spawn_local(async move {
            match api::create_ai_app(&entry).await {
                Ok(app) => {
                    outcome.set(Some(Ok(format!(
                        "{} added: the next import of each platform makes its grants agents.",
                        app.name
                    ))));
                    for field in [name, vendor, client_ids, github_apps, publishers, names] {
                        field.set(String::new());
                    }
                    apps.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let remove = move |key: String| {
        spawn_local(async move {
            match api::delete_ai_app(&key).await {
                Ok(()) => {
                    outcome.set(Some(Ok("Entry removed; the agents it matched stay.".into())));
                    apps.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <section class="card section" data-testid="ai-apps">
            <h2>"AI applications"</h2>
            <p class="subtle">
                "A grant, app or installation a platform import finds is an AI agent when it matches an entry: by client id or "
                "GitHub app (exact), by verified publisher, or by name (anyone can name an app so). Grants that match none stay "
                "credentials, which you can make agents from their page."
            </p>
            {move || apps.get().map(|answer| match answer {
                Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                Ok(list) => view! {
                    <table class="data compact">
                        <thead><tr><th>"Application"</th><th>"Matched by"</th><th>"Source"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|app| {
                                let key = app.key.clone();
                                let identifiers = [
                                    ("client ids", &app.client_ids),
                                    ("GitHub apps", &app.github_apps),
                                    ("publishers", &app.publishers),
                                    ("names", &app.names),
                                ]
                                .into_iter()
                                .filter(|(_, list)| !list.is_empty())
                                .map(|(what, list)| format!("{what}: {}", list.join(", ")))
                                .collect::<Vec<_>>()
                                .join("; ");
                                view! {
                                    <tr data-testid="ai-app">
                                        <td>{app.name.clone()} <span class="subtle">" · " {app.vendor.clone()}</span></td>
                                        <td class="subtle">{identifiers}</td>
                                        <td>{if app.builtin { "built in" } else { "added by an admin" }}</td>
                                        <td>
                                            {(!app.builtin).then(|| view! {
                                                <button type="button" class="secondary small" on:click=move |_| remove(key.clone())>"Remove"</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
            <form class="inline-form" on:submit=add>
                <TextField label="Name" name="ai-app-name" value=name required=true placeholder="Acme Copilot" />
                <TextField label="Vendor" name="ai-app-vendor" value=vendor required=true placeholder="Acme AI" />
                <TextField label="Client ids (comma-separated)" name="ai-app-client-ids" value=client_ids required=false placeholder="1234-abc.apps.googleusercontent.com" />
                <TextField label="GitHub apps" name="ai-app-github-apps" value=github_apps required=false placeholder="acme-copilot" />
                <TextField label="Publishers" name="ai-app-publishers" value=publishers required=false placeholder="acme.ai" />
                <TextField label="Names" name="ai-app-names" value=names required=false placeholder="Acme Copilot" />
                <button type="submit" class="primary">"Add"</button>
            </form>
            <Outcome outcome />
        </section>
    }
}
