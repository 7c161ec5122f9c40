//! Approvals: the inbox of sensitive operations waiting for a decision (most
//! urgent, then riskiest, first), each with the context to decide it in
//! seconds, the history of decided ones, and the policy that decides which
//! requests need whom: the list is [`list`], the selected request
//! [`detail`], the policy's rules and the form for a new one [`rules`].
//!
//! Keyboard: `j`/`k` move through the list, `a` approves, `d` denies (with
//! the comment typed), `c` goes to the comment.
//!
//! `/approvals?request=12` opens with that request selected: the links in
//! emails and channel messages point there.

mod detail;
mod list;
mod rules;

use detail::DetailPane;
use list::RequestList;
use rules::{NewRule, conditions, decision};

use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use model::api::{self as json, Role, Sensitivity};
use wasm_bindgen::JsCast;

use crate::api;
use crate::auth::Auth;
use crate::components::form::{Alert, Outcome};
use crate::components::page::{Page, ScreenPage};
use crate::routes::{self, Screen};

/// `/approvals`: the inbox (or the history) beside the selected request.
#[component]
pub fn Approvals() -> impl IntoView {
    let decided = RwSignal::new(false);
    let query = use_query_map();
    let requested = Memo::new(move |_| {
        query
            .with(|q| q.get("request"))
            .and_then(|r| r.parse::<i64>().ok())
    });
    let selected = RwSignal::new(requested.get_untracked());
    let comment = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let list = api::Fetched::new(move || {
        api::approvals(&json::ApprovalQuery {
            decided: decided.get().then_some(true),
            limit: Some(100),
            ..Default::default()
        })
    });
    let ids = Memo::new(move |_| match list.get() {
        Some(Ok(page)) => page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    // A link to a request (followed while already on this screen) selects it.
    Effect::new(move |_| {
        if let Some(id) = requested.get() {
            selected.set(Some(id));
        }
    });
    // The first request is selected until the person picks another. The
    // linked request stays selected even when this list does not hold it
    // (already decided, or past the first hundred): its pane fetches it by id.
    Effect::new(move |_| {
        let ids = ids.get();
        let current = selected.get_untracked();
        if current.is_some() && current == requested.get_untracked() {
            return;
        }
        if current.is_none_or(|s| !ids.contains(&s)) {
            selected.set(ids.first().copied());
        }
    });
    let step = move |by: isize| {
        let ids = ids.get_untracked();
        let at = selected
            .get_untracked()
            .and_then(|s| ids.iter().position(|i| *i == s));
        let next = at.map_or(0, |i| {
            i.saturating_add_signed(by).min(ids.len().saturating_sub(1))
        });
        if let Some(id) = ids.get(next) {
            selected.set(Some(*id));
            outcome.set(None);
        }
    };
    let keys = window_event_listener(ev::keydown, move |event| {
        let typing = event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        match event.key().as_str() {
            "j" => step(1),
            "k" => step(-1),
            // The keys press the buttons, so that they do exactly what a click does.
            "a" => press("[data-action=approve]"),
            "d" => press("[data-action=deny]"),
            "c" => {
                event.prevent_default();
                if let Some(field) = element("textarea[name=decision-comment]") {
                    let _ = field.focus();
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());
    view! {
        <ScreenPage screen=Screen::Approvals>
            <div class="tabs">
                <button type="button" aria-pressed=move || (!decided.get()).to_string() on:click=move |_| decided.set(false)>"Waiting"</button>
                <button type="button" aria-pressed=move || decided.get().to_string() on:click=move |_| decided.set(true)>"Decided"</button>
                <a class="tab-link" href=routes::APPROVAL_POLICY>"Policy"</a>
                <span class="subtle keys-help">"Keys: j / k move · a approve · d deny · c comment"</span>
            </div>
            <div class="approvals">
                <section class="card section approvals-list" data-testid="approvals">
                    {move || match list.get() {
                        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                        Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                        Some(Ok(page)) if page.items.is_empty() => view! {
                            <p>{if decided.get() { "Nothing decided yet." } else { "Nothing is waiting for a decision." }}</p>
                        }.into_any(),
                        Some(Ok(page)) => view! { <RequestList items=page.items selected /> }.into_any(),
                    }}
                </section>
                <section class="card section approval-detail" data-testid="approval-detail">
                    {move || match selected.get() {
                        None => view! { <p class="subtle">"Select a request."</p> }.into_any(),
                        Some(id) => view! { <DetailPane id list comment outcome /> }.into_any(),
                    }}
                    <Outcome outcome />
                </section>
            </div>
        </ScreenPage>
    }
}

/// The element matching `css`, if any.
fn element(css: &str) -> Option<web_sys::HtmlElement> {
    document().query_selector(css).ok().flatten()?.dyn_into().ok()
}

/// Clicks the element matching `css`, if there is one.
fn press(css: &str) {
    if let Some(button) = element(css) {
        button.click();
    }
}

/// "in 42 min", "in 3 h", or "expired".
fn time_left(expires_at: chrono::DateTime<chrono::Utc>) -> String {
    let minutes = (expires_at - chrono::Utc::now()).num_minutes();
    match minutes {
        ..0 => "expired".into(),
        0..=90 => format!("in {minutes} min"),
        _ => format!("in {} h", minutes / 60),
    }
}

/// A sensitivity in words, on its colour.
#[component]
fn SensitivityBadge(s: Sensitivity) -> impl IntoView {
    view! { <span class=format!("badge sensitivity-{}", s.as_str())>{s.label()}</span> }
}

/// `/approvals/policy`: the rules in the order they are tried; admins add and remove them.
#[component]
pub fn ApprovalPolicy() -> impl IntoView {
    let auth = Auth::get();
    let rules = api::Fetched::new(api::approval_rules);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let remove = move |id: i64| {
        leptos::task::spawn_local(async move {
            match api::delete_approval_rule(id).await {
                Ok(()) => {
                    outcome.set(Some(Ok("Rule removed.".into())));
                    rules.refetch();
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <Page title="Approval policy" question="Which requests are decided at once, and which need whom? The first matching rule decides.">
            <div class="tabs"><a class="tab-link" href=Screen::Approvals.path()>"Back to the inbox"</a></div>
            <section class="card section" data-testid="approval-rules">
                {move || match rules.get() {
                    None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                    Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
                    Some(Ok(rules)) => view! {
                        <table class="data compact">
                            <thead>
                                <tr><th class="num-col">"#"</th><th>"Rule"</th><th>"Operation"</th><th>"When"</th><th>"Decision"</th><th>"Expires"</th><th></th></tr>
                            </thead>
                            <tbody>
                                {rules.into_iter().map(|rule| {
                                    let id = rule.id;
                                    view! {
                                        <tr data-rule=id>
                                            <td class="num-col num">{rule.position}</td>
                                            <td>{rule.name.clone()}</td>
                                            <td><code>{rule.operation.clone()}</code></td>
                                            <td>{conditions(&rule)}</td>
                                            <td>
                                                {decision(&rule)}
                                                {rule.channel.clone().map(|channel| view! {
                                                    <div class="subtle" data-testid="rule-channel">{format!("also tells {}", channel.name)}</div>
                                                })}
                                            </td>
                                            <td class="nowrap">{format!("{} min", rule.expires_in / 60)}</td>
                                            <td>
                                                <Show when=move || auth.holds(&[Role::Admin])>
                                                    <button type="button" class="secondary small" on:click=move |_| remove(id)>"Remove"</button>
                                                </Show>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <p class="subtle">"No rule matches: one approver decides within an hour. No rule can let people approve for their own agents, let one person be both approvers, or decide a request twice or after its expiry."</p>
                    }.into_any(),
                }}
                <Outcome outcome />
            </section>
            <Show when=move || auth.holds(&[Role::Admin])>
                <NewRule rules outcome />
            </Show>
        </Page>
    }
}
