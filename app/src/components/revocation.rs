//! A revocation's state, and a credential's link to its revocation (or to
//! planning one), shown on the revocation screens and the credential's page.

use leptos::prelude::*;
use model::api::{self as json, RevocationState};

use crate::routes;

/// A revocation's state in words, on its colour.
#[component]
pub fn StateBadge(state: RevocationState) -> impl IntoView {
    view! { <span class=format!("badge state-{}", state.as_str()) data-testid="revocation-state">{state.label()}</span> }
}

/// On a credential's page: its revocation, or the way to plan one.
#[component]
pub fn RevocationLink(credential: i64, revocation: Option<json::RevocationBrief>) -> impl IntoView {
    match revocation {
        Some(r) => view! {
            <span data-testid="revocation-link">
                "Revocation: " <StateBadge state=r.state /> " "
                <a href=routes::revocation_path(r.id)>"Follow it"</a>
            </span>
        }
        .into_any(),
        None => view! {
            <a href=routes::revoke_path(credential) data-testid="revocation-link">"What breaks if revoked"</a>
        }
        .into_any(),
    }
}
