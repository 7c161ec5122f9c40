//! The posture: the answer in one sentence, the headline figures, each a
//! link to the list behind it, then the charts ([`super::charts`]) and the
//! risk tables ([`super::risk`]), and the risk model's footnote.

use leptos::prelude::*;
use model::api as json;

use super::charts::Charts;
use super::risk::{Bands, Ranked, References};
use crate::api;
use crate::components::form::Alert;
use crate::components::stat::Stat;
use crate::routes::{self, Screen};

/// The answer, the headline figures, the charts and the risk tables; or,
/// for an empty inventory, how to fill it.
#[component]
pub(super) fn Posture(
    overview: json::Overview,
    summary: json::RiskSummary,
    by_team: api::Fetched<json::Coverage>,
) -> impl IntoView {
    let agents: i64 = overview.agents_by_category.iter().map(|c| c.count).sum();
    let count_of = |category: json::AgentCategory| {
        overview
            .agents_by_category
            .iter()
            .filter(|c| c.category == category)
            .map(|c| c.count)
            .sum::<i64>()
    };
    let (saas, cloud) = (
        count_of(json::AgentCategory::Saas),
        count_of(json::AgentCategory::Cloud),
    );
    if agents == 0 && overview.static_credentials.total == 0 {
        return view! {
            <div class="empty-state">
                <p class="empty-title">"No agents or credentials yet"</p>
                <p>"Run the demo (" <code>"make run"</code> ") or import a scanner's report."</p>
            </div>
        }
        .into_any();
    }
    let critical = summary.credentials.critical;
    let high = summary.credentials.high;
    let coverage = overview.agent_owner_coverage;
    let credentials = routes::inventory_path("credentials", &[]);
    view! {
        <p class="answer" data-testid="answer">
            <a href=routes::inventory_path("credentials", &[("band", "critical")])>
                <strong class="num">{critical}</strong> " critical"
            </a>
            " and "
            <a href=routes::inventory_path("credentials", &[("band", "high")])>
                <strong class="num">{high}</strong> " high-risk"
            </a>
            " credentials are active; "
            <strong class="num">{coverage.percent()} "%"</strong>
            " of agents have an owner still with the company."
        </p>
        <div class="cards" data-testid="cards">
            <Stat
                label="Agents"
                value=agents.to_string()
                detail=format!("{} shadow ({}%)", overview.shadow_agents.count, overview.shadow_agents.percent())
                href=routes::inventory_path("agents", &[])
            />
            <Stat
                label="Shadow agents on endpoints"
                value=overview.endpoint_agents.count.to_string()
                detail=if overview.endpoint_agents.total == 0 {
                    "no laptop or build host scanned yet: run muster scan there".to_owned()
                } else {
                    format!(
                        "{} agents found on {} {}, {} shadow",
                        overview.endpoint_agents.total,
                        overview.endpoint_hosts,
                        if overview.endpoint_hosts == 1 { "host" } else { "hosts" },
                        overview.endpoint_agents.count,
                    )
                }
                href=routes::inventory_path("agents", &[("scanned", "true"), ("sort", "sanctioned")])
            />
            <Stat
                label="SaaS and cloud agents"
                value=(saas + cloud).to_string()
                detail=format!(
                    "{saas} acting through OAuth grants and tokens, {cloud} through cloud roles"
                )
                href=routes::inventory_path("agents", &[("category", "saas")])
            />
            <Stat
                label="Active credentials"
                value=overview.static_credentials.total.to_string()
                detail=format!(
                    "{} static secrets ({}%)",
                    overview.static_credentials.count,
                    overview.static_credentials.percent(),
                )
                href=credentials
            />
            <Stat
                label="Agent owner coverage"
                value=format!("{}%", coverage.percent())
                detail=format!("{} of {} agents", coverage.count, coverage.total)
                href=routes::inventory_path("agents", &[("has_no_owner", "true")])
            />
            <Stat
                label="Credential owner coverage"
                value=format!("{}%", overview.credential_owner_coverage.percent())
                detail=format!(
                    "{} of {} active credentials",
                    overview.credential_owner_coverage.count,
                    overview.credential_owner_coverage.total,
                )
                href=routes::inventory_path("credentials", &[("has_no_owner", "true")])
            />
            <Stat
                label="Secrets in plaintext places"
                value=overview.plaintext_exposed.count.to_string()
                detail=format!("{}% of active credentials", overview.plaintext_exposed.percent())
                href=routes::inventory_path("copies", &[("status", "present")])
            />
            <Stat
                label="Orphaned"
                value=(overview.orphaned_agents + overview.orphaned_credentials).to_string()
                detail=format!(
                    "{} agents, {} credentials whose owner left",
                    overview.orphaned_agents,
                    overview.orphaned_credentials,
                )
                href=routes::inventory_path("agents", &[("orphaned", "true")])
            />
            <Stat
                label="Revocations in progress"
                value=overview.open_revocations.to_string()
                detail=format!("{} stored copies left to remove", overview.copies_to_remove)
                href=Screen::Revocations.path().to_owned()
            />
            <Stat
                label="Pending approvals"
                value=overview.pending_approvals.to_string()
                detail="sensitive operations waiting for approvers".to_owned()
                href=Screen::Approvals.path().to_owned()
            />
        </div>
        {
            let summary = summary.clone();
            move || match by_team.get() {
                Some(Ok(coverage)) => view! { <Charts summary=summary.clone() coverage /> }.into_any(),
                Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                None => view! { <p class="loading">"Counting owners…"</p> }.into_any(),
            }
        }
        <div class="grid-2">
            <Bands summary=summary.clone() />
            <References summary=summary.clone() />
        </div>
        <div class="grid-2">
            <Ranked title="Riskiest credentials" kind="credentials" rows=summary.top_credentials.clone() />
            <Ranked title="Riskiest agents" kind="agents" rows=summary.top_agents.clone() />
        </div>
        <p class="footnote">
            "Risk model " {summary.risk_model_version.clone()} ", scores as of "
            {summary.computed_at.clone().map(|t| crate::format::minute(&t)).unwrap_or_else(|| "never".into())}
            ". Every factor, its OWASP reference and its weight are documented in "
            <code>"docs/risk-model.md"</code> "."
        </p>
    }
    .into_any()
}
