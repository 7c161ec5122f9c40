//! The Audit screen: whether the hash chain is intact, then the entries,
//! newest first, filtered by actor, action, target and time. The filters live
//! in the URL, so a filtered view can be bookmarked and shared.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use model::api as json;

use crate::components::form::{Alert, TextField};
use crate::components::page::ScreenPage;
use crate::routes::{self, Screen};
use crate::{api, format};

/// Chain status, filters, entries, pages.
#[component]
pub fn Audit() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        params.with(|p| json::AuditQuery {
            actor: p.get("actor"),
            action: p.get("action"),
            target: p.get("target"),
            since: p.get("since").and_then(|t| t.parse().ok()),
            until: p.get("until").and_then(|t| t.parse().ok()),
            q: p.get("q"),
            page: p.get("page").and_then(|n| n.parse().ok()),
            ..Default::default()
        })
    });
    let chain = api::Fetched::new(api::audit_chain);
    let entries = api::Fetched::new(move || {
        let query = query.get();
        api::audit(&query)
    });
    view! {
        <ScreenPage screen=Screen::Audit>
            <Suspense fallback=|| view! { <p class="loading">"Walking the chain…"</p> }>
                {move || chain.get().map(|result| view! { <ChainStatus result /> })}
            </Suspense>
            <VerifyNow chain />
            <Filters query />
            <Suspense fallback=|| view! { <p class="loading">"Loading entries…"</p> }>
                {move || {
                    entries
                        .get()
                        .map(|result| match result {
                            Ok(page) => view! { <Entries page query /> }.into_any(),
                            Err(error) => {
                                view! { <Alert message=error.message /> }.into_any()
                            }
                        })
                }}
            </Suspense>
        </ScreenPage>
    }
}

/// The answer first: intact, or where the tampering starts.
#[component]
fn ChainStatus(result: Result<json::AuditChain, api::ApiError>) -> impl IntoView {
    match result {
        Ok(chain) if chain.intact => view! {
            <div class="status-banner ok" data-testid="chain-status" role="status">
                <span class="banner-mark" aria-hidden="true">"✓"</span>
                <div>
                    <strong>"The log is intact."</strong>
                    " " <span class="num">{chain.valid}</span> "/" <span class="num">{chain.entries}</span>
                    " entries valid, each holding the hash of the one before. Head "
                    <code title=chain.head_hash.clone()>{format::short_hash(&chain.head_hash).to_owned()}</code>
                    ", checked " {format::second(&chain.checked_at)} <Checker chain=chain.clone() /> "."
                </div>
            </div>
        }
        .into_any(),
        Ok(chain) => view! {
            <div class="status-banner broken" data-testid="chain-status" role="alert">
                <span class="banner-mark" aria-hidden="true">"✗"</span>
                <div>
                    <strong>"The log has been tampered with."</strong>
                    " Entry #" {chain.first_bad.unwrap_or_default()} " was "
                    {chain.tampering.clone().unwrap_or_default()} "; " <span class="num">{chain.valid}</span> "/"
                    <span class="num">{chain.entries}</span>
                    " entries are valid before it (checked " {format::second(&chain.checked_at)}
                    <Checker chain=chain.clone() /> "). Run " <code>"muster audit verify"</code>
                    " on the server and compare with an exported copy."
                </div>
            </div>
        }
        .into_any(),
        Err(error) => view! { <Alert message=error.message /> }.into_any(),
    }
}

/// Who asked for the walk and how long it took.
#[component]
fn Checker(chain: json::AuditChain) -> impl IntoView {
    (!chain.checked_by.is_empty()).then(|| {
        view! {
            " by " {chain.checked_by} " in " <span class="num">{chain.took_ms}</span> " ms"
        }
    })
}

/// Walks the chain again now; the banner then shows the new walk.
#[component]
fn VerifyNow(chain: api::Fetched<json::AuditChain>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let verify = move |_| {
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            if let Err(error) = api::verify_audit_chain().await {
                failure.set(Some(error.message));
            }
            busy.set(false);
            chain.refetch();
        });
    };
    view! {
        <p class="actions">
            <button type="button" class="secondary" data-testid="verify-chain" on:click=verify
                disabled=move || busy.get()>
                {move || if busy.get() { "Walking the whole chain…" } else { "Verify the chain now" }}
            </button>
            " " <span class="subtle">"Walks every entry; the banner shows the last walk."</span>
        </p>
        {move || failure.get().map(|message| view! { <Alert message /> })}
    }
}

