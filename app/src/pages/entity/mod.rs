//! Entity pages: a credential or an agent with its risk explained factor by
//! factor, the last access review that vouched for it, and what it is
//! connected to; a person with what they own; a team
//! with its place in the hierarchy and its people; a resource with the
//! credentials that reach it; a tool with its agents and credentials; a
//! stored copy of a secret; for admins, an agent's API tokens. Each links to
//! the graph explorer started from it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use model::api::{self as json, NodeKind, OwnedKind};

use crate::components::attestation::LastAttested;
use crate::components::change_request::RequestChange;
use crate::components::endpoint::EndpointFacts;
use crate::components::owner::AssignOwner;
use crate::components::page::Page;
use crate::components::platform::{GrantFacts, PlatformFacts};
use crate::components::reach::ReachTable;
use crate::components::revocation::RevocationLink;
use crate::components::risk::RiskBadge;
use crate::components::tokens::AgentTokens;
use crate::pages::not_found::NotFound;
use crate::routes::{self, Screen};
use crate::{api, format};

/// `/inventory/<list>/:id`: the page `page` draws for the id in the path
/// (each kind of entity is its own lazy route, see `app.rs`), or Not found
/// for an id that is not a number.
pub fn entity_page(page: fn(i64) -> AnyView) -> AnyView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    (move || match id.get() {
        Some(id) => page(id),
        None => view! { <NotFound /> }.into_any(),
    })
    .into_any()
}

/// The loading and error states around a detail.
fn loaded<T: Clone + 'static>(
    result: Option<Result<T, api::ApiError>>,
    page: impl Fn(T) -> AnyView + 'static,
) -> AnyView {
    match result {
        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
        Some(Err(error)) => view! {
            <Page title="Not available" question=error.message.clone() testid="entity-error" />
        }
        .into_any(),
        Some(Ok(detail)) => page(detail),
    }
}

