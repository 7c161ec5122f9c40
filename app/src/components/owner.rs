//! Changing the owner of an agent or credential from its page: find a person
//! by name or email, give a reason, assign. Shown to managers (the server
//! checks their teams) and admins; everyone else sees nothing.

use leptos::prelude::*;
use model::api::{self as json, OwnedKind, PersonStatus, Role};

use crate::api;
use crate::auth::Auth;
use crate::components::form::{Outcome, TextField};

/// People listed for one search.
const MATCHES: u32 = 20;

/// The form; `done` runs after a change (to reload the page's details).
/// `outcome` belongs to the page, so that the message outlives the form,
/// which the reload draws anew.
#[component]
pub fn AssignOwner(
    kind: OwnedKind,
    id: i64,
    outcome: RwSignal<Option<Result<String, String>>>,
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let auth = Auth::get();
    let may = move || auth.holds(&[Role::Manager, Role::Admin]);
    let find = RwSignal::new(String::new());
    let chosen = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Ok(owner) = chosen.get_untracked().parse::<i64>() else {
            outcome.set(Some(Err("Find the new owner by name or email first.".into())));
            return;
        };
        let assignment = json::OwnerAssignment {
            kind,
            ids: vec![id],
            owner,
            reason: reason.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::assign_owner(&assignment).await {
                Ok(changes) => {
                    let name = changes.first().map(|c| c.after.name.clone()).unwrap_or_default();
                    outcome.set(Some(Ok(format!("{name} owns it now."))));
                    find.set(String::new());
                    reason.set(String::new());
                    done();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <Show when=may>
            <section class="card section" data-testid="assign-owner">
                <h2>"Change the owner"</h2>
                <form class="inline-form" on:submit=submit>
                    <PersonPicker chosen find label="Find a person" search="owner-search" name="owner" />
                    <TextField label="Reason" name="owner-reason" value=reason required=true />
                    <button type="submit" class="primary">"Assign"</button>
                </form>
                <Outcome outcome />
            </section>
        </Show>
    }
}

/// Finds an active person by name or email: a search box (`search`) and
/// the matches to choose from (`name`); the first match is chosen
/// until another is. Shared by an entity page's "Change the owner" and an
/// access review's "Reassign".
#[component]
pub fn PersonPicker(
    chosen: RwSignal<String>,
    find: RwSignal<String>,
    label: &'static str,
    search: &'static str,
    name: &'static str,
) -> impl IntoView {
    let people = LocalResource::new(move || {
        let q = find.get().trim().to_owned();
        async move {
            if q.chars().count() < 2 {
                return Ok(Vec::new());
            }
            let query = json::PersonQuery {
                q: Some(q),
                status: Some(PersonStatus::Active),
                limit: Some(MATCHES),
                ..Default::default()
            };
            api::people(&query).send().await.map(|page| page.items)
        }
    });
    Effect::new(move |_| {
        let first = people
            .get()
            .and_then(Result::ok)
            .and_then(|p| p.first().map(|p| p.id.to_string()));
        chosen.set(first.unwrap_or_default());
    });
    view! {
        <TextField label=label name=search value=find placeholder="name or email" />
        <label class="field">
            <span class="field-label">"New owner"</span>
            <select
                name=name
                data-testid=name
                prop:value=move || chosen.get()
                on:change:target=move |ev| chosen.set(ev.target().value())
            >
                {move || {
                    people
                        .get()
                        .and_then(Result::ok)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| {
                            let team = p.team.map(|t| format!(" · {}", t.name)).unwrap_or_default();
                            view! { <option value=p.id.to_string()>{format!("{}{team}", p.name)}</option> }
                        })
                        .collect_view()
                }}
            </select>
        </label>
    }
}
