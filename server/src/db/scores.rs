//! How stored scores read, for the lists and pages that show them: a
//! detail's factors, a list row's brief, a band as a filter. Writing scores
//! is [`super::risk`]'s; this reads what it stored and depends on no other
//! query module, so any of them may use it.

use model::api::{self as json, RiskBand};

use crate::risk::{self, Fired};

/// The stored factors (heaviest first); an unreadable value reads as none.
pub fn stored_factors(text: &str) -> Vec<Fired> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A stored score and factors as the detail responses show them.
pub fn detail(score: i64, factors: &str) -> json::Risk {
    json::Risk {
        score,
        band: RiskBand::of(score),
        factors: stored_factors(factors).iter().map(risk::to_wire).collect(),
        risk_model_version: risk::MODEL_VERSION.to_owned(),
    }
}

/// A stored score and factors as list rows show them.
pub fn brief(score: i64, factors: &str) -> json::RiskBrief {
    json::RiskBrief {
        score,
        band: RiskBand::of(score),
        leading: stored_factors(factors).first().map(risk::headline),
        risk_model_version: risk::MODEL_VERSION.to_owned(),
    }
}

/// A band's condition on `column`, for list filters.
pub fn band_condition(column: &str, band: RiskBand) -> String {
    let (low, high) = band.range();
    format!("{column} BETWEEN {low} AND {high}")
}
