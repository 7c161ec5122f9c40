//! The resources a credential reaches, as a compact table (a credential's
//! page, and what a revocation would cut off).

use leptos::prelude::*;
use model::api as json;

use crate::routes;

/// The resources a credential reaches: environment, sensitivity, permission.
#[component]
pub fn ReachTable(reach: Vec<json::ReachEntry>) -> impl IntoView {
    view! {
        <table class="data compact">
            <tbody>
                {reach.into_iter().map(|r| view! {
                    <tr>
                        <td><a href=routes::entity_path("resources", r.resource.id)>{r.resource.name}</a></td>
                        <td>{r.resource.environment.label()}</td>
                        <td>{r.resource.sensitivity.label()}</td>
                        <td>{r.permission.label()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
