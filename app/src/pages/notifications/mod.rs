//! The Notifications screen: what the signed-in person hears of by email and
//! how often (everyone), then, for admins, the organisation's channels
//! ([`channels`]: Slack, Teams, signed event streams) and the outbox that
//! sends it all, with its dead letters ([`outbox`]).

mod channels;
mod outbox;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api::{self as json, NotifyDelivery, Role};

use crate::api;
use crate::auth::Auth;
use crate::components::form::Alert;
use crate::components::page::ScreenPage;
use crate::routes::Screen;

/// `/notifications`: the person's own preferences, then the admins' sections.
#[component]
pub fn Notifications() -> impl IntoView {
    let auth = Auth::get();
    // Bumped when a channel is sent a test message, so that the outbox below
    // shows it without a reload.
    let version = RwSignal::new(0_u32);
    view! {
        <ScreenPage screen=Screen::Notifications>
            <WhatYouHear />
            // The server refuses these routes to anyone else: hiding them
            // spares people errors they can do nothing about.
            <Show when=move || auth.holds(&[Role::Admin])>
                <channels::Channels version />
                <outbox::Outbox version />
            </Show>
        </ScreenPage>
    }
}

/// Where the person's messages go, and how they hear of each event.
#[component]
fn WhatYouHear() -> impl IntoView {
    let preferences = api::Fetched::new(api::notification_preferences);
    view! {
        <section class="card section" data-testid="what-you-hear">
            <h2>"What you hear"</h2>
            {move || match preferences.get() {
                None => view! { <p class="loading">"Loading your preferences…"</p> }.into_any(),
                Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                Some(Ok(preferences)) => view! { <PreferenceForm preferences /> }.into_any(),
            }}
        </section>
    }
}

/// The sentence on where messages go, one row per event, and Save. The
/// form keeps the server's answer after a save rather than fetching again,
/// so that the confirmation stays on screen.
#[component]
fn PreferenceForm(preferences: json::Preferences) -> impl IntoView {
    let json::Preferences {
        email,
        email_enabled,
        events,
    } = preferences;
    let choices = RwSignal::new(events.clone());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let save = move |event: SubmitEvent| {
        event.prevent_default();
        outcome.set(None);
        busy.set(true);
        // Every event is sent, not only those changed: what is on screen is
        // then exactly what the server keeps.
        let update = json::PreferencesUpdate {
            events: choices.get_untracked(),
        };
        spawn_local(async move {
            match api::save_notification_preferences(&update).await {
                Ok(saved) => {
                    choices.set(saved.events);
                    outcome.set(Some(Ok("Saved: Muster will tell you as chosen here.".into())));
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
            busy.set(false);
        });
    };
    let intro = if email_enabled {
        view! {
            <p>
                "Messages go to " <strong>{email}</strong>
                ". Choose, for each event, whether you hear of it each time, in a daily digest, or never."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="notice" data-testid="email-disabled">
                "This server does not send email (an admin turns it on by starting it with "
                <code>"--smtp-url"</code>
                "), so only the organisation's channels hear of events. Your choices below are kept for "
                {email} " and apply once it does."
            </p>
        }
        .into_any()
    };
    let rows = events
        .into_iter()
        .map(|preference| {
            let event = preference.event;
            let current = move || {
                choices.with(|list| list.iter().find(|p| p.event == event).map(|p| p.delivery))
            };
            let choose = move |value: String| {
                if let Ok(delivery) = value.parse::<NotifyDelivery>() {
                    choices.update(|list| {
                        for p in list.iter_mut().filter(|p| p.event == event) {
                            p.delivery = delivery;
                        }
                    });
                    // A confirmation would now describe choices no longer on screen.
                    outcome.set(None);
                }
            };
            view! {
                <tr data-event=event.as_str()>
                    <td>{event.label()}</td>
                    <td>
                        <select
                            name=format!("pref-{}", event.as_str())
                            data-testid=format!("pref-{}", event.as_str())
                            aria-label=event.label()
                            on:change:target=move |ev| choose(ev.target().value())
                        >
                            {NotifyDelivery::ALL
                                .iter()
                                .copied()
                                .map(|delivery| {
                                    view! {
                                        <option value=delivery.as_str() selected=move || current() == Some(delivery)>
                                            {delivery.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {intro}
        <form on:submit=save data-testid="preferences">
            <table class="data compact">
                <thead>
                    <tr><th>"When"</th><th>"Tell me by email"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <div class="form-actions">
                <button type="submit" class="primary" data-testid="save-preferences" disabled=move || busy.get()>
                    "Save"
                </button>
                {move || {
                    outcome
                        .get()
                        .map(|outcome| match outcome {
                            Ok(text) => {
                                view! { <p class="form-ok" role="status" data-testid="preferences-saved">{text}</p> }
                                    .into_any()
                            }
                            Err(message) => view! { <Alert message /> }.into_any(),
                        })
                }}
            </div>
        </form>
    }
}
