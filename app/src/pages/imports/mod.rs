//! The Imports screen (admins): upload a secret scanner's report, a
//! CloudTrail log, an IAM report, an inventory file or a platform's pages
//! (several files at once), watch it go, read what it changed; then the
//! imports made so far, newest first. One file per section: the form
//! ([`form`]), the outcome ([`summary`]), the history ([`history`]).

mod form;
mod history;
mod summary;

use leptos::prelude::*;
use model::api as json;

use crate::api;
use crate::components::form::Alert;
use crate::components::page::ScreenPage;
use crate::routes::Screen;

/// Where an upload is.
#[derive(Debug, Clone, PartialEq)]
enum Progress {
    /// Nothing sent yet.
    Idle,
    /// Bytes sent of the total.
    Sending(f64, f64),
    /// All sent; the server is reading it.
    Reading,
    /// The server's answer.
    Done(Result<Box<json::ImportSummary>, String>),
}

/// The upload form, its progress and outcome, then the past imports.
#[component]
pub fn Imports() -> impl IntoView {
    let history = api::Fetched::new(api::imports);
    let progress = RwSignal::new(Progress::Idle);
    Effect::new(move |_| {
        if matches!(progress.get(), Progress::Done(Ok(_))) {
            history.refetch();
        }
    });
    view! {
        <ScreenPage screen=Screen::Imports>
            <form::UploadForm progress />
            <summary::ProgressView progress />
            <h2 class="section-title">"Imports so far"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading imports…"</p> }>
                {move || {
                    history
                        .get()
                        .map(|result| match result {
                            Ok(list) => view! { <history::History list /> }.into_any(),
                            Err(error) => view! { <Alert message=error.message /> }.into_any(),
                        })
                }}
            </Suspense>
        </ScreenPage>
    }
}
