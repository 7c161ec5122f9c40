//! The Overview: how exposed are we? The answer first (critical credentials,
//! owner coverage), then headline figures, the bands, the OWASP NHI Top 10
//! breakdown and the riskiest credentials and agents with their leading factor.
//! Sizes are set with `style:` (the CSS object model), which the CSP allows,
//! never with `style` attributes, which it blocks.

use chrono::NaiveDate;
use leptos::prelude::*;
use model::api::{self as json, RiskBand};

use crate::components::chart::{self, Chart, CoverageTrend, DailyChart, Drawing, Series};
use crate::components::form::Alert;
use crate::components::page::ScreenPage;
use crate::components::risk::RiskCell;
use crate::routes::{self, Screen};
use crate::{api, format};

/// Figures and tables, each loading on its own.
#[component]
pub fn Overview() -> impl IntoView {
    let overview = api::Fetched::new(api::overview);
    let summary = api::Fetched::new(api::risk_summary);
    let coverage = api::Fetched::new(|| api::coverage(None));
    let findings = api::Fetched::new(api::recent_findings);
    chart::preload();
    view! {
        <ScreenPage screen=Screen::Overview>
            <Suspense fallback=|| view! { <p class="loading">"Reading the inventory…"</p> }>
                {move || {
                    match (overview.get(), summary.get()) {
                        (Some(Ok(overview)), Some(Ok(summary))) => {
                            view! { <Posture overview summary by_team=coverage /> }.into_any()
                        }
                        (Some(Err(error)), _) | (_, Some(Err(error))) => {
                            view! { <Alert message=error.message /> }.into_any()
                        }
                        _ => view! { <p class="loading">"Reading the inventory…"</p> }.into_any(),
                    }
                }}
            </Suspense>
            {move || findings.get().map(|result| match result {
                Ok(recent) => view! { <UnusualBehaviour recent /> }.into_any(),
                Err(error) => view! { <Alert message=error.message /> }.into_any(),
            })}
        </ScreenPage>
    }
}