/// Filter inputs, initialised from the URL; applying them changes the URL.
#[component]
fn Filters(query: Memo<json::AuditQuery>) -> impl IntoView {
    let current = query.get_untracked();
    let actor = RwSignal::new(current.actor.unwrap_or_default());
    let action = RwSignal::new(current.action.unwrap_or_default());
    let target = RwSignal::new(current.target.unwrap_or_default());
    let text = RwSignal::new(current.q.unwrap_or_default());
    let day = |time: Option<chrono::DateTime<chrono::Utc>>| time.map(|t| format::iso_day(t.date_naive()));
    let since = RwSignal::new(day(current.since).unwrap_or_default());
    let until = RwSignal::new(day(current.until).unwrap_or_default());
    // Follow the URL when it changes under the form (a link in the table).
    Effect::new(move |_| {
        let q = query.get();
        actor.set(q.actor.unwrap_or_default());
        action.set(q.action.unwrap_or_default());
        target.set(q.target.unwrap_or_default());
        text.set(q.q.unwrap_or_default());
        since.set(day(q.since).unwrap_or_default());
        until.set(day(q.until).unwrap_or_default());
    });
    let navigate = use_navigate();
    let apply = move |event: SubmitEvent| {
        event.prevent_default();
        let filled = |signal: RwSignal<String>| {
            Some(signal.get_untracked().trim().to_owned()).filter(|s| !s.is_empty())
        };
        // Whole days, in UTC: from the start of `since` to the end of `until`.
        let at = |signal: RwSignal<String>, clock: &str| {
            filled(signal).and_then(|d| format!("{d}T{clock}Z").parse().ok())
        };
        let wanted = json::AuditQuery {
            actor: filled(actor),
            action: filled(action),
            target: filled(target),
            q: filled(text),
            since: at(since, "00:00:00"),
            until: at(until, "23:59:59"),
            ..Default::default()
        };
        navigate(
            &format!("{}{}", Screen::Audit.path(), api::query_string(&wanted)),
            Default::default(),
        );
    };
    view! {
        <form class="card section filters" data-testid="audit-filters" on:submit=apply>
            <TextField label="Actor" name="actor" value=actor placeholder="email or agent id" />
            <TextField label="Action" name="action" value=action placeholder="session. for a family" />
            <TextField label="Target" name="target" value=target placeholder="agent:12" />
            <TextField label="Details contain" name="q" value=text />
            <TextField label="From (UTC)" name="since" kind="date" value=since />
            <TextField label="To (UTC)" name="until" kind="date" value=until />
            <div class="form-actions">
                <button type="submit" class="primary">"Filter"</button>
                <a class="button secondary" href=Screen::Audit.path()>"Clear"</a>
            </div>
        </form>
    }
}

/// One page of entries and the links to the pages around it.
#[component]
fn Entries(page: json::Page<json::AuditEntry>, query: Memo<json::AuditQuery>) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <div class="empty-state" data-testid="audit-empty">
                <p class="empty-title">"No entries match these filters"</p>
                <p>"Widen the time range or clear a filter."</p>
            </div>
        }
        .into_any();
    }
    let first = u64::from(page.page - 1) * u64::from(page.limit) + 1;
    let last = first + page.items.len() as u64 - 1;
    let page_link = move |number: u32| {
        let mut wanted = query.get_untracked();
        wanted.page = Some(number).filter(|n| *n > 1);
        format!("{}{}", Screen::Audit.path(), api::query_string(&wanted))
    };
    let filter_link = move |edit: &dyn Fn(&mut json::AuditQuery)| {
        let mut wanted = json::AuditQuery::default();
        edit(&mut wanted);
        format!("{}{}", Screen::Audit.path(), api::query_string(&wanted))
    };
    let rows = page
        .items
        .into_iter()
        .map(|entry| {
            let actor_link = filter_link(&|q| q.actor = Some(entry.actor.clone()));
            let action_link = filter_link(&|q| q.action = Some(entry.action.clone()));
            let target = entry.target.clone().map(|target| {
                let href = routes::target_path(&target)
                    .unwrap_or_else(|| filter_link(&|q| q.target = Some(target.clone())));
                view! { <a href=href data-testid="target-link">{target.clone()}</a> }
            });
            view! {
                <tr data-testid="audit-row">
                    <td class="num">{entry.seq}</td>
                    <td class="num nowrap">{format::second(&entry.occurred_at)}</td>
                    <td>
                        <span class="actor-kind">{entry.actor_kind.clone()}</span>
                        " "
                        <a href=actor_link>{entry.actor.clone()}</a>
                    </td>
                    <td>
                        <a href=action_link><code>{entry.action.clone()}</code></a>
                    </td>
                    <td>{target}</td>
                    <td class="details">{format::details(&entry.details)}</td>
                    <td class="num">{entry.source_address.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let more = (last as i64) < page.total;
    let number = page.page;
    view! {
        <div class="card section">
            <table class="data" data-testid="audit-table">
                <thead>
                    <tr>
                        <th>"#"</th>
                        <th>"Time"</th>
                        <th>"Actor"</th>
                        <th>"Action"</th>
                        <th>"Target"</th>
                        <th>"Details"</th>
                        <th>"Source"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <nav class="pager" aria-label="Pages">
                <span class="num" data-testid="audit-count">
                    {first} "–" {last} " of " {page.total}
                </span>
                {(number > 1).then(|| view! { <a href=page_link(number - 1)>"← Newer"</a> })}
                {more.then(|| view! { <a href=page_link(number + 1)>"Older →"</a> })}
            </nav>
        </div>
    }
    .into_any()
}
