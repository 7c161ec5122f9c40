//! What a SaaS or cloud platform's records said, on an agent's page (the
//! application, how the catalogue matched it, who consented and how) and on
//! a credential's page (the grant: its application, consent, whether the
//! platform still lists it), with an admin's controls: sanction the agent,
//! or make an agent of a grant no catalogue entry matched.

use leptos::prelude::*;
use model::api::{self as json, Role};

use crate::api;
use crate::auth::Auth;
use crate::components::endpoint::{SanctionAgentForm, SanctionBadge};
use crate::components::form::Outcome;
use crate::routes;

/// A platform's name for people.
fn platform_name(kind: json::ImportKind) -> &'static str {
    match kind {
        json::ImportKind::GoogleWorkspace => "Google Workspace",
        json::ImportKind::Entra => "Microsoft Entra",
        json::ImportKind::Okta => "Okta",
        json::ImportKind::Github => "GitHub",
        json::ImportKind::Bedrock => "Amazon Bedrock",
        json::ImportKind::Vertex => "Vertex AI",
        other => other.label(),
    }
}

/// The platform facts of `agent`, and the admin's sanction controls.
#[component]
pub fn PlatformFacts(
    agent: i64,
    facts: json::PlatformAgent,
    sanctioned: bool,
    /// What the last change did; kept by the page, as the section is drawn anew after it.
    outcome: RwSignal<Option<Result<String, String>>>,
    /// Called after a change, to fetch the page again.
    #[prop(into)]
    done: Callback<()>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let app = match (&facts.app, &facts.vendor) {
        (Some(app), Some(vendor)) => Some(format!("{app} by {vendor}")),
        (Some(app), None) => Some(app.clone()),
        _ => None,
    };
    let matched = facts.matched.map(|m| {
        format!(
            "{}{}",
            m.label(),
            facts
                .matched_on
                .as_deref()
                .map(|on| format!(" ({on})"))
                .unwrap_or_default()
        )
    });
    let who = match (&facts.consenting_person, &facts.consented_by) {
        (Some(person), _) => {
            view! { <a href=routes::entity_path("people", person.id)>{person.name.clone()}</a> }.into_any()
        }
        (None, Some(handle)) => {
            view! { <span class="mono">{handle.clone()}</span> " (not in the inventory)" }.into_any()
        }
        (None, None) => view! { "not named in the platform's records" }.into_any(),
    };
    view! {
        <section class="card section" data-testid="platform">
            <h2>"Found in " {platform_name(facts.platform)} " " <SanctionBadge sanctioned /></h2>
            <dl class="facts">
                {app.map(|app| view! { <dt>"Application"</dt><dd data-testid="platform-app">{app}</dd> })}
                <dt>"Identifier"</dt>
                <dd class="mono">{facts.identifier.clone()}</dd>
                {matched.map(|m| view! { <dt>"Matched"</dt><dd>{m}</dd> })}
                {facts.consent.map(|c| view! { <dt>"Access"</dt><dd>{c.label()}</dd> })}
                <dt>"Consented or deployed by"</dt>
                <dd data-testid="platform-consenter">{who}</dd>
                <dt>"Last seen"</dt>
                <dd>{facts.seen_at.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
            </dl>
            {facts.marked.map(|m| view! {
                <p class="subtle">{if m { "An admin sanctioned it, over the sanctioned list." } else { "An admin marked it shadow, over the sanctioned list." }}</p>
            })}
            <SanctionAgentForm agent sanctioned reason outcome done />
        </section>
    }
}

/// The grant facts of `credential`, and the admin's promotion to an agent.
#[component]
pub fn GrantFacts(
    credential: i64,
    grant: json::PlatformGrant,
    /// Called after a promotion, to fetch the page again (its agents changed).
    #[prop(into)]
    done: Callback<()>,
) -> impl IntoView {
    let auth = Auth::get();
    let outcome = RwSignal::new(None);
    let promoted = RwSignal::new(None::<json::Ref>);
    let has_agent = grant.agent.is_some();
    let can_promote = move || auth.holds(&[Role::Admin]) && !has_agent && promoted.get().is_none();
    let promote = move |_| {
        leptos::task::spawn_local(async move {
            match api::promote_credential(credential).await {
                Ok(agent) => {
                    promoted.set(Some(json::Ref {
                        id: agent.agent.id,
                        name: agent.agent.name.clone(),
                    }));
                    outcome.set(Some(Ok(format!("{} is now an agent.", agent.agent.name))));
                    done.run(());
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let agent = grant.agent.clone();
    view! {
        <section class="card section" data-testid="grant">
            <h2>"Granted in " {platform_name(grant.platform)}</h2>
            <dl class="facts">
                <dt>"Application"</dt>
                <dd>{grant.app_name.clone().or(grant.client_id.clone()).unwrap_or_else(|| "none: a person's own token".into())}</dd>
                {grant.client_id.clone().map(|id| view! { <dt>"Client id"</dt><dd class="mono">{id}</dd> })}
                <dt>"Access"</dt>
                <dd>{grant.consent.label()}</dd>
                <dt>"Consented or owned by"</dt>
                <dd class="mono">{grant.consented_by.clone().unwrap_or_else(|| "an administrator".into())}</dd>
                <dt>"At the source"</dt>
                <dd>{if grant.present { "listed by the latest import" } else { "no longer listed: revoked at the source" }}</dd>
                <dt>"Agent"</dt>
                <dd>
                    {move || match promoted.get().or(agent.clone()) {
                        Some(agent) => view! { <a href=routes::entity_path("agents", agent.id)>{agent.name}</a> }.into_any(),
                        None => view! { "none: no catalogue entry matched its application" }.into_any(),
                    }}
                </dd>
            </dl>
            <Show when=can_promote>
                <button type="button" class="secondary" data-testid="promote" on:click=promote>"Make it an agent"</button>
            </Show>
            <Outcome outcome />
        </section>
    }
}
