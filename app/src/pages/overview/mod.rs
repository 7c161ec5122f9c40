//! The Overview: how exposed are we? The answer first (critical credentials,
//! owner coverage), then headline figures ([`posture`]), the charts
//! ([`charts`]), the bands, the OWASP NHI Top 10 breakdown and the riskiest
//! credentials and agents with their leading factor ([`risk`]), and the
//! unusual behaviour of the last 30 days ([`behaviour`]).
//! Sizes are set with `style:` (the CSS object model), which the CSP allows,
//! never with `style` attributes, which it blocks.

mod behaviour;
mod charts;
mod posture;
mod risk;

use behaviour::UnusualBehaviour;
use posture::Posture;

use leptos::prelude::*;

use crate::api;
use crate::components::chart;
use crate::components::form::Alert;
use crate::components::page::ScreenPage;
use crate::routes::Screen;

/// Figures and tables, each loading on its own.
#[component]
pub fn Overview() -> impl IntoView {
    let overview = api::Fetched::new(api::overview);
    let summary = api::Fetched::new(api::risk_summary);
    let coverage = api::Fetched::new(|| api::coverage(None));
    let findings = api::Fetched::new(api::recent_findings);
    chart::preload();
    view! {
        <ScreenPage screen=Screen::Overview>
            <Suspense fallback=|| view! { <p class="loading">"Reading the inventory…"</p> }>
                {move || {
                    match (overview.get(), summary.get()) {
                        (Some(Ok(overview)), Some(Ok(summary))) => {
                            view! { <Posture overview summary by_team=coverage /> }.into_any()
                        }
                        (Some(Err(error)), _) | (_, Some(Err(error))) => {
                            view! { <Alert message=error.message /> }.into_any()
                        }
                        _ => view! { <p class="loading">"Reading the inventory…"</p> }.into_any(),
                    }
                }}
            </Suspense>
            {move || findings.get().map(|result| match result {
                Ok(recent) => view! { <UnusualBehaviour recent /> }.into_any(),
                Err(error) => view! { <Alert message=error.message /> }.into_any(),
            })}
        </ScreenPage>
    }
}