/// The page of credential `id`.
#[component]
pub fn CredentialPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::credential(id));
    let outcome = RwSignal::new(None);
    move || {
        loaded(detail.get(), move |d: json::CredentialDetail| {
            let c = d.credential.clone();
            let question = format!(
                "{} · {} · {} · {}",
                c.kind.label(),
                c.provider,
                c.external_id,
                c.status.label()
            );
            view! {
                <Page title=c.name.clone() question testid="credential-page">
                    <EntityHeader kind=NodeKind::Credential id=c.id owner=c.owner.clone() risk=d.risk.clone() />
                    <div class="entity-header">
                        <RevocationLink credential=c.id revocation=d.revocation.clone() />
                        <LastAttested attestation=d.last_attested.clone() />
                    </div>
                    <AssignOwner kind=OwnedKind::Credential id=c.id outcome done=move || detail.refetch() />
                    <RiskFactors risk=d.risk.clone() />
                    {d.grant.clone().map(|grant| view! { <GrantFacts credential=c.id grant done=move || detail.refetch() /> })}
                    <div class="grid-2">
                        <section class="card section" data-testid="copies">
                            <h2>"Stored copies of the secret " <span class="num subtle">{c.copies} " present"</span></h2>
                            <table class="data compact">
                                <tbody>
                                    {d.copies.iter().map(|copy| view! {
                                        <tr>
                                            <td>{copy.kind.label()}</td>
                                            <td class="mono subtle">{copy.locator.clone()}</td>
                                            <td>{copy.status.label()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                        <section class="card section" data-testid="consumers">
                            <h2>"Used by"</h2>
                            <p>
                                <span class="num">{d.agents_total}</span> " agents through "
                                <span class="num">{d.tools.len()}</span> " tools"
                            </p>
                            <RefList list="agents" refs=d.agents.clone() />
                        </section>
                    </div>
                    <div class="grid-2">
                        <section class="card section" data-testid="reach">
                            <h2>
                                "Reach: " <span class="num">{d.reach_total}</span> " resources · blast radius "
                                <span class="num">{d.blast_radius}</span> "/100"
                            </h2>
                            <ReachTable reach=d.reach.clone() />
                        </section>
                        <section class="card section" data-testid="activity">
                            <h2>"Recent activity"</h2>
                            <ActivityTable events=d.recent_activity.clone() />
                        </section>
                    </div>
                    <BehaviourSection id=c.id />
                </Page>
            }
            .into_any()
        })
    }
}

/// The page of agent `id`.
#[component]
pub fn AgentPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::agent(id));
    let outcome = RwSignal::new(None);
    let sanction_outcome = RwSignal::new(None);
    move || {
        loaded(detail.get(), move |d: json::AgentDetail| {
            let a = d.agent.clone();
            let question = format!(
                "{} · {} · {}{}",
                a.category.label(),
                a.platform,
                a.environment.label(),
                if a.sanctioned {
                    ""
                } else {
                    " · shadow (not sanctioned)"
                }
            );
            view! {
                <Page title=a.name.clone() question testid="agent-page">
                    <EntityHeader kind=NodeKind::Agent id=a.id owner=a.owner.clone() risk=d.risk.clone() />
                    <div class="entity-header">
                        <LastAttested attestation=d.last_attested.clone() />
                    </div>
                    <AssignOwner kind=OwnedKind::Agent id=a.id outcome done=move || detail.refetch() />
                    <RiskFactors risk=d.risk.clone() />
                    {d.endpoint.clone().map(|facts| view! {
                        <EndpointFacts
                            agent=a.id
                            facts
                            sanctioned=a.sanctioned
                            outcome=sanction_outcome
                            done=move || detail.refetch()
                        />
                    })}
                    {d.platform.clone().map(|facts| view! {
                        <PlatformFacts
                            agent=a.id
                            facts
                            sanctioned=a.sanctioned
                            outcome=sanction_outcome
                            done=move || detail.refetch()
                        />
                    })}
                    <section class="card section" data-testid="agent-reach">
                        <h2>"What it reaches, through its credentials"</h2>
                        {if d.reach.is_empty() {
                            view! { <p class="subtle">"Nothing the inventory knows of."</p> }.into_any()
                        } else {
                            view! { <ReachTable reach=d.reach.clone() /> }.into_any()
                        }}
                    </section>
                    <AgentTokens agent=a.id />
                    <RequestChange agent=a.id />
                    <section class="card section" data-testid="credentials">
                        <h2>"Credentials its tools use"</h2>
                        <table class="data compact">
                            <tbody>
                                {d.credentials.iter().map(|c| view! {
                                    <tr>
                                        <td><a href=routes::entity_path("credentials", c.id)>{c.name.clone()}</a></td>
                                        <td>{c.kind.label()}</td>
                                        <td>{c.status.label()}</td>
                                        <td><RiskBadge band=c.risk.band score=c.risk.score /></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                </Page>
            }
            .into_any()
        })
    }
}

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

/// The page of resource `id`.
#[component]
pub fn ResourcePage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::resource(id));
    move || {
        loaded(detail.get(), |d: json::ResourceDetail| {
            let r = d.resource.clone();
            let question = format!(
                "{} · {} · {} · {}",
                r.kind.label(),
                r.provider,
                r.environment.label(),
                r.sensitivity.label()
            );
            view! {
                <Page title=r.name.clone() question testid="resource-page">
                    <div class="entity-header">
                        <GraphLinks kind=NodeKind::Resource id=r.id />
                        {match r.owner_team.clone() {
                            Some(t) => view! {
                                <span>"Owned by " <a href=routes::entity_path("teams", t.id)>{t.name}</a></span>
                            }.into_any(),
                            None => view! { <span class="badge badge-muted">"No owning team"</span> }.into_any(),
                        }}
                    </div>
                    <WhoCanReach to=format!("resource:{}", r.id) />
                    <section class="card section" data-testid="reached-by">
                        <h2>"Credentials that reach it " <span class="num subtle">{d.reached_by_total}</span></h2>
                        <table class="data compact">
                            <tbody>
                                {d.reached_by.iter().map(|x| view! {
                                    <tr>
                                        <td><a href=routes::entity_path("credentials", x.credential.id)>{x.credential.name.clone()}</a></td>
                                        <td>{x.permission.label()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                </Page>
            }
            .into_any()
        })
    }
}

/// Who can reach `to`: every path from the people (or from an agent or a
/// credential nobody owns) down to it, shortest first, each with its
/// permission and its weakest link; each step links to its page.
#[component]
fn WhoCanReach(to: String) -> impl IntoView {
    let query = to.clone();
    let paths = api::Fetched::new(move || api::paths(&query, None, 25));
    move || {
        paths.get().map(|answer| match answer {
            Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
            Ok(found) => {
                let names: std::collections::HashMap<String, json::GraphNode> = found
                    .graph
                    .nodes
                    .iter()
                    .map(|n| (n.id.clone(), n.clone()))
                    .collect();
                let step = move |id: &String| {
                    let node = names.get(id).cloned();
                    match node {
                        Some(n) => match n.entity_id {
                            Some(entity) => view! {
                                <a href=routes::node_path(n.kind, entity) title=n.detail.clone()>
                                    <span class="subtle">{n.kind.label()} " "</span>{n.label.clone()}
                                </a>
                            }.into_any(),
                            None => view! { <span class="subtle">{n.label.clone()}</span> }.into_any(),
                        },
                        None => view! { <span>{id.clone()}</span> }.into_any(),
                    }
                };
                let shown = found.paths.len();
                view! {
                    <section class="card section" data-testid="who-can-reach">
                        <h2>"Who can reach it " <span class="num subtle">{found.total}</span></h2>
                        <p class="subtle">
                            "Every path to it, shortest first, then the strongest permission; the weakest link of each is named."
                            {(found.total as usize > shown).then(|| format!(" The first {shown} are shown."))}
                            {found.truncated.clone().map(|why| format!(" The search stopped short: {why}."))}
                            " " <a href=routes::graph_paths(&found.to, None) data-testid="draw-paths">"Draw them in the graph"</a>
                        </p>
                        {(shown == 0).then(|| view! { <p>"No active credential reaches it."</p> })}
                        <table class="data compact">
                            <tbody>
                                {found.paths.iter().map(|path| {
                                    let last = path.nodes.len().saturating_sub(1);
                                    view! {
                                        <tr data-testid="reach-path">
                                            <td>
                                                {path.nodes[..last].iter().enumerate().map(|(i, id)| view! {
                                                    {(i > 0).then_some(" → ")}
                                                    {step(id)}
                                                }).collect_view()}
                                            </td>
                                            <td>{path.permission.map(|p| p.label())}</td>
                                            <td class="subtle">{path.weakness.clone()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                }
                .into_any()
            }
        })
    }
}

/// The graph explorer started here, and for a credential its blast radius.
#[component]
fn GraphLinks(kind: NodeKind, id: i64) -> impl IntoView {
    view! {
        <a href=routes::graph_path(kind, id, false) data-testid="explore-graph">"Explore in graph"</a>
        {(kind == NodeKind::Credential).then(|| view! {
            <a href=routes::graph_path(kind, id, true)>"Blast radius in the graph"</a>
        })}
    }
}

/// The page of tool `id`.
#[component]
pub fn ToolPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::tool(id));
    move || {
        loaded(detail.get(), |d: json::ToolDetail| {
            let t = d.tool.clone();
            let question = format!("{} · used by {} agents", t.kind.label(), t.agents);
            view! {
                <Page title=t.name.clone() question testid="tool-page">
                    <div class="entity-header">
                        <GraphLinks kind=NodeKind::Tool id=t.id />
                    </div>
                    <p class="card section">{d.description.clone()}</p>
                    <div class="grid-2">
                        <section class="card section" data-testid="tool-agents">
                            <h2>"Agents that use it " <span class="num subtle">{t.agents}</span></h2>
                            <RefList list="agents" refs=d.agents.clone() />
                        </section>
                        <section class="card section" data-testid="tool-credentials">
                            <h2>"Credentials it authenticates with"</h2>
                            <RiskList list="credentials" rows=d.credentials.iter().map(|c| (c.id, c.name.clone(), c.risk.clone())).collect() />
                        </section>
                    </div>
                </Page>
            }
            .into_any()
        })
    }
}

/// The page of copy `id`.
#[component]
pub fn CopyPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::copy(id));
    move || {
        loaded(detail.get(), |c: json::CopySummary| {
            let question = format!("{} · {}", c.kind.label(), c.status.label());
            view! {
                <Page title=c.locator.clone() question testid="copy-page">
                    <div class="entity-header">
                        <GraphLinks kind=NodeKind::Copy id=c.id />
                    </div>
                    <section class="card section">
                        <dl class="facts">
                            <dt>"Secret of"</dt>
                            <dd><a href=routes::entity_path("credentials", c.credential.id)>{c.credential.name.clone()}</a></dd>
                            <dt>"Found by"</dt>
                            <dd>{c.found_by.clone()}</dd>
                            <dt>"Written by"</dt>
                            <dd>{c.author_email.clone().unwrap_or_else(|| "unknown".into())}</dd>
                            <dt>"First seen"</dt>
                            <dd>{format::day(c.first_seen.date_naive())}</dd>
                            <dt>"Last seen"</dt>
                            <dd>{format::day(c.last_seen.date_naive())}</dd>
                        </dl>
                    </section>
                </Page>
            }
            .into_any()
        })
    }
}

/// Entities of one list, each linked to its page.
#[component]
fn RefList(list: &'static str, refs: Vec<json::Ref>) -> impl IntoView {
    view! {
        <ul class="plain">
            {refs.into_iter().map(|r| view! {
                <li><a href=routes::entity_path(list, r.id)>{r.name}</a></li>
            }).collect_view()}
        </ul>
    }
}

/// Agents or credentials, each linked, with its band.
#[component]
fn RiskList(list: &'static str, rows: Vec<(i64, String, json::RiskBrief)>) -> impl IntoView {
    view! {
        <table class="data compact">
            <tbody>
                {rows.into_iter().map(|(id, name, risk)| view! {
                    <tr>
                        <td><a href=routes::entity_path(list, id)>{name}</a></td>
                        <td><RiskBadge band=risk.band score=risk.score /></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Owner and risk, first.
#[component]
fn EntityHeader(kind: NodeKind, id: i64, owner: Option<json::Ref>, risk: json::Risk) -> impl IntoView {
    view! {
        <div class="entity-header">
            <RiskBadge band=risk.band score=risk.score />
            <GraphLinks kind id />
            <span>
                "Owner: "
                {match owner {
                    Some(person) => view! { <a href=routes::entity_path("people", person.id)>{person.name}</a> }.into_any(),
                    None => view! { <span class="badge badge-muted">"No owner"</span> }.into_any(),
                }}
            </span>
        </div>
    }
}

/// Every factor with its weight, OWASP reference and evidence.
#[component]
fn RiskFactors(risk: json::Risk) -> impl IntoView {
    if risk.factors.is_empty() {
        return view! { <p class="card section">"No risk factor fires for it."</p> }.into_any();
    }
    view! {
        <section class="card section" data-testid="risk-factors">
            <h2>"Why it scores " <span class="num">{risk.score}</span></h2>
            <table class="data compact">
                <thead>
                    <tr>
                        <th class="num-col">"Points"</th>
                        <th>"Factor"</th>
                        <th>"OWASP"</th>
                        <th>"Evidence"</th>
                    </tr>
                </thead>
                <tbody>
                    {risk.factors.into_iter().map(|f| view! {
                        <tr>
                            <td class="num-col num">"+" {f.weight}</td>
                            <td>{f.title}</td>
                            <td class="nowrap" title=f.reference_title><span class="nhi">{f.reference}</span></td>
                            <td>{f.evidence}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="footnote">"Risk model " {risk.risk_model_version} "; the sum is capped at 100."</p>
        </section>
    }
    .into_any()
}

/// What a credential normally does (its baseline, learned from imported
/// activity) and what it did outside it, newest first.
#[component]
fn BehaviourSection(id: i64) -> impl IntoView {
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
