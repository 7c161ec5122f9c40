//! The approval policy's rules: how each rule's conditions and decision
//! read in the table, and the admins' form for a new rule.

use leptos::ev;
use leptos::prelude::*;
use model::api::{self as json, AgentCategory, Environment, Role, RuleDecision, Sensitivity};

use crate::api;
use crate::components::form::TextField;

/// When `rule` applies, in words: its environments, sensitivities and agent
/// categories, or "always".
pub(super) fn conditions(rule: &json::ApprovalRule) -> String {
    let mut parts = Vec::new();
    let list = |labels: Vec<&str>| labels.join(" or ");
    if !rule.environments.is_empty() {
        parts.push(list(rule.environments.iter().map(|e| e.label()).collect()));
    }
    if !rule.sensitivities.is_empty() {
        parts.push(format!(
            "{} data",
            list(rule.sensitivities.iter().map(|s| s.label()).collect())
        ));
    }
    if !rule.categories.is_empty() {
        parts.push(format!(
            "agents: {}",
            list(rule.categories.iter().map(|c| c.label()).collect())
        ));
    }
    if parts.is_empty() {
        "always".into()
    } else {
        parts.join(", ")
    }
}

/// What `rule` decides, in words: how many approvers of which role, or its
/// automatic decision.
pub(super) fn decision(rule: &json::ApprovalRule) -> String {
    match rule.decision {
        RuleDecision::Require if rule.approvals == 2 => {
            format!("2 different {}s", rule.approver_role.label().to_lowercase())
        }
        RuleDecision::Require => format!("1 {}", rule.approver_role.label().to_lowercase()),
        other => other.label().into(),
    }
}

/// A form for a new rule, placed after the last one unless a position is given.
#[component]
pub(super) fn NewRule(
    rules: api::Fetched<Vec<json::ApprovalRule>>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let operation = RwSignal::new(String::new());
    let position = RwSignal::new(String::new());
    let environment = RwSignal::new(String::new());
    let sensitivity = RwSignal::new(String::new());
    let category = RwSignal::new(String::new());
    let choice = RwSignal::new("require-1".to_owned());
    let minutes = RwSignal::new("60".to_owned());
    // Only admins see this form, and only they may list the channels; if the
    // list does not load, the rule can still be added without one.
    let channels = api::Fetched::new(api::notification_channels);
    let channel = RwSignal::new(String::new());
    let submit = move |event: ev::SubmitEvent| {
        event.prevent_default();
        let (decision, approvals) = match choice.get_untracked().as_str() {
            "auto_approve" => (RuleDecision::AutoApprove, 1),
            "auto_deny" => (RuleDecision::AutoDeny, 1),
            "require-2" => (RuleDecision::Require, 2),
            _ => (RuleDecision::Require, 1),
        };
        let Ok(minutes) = minutes.get_untracked().trim().parse::<i64>() else {
            outcome.set(Some(Err("Expiry is a number of minutes.".into())));
            return;
        };
        let rule = json::NewApprovalRule {
            position: position.get_untracked().trim().parse().ok(),
            name: name.get_untracked(),
            operation: operation.get_untracked(),
            sensitivities: sensitivity
                .get_untracked()
                .parse::<Sensitivity>()
                .ok()
                .into_iter()
                .collect(),
            environments: environment
                .get_untracked()
                .parse::<Environment>()
                .ok()
                .into_iter()
                .collect(),
            categories: category
                .get_untracked()
                .parse::<AgentCategory>()
                .ok()
                .into_iter()
                .collect(),
            decision,
            approvals,
            approver_role: Role::Approver,
            expires_in: minutes * 60,
            channel: channel.get_untracked().parse::<i64>().ok(),
        };
        leptos::task::spawn_local(async move {
            match api::create_approval_rule(&rule).await {
                Ok(saved) => {
                    outcome.set(Some(Ok(format!(
                        "Rule \u{201c}{}\u{201d} added at position {}.",
                        saved.name, saved.position
                    ))));
                    name.set(String::new());
                    operation.set(String::new());
                    rules.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let select = |label: &'static str,
                  name: &'static str,
                  value: RwSignal<String>,
                  options: Vec<(&'static str, &'static str)>| {
        view! {
            <label class="field">
                <span class="field-label">{label}</span>
                <select name=name prop:value=move || value.get() on:change:target=move |ev| value.set(ev.target().value())>
                    {options.into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let any =
        |all: Vec<(&'static str, &'static str)>| std::iter::once(("", "Any")).chain(all).collect::<Vec<_>>();
    view! {
        <form class="card section inline-form" on:submit=submit data-testid="new-rule">
            <TextField label="Name" name="rule-name" value=name required=true placeholder="Exports of customer data" />
            <TextField label="Operation pattern" name="rule-operation" value=operation required=true placeholder="*export*" />
            {select("Environment", "rule-environment", environment, any(Environment::ALL.iter().map(|e| (e.as_str(), e.label())).collect()))}
            {select("Sensitivity", "rule-sensitivity", sensitivity, any(Sensitivity::ALL.iter().map(|s| (s.as_str(), s.label())).collect()))}
            {select("Agent category", "rule-category", category, any(AgentCategory::ALL.iter().map(|c| (c.as_str(), c.label())).collect()))}
            {select("Decision", "rule-decision", choice, vec![
                ("require-1", "1 approver"), ("require-2", "2 different approvers"),
                ("auto_approve", "Approve automatically"), ("auto_deny", "Deny automatically"),
            ])}
            <label class="field">
                <span class="field-label">"Also tell channel"</span>
                <select name="rule-channel" data-testid="rule-channel-select"
                    on:change:target=move |ev| channel.set(ev.target().value())>
                    <option value="" selected=move || channel.get().is_empty()>"None"</option>
                    {move || {
                        channels
                            .get()
                            .and_then(Result::ok)
                            .unwrap_or_default()
                            .into_iter()
                            .map(|c| {
                                let value = c.id.to_string();
                                let chosen = value.clone();
                                view! {
                                    <option value=value selected=move || channel.get() == chosen>
                                        {format!("{} ({})", c.name, c.kind.label())}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            <TextField label="Expires after (minutes)" name="rule-minutes" value=minutes />
            <TextField label="Position" name="rule-position" value=position placeholder="last" />
            <button type="submit" class="primary">"Add rule"</button>
        </form>
    }
}
