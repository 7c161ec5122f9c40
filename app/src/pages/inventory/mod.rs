//! The Inventory: credentials, agents, stored copies, resources and people in
//! server-side pages, filtered, searched and sorted by the URL's query, which
//! is passed to the API as it is, so that a filtered view can be bookmarked
//! and shared.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};
use model::api::{self as json, RiskBand};
use serde::de::DeserializeOwned;
use web_sys::UrlSearchParams;

use crate::components::form::{Alert, CheckField, TextField};
use crate::components::page::ScreenPage;
use crate::components::risk::RiskCell;
use crate::routes::{self, Screen};
use crate::{api, format};

/// The lists, by their path segment and tab title.
const LISTS: [(&str, &str); 5] = [
    ("credentials", "Credentials"),
    ("agents", "Agents"),
    ("copies", "Stored copies"),
    ("resources", "Resources"),
    ("people", "People"),
];

/// Whether a list is scored (and so takes the band and owner filters and
/// sorts riskiest first).
fn scored(list: &str) -> bool {
    matches!(list, "credentials" | "agents")
}

const CREDENTIAL_COLUMNS: &[(&str, &str)] = &[
    ("Credential", ""),
    ("Kind", ""),
    ("Status", ""),
    ("Owner", ""),
    ("Copies", "num-col"),
    ("Last used", ""),
    ("Risk", ""),
];

const COPY_COLUMNS: &[(&str, &str)] = &[
    ("Where", ""),
    ("Secret of", ""),
    ("Kind", ""),
    ("Status", ""),
    ("Last seen", ""),
];

const RESOURCE_COLUMNS: &[(&str, &str)] = &[
    ("Resource", ""),
    ("Environment", ""),
    ("Sensitivity", ""),
    ("Owning team", ""),
];

const PERSON_COLUMNS: &[(&str, &str)] = &[("Person", ""), ("Team", ""), ("Manager", ""), ("Status", "")];

const AGENT_COLUMNS: &[(&str, &str)] = &[
    ("Agent", ""),
    ("Category", ""),
    ("Environment", ""),
    ("Owner", ""),
    ("Last seen", ""),
    ("Risk", ""),
];

/// Tabs, filters, the page of rows, and the pager.
#[component]
pub fn Inventory() -> impl IntoView {
    let location = use_location();
    // From the path, like the query below, rather than from the route's
    // params, which can lag a navigation behind the query and so pair one
    // list with another's filters.
    let list = Memo::new(move |_| {
        let path = location.pathname.get();
        let wanted = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        LISTS
            .iter()
            .map(|(name, _)| *name)
            .find(|name| *name == wanted)
            .unwrap_or("credentials")
    });
    // Scored lists riskiest first unless the URL says otherwise; the others
    // in the server's own order.
    let search = Memo::new(move |_| {
        let query = UrlSearchParams::new_with_str(location.search.get().trim_start_matches('?'))
            .expect("a query string parses");
        if scored(list.get()) && !query.has("sort") {
            query.set("sort", "-risk");
        }
        String::from(query.to_string())
    });
    view! {
        <ScreenPage screen=Screen::Inventory>
            <nav class="tabs" aria-label="Lists">
                {LISTS
                    .map(|(name, title)| {
                        view! {
                            <A href=routes::inventory_path(name, &[])>
                                <span>{title}</span>
                            </A>
                        }
                    })
                    .collect_view()}
            </nav>
            <Filters search list />
            {move || match list.get() {
                "agents" => rows("agents", list, search, AGENT_COLUMNS, agent_row).into_any(),
                "copies" => rows("copies", list, search, COPY_COLUMNS, copy_row).into_any(),
                "resources" => rows("resources", list, search, RESOURCE_COLUMNS, resource_row).into_any(),
                "people" => rows("people", list, search, PERSON_COLUMNS, person_row).into_any(),
                _ => rows("credentials", list, search, CREDENTIAL_COLUMNS, credential_row).into_any(),
            }}
        </ScreenPage>
    }
}

/// `path` with `search` edited by `edit` (the page resets unless `edit` sets it).
fn with_query(path: &str, search: &str, edit: impl FnOnce(&UrlSearchParams)) -> String {
    let query = UrlSearchParams::new_with_str(search).expect("a query string parses");
    query.delete("page");
    edit(&query);
    format!("{path}?{}", String::from(query.to_string()))
}

