//! The charts: active credentials by risk score, the critical and high ones
//! over time, agent owner coverage by team and its trend.

use chrono::NaiveDate;
use leptos::prelude::*;
use model::api::{self as json, RiskBand};

use crate::components::chart::{Chart, CoverageTrend, DailyChart, Drawing, Series};
use crate::format;

/// The charts: scores and their trend, coverage by team and its trend.
#[component]
pub(super) fn Charts(summary: json::RiskSummary, coverage: json::Coverage) -> impl IntoView {
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
