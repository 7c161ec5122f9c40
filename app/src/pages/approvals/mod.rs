//! Approvals: the inbox of sensitive operations waiting for a decision (most
//! urgent, then riskiest, first), each with the context to decide it in
//! seconds, the history of decided ones, and the policy that decides which
//! requests need whom.
//!
//! Keyboard: `j`/`k` move through the list, `a` approves, `d` denies (with
//! the comment typed), `c` goes to the comment.
//!
//! `/approvals?request=12` opens with that request selected: the links in
//! emails and channel messages point there.

use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use model::api::{
    self as json, AgentCategory, ApprovalState, Environment, Role, RuleDecision, Sensitivity, Verdict,
};
use wasm_bindgen::JsCast;

use crate::api;
use crate::auth::Auth;
use crate::components::form::{Alert, Outcome, TextField};
use crate::components::page::{Page, ScreenPage};
use crate::components::risk::{RiskBadge, RiskCell};
use crate::format;
use crate::pages::entity::ActivityTable;
use crate::routes::{self, Screen};

/// `/approvals`: the inbox (or the history) beside the selected request.
#[component]
pub fn Approvals() -> impl IntoView {
    let decided = RwSignal::new(false);
    let query = use_query_map();
    let requested = Memo::new(move |_| {
        query
            .with(|q| q.get("request"))
            .and_then(|r| r.parse::<i64>().ok())
    });
    let selected = RwSignal::new(requested.get_untracked());
    let comment = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let list = api::Fetched::new(move || {
        api::approvals(&json::ApprovalQuery {
            decided: decided.get().then_some(true),
            limit: Some(100),
            ..Default::default()
        })
    });
    let ids = Memo::new(move |_| match list.get() {
        Some(Ok(page)) => page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    // A link to a request (followed while already on this screen) selects it.
    Effect::new(move |_| {
        if let Some(id) = requested.get() {
            selected.set(Some(id));
        }
    });
    // The first request is selected until the person picks another. The
    // linked request stays selected even when this list does not hold it
    // (already decided, or past the first hundred): its pane fetches it by id.
    Effect::new(move |_| {
        let ids = ids.get();
        let current = selected.get_untracked();
        if current.is_some() && current == requested.get_untracked() {
            return;
        }
        if current.is_none_or(|s| !ids.contains(&s)) {
            selected.set(ids.first().copied());
        }
    });
    let step = move |by: isize| {
        let ids = ids.get_untracked();
        let at = selected
            .get_untracked()
            .and_then(|s| ids.iter().position(|i| *i == s));
        let next = at.map_or(0, |i| {
            i.saturating_add_signed(by).min(ids.len().saturating_sub(1))
        });
        if let Some(id) = ids.get(next) {
            selected.set(Some(*id));
            outcome.set(None);
        }
    };
    let keys = window_event_listener(ev::keydown, move |event| {
        let typing = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        match event.key().as_str() {
            "j" => step(1),
            "k" => step(-1),
            // The keys press the buttons, so that they do exactly what a click does.
            "a" => press("[data-action=approve]"),
            "d" => press("[data-action=deny]"),
            "c" => {
                event.prevent_default();
                if let Some(field) = element("textarea[name=decision-comment]") {
                    let _ = field.focus();
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    view! {
        <ScreenPage screen=Screen::Approvals>
            <div class="tabs">
                <button type="button" aria-pressed=move || (!decided.get()).to_string() on:click=move |_| decided.set(false)>"Waiting"</button>
                <button type="button" aria-pressed=move || decided.get().to_string() on:click=move |_| decided.set(true)>"Decided"</button>
                <a class="tab-link" href=routes::APPROVAL_POLICY>"Policy"</a>
                <span class="subtle keys-help">"Keys: j / k move · a approve · d deny · c comment"</span>
            </div>
            <div class="approvals">
                <section class="card section approvals-list" data-testid="approvals">
                    {move || match list.get() {
                        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                        Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                        Some(Ok(page)) if page.items.is_empty() => view! {
                            <p>{if decided.get() { "Nothing decided yet." } else { "Nothing is waiting for a decision." }}</p>
                        }.into_any(),
                        Some(Ok(page)) => view! { <RequestList items=page.items selected /> }.into_any(),
                    }}
                </section>
                <section class="card section approval-detail" data-testid="approval-detail">
                    {move || match selected.get() {
                        None => view! { <p class="subtle">"Select a request."</p> }.into_any(),
                        Some(id) => view! { <DetailPane id list comment outcome /> }.into_any(),
                    }}
                    <Outcome outcome />
                </section>
            </div>
        </ScreenPage>
    }
}

/// The element matching `css`, if any.
fn element(css: &str) -> Option<web_sys::HtmlElement> {
    document().query_selector(css).ok().flatten()?.dyn_into().ok()
}

/// Clicks the element matching `css`, if there is one.
fn press(css: &str) {
    if let Some(button) = element(css) {
        button.click();
    }
}

/// One request, fetched for as long as it is selected, and its decision.
#[component]
fn DetailPane(
    id: i64,
    list: api::Fetched<json::Page<json::ApprovalSummary>>,
    comment: RwSignal<String>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let detail = api::Fetched::new(move || api::approval(id));
    let decide = move |verdict: Verdict| {
        let vote = json::NewVote {
            verdict,
            comment: comment.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::decide_approval(id, &vote).await {
                Ok(now) => {
                    outcome.set(Some(Ok(match now.summary.state {
                        ApprovalState::Pending => format!(
                            "Approved: {} of {} approvals given.",
                            now.summary.approvals, now.summary.required_approvals
                        ),
                        state => format!("Request {id} is {}.", state.label().to_lowercase()),
                    })));
                    comment.set(String::new());
                    list.refetch();
                    detail.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    move || match detail.get() {
        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
        Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
        Some(Ok(d)) => view! { <Detail d comment decide /> }.into_any(),
    }
}

/// "in 42 min", "in 3 h", or "expired".
fn time_left(expires_at: chrono::DateTime<chrono::Utc>) -> String {
    let minutes = (expires_at - chrono::Utc::now()).num_minutes();
    match minutes {
        ..0 => "expired".into(),
        0..=90 => format!("in {minutes} min"),
        _ => format!("in {} h", minutes / 60),
    }
}

#[component]
fn RequestList(items: Vec<json::ApprovalSummary>, selected: RwSignal<Option<i64>>) -> impl IntoView {
    view! {
        <table class="data compact selectable">
            <thead>
                <tr><th>"Operation and agent"</th><th>"Target"</th><th>"Risk"</th><th>"When"</th></tr>
            </thead>
            <tbody>
                {items.into_iter().map(|r| {
                    let id = r.id;
                    let state = r.state;
                    let when = match r.decided_at {
                        Some(at) if state != ApprovalState::Pending => format::at(at),
                        _ => format!("expires {}", time_left(r.expires_at)),
                    };
                    view! {
                        <tr data-request=id aria-selected=move || (selected.get() == Some(id)).to_string()
                            on:click=move |_| selected.set(Some(id))>
                            <td>
                                <button type="button" class="link" on:click=move |_| selected.set(Some(id))><code>{r.operation}</code></button>
                                <div class="subtle">{format!("{} · {} of {} approvals", r.agent.name, r.approvals, r.required_approvals)}</div>
                            </td>
                            <td>
                                {r.resource_name.unwrap_or_else(|| "—".into())}
                                {r.sensitivity.map(|s| view! { " " <SensitivityBadge s /> })}
                            </td>
                            <td><RiskBadge band=r.risk.band score=r.risk.score /></td>
                            <td>
                                {(state != ApprovalState::Pending).then(|| view! {
                                    <span class=format!("badge approval-{}", state.as_str())>{state.label()}</span>
                                })}
                                <div class="subtle nowrap">{when}</div>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SensitivityBadge(s: Sensitivity) -> impl IntoView {
    view! { <span class=format!("badge sensitivity-{}", s.as_str())>{s.label()}</span> }
}

#[component]
fn Detail(
    d: json::ApprovalDetail,
    comment: RwSignal<String>,
    decide: impl Fn(Verdict) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let r = d.summary.clone();
    let parameters = serde_json::to_string_pretty(&d.parameters).unwrap_or_default();
    let can_decide = d.cannot_decide.is_none();
    view! {
        <div class="detail-head">
            <h2><code data-testid="approval-operation">{r.operation.clone()}</code></h2>
            <span class=format!("badge approval-{}", r.state.as_str()) data-testid="approval-state">{r.state.label()}</span>
        </div>
        <dl class="facts">
            <dt>"Agent"</dt>
            <dd>
                <a href=routes::entity_path("agents", r.agent.id)>{r.agent.name.clone()}</a>
                {format!(" · {} · {}", d.category.label(), r.environment.label())}
            </dd>
            <dt>"Owner"</dt>
            <dd>{r.owner.clone().map(|o| o.name).unwrap_or_else(|| "no owner".into())}
                {d.deployed_by.clone().map(|p| format!(" · deployed by {}", p.name))}</dd>
            <dt>"Asked by"</dt>
            <dd>{r.requested_by.clone()} " · " {format::at(r.created_at)}</dd>
            <dt>"Target"</dt>
            <dd>
                {match (&r.resource, &r.resource_name) {
                    (Some(res), _) => view! { <a href=routes::entity_path("resources", res.id)>{res.name.clone()}</a> }.into_any(),
                    (None, Some(name)) => view! { {name.clone()} " " <span class="subtle">"(not in the inventory)"</span> }.into_any(),
                    (None, None) => view! { "—" }.into_any(),
                }}
                {r.sensitivity.map(|s| view! { " " <SensitivityBadge s /> })}
            </dd>
            <dt>"Credential"</dt>
            <dd>
                {match (d.credential.clone(), d.credential_risk.clone()) {
                    (Some(c), Some(risk)) => view! {
                        <a href=routes::entity_path("credentials", c.id)>{c.name}</a> " " <RiskCell risk />
                    }.into_any(),
                    _ => view! { <span class="subtle">"none known to reach the target"</span> }.into_any(),
                }}
            </dd>
            <dt>"Policy"</dt>
            <dd>{r.rule.clone()} {format!(" · {} of {} approvals · expires {}", r.approvals, r.required_approvals, time_left(r.expires_at))}</dd>
        </dl>
        <p class="justification">"\u{201c}" {d.justification.clone()} "\u{201d}"</p>
        <h3>"Exact parameters " <span class="subtle mono" title="SHA-256 of the canonical JSON (RFC 8785)">{format!("sha256 {}", format::short_hash(&d.parameters_hash))}</span></h3>
        <pre class="parameters" data-testid="approval-parameters">{parameters}</pre>
        {(!d.votes.is_empty()).then(|| view! {
            <h3>"Decisions"</h3>
            <ul class="votes">
                {d.votes.iter().map(|v| view! {
                    <li>{format!("{} {} at {}", v.approver, if v.verdict == Verdict::Approve { "approved" } else { "denied" }, format::at(v.decided_at))}
                        {(!v.comment.is_empty()).then(|| format!(": \u{201c}{}\u{201d}", v.comment))}</li>
                }).collect_view()}
            </ul>
        })}
        {match d.cannot_decide.clone() {
            // A decided request says so in its badge; no need to explain why it cannot be decided.
            Some(_) if r.state != ApprovalState::Pending => ().into_any(),
            Some(why) => view! { <p class="notice" data-testid="cannot-decide">{why}</p> }.into_any(),
            None => view! {
                <div class="decide">
                    <label class="field">
                        <span class="field-label">"Comment (required to deny)"</span>
                        <textarea name="decision-comment" rows="2"
                            prop:value=move || comment.get()
                            on:input:target=move |ev| comment.set(ev.target().value())></textarea>
                    </label>
                    <div class="row-actions">
                        <button type="button" class="primary" data-action="approve" on:click=move |_| decide(Verdict::Approve)>
                            "Approve " <kbd>"a"</kbd></button>
                        <button type="button" class="danger" data-action="deny" on:click=move |_| decide(Verdict::Deny)>
                            "Deny " <kbd>"d"</kbd></button>
                    </div>
                </div>
            }.into_any(),
        }}
        {(!can_decide && r.state == ApprovalState::Approved).then(|| d.consumed_at.map(|at| view! {
            <p class="subtle">{format!("Used by the agent at {}.", format::at(at))}</p>
        }))}
        <h3>"Agent risk " <RiskBadge band=d.agent_risk.band score=d.agent_risk.score /></h3>
        <ul class="factors">
            {d.agent_risk.factors.iter().take(4).map(|f| view! {
                <li><span class="mono subtle">{f.reference.clone()}</span> " " {f.title.clone()} ": " {f.evidence.clone()}</li>
            }).collect_view()}
        </ul>
        <h3>"Recent activity"</h3>
        <ActivityTable events=d.recent_activity.clone() />
    }
}

/// `/approvals/policy`: the rules in the order they are tried; admins add and remove them.
#[component]
pub fn ApprovalPolicy() -> impl IntoView {
    let auth = Auth::get();
    let rules = api::Fetched::new(api::approval_rules);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let remove = move |id: i64| {
        leptos::task::spawn_local(async move {
            match api::delete_approval_rule(id).await {
                Ok(()) => {
                    outcome.set(Some(Ok("Rule removed.".into())));
                    rules.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <Page title="Approval policy" question="Which requests are decided at once, and which need whom? The first matching rule decides.">
            <div class="tabs"><a class="tab-link" href=Screen::Approvals.path()>"Back to the inbox"</a></div>
            <section class="card section" data-testid="approval-rules">
                {move || match rules.get() {
                    None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                    Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                    Some(Ok(rules)) => view! {
                        <table class="data compact">
                            <thead>
                                <tr><th class="num-col">"#"</th><th>"Rule"</th><th>"Operation"</th><th>"When"</th><th>"Decision"</th><th>"Expires"</th><th></th></tr>
                            </thead>
                            <tbody>
                                {rules.into_iter().map(|rule| {
                                    let id = rule.id;
                                    view! {
                                        <tr data-rule=id>
                                            <td class="num-col num">{rule.position}</td>
                                            <td>{rule.name.clone()}</td>
                                            <td><code>{rule.operation.clone()}</code></td>
                                            <td>{conditions(&rule)}</td>
                                            <td>
                                                {decision(&rule)}
                                                {rule.channel.clone().map(|channel| view! {
                                                    <div class="subtle" data-testid="rule-channel">{format!("also tells {}", channel.name)}</div>
                                                })}
                                            </td>
                                            <td class="nowrap">{format!("{} min", rule.expires_in / 60)}</td>
                                            <td>
                                                <Show when=move || auth.holds(&[Role::Admin])>
                                                    <button type="button" class="secondary small" on:click=move |_| remove(id)>"Remove"</button>
                                                </Show>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p class="subtle">"No rule matches: one approver decides within an hour. No rule can let people approve for their own agents, let one person be both approvers, or decide a request twice or after its expiry."</p>
                    }.into_any(),
                }}
                <Outcome outcome />
            </section>
            <Show when=move || auth.holds(&[Role::Admin])>
                <NewRule rules outcome />
            </Show>
        </Page>
    }
}

fn conditions(rule: &json::ApprovalRule) -> String {
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

fn decision(rule: &json::ApprovalRule) -> String {
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
fn NewRule(
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