/// Search text, and for scored lists band and "unowned only"; applying them
/// changes the URL.
#[component]
fn Filters(search: Memo<String>, list: Memo<&'static str>) -> impl IntoView {
    let read = move |name: &str| {
        UrlSearchParams::new_with_str(&search.get_untracked())
            .ok()
            .and_then(|q| q.get(name))
            .unwrap_or_default()
    };
    let text = RwSignal::new(read("q"));
    let band = RwSignal::new(read("band"));
    let unowned = RwSignal::new(read("has_no_owner") == "true");
    Effect::new(move |_| {
        search.track();
        text.set(read("q"));
        band.set(read("band"));
        unowned.set(read("has_no_owner") == "true");
    });
    let navigate = use_navigate();
    let path = use_location().pathname;
    let apply = move |event: SubmitEvent| {
        event.prevent_default();
        let url = with_query(&path.get_untracked(), &search.get_untracked(), |query| {
            for (name, value) in [
                ("q", text.get_untracked()),
                ("band", band.get_untracked()),
                (
                    "has_no_owner",
                    if unowned.get_untracked() {
                        "true".into()
                    } else {
                        String::new()
                    },
                ),
            ] {
                if value.trim().is_empty() {
                    query.delete(name);
                } else {
                    query.set(name, value.trim());
                }
            }
        });
        navigate(&url, Default::default());
    };
    view! {
        <form class="card section filters" data-testid="inventory-filters" on:submit=apply>
            <TextField label="Search" name="q" value=text placeholder="name, key id, ARN or fingerprint" />
            <Show when=move || scored(list.get())>
            <label class="field">
                <span class="field-label">"Risk band"</span>
                <select name="band" prop:value=move || band.get() on:change:target=move |ev| band.set(ev.target().value())>
                    <option value="">"Any"</option>
                    {RiskBand::ALL
                        .iter()
                        .rev()
                        .map(|b| view! { <option value=b.as_str()>{b.label()}</option> })
                        .collect_view()}
                </select>
            </label>
            <CheckField label="Without an owner" name="has_no_owner" checked=unowned />
            </Show>
            <div class="form-actions">
                <button type="submit" class="primary">"Filter"</button>
            </div>
        </form>
    }
}

/// "1–50 of 1,451" and the links to the pages around it.
#[component]
fn Pager<T: 'static>(page: json::Page<T>, search: Memo<String>) -> impl IntoView {
    let first = u64::from(page.page - 1) * u64::from(page.limit) + 1;
    let last = first + page.items.len() as u64 - 1;
    let path = use_location().pathname;
    let link = move |number: u32| {
        with_query(&path.get_untracked(), &search.get_untracked(), |query| {
            if number > 1 {
                query.set("page", &number.to_string());
            }
        })
    };
    let number = page.page;
    let more = (last as i64) < page.total;
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="num" data-testid="inventory-count">
                {if page.items.is_empty() { "0".to_owned() } else { format!("{first}–{last}") }} " of " {page.total}
            </span>
            {(number > 1).then(|| view! { <a href=link(number - 1)>"← Previous"</a> })}
            {more.then(|| view! { <a href=link(number + 1)>"Next →"</a> })}
        </nav>
    }
}

/// A list's page of rows, fetched whenever the URL's query changes: a
/// header of `(title, class)` pairs and `row` for each item.
fn rows<T: DeserializeOwned + Clone + 'static>(
    list: &'static str,
    current: Memo<&'static str>,
    search: Memo<String>,
    headers: &'static [(&'static str, &'static str)],
    row: fn(T) -> AnyView,
) -> impl IntoView {
    let page = api::Fetched::when(move || {
        let search = search.get();
        // On a switch of list the query may change before this list's rows
        // are dropped: such a query is another list's, so never send it.
        (current.get() == list).then(|| api::inventory::<T>(list, &search))
    });
    move || match page.get() {
        None => view! { <p class="loading">"Loading…"</p> }.into_any(),
        Some(Err(error)) => view! { <Alert message=error.message /> }.into_any(),
        Some(Ok(page)) if page.items.is_empty() => view! {
            <div class="empty-state" data-testid="inventory-empty">
                <p class="empty-title">"Nothing matches these filters"</p>
                <p>"Clear a filter, or import a scanner's report to add what it found."</p>
            </div>
        }
        .into_any(),
        Some(Ok(page)) => {
            let items = page.items.clone();
            view! {
                <div class="card section">
                    <table class="data" data-testid="inventory-table">
                        <thead>
                            <tr>
                                {headers
                                    .iter()
                                    .map(|(title, class)| view! { <th class=*class>{*title}</th> })
                                    .collect_view()}
                            </tr>
                        </thead>
                        <tbody>{items.into_iter().map(row).collect_view()}</tbody>
                    </table>
                    <Pager page search />
                </div>
            }
            .into_any()
        }
    }
}

