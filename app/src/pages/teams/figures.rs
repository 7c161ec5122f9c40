//! The figures of the team looked at: owner coverage of its agents and
//! credentials, the orphaned and the unowned, the coverage's trend, and its
//! sub-teams, each a link to its own view.

use leptos::prelude::*;
use model::api as json;

use crate::components::chart::CoverageTrend;
use crate::components::stat::Stat;
use crate::routes::Screen;

/// The headline figures, the trend and the sub-teams.
#[component]
pub(super) fn Figures(coverage: json::Coverage) -> impl IntoView {
    let json::Coverage {
        coverage: figures,
        teams,
        history,
        ..
    } = coverage;
    let scope = figures
        .team
        .as_ref()
        .map_or("The whole organisation".to_owned(), |t| {
            format!("{} and its sub-teams", t.name)
        });
    view! {
        <h2 class="scope" data-testid="scope">{scope}</h2>
        <div class="cards" data-testid="coverage">
            <Stat
                label="Agent owner coverage"
                value=format!("{}%", figures.agents.percent())
                detail=format!("{} of {} agents", figures.agents.count, figures.agents.total)
                testid="agent-coverage"
            />
            <Stat
                label="Credential owner coverage"
                value=format!("{}%", figures.credentials.percent())
                detail=format!(
                    "{} of {} active credentials",
                    figures.credentials.count,
                    figures.credentials.total,
                )
                testid="credential-coverage"
            />
            <Stat
                label="Orphaned"
                value=figures.orphaned.to_string()
                detail="their owner has left".to_owned()
                testid="orphaned"
            />
            <Stat
                label="Unowned"
                value=figures.unowned.to_string()
                detail="never had an owner".to_owned()
                testid="unowned"
            />
        </div>
        <div class="grid-2">
            <CoverageTrend history />
            <SubTeams teams />
        </div>
    }
}

/// The sub-teams, lowest coverage first, each a link to its own view.
#[component]
fn SubTeams(teams: Vec<json::TeamCoverage>) -> impl IntoView {
    view! {
        <section class="card section" data-testid="sub-teams">
            <h2>"Teams"</h2>
            {if teams.is_empty() {
                view! { <p class="subtle">"No sub-teams."</p> }.into_any()
            } else {
                view! {
                    <table class="data compact">
                        <thead>
                            <tr>
                                <th>"Team"</th>
                                <th class="num-col">"Agents owned"</th>
                                <th class="num-col">"Credentials owned"</th>
                                <th class="num-col">"Orphaned"</th>
                                <th class="num-col">"Unowned"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {teams
                                .into_iter()
                                .map(|t| {
                                    let team = t.team.unwrap_or(json::Ref { id: 0, name: "?".into() });
                                    view! {
                                        <tr>
                                            <td>
                                                <a href=format!("{}?team={}", Screen::Teams.path(), team.id)>{team.name}</a>
                                            </td>
                                            <td class="num-col num">{t.agents.percent()} "%"</td>
                                            <td class="num-col num">{t.credentials.percent()} "%"</td>
                                            <td class="num-col num">{t.orphaned}</td>
                                            <td class="num-col num">{t.unowned}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}
