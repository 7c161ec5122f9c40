//! My teams: a manager's view of ownership. The coverage of their team (and
//! its sub-teams) with its trend, the sub-teams' figures, the claim inbox of
//! unowned and orphaned agents and credentials counted against them, with
//! hints of the likely owner, and a transfer of everything a person owns.
//! `?team=` looks at another team (a sub-team's link, or for admins and
//! CISOs, who may have no team); without it, the signed-in person's team, or
//! the whole organisation.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use model::api::{self as json, GapState, OwnedKind, PersonStatus};

use crate::auth::Auth;
use crate::components::chart::CoverageTrend;
use crate::components::form::{Alert, Outcome, TextField};
use crate::components::page::ScreenPage;
use crate::components::risk::RiskCell;
use crate::routes::{self, Screen};
use crate::{api, format};

/// Gaps per page of the inbox.
const INBOX_PAGE: u32 = 20;

/// The team looked at, and a counter bumped after each change so that every
/// figure reloads.
#[derive(Debug, Clone, Copy)]
struct View {
    team: Memo<Option<i64>>,
    version: RwSignal<u32>,
}

/// Coverage, trend, sub-teams, inbox and transfer.
#[component]
pub fn Teams() -> impl IntoView {
    crate::components::chart::preload();
    let auth = Auth::get();
    let query = use_query_map();
    let team = Memo::new(move |_| {
        query
            .with(|q| q.get("team"))
            .and_then(|t| t.parse::<i64>().ok())
            .or_else(|| auth.session.get().flatten().and_then(|s| s.team.map(|t| t.id)))
    });
    let view = View {
        team,
        version: RwSignal::new(0),
    };
    let coverage = api::Fetched::new(move || {
        let team = team.get();
        view.version.track();
        api::coverage(team)
    });
    let no_team =
        move || auth.session.get().flatten().is_some_and(|s| s.team.is_none()) && team.get().is_none();
    view! {
        <ScreenPage screen=Screen::Teams>
            <Show when=no_team>
                <p class="notice">
                    "Your account matches no person with a team in the inventory, so this shows the whole organisation."
                </p>
            </Show>
            <Transition fallback=|| view! { <p class="loading">"Counting owners…"</p> }>
                {move || match coverage.get() {
                    Some(Ok(coverage)) => view! { <Figures coverage /> }.into_any(),
                    Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                    None => view! { <p class="loading">"Counting owners…"</p> }.into_any(),
                }}
            </Transition>
            <Inbox view />
            <Leavers view />
        </ScreenPage>
    }
}

