//! Risk bands as people read them: the band's word on its colour (never the
//! colour alone), next to the leading factor.

use leptos::prelude::*;
use model::api::{RiskBand, RiskBrief};

/// "Critical 82" on the band's colour.
#[component]
pub fn RiskBadge(band: RiskBand, score: i64) -> impl IntoView {
    view! {
        <span class=format!("risk-badge risk-{}", band.as_str()) title=format!("Risk score {score} of 100")>
            {band.label()} " " <span class="num">{score}</span>
        </span>
    }
}

/// The badge, then the leading factor in words.
#[component]
pub fn RiskCell(risk: RiskBrief) -> impl IntoView {
    let leading = risk.leading.unwrap_or_else(|| "No risk factor fired".into());
    let title = leading.clone();
    view! {
        <span class="risk-cell">
            <RiskBadge band=risk.band score=risk.score />
            <span class="risk-leading" title=title>{leading}</span>
        </span>
    }
}
