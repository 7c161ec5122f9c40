//! One access review, `/reviews/:id`: the answer first (how much is
//! decided, and how: kept, reduced, revoked, reassigned; what is escalated
//! or still not attested), each figure a link to the items behind it; then
//! the progress by team and by reviewer; then the items themselves
//! ([`super::items`]), whose filters live in the URL
//! (`/reviews/3?mine=true`, the address the review emails link to).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;
use model::api::{self as json, CampaignState, ReviewDecision};

use super::items::Items;
use super::selection::items_link;
use super::{LEADS, ProgressBar, StateBadge, due_text, not_attested, percent, scope_text};
use crate::api;
use crate::auth::Auth;
use crate::components::form::Outcome;
use crate::components::page::Page;
use crate::format;
use crate::pages::not_found::NotFound;
use crate::routes::{self, Screen};

/// `/reviews/:id`, or Not found for an id that is not a number.
#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id")).and_then(|id| id.parse::<i64>().ok()));
    move || match id.get() {
        Some(id) => view! { <Campaign id /> }.into_any(),
        None => view! { <NotFound /> }.into_any(),
    }
}

/// The review `id`: its figures, reloaded after each decision (`version`),
/// above its items, which load on their own so that a reload of the
/// figures leaves the table (and its scroll) as it was.
#[component]
fn Campaign(id: i64) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let detail = api::Fetched::new(move || {
        version.track();
        api::review(id)
    });
    let outcome = RwSignal::new(None::<Result<String, String>>);
    // Whether the review was found: kept while it reloads, so that the
    // items below are not drawn anew after every decision.
    let found = Memo::new(move |before: Option<&bool>| match detail.get() {
        Some(Ok(_)) => true,
        Some(Err(_)) => false,
        None => before.copied().unwrap_or(false),
    });
    // Whether it still takes decisions, and its reviewers' names (for the
    // reviewer filter of the items).
    let live = Memo::new(move |before: Option<&bool>| match detail.get() {
        Some(Ok(d)) => d.campaign.state != CampaignState::Closed,
        _ => before.copied().unwrap_or(false),
    });
    let reviewers = Memo::new(move |_| {
        detail
            .get()
            .and_then(Result::ok)
            .map(|d| d.reviewers)
            .unwrap_or_default()
    });
    view! {
        <section class="page" data-testid="review-page">
            {move || match detail.get() {
                None => view! { <p class="loading">"Loading the review…"</p> }.into_any(),
                Some(Err(error)) => view! {
                    <Page title="Not available" question=error.message testid="review-error">
                        <p><a href=Screen::Reviews.path()>"Every review"</a></p>
                    </Page>
                }
                .into_any(),
                Some(Ok(detail)) => view! { <Summary detail version outcome /> }.into_any(),
            }}
            <Show when=move || found.get()>
                <Items campaign=id live reviewers version />
            </Show>
        </section>
    }
}