/// The headline figures, the trend and the sub-teams.
#[component]
fn Figures(coverage: json::Coverage) -> impl IntoView {
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

/// One figure.
#[component]
fn Stat(label: &'static str, value: String, detail: String, testid: &'static str) -> impl IntoView {
    view! {
        <div class="card stat" data-testid=testid>
            <span class="stat-label">{label}</span>
            <span class="stat-value num">{value}</span>
            <span class="stat-detail">{detail}</span>
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

/// "3 Dec 2026", and whether that is past.
fn due_text(due: DateTime<Utc>) -> (String, bool) {
    (format::day(due.date_naive()), due < Utc::now())
}

/// The inbox: gaps counted against the team, with hints, claimed one by one
/// (for the hinted person) or in bulk (for a chosen person).
#[component]
fn Inbox(view: View) -> impl IntoView {
    let state = RwSignal::new(None::<GapState>);
    let kind = RwSignal::new(None::<OwnedKind>);
    let page = RwSignal::new(1u32);
    let selected = RwSignal::new(BTreeSet::<(OwnedKind, i64)>::new());
    let owner = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let gaps = api::Fetched::new(move || {
        let query = json::GapQuery {
            team: view.team.get(),
            state: state.get(),
            kind: kind.get(),
            // Orphans are a queue: the earliest due date first.
            sort: (state.get() == Some(GapState::Orphaned)).then(|| "due".to_owned()),
            page: Some(page.get()),
            limit: Some(INBOX_PAGE),
            ..Default::default()
        };
        view.version.track();
        api::gaps(&query)
    });
    let members = api::Fetched::new(move || {
        let query = json::PersonQuery {
            team: view.team.get(),
            status: Some(PersonStatus::Active),
            limit: Some(json::MAX_PAGE_LIMIT),
            sort: Some("name".into()),
            ..Default::default()
        };
        api::people(&query)
    });
    // Claims `items` for `person`: one request per kind, each all or none.
    let claim = move |items: Vec<(OwnedKind, i64)>, person: json::Ref| {
        leptos::task::spawn_local(async move {
            let mut claimed = 0;
            for kind in [OwnedKind::Agent, OwnedKind::Credential] {
                let ids: Vec<i64> = items
                    .iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, id)| *id)
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let assignment = json::OwnerAssignment {
                    kind,
                    ids,
                    owner: person.id,
                    reason: "claimed from the My teams inbox".into(),
                };
                match api::assign_owner(&assignment).await {
                    Ok(changes) => claimed += changes.len(),
                    Err(error) => {
                        message.set(Some(Err(error.message)));
                        view.version.update(|v| *v += 1);
                        return;
                    }
                }
            }
            message.set(Some(Ok(format!("{claimed} claimed for {}.", person.name))));
            selected.update(BTreeSet::clear);
            view.version.update(|v| *v += 1);
        });
    };
    let claim_selected = move |_| {
        let Some(person) = members.get().and_then(Result::ok).and_then(|people| {
            let id = owner.get_untracked().parse::<i64>().ok()?;
            people.items.into_iter().find(|p| p.id == id).map(|p| json::Ref {
                id: p.id,
                name: p.name,
            })
        }) else {
            message.set(Some(Err("Choose who will own the selected rows.".into())));
            return;
        };
        claim(selected.get_untracked().into_iter().collect(), person);
    };
    // A tab of one filter; choosing it starts again from the first page.
    fn tab<T: PartialEq + Copy + Send + Sync + 'static>(
        label: &'static str,
        value: Option<T>,
        filter: RwSignal<Option<T>>,
        page: RwSignal<u32>,
        selected: RwSignal<BTreeSet<(OwnedKind, i64)>>,
    ) -> impl IntoView {
        view! {
            <button
                type="button"
                aria-pressed=move || (filter.get() == value).to_string()
                on:click=move |_| {
                    filter.set(value);
                    page.set(1);
                    selected.update(BTreeSet::clear);
                }
            >
                {label}
            </button>
        }
    }
    view! {
        <section class="card section" data-testid="inbox">
            <h2>"Inbox: agents and credentials without an accountable owner"</h2>
            <div class="tab-rows">
                <div class="tabs" role="group" aria-label="Why" data-testid="state-tabs">
                    {tab("All", None, state, page, selected)}
                    {tab("Unowned", Some(GapState::Unowned), state, page, selected)}
                    {tab("Orphaned", Some(GapState::Orphaned), state, page, selected)}
                </div>
                <div class="tabs" role="group" aria-label="What" data-testid="kind-tabs">
                    {tab("Agents and credentials", None, kind, page, selected)}
                    {tab("Agents", Some(OwnedKind::Agent), kind, page, selected)}
                    {tab("Credentials", Some(OwnedKind::Credential), kind, page, selected)}
                </div>
            </div>
            <div class="bulk-bar">
                <span class="num" data-testid="selected">{move || selected.with(BTreeSet::len)} " selected"</span>
                <label class="field inline">
                    <span class="field-label">"Claim for"</span>
                    <select
                        name="claim-owner"
                        prop:value=move || owner.get()
                        on:change:target=move |ev| owner.set(ev.target().value())
                    >
                        <option value="">"Choose a person…"</option>
                        {move || {
                            members
                                .get()
                                .and_then(Result::ok)
                                .map(|people| {
                                    people
                                        .items
                                        .into_iter()
                                        .map(|p| view! { <option value=p.id.to_string()>{p.name}</option> })
                                        .collect_view()
                                })
                        }}
                    </select>
                </label>
                <button
                    type="button"
                    class="primary"
                    name="claim-selected"
                    disabled=move || selected.with(BTreeSet::is_empty)
                    on:click=claim_selected
                >
                    "Claim selected"
                </button>
            </div>
            <Outcome outcome=message />
            <Transition fallback=|| view! { <p class="loading">"Reading the inbox…"</p> }>
                {move || match gaps.get() {
                    Some(Ok(gaps)) if gaps.items.is_empty() => {
                        view! {
                            <div class="empty-state">
                                <p class="empty-title">"Nothing to claim"</p>
                                <p>"Every agent and active credential counted against this team has an owner still with us."</p>
                            </div>
                        }
                            .into_any()
                    }
                    Some(Ok(gaps)) => view! { <GapTable gaps selected page claim /> }.into_any(),
                    Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                    None => view! { <p class="loading">"Reading the inbox…"</p> }.into_any(),
                }}
            </Transition>
        </section>
    }
}

