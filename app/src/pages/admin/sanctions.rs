//! Admin › the sanctioned list of clients, MCP packages, images and remote
//! hosts (what an endpoint scan finds that matches is sanctioned, the rest
//! shadow). See docs/scan.md.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api::{self as json, SanctionKind};

use crate::components::form::{Outcome, TextField};
use crate::{api, format};

/// The sanctioned list: its rules with what each matches, a form to add one.
#[component]
pub fn SanctionedList() -> impl IntoView {
    let rules = api::Fetched::new(api::sanction_rules);
    let kind = RwSignal::new(SanctionKind::Client);
    let value = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let add = move |event: SubmitEvent| {
        event.prevent_default();
        let rule = json::NewSanctionRule {
            kind: kind.get_untracked(),
            value: value.get_untracked(),
        };
        spawn_local(async move {
            match api::create_sanction_rule(&rule).await {
                Ok(rule) => {
                    outcome.set(Some(Ok(format!(
                        "{} {} is sanctioned: it matches {} now.",
                        rule.kind.label(),
                        rule.value,
                        rule.matches
                    ))));
                    value.set(String::new());
                    rules.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let remove = move |id: i64| {
        spawn_local(async move {
            match api::delete_sanction_rule(id).await {
                Ok(rule) => {
                    outcome.set(Some(Ok(format!(
                        "{} {} removed from the list.",
                        rule.kind.label(),
                        rule.value
                    ))));
                    rules.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <section class="card section" data-testid="sanctioned-list">
            <h2>"Sanctioned clients and MCP servers"</h2>
            <p class="subtle">
                "What endpoint scans and platform imports find that matches is sanctioned; the rest is shadow (a risk factor). "
                "Clients by id (claude_code, cursor, vscode…; an AI application's catalogue key such as chatgpt; "
                "a cloud platform: bedrock, agentcore, vertex, entra-agent-id), packages and images whatever their version."
            </p>
            {move || rules.get().map(|answer| match answer {
                Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p>"Nothing is sanctioned yet: every agent a scan finds is shadow."</p> }.into_any(),
                Ok(list) => view! {
                    <table class="data compact">
                        <thead><tr><th>"Kind"</th><th>"Value"</th><th class="num">"Matches"</th><th>"Added"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|r| view! {
                                <tr data-testid="sanction-rule">
                                    <td>{r.kind.label()}</td>
                                    <td class="mono">{r.value.clone()}</td>
                                    <td class="num">{r.matches}</td>
                                    <td class="subtle">{format!("by {}, {}", r.created_by, format::minute(&r.created_at))}</td>
                                    <td><button type="button" class="secondary small" on:click=move |_| remove(r.id)>"Remove"</button></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
            <form class="inline-form" on:submit=add>
                <label class="field">
                    <span>"Kind"</span>
                    <select
                        name="sanction-kind"
                        on:change=move |e| {
                            let chosen = event_target_value(&e);
                            if let Some(k) = SanctionKind::ALL.into_iter().find(|k| k.as_str() == chosen) {
                                kind.set(k);
                            }
                        }
                    >
                        {SanctionKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || kind.get() == k>{k.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <TextField label="Value" name="sanction-value" value required=true placeholder="claude_code" />
                <button type="submit" class="primary">"Sanction"</button>
            </form>
            <Outcome outcome />
        </section>
    }
}