fn credential_row(c: json::CredentialSummary) -> AnyView {
    view! {
        <tr data-testid="inventory-row">
            <td>
                <a href=routes::entity_path("credentials", c.id)>{c.name}</a>
                <div class="mono subtle">{c.external_id}</div>
            </td>
            <td>{c.kind.label()} <div class="subtle">{c.provider}</div></td>
            <td>{c.status.label()}</td>
            <td>{owner(c.owner)}</td>
            <td class="num-col num">{c.copies}</td>
            <td class="nowrap">{when(c.last_used_at)}</td>
            <td>
                <RiskCell risk=c.risk />
            </td>
        </tr>
    }
    .into_any()
}

fn agent_row(a: json::AgentSummary) -> AnyView {
    view! {
        <tr data-testid="inventory-row">
            <td>
                <a href=routes::entity_path("agents", a.id)>{a.name}</a>
                <div class="subtle">{a.platform} {if a.sanctioned { "" } else { " · shadow" }}</div>
            </td>
            <td>{a.category.label()}</td>
            <td>{a.environment.label()}</td>
            <td>{owner(a.owner)}</td>
            <td class="nowrap">{when(a.last_seen)}</td>
            <td>
                <RiskCell risk=a.risk />
            </td>
        </tr>
    }
    .into_any()
}

fn copy_row(c: json::CopySummary) -> AnyView {
    view! {
        <tr data-testid="inventory-row">
            <td>
                <span class="mono">{c.locator}</span>
                <div class="subtle">
                    {c.author_email.map(|a| format!("written by {a} · ")).unwrap_or_default()} "found by " {c.found_by}
                </div>
            </td>
            <td>
                <a href=routes::entity_path("credentials", c.credential.id)>{c.credential.name}</a>
            </td>
            <td>{c.kind.label()}</td>
            <td>{c.status.label()}</td>
            <td class="nowrap">{when(Some(c.last_seen))}</td>
        </tr>
    }
    .into_any()
}

fn resource_row(r: json::ResourceSummary) -> AnyView {
    view! {
        <tr data-testid="inventory-row">
            <td>
                <a href=routes::entity_path("resources", r.id)>{r.name}</a>
                <div class="subtle">{r.kind.label()} " · " {r.provider}</div>
            </td>
            <td>{r.environment.label()}</td>
            <td>{r.sensitivity.label()}</td>
            <td>{team(r.owner_team)}</td>
        </tr>
    }
    .into_any()
}

fn person_row(p: json::PersonSummary) -> AnyView {
    view! {
        <tr data-testid="inventory-row">
            <td>
                <a href=routes::entity_path("people", p.id)>{p.name}</a>
                <div class="subtle">{p.email}</div>
            </td>
            <td>{team(p.team)}</td>
            <td>
                {p.manager.map(|m| view! { <a href=routes::entity_path("people", m.id)>{m.name}</a> })}
            </td>
            <td>{p.status.label()}</td>
        </tr>
    }
    .into_any()
}

fn team(team: Option<json::Ref>) -> AnyView {
    match team {
        Some(team) => view! { <a href=routes::entity_path("teams", team.id)>{team.name}</a> }.into_any(),
        None => view! { <span class="subtle">"None"</span> }.into_any(),
    }
}

fn owner(owner: Option<json::Ref>) -> AnyView {
    match owner {
        Some(person) => {
            view! { <a href=routes::entity_path("people", person.id)>{person.name}</a> }.into_any()
        }
        None => view! { <span class="badge badge-muted">"No owner"</span> }.into_any(),
    }
}

fn when(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    time.map_or_else(
        || "never".to_owned(),
        |t| format::minute(&t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    )
}
