//! What a credential did: its recent activity (also shown to approvers,
//! see `pages::approvals`), and its behaviour, the baseline learned from
//! imported activity and what fell outside it.

use leptos::prelude::*;
use model::api as json;

use crate::{api, format};

/// What a credential normally does (its baseline, learned from imported
/// activity) and what it did outside it, newest first.
#[component]
pub(super) fn BehaviourSection(id: i64) -> impl IntoView {
    let behaviour = api::Fetched::new(move || api::behaviour(id));
    move || {
        behaviour.get().map(|result| match result {
            Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
            Ok(b) if b.baseline.is_empty() && b.findings.is_empty() => view! {
                <section class="card section" data-testid="behaviour">
                    <h2>"Behaviour"</h2>
                    <p class="subtle">
                        "No baseline yet: import activity that names this credential (CloudTrail logs, GitHub's audit log, Google's token activities) to learn what it normally does."
                    </p>
                </section>
            }
            .into_any(),
            Ok(b) => {
                let findings = if b.findings.is_empty() {
                    view! { <p class="subtle">"Nothing outside its baseline."</p> }.into_any()
                } else {
                    view! {
                        <table class="data compact" data-testid="behaviour-findings">
                            <tbody>
                                {b.findings.iter().map(|f| view! {
                                    <tr data-kind=f.kind.as_str()>
                                        <td class="nowrap">{format::at(f.occurred_at)}</td>
                                        <td><strong>{f.kind.label()}</strong></td>
                                        <td>{f.evidence.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                    .into_any()
                };
                let dimensions = json::BaselineDimension::ALL
                    .iter()
                    .map(|&dimension| {
                        let values: Vec<&json::BaselineEntry> =
                            b.baseline.iter().filter(|e| e.dimension == dimension).collect();
                        let shown = values
                            .iter()
                            .take(6)
                            .map(|e| view! { <li><code>{e.value.clone()}</code> " " <span class="num subtle">{e.events}</span></li> })
                            .collect_view();
                        let more = (values.len() > 6).then(|| view! { <li class="subtle">"+" {values.len() - 6} " more"</li> });
                        view! {
                            <div class="baseline-dimension">
                                <h3>{dimension.label()} " " <span class="num subtle">{values.len()}</span></h3>
                                <ul class="plain">{shown}{more}</ul>
                            </div>
                        }
                    })
                    .collect_view();
                view! {
                    <section class="card section" data-testid="behaviour">
                        <h2>
                            "Behaviour: " <span class="num">{b.findings.len()}</span> " findings · usually "
                            <span class="num">{format!("{:.1}", b.usual_hourly_rate)}</span> " events an hour over "
                            <span class="num">{b.active_hours}</span> " active hours"
                        </h2>
                        {findings}
                        <div class="baseline">{dimensions}</div>
                    </section>
                }
                .into_any()
            }
        })
    }
}

/// What a credential (or an agent's credentials) did lately: when, the
/// action, on what, from where, and whether it worked.
#[component]
pub fn ActivityTable(events: Vec<json::ActivityEvent>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="subtle">"No recorded activity."</p> }.into_any();
    }
    view! {
        <table class="data compact">
            <tbody>
                {events.into_iter().map(|e| view! {
                    <tr>
                        <td class="nowrap">{format::at(e.occurred_at)}</td>
                        <td><code>{e.action}</code></td>
                        <td>{e.resource.map(|r| r.name)}</td>
                        <td class="subtle">{e.source_address}</td>
                        <td>{e.outcome.label()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
