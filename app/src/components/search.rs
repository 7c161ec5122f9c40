//! The top bar's search box: finds anything by name, email, key id, ARN or
//! fingerprint (`GET /api/v1/search`) and jumps to its page. Arrow keys move
//! through the hits, Enter opens the highlighted one (the first by default),
//! Escape closes the list.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use model::api as json;

use crate::api;
use crate::routes;

/// Hits shown under the box.
const HITS: u32 = 8;

/// The page of a search hit.
fn hit_path(hit: &json::SearchHit) -> String {
    routes::node_path(hit.kind, hit.id)
}

/// The box and its list of hits.
#[component]
pub fn SearchBox() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let open = RwSignal::new(false);
    let active = RwSignal::new(0usize);
    let results = LocalResource::new(move || {
        let q = text.get().trim().to_owned();
        async move {
            if q.chars().count() < 2 {
                return Ok(Vec::new());
            }
            let query = json::SearchQuery { q, limit: Some(HITS) };
            api::search(&query).send().await.map(|found| found.hits)
        }
    });
    let hits = move || results.get().and_then(Result::ok).unwrap_or_default();
    let navigate = use_navigate();
    let go = move |hit: &json::SearchHit| {
        open.set(false);
        text.set(String::new());
        navigate(&hit_path(hit), Default::default());
    };
    let go_key = go.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let count = hits().len();
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|i| *i = (*i + 1) % count);
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                active.update(|i| *i = (*i + count - 1) % count);
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(hit) = hits().get(active.get_untracked()) {
                    go_key(hit);
                }
            }
            "Escape" => open.set(false),
            _ => {}
        }
    };
    view! {
        <div class="search" role="search" data-testid="search">
            <input
                type="search"
                name="search"
                placeholder="Search names, emails, key ids, ARNs, fingerprints"
                aria-label="Search the inventory"
                autocomplete="off"
                role="combobox"
                aria-controls="search-hits"
                aria-expanded=move || (open.get() && !hits().is_empty()).to_string()
                prop:value=move || text.get()
                on:input:target=move |ev| {
                    text.set(ev.target().value());
                    active.set(0);
                    open.set(true);
                }
                on:keydown=on_key
                on:focus=move |_| open.set(true)
                on:blur=move |_| open.set(false)
            />
            <Show when=move || open.get() && !hits().is_empty()>
                <ul class="search-hits" id="search-hits" role="listbox" data-testid="search-hits">
                    {
                        let go = go.clone();
                        move || {
                            hits()
                                .into_iter()
                                .enumerate()
                                .map(|(i, hit)| {
                                    let go = go.clone();
                                    let target = hit.clone();
                                    view! {
                                        <li
                                            role="option"
                                            aria-selected=move || (active.get() == i).to_string()
                                            // Before the input's blur closes the list.
                                            on:mousedown=move |ev| {
                                                ev.prevent_default();
                                                go(&target);
                                            }
                                        >
                                            <span class="kind-tag">{hit.kind.label()}</span>
                                            <span class="search-label">{hit.label}</span>
                                            <span class="subtle">{hit.detail}</span>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }
                    }
                </ul>
            </Show>
        </div>
    }
}