/// Behaviour findings of the last 30 days, by kind, then the newest, each
/// linking to its credential (shown only when activity has been imported).
#[component]
fn UnusualBehaviour(recent: json::RecentFindings) -> impl IntoView {
    if recent.by_kind.is_empty() {
        return ().into_any();
    }
    let total: i64 = recent.by_kind.iter().map(|c| c.count).sum();
    let counts = recent
        .by_kind
        .iter()
        .map(
            |c| view! { <li><strong class="num">{c.count}</strong> " " {c.kind.label().to_lowercase()}</li> },
        )
        .collect_view();
    let rows = recent
        .findings
        .iter()
        .take(10)
        .map(|f| {
            view! {
                <tr>
                    <td class="nowrap">{format::at(f.occurred_at)}</td>
                    <td>
                        <a href=routes::entity_path("credentials", f.credential.id)>{f.credential.name.clone()}</a>
                    </td>
                    <td><strong>{f.kind.label()}</strong></td>
                    <td>{f.evidence.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card section" id="behaviour" data-testid="unusual-behaviour">
            <h2>
                "Unusual behaviour in the last 30 days: " <span class="num">{total}</span> " findings"
            </h2>
            <ul class="inline-counts">{counts}</ul>
            <table class="data compact">
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn Posture(
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
            <Card
                label="Agents"
                value=agents.to_string()
                detail=format!("{} shadow ({}%)", overview.shadow_agents.count, overview.shadow_agents.percent())
                href=routes::inventory_path("agents", &[])
            />
            <Card
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
            <Card
                label="SaaS and cloud agents"
                value=(saas + cloud).to_string()
                detail=format!(
                    "{saas} acting through OAuth grants and tokens, {cloud} through cloud roles"
                )
                href=routes::inventory_path("agents", &[("category", "saas")])
            />
            <Card
                label="Active credentials"
                value=overview.static_credentials.total.to_string()
                detail=format!(
                    "{} static secrets ({}%)",
                    overview.static_credentials.count,
                    overview.static_credentials.percent(),
                )
                href=credentials
            />
            <Card
                label="Agent owner coverage"
                value=format!("{}%", coverage.percent())
                detail=format!("{} of {} agents", coverage.count, coverage.total)
                href=routes::inventory_path("agents", &[("has_no_owner", "true")])
            />
            <Card
                label="Credential owner coverage"
                value=format!("{}%", overview.credential_owner_coverage.percent())
                detail=format!(
                    "{} of {} active credentials",
                    overview.credential_owner_coverage.count,
                    overview.credential_owner_coverage.total,
                )
                href=routes::inventory_path("credentials", &[("has_no_owner", "true")])
            />
            <Card
                label="Secrets in plaintext places"
                value=overview.plaintext_exposed.count.to_string()
                detail=format!("{}% of active credentials", overview.plaintext_exposed.percent())
                href=routes::inventory_path("copies", &[("status", "present")])
            />
            <Card
                label="Orphaned"
                value=(overview.orphaned_agents + overview.orphaned_credentials).to_string()
                detail=format!(
                    "{} agents, {} credentials whose owner left",
                    overview.orphaned_agents,
                    overview.orphaned_credentials,
                )
                href=routes::inventory_path("agents", &[("orphaned", "true")])
            />
            <Card
                label="Revocations in progress"
                value=overview.open_revocations.to_string()
                detail=format!("{} stored copies left to remove", overview.copies_to_remove)
                href=Screen::Revocations.path().to_owned()
            />
            <Card
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

/// The charts: scores and their trend, coverage by team and its trend.
#[component]
fn Charts(summary: json::RiskSummary, coverage: json::Coverage) -> impl IntoView {
    let days: Vec<NaiveDate> = coverage.history.iter().map(|p| p.day).collect();
    let since = days.first().map(|d| format::day(*d)).unwrap_or_default();
    let count = |pick: fn(&json::PosturePoint) -> i64| -> Vec<f64> {
        coverage.history.iter().map(|p| pick(p) as f64).collect()
    };
    let risky = count(|p| p.critical.max(p.high));
    let top = risky.iter().copied().fold(1.0, f64::max) * 1.15;
    let risk_series = vec![
        Series {
            name: "Critical",
            color: "#b42318",
            values: count(|p| p.critical),
        },
        Series {
            name: "High",
            color: "#c2410c",
            values: count(|p| p.high),
        },
    ];
    let history = coverage.history.clone();
    view! {
        <div class="grid-2">
            <Histogram summary=summary.clone() />
            <section class="card section" data-testid="risk-trend">
                <h2>"Critical and high-risk credentials since " {since.clone()}</h2>
                <DailyChart
                    description=format!(
                        "Active credentials in the critical and high bands since {since}: {} and {} today",
                        summary.credentials.critical,
                        summary.credentials.high,
                    )
                    days=days.clone()
                    series=risk_series
                    y_max=top
                />
            </section>
        </div>
        <div class="grid-2">
            <TeamCoverage coverage />
            <CoverageTrend history />
        </div>
    }
}

/// Active credentials by score, coloured by band.
#[component]
fn Histogram(summary: json::RiskSummary) -> impl IntoView {
    let total: i64 = summary.histogram.iter().sum();
    let drawing = Drawing::Histogram {
        counts: summary.histogram.clone(),
        width: 5,
        label_every: 5,
        color_of: |bin| match RiskBand::of(i64::from(bin) * 5) {
            RiskBand::Critical => "#b42318",
            RiskBand::High => "#c2410c",
            RiskBand::Medium => "#a16207",
            RiskBand::Low => "#2f7d4f",
        },
    };
    view! {
        <section class="card section" data-testid="histogram">
            <h2>"Risk scores of active credentials"</h2>
            <Chart
                description=format!(
                    "{total} active credentials by risk score: {} critical, {} high, {} medium, {} low",
                    summary.credentials.critical,
                    summary.credentials.high,
                    summary.credentials.medium,
                    summary.credentials.low,
                )
                drawing
                size=(560, 230)
            />
        </section>
    }
}

/// Agent owner coverage of each top-level team, lowest first, then the
/// organisation's coverage over time.
#[component]
fn TeamCoverage(coverage: json::Coverage) -> impl IntoView {
    let names: Vec<String> = coverage
        .teams
        .iter()
        .map(|t| t.team.as_ref().map(|t| t.name.clone()).unwrap_or_default())
        .collect();
    let percents: Vec<f64> = coverage.teams.iter().map(|t| t.agents.percent() as f64).collect();
    let height = 40 + 30 * names.len().max(1) as u32;
    let described: Vec<String> = names
        .iter()
        .zip(&percents)
        .map(|(name, percent)| format!("{name} {percent}%"))
        .collect();
    view! {
        <section class="card section" data-testid="team-coverage">
            <h2>"Agent owner coverage by team"</h2>
            <Chart
                description=format!("Agent owner coverage by team: {}", described.join(", "))
                drawing=Drawing::Bars {
                    labels: names,
                    percents,
                    color: "#0e7490",
                }
                size=(560, height)
            />
        </section>
    }
}

/// One headline figure, linking to the list behind it.
#[component]
fn Card(label: &'static str, value: String, detail: String, href: String) -> impl IntoView {
    view! {
        <a class="card stat" href=href>
            <span class="stat-label">{label}</span>
            <span class="stat-value num">{value}</span>
            <span class="stat-detail">{detail}</span>
        </a>
    }
}

/// Active credentials and agents by band, as proportional bars.
#[component]
fn Bands(summary: json::RiskSummary) -> impl IntoView {
    let row = |what: &'static str, counts: json::BandCounts| {
        let parts = [
            (RiskBand::Critical, counts.critical),
            (RiskBand::High, counts.high),
            (RiskBand::Medium, counts.medium),
            (RiskBand::Low, counts.low),
        ];
        view! {
            <div class="band-row">
                <span class="band-what">{what}</span>
                <div class="band-bar" role="img" aria-label=format!(
                    "{what}: {} critical, {} high, {} medium, {} low",
                    counts.critical, counts.high, counts.medium, counts.low,
                )>
                    {parts
                        .into_iter()
                        .filter(|(_, n)| *n > 0)
                        .map(|(band, n)| {
                            view! {
                                <span
                                    class=format!("band-part risk-{}", band.as_str())
                                    style:flex-grow=n.to_string()
                                    title=format!("{} {n}", band.label())
                                ></span>
                            }
                        })
                        .collect_view()}
                </div>
                <div class="band-legend">
                    {parts
                        .into_iter()
                        .map(|(band, n)| {
                            view! {
                                <span>
                                    <span class=format!("legend-dot risk-{}", band.as_str())></span>
                                    {band.label()} " " <span class="num">{n}</span>
                                </span>
                            }
                        })
                        .collect_view()}
                </div>
            </div>
        }
    };
    view! {
        <section class="card section" data-testid="bands">
            <h2>"Risk bands"</h2>
            {row("Active credentials", summary.credentials)}
            {row("Agents", summary.agents)}
        </section>
    }
}

/// How many credentials and agents have a factor of each OWASP NHI risk.
#[component]
fn References(summary: json::RiskSummary) -> impl IntoView {
    let widest = summary
        .by_reference
        .iter()
        .map(|r| r.credentials)
        .max()
        .unwrap_or(1)
        .max(1);
    view! {
        <section class="card section" data-testid="references">
            <h2>"OWASP Non-Human Identities Top 10"</h2>
            <table class="data compact">
                <thead>
                    <tr>
                        <th>"Risk"</th>
                        <th class="num-col">"Credentials"</th>
                        <th class="num-col">"Agents"</th>
                    </tr>
                </thead>
                <tbody>
                    {summary
                        .by_reference
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td>
                                        <span class="nhi">{r.reference}</span>
                                        " "
                                        {r.title}
                                    </td>
                                    <td class="num-col">
                                        <span class="inline-bar" style:width=format!("{}%", r.credentials * 100 / widest)></span>
                                        <span class="num">{r.credentials}</span>
                                    </td>
                                    <td class="num-col num">{r.agents}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The riskiest entities, each with its leading factor.
#[component]
fn Ranked(title: &'static str, kind: &'static str, rows: Vec<json::RankedRisk>) -> impl IntoView {
    view! {
        <section class="card section" data-testid=format!("top-{kind}")>
            <h2>{title}</h2>
            <table class="data compact">
                <tbody>
                    {rows
                        .into_iter()
                        .take(10)
                        .map(|row| {
                            view! {
                                <tr>
                                    <td class="ranked-name">
                                        <a href=routes::entity_path(kind, row.id)>{row.name}</a>
                                    </td>
                                    <td>
                                        <RiskCell risk=row.risk />
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
