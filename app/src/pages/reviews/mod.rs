//! Reviews: access reviews (certification campaigns), in which each agent
//! and credential in scope goes before a reviewer, who keeps, reduces,
//! revokes or reassigns it. This module is the list of reviews with how far
//! each got and, for CISOs and admins, the form that starts one and the
//! signed evidence pack for auditors; [`campaign`] is one review's page,
//! whose items ([`items`]) are filtered by the URL ([`filters`]), listed
//! ([`rows`]) and decided, many at once ([`bulk`]).

mod bulk;
mod campaign;
mod filters;
mod items;
mod rows;
mod selection;

pub use campaign::CampaignPage;

use chrono::{DateTime, Days, NaiveDate, Utc};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use model::api::{self as json, CampaignState, ReviewCadence, ReviewScope, Role};

use crate::auth::Auth;
use crate::components::form::{Alert, Outcome, TextField};
use crate::components::page::ScreenPage;
use crate::routes::{self, Screen};
use crate::{api, format};

/// Who starts and closes reviews and takes evidence packs (the server
/// refuses everyone else; the app only hides what would surely fail).
pub const LEADS: &[Role] = &[Role::Ciso, Role::Admin];

/// How long a new review runs unless its starter says otherwise.
const DEFAULT_DAYS: u64 = 14;

/// How far back an evidence pack reaches unless its taker says otherwise.
const EVIDENCE_DAYS: u64 = 90;

/// `/reviews`: every review with its progress, then the leads' tools.
#[component]
pub fn Reviews() -> impl IntoView {
    let auth = Auth::get();
    let campaigns = api::Fetched::new(api::reviews);
    view! {
        <ScreenPage screen=Screen::Reviews>
            <section class="card section" data-testid="reviews">
                {move || match campaigns.get() {
                    None => view! { <p class="loading">"Loading the reviews…"</p> }.into_any(),
                    Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                    Some(Ok(list)) if list.is_empty() => view! { <NoReviews /> }.into_any(),
                    Some(Ok(list)) => view! { <CampaignTable list /> }.into_any(),
                }}
            </section>
            <Show when=move || auth.holds(LEADS)>
                <div class="grid-2">
                    <StartReview />
                    <Evidence />
                </div>
            </Show>
        </ScreenPage>
    }
}

/// The empty state: what to do next depends on who is looking.
#[component]
fn NoReviews() -> impl IntoView {
    let auth = Auth::get();
    view! {
        <div class="empty-state" data-testid="reviews-empty">
            <p class="empty-title">"No access review yet"</p>
            <p>
                {move || if auth.holds(LEADS) {
                    "Start one below: each agent and credential in its scope goes to its owner (or their manager), who keeps, reduces, revokes or reassigns it by the due date."
                } else {
                    "When a CISO or admin starts one, what is yours to review shows up here, and you are told by email."
                }}
            </p>
        </div>
    }
}

