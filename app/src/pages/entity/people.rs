//! People and teams: a person with their team, manager and what they own;
//! a team with its place in the hierarchy, its people and sub-teams.

use leptos::prelude::*;
use model::api::{self as json, NodeKind};

use super::{GraphLinks, RefList, RiskList, loaded};
use crate::components::page::Page;
use crate::routes::{self, Screen};
use crate::{api, format};

/// The page of person `id`.
#[component]
pub fn PersonPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::person(id));
    move || {
        loaded(detail.get(), |d: json::PersonDetail| {
            let p = d.person.clone();
            let status = match d.departed_at {
                Some(at) => format!("left on {}", format::day(at.date_naive())),
                None => p.status.label().to_owned(),
            };
            let question = format!("{} · {status}", p.email);
            view! {
                <Page title=p.name.clone() question testid="person-page">
                    <div class="entity-header">
                        <GraphLinks kind=NodeKind::Person id=p.id />
                        {p.team.clone().map(|t| view! {
                            <span>"Team: " <a href=routes::entity_path("teams", t.id)>{t.name}</a></span>
                        })}
                        {p.manager.clone().map(|m| view! {
                            <span>"Manager: " <a href=routes::entity_path("people", m.id)>{m.name}</a></span>
                        })}
                        {(p.status == model::api::PersonStatus::Departed).then(|| view! {
                            <span class="badge badge-muted">"Everything they own is orphaned"</span>
                        })}
                    </div>
                    <div class="grid-2">
                        <section class="card section" data-testid="owned-agents">
                            <h2>"Agents they own " <span class="num subtle">{d.agents_total}</span></h2>
                            <RiskList list="agents" rows=d.agents.iter().map(|a| (a.id, a.name.clone(), a.risk.clone())).collect() />
                        </section>
                        <section class="card section" data-testid="owned-credentials">
                            <h2>"Credentials they own " <span class="num subtle">{d.credentials_total}</span></h2>
                            <RiskList list="credentials" rows=d.credentials.iter().map(|c| (c.id, c.name.clone(), c.risk.clone())).collect() />
                        </section>
                    </div>
                </Page>
            }
            .into_any()
        })
    }
}

/// The page of team `id`.
#[component]
pub fn TeamPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::team(id));
    move || {
        loaded(detail.get(), |d: json::TeamDetail| {
            let t = d.team.clone();
            let question = format!(
                "{} people · members own {} agents and {} credentials",
                t.members, d.agents_owned, d.credentials_owned
            );
            view! {
                <Page title=t.name.clone() question testid="team-page">
                    <div class="entity-header">
                        <GraphLinks kind=NodeKind::Team id=t.id />
                        {t.parent.clone().map(|parent| view! {
                            <span>"Part of " <a href=routes::entity_path("teams", parent.id)>{parent.name}</a></span>
                        })}
                        <a href=format!("{}?team={}", Screen::Teams.path(), t.id)>"Owner coverage and gaps"</a>
                    </div>
                    <div class="grid-2">
                        <section class="card section" data-testid="members">
                            <h2>"People"</h2>
                            <table class="data compact">
                                <tbody>
                                    {d.people.iter().map(|p| view! {
                                        <tr>
                                            <td><a href=routes::entity_path("people", p.id)>{p.name.clone()}</a></td>
                                            <td class="subtle">{p.email.clone()}</td>
                                            <td>{p.status.label()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                        <section class="card section" data-testid="sub-teams">
                            <h2>"Sub-teams"</h2>
                            <RefList list="teams" refs=d.children.clone() />
                        </section>
                    </div>
                </Page>
            }
            .into_any()
        })
    }
}
