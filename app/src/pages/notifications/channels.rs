//! Notifications › the organisation's channels (admins): Slack and Teams
//! webhooks and signed event streams that hear of events whatever each
//! person chose. A channel's URL is a secret, so the list shows only its
//! host; an event stream's signing secret is shown once, when Muster makes it.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api::{self as json, ChannelKind, NotifyEvent};

use crate::api;
use crate::components::form::Outcome;
use crate::components::tokens::ShownOnce;
use crate::format;

/// What to do with a signing secret Muster made.
const SECRET_ADVICE: &str = "The event stream's signing secret: put it in the receiver now, which checks each \
     message's webhook-signature with it. It will not be shown again.";

/// The channels, with a test message and removal for each, and a form that
/// adds one. `version` is bumped when a test message is queued.
#[component]
pub fn Channels(version: RwSignal<u32>) -> impl IntoView {
    let channels = api::Fetched::new(api::notification_channels);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let test = move |id: i64, name: String| {
        spawn_local(async move {
            match api::test_notification_channel(id).await {
                Ok(()) => {
                    outcome.set(Some(Ok(format!(
                        "A test message to \u{201c}{name}\u{201d} is queued: the outbox below shows whether it arrived."
                    ))));
                    version.update(|v| *v += 1);
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    let remove = move |id: i64, name: String| {
        spawn_local(async move {
            match api::delete_notification_channel(id).await {
                Ok(()) => {
                    outcome.set(Some(Ok(format!("Channel \u{201c}{name}\u{201d} removed."))));
                    channels.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <section class="card section" data-testid="channels">
            <h2>"Organisation channels"</h2>
            <p class="subtle">
                "Every event a channel hears is posted there, whatever each person chose above: "
                "Slack and Teams show it to a room, a signed event stream hands it to any other automation."
            </p>
            {move || channels.get().map(|answer| match answer {
                Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <p data-testid="no-channels">"No channel yet: only people hear of events, by email. Add the room your approvers watch below."</p>
                }.into_any(),
                Ok(list) => view! {
                    <table class="data compact">
                        <thead>
                            <tr>
                                <th>"Channel"</th><th>"Kind"</th><th>"Host"</th><th>"Hears of"</th>
                                <th>"Signed"</th><th>"Added"</th><th></th>
                            </tr>
                        </thead>
                        <tbody>
                            {list.into_iter().map(|c| {
                                let id = c.id;
                                let name = c.name.clone();
                                let also = name.clone();
                                view! {
                                    <tr data-channel=c.name.clone()>
                                        <td>{c.name.clone()}</td>
                                        <td>{c.kind.label()}</td>
                                        <td class="mono">{c.host.clone()}</td>
                                        <td>{hears_of(&c.events)}</td>
                                        <td>{c.signed.then(|| view! { <span class="badge badge-ok">"signed"</span> })}</td>
                                        <td class="subtle">{format!("by {}, {}", c.created_by, format::at(c.created_at))}</td>
                                        <td class="row-actions">
                                            <button type="button" class="secondary small" data-testid="test-channel"
                                                on:click=move |_| test(id, name.clone())>"Test"</button>
                                            <button type="button" class="secondary small" data-testid="remove-channel"
                                                on:click=move |_| remove(id, also.clone())>"Remove"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
            <NewChannel channels outcome />
            <Outcome outcome />
        </section>
    }
}

/// "every event", or the events' labels.
fn hears_of(events: &[NotifyEvent]) -> String {
    if events.is_empty() {
        "every event".into()
    } else {
        events.iter().map(|e| e.label()).collect::<Vec<_>>().join("; ")
    }
}

/// Name, kind, URL, the events it hears (none ticked: every one) and, for an
/// event stream, its signing secret (Muster makes one when left empty).
#[component]
fn NewChannel(
    channels: api::Fetched<Vec<json::NotificationChannel>>,
    outcome: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(ChannelKind::Slack);
    let url = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let events = RwSignal::new(Vec::<NotifyEvent>::new());
    let shown = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let add = move |event: SubmitEvent| {
        event.prevent_default();
        outcome.set(None);
        shown.set(None);
        let kind = kind.get_untracked();
        let channel = json::NewNotificationChannel {
            name: name.get_untracked().trim().to_owned(),
            kind,
            url: url.get_untracked().trim().to_owned(),
            // Only event streams sign their messages; a secret typed for
            // another kind before switching would be refused.
            secret: Some(secret.get_untracked().trim().to_owned())
                .filter(|s| kind == ChannelKind::Webhook && !s.is_empty()),
            events: events.get_untracked(),
        };
        busy.set(true);
        spawn_local(async move {
            match api::create_notification_channel(&channel).await {
                Ok(created) => {
                    shown.set(created.secret);
                    outcome.set(Some(Ok(format!(
                        "Channel \u{201c}{}\u{201d} added: use Test to see a message arrive.",
                        created.channel.name
                    ))));
                    name.set(String::new());
                    url.set(String::new());
                    secret.set(String::new());
                    events.set(Vec::new());
                    channels.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
            busy.set(false);
        });
    };
    view! {
        {move || shown.get().map(|secret| view! {
            <ShownOnce testid="channel-secret" advice=SECRET_ADVICE secret />
        })}
        <form class="form-grid channel-form" data-testid="new-channel" on:submit=add>
            <h3>"Add a channel"</h3>
            <label class="field">
                <span class="field-label">"Name"</span>
                <input type="text" name="channel-name" data-testid="channel-name" autocomplete="off" required
                    placeholder="#security-approvals"
                    prop:value=move || name.get()
                    on:input:target=move |ev| name.set(ev.target().value()) />
            </label>
            <label class="field">
                <span class="field-label">"Kind"</span>
                <select name="channel-kind" data-testid="channel-kind"
                    on:change:target=move |ev| {
                        if let Ok(chosen) = ev.target().value().parse::<ChannelKind>() {
                            kind.set(chosen);
                        }
                    }>
                    {ChannelKind::ALL.iter().copied().map(|k| view! {
                        <option value=k.as_str() selected=move || kind.get() == k>{k.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"URL"</span>
                <input type="url" name="channel-url" data-testid="channel-url" autocomplete="off" required
                    placeholder=move || url_hint(kind.get())
                    prop:value=move || url.get()
                    on:input:target=move |ev| url.set(ev.target().value()) />
                <span class="subtle">"Kept secret: anyone with it can post to the channel. Only its host is shown after."</span>
            </label>
            <Show when=move || kind.get() == ChannelKind::Webhook>
                <label class="field">
                    <span class="field-label">"Signing secret (optional)"</span>
                    <input type="text" name="channel-signing-secret" data-testid="channel-signing-secret"
                        autocomplete="off" placeholder="whsec_… (left empty, Muster makes one)"
                        prop:value=move || secret.get()
                        on:input:target=move |ev| secret.set(ev.target().value()) />
                </label>
            </Show>
            <fieldset class="kind-picker event-picker">
                <legend class="field-label">"Hears of (none ticked: every event)"</legend>
                {NotifyEvent::ALL.iter().copied().map(|e| {
                    let toggle = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        events.update(|list| {
                            list.retain(|x| *x != e);
                            if on {
                                list.push(e);
                            }
                            // The wire order is the events' own, whatever order they were ticked in.
                            list.sort();
                        });
                    };
                    view! {
                        <label class="check">
                            <input type="checkbox" name=format!("channel-event-{}", e.as_str())
                                prop:checked=move || events.with(|list| list.contains(&e))
                                on:change=toggle />
                            {e.label()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="primary" data-testid="add-channel" disabled=move || busy.get()>
                    "Add channel"
                </button>
            </div>
        </form>
    }
}

/// What a URL of each kind looks like.
fn url_hint(kind: ChannelKind) -> &'static str {
    match kind {
        ChannelKind::Slack => "https://hooks.slack.com/services/…",
        ChannelKind::Teams => "https://….webhook.office.com/… or a workflow URL",
        ChannelKind::Webhook => "https://automation.example.com/muster-events",
    }
}
