//! A stored copy of a secret: whose secret it is, who found it, who wrote
//! it, and when it was first and last seen.

use leptos::prelude::*;
use model::api::{self as json, NodeKind};

use super::{GraphLinks, loaded};
use crate::components::page::Page;
use crate::{api, format, routes};

/// The page of copy `id`.
#[component]
pub fn CopyPage(id: i64) -> impl IntoView {
    let detail = api::Fetched::new(move || api::copy(id));
    move || {
        loaded(detail.get(), |c: json::CopySummary| {
            let question = format!("{} · {}", c.kind.label(), c.status.label());
            view! {
                <Page title=c.locator.clone() question testid="copy-page">
                    <div class="entity-header">
                        <GraphLinks kind=NodeKind::Copy id=c.id />
                    </div>
                    <section class="card section">
                        <dl class="facts">
                            <dt>"Secret of"</dt>
                            <dd><a href=routes::entity_path("credentials", c.credential.id)>{c.credential.name.clone()}</a></dd>
                            <dt>"Found by"</dt>
                            <dd>{c.found_by.clone()}</dd>
                            <dt>"Written by"</dt>
                            <dd>{c.author_email.clone().unwrap_or_else(|| "unknown".into())}</dd>
                            <dt>"First seen"</dt>
                            <dd>{format::day(c.first_seen.date_naive())}</dd>
                            <dt>"Last seen"</dt>
                            <dd>{format::day(c.last_seen.date_naive())}</dd>
                        </dl>
                    </section>
                </Page>
            }
            .into_any()
        })
    }
}
