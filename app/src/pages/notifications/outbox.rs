//! Notifications › the outbox (admins): everything Muster sends (messages
//! to people and channels, revocation webhooks, approval callbacks) goes
//! through it and is retried with back-off; what still fails becomes a dead
//! letter, which an admin can send again once the receiver is fixed. The
//! filters live in the URL (`?state=failed&topic=notification`), so a view
//! of the dead letters can be shared.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_query_map};
use model::api::{self as json, DeliveryState, NotifyEvent, OutboxTopic};

use crate::components::form::{Alert, Outcome};
use crate::routes::Screen;
use crate::{api, format};

/// The counts by state, the filters, and the newest messages. `version`
/// is bumped elsewhere on the page when a message was just queued.
#[component]
pub fn Outbox(version: RwSignal<u32>) -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| json::OutboxQuery {
            state: p.get("state").and_then(|s| s.parse().ok()),
            topic: p.get("topic").and_then(|t| t.parse().ok()),
        })
    });
    let status = api::Fetched::new(move || {
        version.track();
        api::outbox(&query.get())
    });
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let retry = move |id: i64| {
        spawn_local(async move {
            match api::retry_outbox_message(id).await {
                Ok(message) => {
                    outcome.set(Some(Ok(format!(
                        "Message {} to {} is queued again.",
                        message.id, message.recipient
                    ))));
                    status.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <section class="card section" id="outbox" data-testid="outbox">
            <h2>"Outbox"</h2>
            <p class="subtle">
                "Everything Muster sends waits here until its receiver accepts it, and is retried with growing pauses; "
                "a message that keeps failing becomes a dead letter. Fix the receiver, then retry it."
            </p>
            {move || match status.get() {
                None => view! { <p class="loading">"Loading the outbox…"</p> }.into_any(),
                Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                Some(Ok(status)) => {
                    let counts = status.clone();
                    view! { <Counts status=counts query /> <Messages status query retry /> }.into_any()
                }
            }}
            <Outcome outcome />
        </section>
    }
}

/// The address of the outbox filtered by `state` and `topic`.
fn outbox_link(state: Option<DeliveryState>, topic: Option<OutboxTopic>) -> String {
    let query = json::OutboxQuery { state, topic };
    format!("{}{}", Screen::Notifications.path(), api::query_string(&query))
}

/// The answer first: how many wait, arrived, and were given up on; each a
/// link to those messages.
#[component]
fn Counts(status: json::OutboxStatus, query: Memo<json::OutboxQuery>) -> impl IntoView {
    let topic = query.get_untracked().topic;
    let card = |label: &'static str,
                testid: &'static str,
                value: i64,
                state: DeliveryState,
                detail: &'static str| {
        view! {
            <a class="card stat" href=outbox_link(Some(state), topic)>
                <span class="stat-label">{label}</span>
                <span class="stat-value num" data-testid=testid>{value}</span>
                <span class="stat-detail">{detail}</span>
            </a>
        }
    };
    view! {
        <div class="cards" data-testid="outbox-counts">
            {card("Pending", "outbox-pending", status.pending, DeliveryState::Pending, "waiting to be sent or retried")}
            {card("Delivered", "outbox-delivered", status.delivered, DeliveryState::Delivered, "accepted by their receiver")}
            {card("Dead letters", "outbox-failed", status.failed, DeliveryState::Failed,
                if status.failed == 0 { "nothing given up on" } else { "given up on: retry once fixed" })}
        </div>
    }
}

/// The filters, then the newest messages with a Retry on each dead letter.
#[component]
fn Messages(
    status: json::OutboxStatus,
    query: Memo<json::OutboxQuery>,
    retry: impl Fn(i64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let navigate = use_navigate();
    let by_topic = navigate.clone();
    let show_state = move |value: String| {
        let state = value.parse::<DeliveryState>().ok();
        navigate(
            &outbox_link(state, query.get_untracked().topic),
            Default::default(),
        );
    };
    let show_topic = move |value: String| {
        let topic = value.parse::<OutboxTopic>().ok();
        by_topic(
            &outbox_link(query.get_untracked().state, topic),
            Default::default(),
        );
    };
    let filters = view! {
        <div class="inline-form" data-testid="outbox-filters">
            <label class="field">
                <span class="field-label">"Show"</span>
                <select name="outbox-state" data-testid="outbox-state" on:change:target=move |ev| show_state(ev.target().value())>
                    <option value="" selected=move || query.get().state.is_none()>"Every message"</option>
                    {DeliveryState::ALL.iter().copied().map(|s| view! {
                        <option value=s.as_str() selected=move || query.get().state == Some(s)>{state_filter(s)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"Carrying"</span>
                <select name="outbox-topic" data-testid="outbox-topic" on:change:target=move |ev| show_topic(ev.target().value())>
                    <option value="" selected=move || query.get().topic.is_none()>"Anything"</option>
                    {OutboxTopic::ALL.iter().copied().map(|t| view! {
                        <option value=t.as_str() selected=move || query.get().topic == Some(t)>{t.label()}</option>
                    }).collect_view()}
                </select>
            </label>
        </div>
    };
    let filtered = {
        let q = query.get_untracked();
        q.state.is_some() || q.topic.is_some()
    };
    let table = if status.messages.is_empty() {
        view! {
            <p data-testid="outbox-empty">
                {if filtered {
                    "No message matches these filters."
                } else {
                    "Nothing sent yet: messages appear here once an event is told to someone."
                }}
            </p>
        }
        .into_any()
    } else {
        let rows = status
            .messages
            .into_iter()
            .map(|m| {
                let id = m.id;
                let failed = m.state == DeliveryState::Failed;
                // Events Muster tells people of read as words; others (a
                // revocation, a callback) as their name.
                let event_words = m.event.parse::<NotifyEvent>().ok().map(NotifyEvent::label);
                view! {
                    <tr data-outbox=id>
                        <td>{m.topic.label()}</td>
                        <td>
                            <code>{m.event.clone()}</code>
                            {event_words.map(|words| view! { <div class="subtle">{words}</div> })}
                        </td>
                        <td class="ranked-name">{m.recipient.clone()}</td>
                        <td>
                            <StateBadge state=m.state />
                            {m.delivered_at.map(|at| view! { <div class="subtle nowrap">{format::at(at)}</div> })}
                        </td>
                        <td class="num-col num">{m.attempts}</td>
                        <td class="num nowrap">{format::at(m.created_at)}</td>
                        <td class="details">{m.last_error.clone().unwrap_or_default()}</td>
                        <td>
                            {failed.then(|| view! {
                                <button type="button" class="secondary small" data-testid="retry-outbox"
                                    on:click=move |_| retry(id)>"Retry"</button>
                            })}
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="data compact" data-testid="outbox-messages">
                <thead>
                    <tr>
                        <th>"Carrying"</th><th>"Event"</th><th>"To"</th><th>"State"</th>
                        <th class="num-col">"Attempts"</th><th>"Queued"</th><th>"Last error"</th><th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { {filters} {table} }
}

/// The state filter's words.
fn state_filter(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "Pending only",
        DeliveryState::Delivered => "Delivered only",
        DeliveryState::Failed => "Dead letters only",
    }
}

/// A message's state as a badge with its word (colour is never the only signal).
#[component]
fn StateBadge(state: DeliveryState) -> impl IntoView {
    let (class, word) = match state {
        DeliveryState::Pending => ("badge check-pending", "Pending"),
        DeliveryState::Delivered => ("badge badge-ok", "Delivered"),
        DeliveryState::Failed => ("badge state-failed", "Dead letter"),
    };
    view! { <span class=class>{word}</span> }
}
