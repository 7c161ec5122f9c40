//! The risk tables: active credentials and agents by band, how many have a
//! factor of each OWASP NHI risk, and the riskiest of each with its leading
//! factor.

use leptos::prelude::*;
use model::api::{self as json, RiskBand};

use crate::components::risk::RiskCell;
use crate::routes;

/// Active credentials and agents by band, as proportional bars.
#[component]
pub(super) fn Bands(summary: json::RiskSummary) -> impl IntoView {
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
pub(super) fn References(summary: json::RiskSummary) -> impl IntoView {
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
pub(super) fn Ranked(title: &'static str, kind: &'static str, rows: Vec<json::RankedRisk>) -> impl IntoView {
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