/// A page of gaps with checkboxes, hints and one-click claims, then a pager.
#[component]
fn GapTable(
    gaps: json::Page<json::Gap>,
    selected: RwSignal<BTreeSet<(OwnedKind, i64)>>,
    page: RwSignal<u32>,
    claim: impl Fn(Vec<(OwnedKind, i64)>, json::Ref) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let pages = (gaps.total + i64::from(gaps.limit) - 1) / i64::from(gaps.limit).max(1);
    let total = gaps.total;
    view! {
        <table class="data" data-testid="gaps">
            <thead>
                <tr>
                    <th><span class="visually-hidden">"Select"</span></th>
                    <th>"Agent or credential"</th>
                    <th>"Why"</th>
                    <th>"Risk"</th>
                    <th>"Likely owner"</th>
                </tr>
            </thead>
            <tbody>
                {gaps
                    .items
                    .into_iter()
                    .map(|gap| {
                        let key = (gap.kind, gap.entity.id);
                        let list = match gap.kind {
                            OwnedKind::Agent => "agents",
                            OwnedKind::Credential => "credentials",
                        };
                        let why = match (&gap.former_owner, gap.due) {
                            (Some(former), Some(due)) => {
                                let (date, late) = due_text(due);
                                view! {
                                    <span>
                                        {format!("{} left; re-home by ", former.name)}
                                        <span class=if late { "overdue" } else { "" }>{date}</span>
                                        {if late { " (overdue)" } else { "" }}
                                    </span>
                                }
                                    .into_any()
                            }
                            _ => view! { <span>"Never had an owner"</span> }.into_any(),
                        };
                        let first = gap.hints.iter().find_map(|h| h.person.clone());
                        let name = gap.entity.name.clone();
                        view! {
                            <tr data-testid="gap">
                                <td>
                                    <input
                                        type="checkbox"
                                        aria-label=format!("Select {name}")
                                        prop:checked=move || selected.with(|s| s.contains(&key))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            selected
                                                .update(|s| {
                                                    if on {
                                                        s.insert(key);
                                                    } else {
                                                        s.remove(&key);
                                                    }
                                                });
                                        }
                                    />
                                </td>
                                <td>
                                    <span class="kind-tag">{gap.kind.label()}</span>
                                    " "
                                    <a href=routes::entity_path(list, gap.entity.id)>{gap.entity.name}</a>
                                    {gap.team.map(|t| view! { <div class="subtle">{t.name}</div> })}
                                </td>
                                <td>{why}</td>
                                <td>
                                    <RiskCell risk=gap.risk />
                                </td>
                                <td>
                                    <ul class="hints">
                                        {gap
                                            .hints
                                            .into_iter()
                                            .map(|h| {
                                                let who = h
                                                    .person
                                                    .map(|p| p.name)
                                                    .or(h.team.map(|t| t.name))
                                                    .unwrap_or_default();
                                                let whole = format!("{who} {}", h.reason);
                                                view! {
                                                    <li title=whole>
                                                        <strong>{who}</strong>
                                                        " "
                                                        <span class="subtle">{h.reason}</span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                    {first
                                        .map(|person| {
                                            let label = format!("Claim for {}", person.name);
                                            view! {
                                                <button
                                                    type="button"
                                                    class="secondary small"
                                                    name="claim-one"
                                                    on:click=move |_| claim(vec![key], person.clone())
                                                >
                                                    {label}
                                                </button>
                                            }
                                        })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <div class="pager">
            <button type="button" class="secondary" disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p -= 1)>
                "Previous"
            </button>
            <span class="num">{move || format!("Page {} of {} ({total} in all)", page.get(), pages.max(1))}</span>
            <button
                type="button"
                class="secondary"
                disabled=move || { i64::from(page.get()) >= pages }
                on:click=move |_| page.update(|p| *p += 1)
            >
                "Next"
            </button>
        </div>
    }
}

/// People of the team: mark one as having left (their agents and credentials
/// become orphans), or move everything one owns to another.
#[component]
fn Leavers(view: View) -> impl IntoView {
    let people = api::Fetched::new(move || {
        let query = json::PersonQuery {
            team: view.team.get(),
            limit: Some(json::MAX_PAGE_LIMIT),
            sort: Some("name".into()),
            ..Default::default()
        };
        view.version.track();
        api::people(&query)
    });
    // The people as options; the departed marked, or left out.
    let options = move |active_only: bool| {
        people.get().and_then(Result::ok).map(|people| {
            people
                .items
                .into_iter()
                .filter(|p| !active_only || p.status == PersonStatus::Active)
                .map(|p| {
                    let label = if p.status == PersonStatus::Departed {
                        format!("{} (left)", p.name)
                    } else {
                        p.name
                    };
                    view! { <option value=p.id.to_string()>{label}</option> }
                })
                .collect_view()
        })
    };
    view! {
        <div class="grid-2">
            <Depart view options />
            <Transfer view options />
        </div>
    }
}

/// Marks a person as having left.
#[component]
fn Depart<O, V>(view: View, options: O) -> impl IntoView
where
    O: Fn(bool) -> Option<V> + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let person = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Ok(id) = person.get_untracked().parse::<i64>() else {
            message.set(Some(Err("Choose who has left.".into())));
            return;
        };
        let departure = json::Departure {
            reason: reason.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::depart_person(id, &departure).await {
                Ok(done) => {
                    let (due, _) = due_text(done.due);
                    message.set(Some(Ok(format!(
                        "{} has left: {} agents and {} credentials to re-home by {due}.",
                        done.person.name, done.agents, done.credentials
                    ))));
                    person.set(String::new());
                    view.version.update(|v| *v += 1);
                }
                Err(error) => message.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <section class="card section" data-testid="depart">
            <h2>"Someone has left"</h2>
            <p class="subtle">
                "What they owned becomes orphaned: it joins the inbox with a due date, and its risk rises until it has a new owner."
            </p>
            <form class="inline-form" on:submit=submit>
                <PersonSelect label="Person" name="depart-person" value=person options active_only=true />
                <TextField label="Reason" name="depart-reason" value=reason required=true />
                <button type="submit" class="primary">"Mark as left"</button>
            </form>
            <Outcome outcome=message />
        </section>
    }
}

/// A labelled choice of a person of the team, bound to `value` (an id, or
/// empty before a choice).
#[component]
fn PersonSelect<O, V>(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    options: O,
    /// Leave out the people who have left.
    active_only: bool,
) -> impl IntoView
where
    O: Fn(bool) -> Option<V> + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <label class="field">
            <span class="field-label">{label}</span>
            <select
                name=name
                prop:value=move || value.get()
                on:change:target=move |ev| value.set(ev.target().value())
            >
                <option value="">"Choose…"</option>
                {move || options(active_only)}
            </select>
        </label>
    }
}

/// Moves everything a person owns to another person of the team.
#[component]
fn Transfer<O, V>(view: View, options: O) -> impl IntoView
where
    O: Fn(bool) -> Option<V> + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (Ok(from_id), Ok(to_id)) = (from.get_untracked().parse(), to.get_untracked().parse()) else {
            message.set(Some(Err("Choose both people.".into())));
            return;
        };
        let transfer = json::OwnerTransfer {
            from: from_id,
            to: to_id,
            reason: reason.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::transfer_ownership(&transfer).await {
                Ok(done) => {
                    message.set(Some(Ok(format!(
                        "{} agents and {} credentials moved from {} to {}.",
                        done.agents, done.credentials, done.from.name, done.to.name
                    ))));
                    from.set(String::new());
                    to.set(String::new());
                    view.version.update(|v| *v += 1);
                }
                Err(error) => message.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <section class="card section" data-testid="transfer">
            <h2>"Transfer everything a person owns"</h2>
            <p class="subtle">
                "When someone changes team or leaves, move all their agents and credentials at once. Each move is audited."
            </p>
            <form class="inline-form" on:submit=submit>
                <PersonSelect label="From" name="transfer-from" value=from options active_only=false />
                <PersonSelect label="To" name="transfer-to" value=to options active_only=true />
                <TextField label="Reason" name="transfer-reason" value=reason required=true />
                <button type="submit" class="primary">"Transfer"</button>
            </form>
            <Outcome outcome=message />
        </section>
    }
}