/// One row per review, newest first, each a link to its page.
#[component]
fn CampaignTable(list: Vec<json::Campaign>) -> impl IntoView {
    view! {
        <table class="data" data-testid="reviews-table">
            <thead>
                <tr>
                    <th>"Review"</th>
                    <th>"Scope"</th>
                    <th>"Due"</th>
                    <th>"State"</th>
                    <th>"Decided"</th>
                    <th class="num-col" title="Items still undecided: once past due, they count as not attested">
                        "Not attested"
                    </th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|c| {
                    let link = routes::review_path(c.id);
                    let open = format!("{link}?open=true");
                    let left = not_attested(&c.progress);
                    let repeats = c.next_start.and(c.repeat).map(|cadence| {
                        view! { <div class="subtle" data-testid="review-repeat-note">{format!("repeats: {}", cadence.label().to_lowercase())}</div> }
                    });
                    view! {
                        <tr data-testid="review-row" data-review=c.id>
                            <td>
                                <a href=link data-testid="review-link">{c.name.clone()}</a>
                                <div class="subtle">{format!("started by {} on {}", c.started_by, format::day(c.started_at.date_naive()))}</div>
                                {repeats}
                            </td>
                            <td>{scope_text(&c)}</td>
                            <td class="nowrap">{due_text(c.due_at, c.state)}</td>
                            <td><StateBadge state=c.state /></td>
                            <td><ProgressBar progress=c.progress.clone() /></td>
                            <td class="num-col num"><a href=open>{left}</a></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// "A team and its sub-teams: Payments", or the scope's words.
pub fn scope_text(campaign: &json::Campaign) -> String {
    match (&campaign.scope, &campaign.team) {
        (ReviewScope::Team, Some(team)) => format!("{}: {}", campaign.scope.label(), team.name),
        (scope, _) => scope.label().to_owned(),
    }
}

/// The due day, and for an open review already past it, "(overdue)".
pub fn due_text(due: DateTime<Utc>, state: CampaignState) -> AnyView {
    let day = format::day(due.date_naive());
    if state != CampaignState::Closed && due < Utc::now() {
        view! { <span class="overdue">{day} " (overdue)"</span> }.into_any()
    } else {
        view! { <span>{day}</span> }.into_any()
    }
}

/// Of 100, how many items are decided (a review of nothing is done).
pub fn percent(progress: &json::ReviewProgress) -> i64 {
    if progress.items == 0 {
        100
    } else {
        progress.decided * 100 / progress.items
    }
}

/// Items still undecided: once the review is past due they count as not
/// attested, and stay so if it closes without them.
pub fn not_attested(progress: &json::ReviewProgress) -> i64 {
    (progress.items - progress.decided).max(0)
}

/// "42 of 200 · 21%" over a bar filled as far (its width set through the
/// CSS object model, which the CSP allows, never a `style` attribute).
#[component]
pub fn ProgressBar(progress: json::ReviewProgress) -> impl IntoView {
    let pct = percent(&progress);
    view! {
        <span class="review-progress" title=format!("{} of {} items decided", progress.decided, progress.items)>
            <span class="progress-track" aria-hidden="true">
                <span class="progress-fill" style:width=format!("{pct}%")></span>
            </span>
            <span class="num" data-testid="review-progress">
                {format!("{} of {} · {pct}%", progress.decided, progress.items)}
            </span>
        </span>
    }
}

/// A review's state in words, on its colour.
#[component]
pub fn StateBadge(state: CampaignState) -> impl IntoView {
    view! {
        <span class=format!("badge review-{}", state.as_str()) data-testid="review-state">{state.label()}</span>
    }
}

/// The last instant of `day` (`YYYY-MM-DD`, as a date input gives it) in
/// UTC: a review due "on the 4th" takes decisions all that day. Parsed by
/// hand rather than with chrono's parser, which would add to the download.
fn end_of_day(day: &str) -> Option<DateTime<Utc>> {
    let mut parts = day.trim().splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let date = parts.next()?.parse().ok()?;
    let day = NaiveDate::from_ymd_opt(year, month, date)?;
    Some(day.and_hms_opt(23, 59, 59)?.and_utc())
}

/// Name, scope (and team), due day; started, the page of the new review opens.
#[component]
fn StartReview() -> impl IntoView {
    let today = Utc::now().date_naive();
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new(ReviewScope::All);
    let team = RwSignal::new(String::new());
    let repeat = RwSignal::new(None::<ReviewCadence>);
    let due = RwSignal::new(format::iso_day(
        today.checked_add_days(Days::new(DEFAULT_DAYS)).unwrap_or(today),
    ));
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    // Teams are listed only once the team scope is chosen.
    let teams = api::Fetched::when(move || {
        (scope.get() == ReviewScope::Team).then(|| {
            api::teams(&json::TeamQuery {
                limit: Some(json::MAX_PAGE_LIMIT),
                ..Default::default()
            })
        })
    });
    let navigate = use_navigate();
    let start = move |event: SubmitEvent| {
        event.prevent_default();
        outcome.set(None);
        let Some(due_at) = end_of_day(&due.get_untracked()) else {
            outcome.set(Some(Err("Choose the day decisions are due.".into())));
            return;
        };
        let scope = scope.get_untracked();
        let team = if scope == ReviewScope::Team {
            match team.get_untracked().parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    outcome.set(Some(Err("Choose the team to review.".into())));
                    return;
                }
            }
        } else {
            None
        };
        let campaign = json::NewCampaign {
            name: name.get_untracked().trim().to_owned(),
            scope,
            team,
            due_at,
            repeat: repeat.get_untracked(),
        };
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::start_review(&campaign).await {
                Ok(started) => navigate(&routes::review_path(started.id), Default::default()),
                Err(error) => {
                    outcome.set(Some(Err(error.message)));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <section class="card section" data-testid="start-review">
            <h2>"Start a review"</h2>
            <p class="subtle">
                "Each agent and active credential in scope goes to its owner, or to their team's manager when it has none; "
                "everyone with items is told by email. What is undecided by the due day is escalated to the reviewer's manager. "
                "A repeating review starts its next cycle on its own, as long to decide, and closes the one before."
            </p>
            <form class="form-grid" on:submit=start data-testid="start-review-form">
                <TextField label="Name" name="review-name" value=name required=true placeholder="Q1 2027 access review" />
                <label class="field">
                    <span class="field-label">"Scope"</span>
                    <select name="review-scope" data-testid="review-scope"
                        on:change:target=move |ev| {
                            if let Ok(chosen) = ev.target().value().parse::<ReviewScope>() {
                                scope.set(chosen);
                            }
                        }>
                        {ReviewScope::ALL.iter().copied().map(|s| view! {
                            <option value=s.as_str() selected=move || scope.get() == s>{s.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || scope.get() == ReviewScope::Team>
                    <label class="field">
                        <span class="field-label">"Team"</span>
                        <select name="review-team" data-testid="review-team"
                            prop:value=move || team.get()
                            on:change:target=move |ev| team.set(ev.target().value())>
                            <option value="">"Choose a team…"</option>
                            {move || teams.get().and_then(Result::ok).map(|page| {
                                page.items.into_iter().map(|t| {
                                    let label = match t.parent {
                                        Some(parent) => format!("{} (in {})", t.name, parent.name),
                                        None => t.name,
                                    };
                                    view! { <option value=t.id.to_string()>{label}</option> }
                                }).collect_view()
                            })}
                        </select>
                    </label>
                </Show>
                <TextField label="Decisions due by (end of day, UTC)" name="review-due" value=due kind="date" required=true />
                <label class="field">
                    <span class="field-label">"Repeat"</span>
                    <select name="review-repeat" data-testid="review-repeat"
                        on:change:target=move |ev| repeat.set(ev.target().value().parse::<ReviewCadence>().ok())>
                        <option value="" selected=move || repeat.get().is_none()>"Once"</option>
                        {ReviewCadence::ALL.iter().copied().map(|c| view! {
                            <option value=c.as_str() selected=move || repeat.get() == Some(c)>{c.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <div class="form-actions">
                    <button type="submit" class="primary" data-testid="start-review-submit" disabled=move || busy.get()>
                        "Start the review"
                    </button>
                </div>
                <Outcome outcome />
            </form>
        </section>
    }
}

/// The period's signed evidence pack, downloaded by a plain link (the
/// session cookie goes along), and the key an auditor checks it against.
#[component]
fn Evidence() -> impl IntoView {
    let today = Utc::now().date_naive();
    let from = RwSignal::new(format::iso_day(
        today.checked_sub_days(Days::new(EVIDENCE_DAYS)).unwrap_or(today),
    ));
    let to = RwSignal::new(format::iso_day(today));
    let key = api::Fetched::new(api::evidence_key);
    view! {
        <section class="card section" data-testid="evidence">
            <h2>"Evidence for auditors"</h2>
            <p class="subtle">
                "One zip for the period: a printable report, the reviews' decisions and attestations, the audit log with its chain's proof, "
                "and each control of SOC 2, ISO 27001, the EU AI Act and NIST AI RMF mapped to its records; signed by this server. "
                "Taking one is audited."
            </p>
            <div class="inline-form">
                <TextField label="From" name="evidence-from" value=from kind="date" required=true />
                <TextField label="To (included)" name="evidence-to" value=to kind="date" required=true />
                <a class="button secondary" data-testid="evidence-download" download
                    href=move || api::evidence_url(&from.get(), &to.get())>
                    "Download pack"
                </a>
            </div>
            <div class="evidence-key" data-testid="evidence-key">
                {move || key.get().map(|answer| match answer {
                    Err(error) => view! { <Alert message=error.message /> }.into_any(),
                    Ok(key) => {
                        let verify = format!("muster evidence verify PACK.zip --key {}", key.public_key);
                        view! {
                            <dl class="facts">
                                <dt>"Signing key"</dt>
                                <dd><code data-testid="evidence-key-id">{key.key_id.clone()}</code> " " <span class="subtle">{key.algorithm.clone()}</span></dd>
                                <dt>"Public key"</dt>
                                <dd><code class="key-hex" data-testid="evidence-public-key">{key.public_key.clone()}</code></dd>
                            </dl>
                            <p class="subtle">"An auditor checks a pack, offline, with: " <code class="key-hex">{verify}</code></p>
                        }
                        .into_any()
                    }
                })}
            </div>
        </section>
    }
}
