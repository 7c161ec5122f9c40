//! What an endpoint scan (`muster scan`) found of an agent, on its page:
//! the host, user, client and configuration files, then each MCP server
//! with what it runs, where it is configured and the credentials it
//! authenticates with, shadow or sanctioned. Admins sanction the agent or
//! one server here, with a reason for the audit log.

use leptos::prelude::*;
use model::api::{self as json, Role};

use crate::api;
use crate::auth::Auth;
use crate::components::form::{Outcome, TextField};
use crate::routes;

/// A sanctioned or shadow badge (the word, not only the colour).
#[component]
pub fn SanctionBadge(sanctioned: bool) -> impl IntoView {
    if sanctioned {
        view! { <span class="badge badge-ok">"Sanctioned"</span> }.into_any()
    } else {
        view! { <span class="badge badge-shadow">"Shadow"</span> }.into_any()
    }
}

/// The endpoint facts of `agent`, and the admin's sanction controls.
#[component]
pub fn EndpointFacts(
    agent: i64,
    facts: json::EndpointAgent,
    sanctioned: bool,
    /// What the last change did; kept by the page, as the section is drawn anew after it.
    outcome: RwSignal<Option<Result<String, String>>>,
    /// Called after a change, to fetch the page again.
    #[prop(into)]
    done: Callback<()>,
) -> impl IntoView {
    let auth = Auth::get();
    let admin = move || auth.holds(&[Role::Admin]);
    let reason = RwSignal::new(String::new());
    let with_reason = move || {
        let text = reason.get_untracked().trim().to_owned();
        if text.is_empty() {
            outcome.set(Some(Err("Give a reason first: it goes in the audit log.".into())));
            None
        } else {
            Some(json::Sanction {
                sanctioned: false,
                reason: text,
            })
        }
    };
    let mark_tool = move |tool: i64, to: bool| {
        let Some(mut sanction) = with_reason() else { return };
        sanction.sanctioned = to;
        leptos::task::spawn_local(async move {
            match api::sanction_tool(tool, &sanction).await {
                Ok(detail) => {
                    let verb = if to { "sanctioned" } else { "marked shadow" };
                    outcome.set(Some(Ok(format!("{} {verb}.", detail.tool.name))));
                    reason.set(String::new());
                    done.run(());
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let place = match &facts.project {
        Some(project) => format!("in the project {project} of"),
        None => "for".to_owned(),
    };
    let summary = format!(
        "Found by muster scan {place} user {} on {} ({}), last scanned {}. Configured in {}.",
        facts.user,
        facts.host,
        facts.os,
        facts.scanned_at.format("%Y-%m-%d %H:%M UTC"),
        if facts.config_files.is_empty() {
            "its project".to_owned()
        } else {
            facts.config_files.join(", ")
        }
    );
    let servers = facts.servers.iter().filter(|s| s.transport != "builtin").count();
    let rows = facts
        .servers
        .into_iter()
        .map(|s| {
            let runs = s
                .package
                .clone()
                .or(s.image.clone())
                .or(s.url_host.clone())
                .or(s.command.clone())
                .unwrap_or_else(|| "the agent itself".into());
            let transport = if s.transport == "builtin" { "built in".to_owned() } else { s.transport.clone() };
            let tool = s.tool.id;
            let builtin = s.transport == "builtin";
            let credentials = s
                .credentials
                .iter()
                .map(|c| view! { <div><a href=routes::entity_path("credentials", c.id)>{c.name.clone()}</a></div> })
                .collect_view();
            view! {
                <tr data-testid="mcp-server" class:barred=!s.present>
                    <td><a href=routes::entity_path("tools", tool)>{s.tool.name.split(" · ").next().unwrap_or("").to_owned()}</a></td>
                    <td><span class="mono">{runs}</span> <span class="subtle">" (" {transport} ")"</span></td>
                    <td class="mono subtle">{s.config_file.clone()}</td>
                    <td>{credentials}</td>
                    <td class="nowrap">
                        {(!builtin).then(|| view! { <SanctionBadge sanctioned=s.sanctioned /> })}
                        {(!s.present).then(|| view! { " " <span class="badge badge-muted">"Removed"</span> })}
                    </td>
                    <td>
                        <Show when=move || admin() && !builtin>
                            <button type="button" class="secondary small" on:click=move |_| mark_tool(tool, !s.sanctioned)>
                                {if s.sanctioned { "Mark shadow" } else { "Sanction" }}
                            </button>
                        </Show>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card section" data-testid="endpoint">
            <h2>"On the endpoint: " {facts.host.clone()} " " <SanctionBadge sanctioned /></h2>
            <p>{summary}</p>
            {facts.git_email.clone().map(|email| view! {
                <p class="subtle">"Git identity on that machine: " <span class="mono">{email}</span> " (a hint to the owner)"</p>
            })}
            <h3>{servers} " MCP servers, and the agent's own access"</h3>
            <table class="data compact">
                <thead>
                    <tr><th>"Server"</th><th>"Runs"</th><th>"Configured in"</th><th>"Authenticates with"</th><th>"State"</th><th></th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <SanctionAgentForm agent sanctioned reason outcome done />
        </section>
    }
}

/// An admin's sanction (or shadow mark) of one agent, with a reason for the
/// audit log; nothing for anyone else. Shared by the endpoint's and the
/// platforms' sections of an agent's page.
#[component]
pub fn SanctionAgentForm(
    agent: i64,
    sanctioned: bool,
    /// The reason being typed (shared with the section's other controls).
    reason: RwSignal<String>,
    /// What the last change did.
    outcome: RwSignal<Option<Result<String, String>>>,
    /// Called after a change, to fetch the page again.
    done: Callback<()>,
) -> impl IntoView {
    let auth = Auth::get();
    let admin = move || auth.holds(&[Role::Admin]);
    let mark_agent = move |to: bool| {
        let text = reason.get_untracked().trim().to_owned();
        if text.is_empty() {
            outcome.set(Some(Err("Give a reason first: it goes in the audit log.".into())));
            return;
        }
        let sanction = json::Sanction {
            sanctioned: to,
            reason: text,
        };
        leptos::task::spawn_local(async move {
            match api::sanction_agent(agent, &sanction).await {
                Ok(_) => {
                    outcome.set(Some(Ok(if to {
                        "Agent sanctioned."
                    } else {
                        "Agent marked shadow."
                    }
                    .into())));
                    reason.set(String::new());
                    done.run(());
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <Show when=admin>
            <form class="inline-form" on:submit=move |e: leptos::ev::SubmitEvent| { e.prevent_default(); mark_agent(!sanctioned) }>
                <TextField label="Reason (for the audit log)" name="sanction-reason" value=reason required=false placeholder="approved for the pilot" />
                <button type="submit" class="primary">{if sanctioned { "Mark this agent shadow" } else { "Sanction this agent" }}</button>
            </form>
            <Outcome outcome />
        </Show>
    }
}
