//! The selected request: everything needed to decide it in seconds (agent,
//! owner, target, credential, policy, justification, the exact parameters,
//! the decisions so far, the agent's risk and recent activity), and the
//! comment and buttons that decide it.

use leptos::prelude::*;
use model::api::{self as json, ApprovalState, Verdict};

use super::{SensitivityBadge, time_left};
use crate::components::form::Alert;
use crate::components::risk::{RiskBadge, RiskCell};
use crate::pages::entity::ActivityTable;
use crate::{api, format, routes};

/// One request, fetched for as long as it is selected, and its decision.
#[component]
pub(super) fn DetailPane(
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

/// The request `d` in full, then its decision (or why it cannot be decided
/// by the signed-in person).
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