/// The heading with the answer, the figures, the Close button (leads),
/// and the progress by team and by reviewer.
#[component]
fn Summary(
    detail: json::CampaignDetail,
    version: RwSignal<u32>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let json::CampaignDetail {
        campaign: c,
        teams,
        reviewers,
    } = detail;
    let id = c.id;
    let p = c.progress.clone();
    let left = not_attested(&p);
    let answer = match c.state {
        CampaignState::Closed if left > 0 => format!(
            "Closed with {} of {} decided ({}%); {left} never attested.",
            p.decided,
            p.items,
            percent(&p)
        ),
        CampaignState::Closed => format!("Closed: all {} items decided.", p.items),
        _ if left == 0 => format!("All {} items decided.", p.items),
        _ => format!(
            "{} of {} decided ({}%); {left} left to decide.",
            p.decided,
            p.items,
            percent(&p)
        ),
    };
    let kept = filtered(id, |q| q.decision = Some(ReviewDecision::Keep));
    let reduced = filtered(id, |q| q.decision = Some(ReviewDecision::Reduce));
    let revoked = filtered(id, |q| q.decision = Some(ReviewDecision::Revoke));
    let reassigned = filtered(id, |q| q.decision = Some(ReviewDecision::Reassign));
    let decided = filtered(id, |q| q.open = Some(false));
    let open = filtered(id, |q| q.open = Some(true));
    let escalated = open.clone();
    view! {
        <header class="page-header">
            <p class="breadcrumb"><a href=Screen::Reviews.path()>"Reviews"</a> " ›"</p>
            <h1>{c.name.clone()}</h1>
            <p class="page-question" data-testid="review-answer">{answer}</p>
        </header>
        <div class="entity-header review-facts">
            <StateBadge state=c.state />
            <span>{scope_text(&c)}</span>
            <span>"Due " {due_text(c.due_at, c.state)}</span>
            <span class="subtle">{format!("Started by {} on {}", c.started_by, format::day(c.started_at.date_naive()))}</span>
            {(c.state != CampaignState::Closed).then(|| view! { <CloseReview id version outcome /> })}
        </div>
        <Repeats campaign=c.clone() version outcome />
        <Outcome outcome />
        <div class="cards review-figures" data-testid="review-figures">
            <a class="card stat" href=decided>
                <span class="stat-label">"Decided"</span>
                <span class="stat-value num">
                    <span data-testid="review-decided">{p.decided}</span>
                    <span class="stat-of">" of " <span data-testid="review-total">{p.items}</span></span>
                </span>
                <span class="stat-detail"><ProgressBar progress=p.clone() /></span>
            </a>
            {figure("Kept", "review-kept", p.kept, kept, "attested as they are")}
            {figure("Reduced", "review-reduced", p.reduced, reduced, "scopes to remove, through approvals")}
            {figure("Revoked", "review-revoked", p.revoked, revoked, "revocations opened")}
            {figure("Reassigned", "review-reassigned", p.reassigned, reassigned, "to their rightful owner")}
            {figure("Not attested", "review-open", left, open,
                if c.state == CampaignState::Open { "waiting for a decision" } else { "undecided past the due day" })}
            {figure("Escalated", "review-escalated", p.escalated, escalated, "undecided, sent to the reviewer's manager")}
        </div>
        <div class="grid-2">
            <ProgressTable title="By team" testid="progress-teams" rows=teams campaign=None />
            <ProgressTable title="By reviewer" testid="progress-reviewers" rows=reviewers campaign=Some(id) />
        </div>
    }
}

/// The review's items that `edit` selects, as an address.
fn filtered(campaign: i64, edit: fn(&mut json::ReviewItemQuery)) -> String {
    let mut query = json::ReviewItemQuery::default();
    edit(&mut query);
    items_link(campaign, &query)
}

/// One figure, a link to the items behind it.
fn figure(
    label: &'static str,
    testid: &'static str,
    value: i64,
    href: String,
    detail: &'static str,
) -> impl IntoView {
    view! {
        <a class="card stat" href=href>
            <span class="stat-label">{label}</span>
            <span class="stat-value num" data-testid=testid>{value}</span>
            <span class="stat-detail">{detail}</span>
        </a>
    }
}

