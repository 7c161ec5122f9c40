//! Leavers and transfers: mark a person of the team as having left (what
//! they owned becomes orphaned), or move everything one owns to another.

use leptos::prelude::*;
use model::api::{self as json, PersonStatus};

use super::{View, due_text};
use crate::api;
use crate::components::form::{Outcome, TextField};

/// People of the team: mark one as having left (their agents and credentials
/// become orphans), or move everything one owns to another.
#[component]
pub(super) fn Leavers(view: View) -> impl IntoView {
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
