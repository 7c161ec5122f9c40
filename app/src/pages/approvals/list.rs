//! The list of requests, waiting or decided: operation, agent, approvals
//! given of those required, target and its sensitivity, risk, and how long
//! is left (or when it was decided); a click selects one.

use leptos::prelude::*;
use model::api::{self as json, ApprovalState};

use super::{SensitivityBadge, time_left};
use crate::components::risk::RiskBadge;
use crate::format;

/// One row per request, the selected one marked; a click on a row selects it.
#[component]
pub(super) fn RequestList(
    items: Vec<json::ApprovalSummary>,
    selected: RwSignal<Option<i64>>,
) -> impl IntoView {
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
