//! On an agent's or credential's page: the last time an access review
//! vouched for it, in one line that names who, when, in which review and
//! why, and links to that review; or that no review ever did, which is
//! itself a finding an auditor asks about.

use leptos::prelude::*;
use model::api::{self as json, ReviewDecision};

use crate::format;
use crate::routes;

/// "Kept by ada@example.com on 2026-12-04 in Q1 review — “reason”", or
/// "Never attested in an access review".
#[component]
pub fn LastAttested(attestation: Option<json::Attestation>) -> impl IntoView {
    let Some(a) = attestation else {
        return view! {
            <span class="attested never" data-testid="last-attested">"Never attested in an access review"</span>
        }
        .into_any();
    };
    let verb = match a.decision {
        ReviewDecision::Keep => "Kept",
        ReviewDecision::Reduce => "Reduced",
        ReviewDecision::Revoke => "Revoked",
        ReviewDecision::Reassign => "Reassigned",
    };
    let what = format!(
        "{verb} by {} on {} in {}",
        a.by,
        format::iso_day(a.at.date_naive()),
        a.campaign.name
    );
    view! {
        <span class="attested" data-testid="last-attested">
            "Last attested: "
            <a href=routes::review_path(a.campaign.id)>{what}</a>
            <span class="subtle">" — \u{201c}" {a.reason} "\u{201d}"</span>
        </span>
    }
    .into_any()
}