/// Close (leads): asked twice, since a closed review takes no more
/// decisions and what is undecided stays not attested.
#[component]
fn CloseReview(
    id: i64,
    version: RwSignal<u32>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let close = Callback::new(move |()| {
        outcome.set(None);
        busy.set(true);
        spawn_local(async move {
            match api::close_review(id).await {
                Ok(closed) => {
                    outcome.set(Some(Ok(format!("{} is closed: no more decisions.", closed.name))));
                    version.update(|v| *v += 1);
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
            busy.set(false);
        });
    });
    view! {
        <AskTwice label="Close the review…" warning="No more decisions after this." confirm="Close it"
            testid="close-review" busy act=close />
    }
}

/// A lead's action that cannot be undone, asked twice: `label` asks,
/// `warning` says what follows, `confirm` does it (`{testid}-confirm`),
/// once at a time.
#[component]
fn AskTwice(
    label: &'static str,
    warning: &'static str,
    confirm: &'static str,
    testid: &'static str,
    busy: RwSignal<bool>,
    act: Callback<()>,
) -> impl IntoView {
    let auth = Auth::get();
    let asking = RwSignal::new(false);
    view! {
        <Show when=move || auth.holds(LEADS)>
            <span class="row-actions">
                <Show
                    when=move || asking.get()
                    fallback=move || view! {
                        <button type="button" class="secondary small" data-testid=testid
                            on:click=move |_| asking.set(true)>{label}</button>
                    }
                >
                    <span class="subtle">{warning}</span>
                    <button type="button" class="danger small" data-testid=format!("{testid}-confirm")
                        disabled=move || busy.get()
                        on:click=move |_| {
                            asking.set(false);
                            act.run(());
                        }>
                        {confirm}
                    </button>
                    <button type="button" class="secondary small" on:click=move |_| asking.set(false)>"Cancel"</button>
                </Show>
            </span>
        </Show>
    }
}

/// How a repeating review goes on: the cycle it follows, when the next
/// starts, and Stop repeating (leads).
#[component]
fn Repeats(
    campaign: json::Campaign,
    version: RwSignal<u32>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let id = campaign.id;
    let busy = RwSignal::new(false);
    let stop = Callback::new(move |()| {
        outcome.set(None);
        busy.set(true);
        spawn_local(async move {
            match api::stop_repeating_review(id).await {
                Ok(stopped) => {
                    outcome.set(Some(Ok(format!("{} will not start again.", stopped.name))));
                    version.update(|v| *v += 1);
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
            busy.set(false);
        });
    });
    let follows = campaign.follows.map(|before| {
        view! {
            <span class="subtle">
                "Follows " <a href=routes::review_path(before) data-testid="review-follows">"the cycle before"</a> "."
            </span>
        }
    });
    campaign.repeat.map(|cadence| {
        let next = match campaign.next_start {
            Some(next) => view! {
                <span data-testid="review-next-cycle">
                    {format!("{}: the next cycle starts on {}.", cadence.label(), format::day(next.date_naive()))}
                </span>
                <AskTwice label="Stop repeating…" warning="No cycle starts after this one; it cannot be resumed."
                    confirm="Stop it" testid="stop-repeating" busy act=stop />
            }
            .into_any(),
            None => view! {
                <span class="subtle">{format!("{}, until it was stopped or a later cycle took over.", cadence.label())}</span>
            }
            .into_any(),
        };
        view! {
            <div class="entity-header review-facts" data-testid="review-repeats">
                {next}
                {follows}
            </div>
        }
    })
}

/// Progress per team or per reviewer, the least advanced first. With
/// `campaign`, each row is a reviewer whose name links to their items.
#[component]
fn ProgressTable(
    title: &'static str,
    testid: &'static str,
    rows: Vec<json::ProgressRow>,
    campaign: Option<i64>,
) -> impl IntoView {
    let mut rows = rows;
    rows.sort_by_key(|r| (percent(&r.progress), -r.progress.items));
    let body = rows
        .into_iter()
        .map(|row| {
            let left = not_attested(&row.progress);
            let (who, left_link) = match (campaign, row.who) {
                (Some(review), Some(person)) => {
                    let mine = json::ReviewItemQuery {
                        reviewer: Some(person.id),
                        ..Default::default()
                    };
                    let open = json::ReviewItemQuery {
                        open: Some(true),
                        ..mine.clone()
                    };
                    (
                        view! {
                            <a href=items_link(review, &mine) data-testid="reviewer-link">{person.name}</a>
                        }
                        .into_any(),
                        Some(items_link(review, &open)),
                    )
                }
                (Some(_), None) => (
                    view! { <span class="subtle">"No reviewer: admins"</span> }.into_any(),
                    None,
                ),
                (None, Some(team)) => (
                    view! { <a href=routes::entity_path("teams", team.id)>{team.name}</a> }.into_any(),
                    None,
                ),
                (None, None) => (view! { <span class="subtle">"No team"</span> }.into_any(), None),
            };
            let left_cell = match left_link {
                Some(href) if left > 0 => view! { <a href=href>{left}</a> }.into_any(),
                _ => view! { <span>{left}</span> }.into_any(),
            };
            view! {
                <tr>
                    <td>{who}</td>
                    <td><ProgressBar progress=row.progress.clone() /></td>
                    <td class="num-col num">{left_cell}</td>
                    <td class="num-col num">{row.progress.escalated}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card section" data-testid=testid>
            <h2>{title}</h2>
            <table class="data compact">
                <thead>
                    <tr>
                        <th>{if campaign.is_some() { "Reviewer" } else { "Team" }}</th>
                        <th>"Decided"</th>
                        <th class="num-col">"Not attested"</th>
                        <th class="num-col">"Escalated"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </section>
    }
}
