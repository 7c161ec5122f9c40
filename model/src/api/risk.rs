//! Risk: scores from 0 to 100 made of named factors, each mapped to the OWASP
//! Non-Human Identities Top 10 (2025) and carrying its evidence.

use serde::{Deserialize, Serialize};

use super::{AgentCategory, RiskBand};

/// One reason an entity is risky.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskFactor {
    /// A stable code (e.g. `plaintext_copies`).
    pub code: String,
    /// What it means, in words.
    pub title: String,
    /// The OWASP NHI Top 10 (2025) risk it belongs to: `NHI1` to `NHI10`.
    pub reference: String,
    /// That risk's name (e.g. "Secret leakage").
    pub reference_title: String,
    /// Points it adds to the score.
    pub weight: i64,
    /// What made it fire (e.g. "3 copies: .env on laptop-42, ...").
    pub evidence: String,
}

/// An entity's score, band and factors (heaviest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Risk {
    /// 0 to 100: the factors' weights summed, at most 100.
    pub score: i64,
    /// The score's band.
    pub band: RiskBand,
    /// Why, heaviest first.
    pub factors: Vec<RiskFactor>,
    /// The version of the model that computed it.
    pub risk_model_version: String,
}

/// Score, band and the leading factor in words, for list rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskBrief {
    /// 0 to 100.
    pub score: i64,
    /// The score's band.
    pub band: RiskBand,
    /// The heaviest factor as "title: evidence", if any fired.
    pub leading: Option<String>,
    /// The version of the model that computed it.
    pub risk_model_version: String,
}

/// How many entities fall in each band.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BandCounts {
    /// Scores 0–24.
    pub low: i64,
    /// Scores 25–49.
    pub medium: i64,
    /// Scores 50–74.
    pub high: i64,
    /// Scores 75–100.
    pub critical: i64,
}

/// How many credentials and agents have a factor of one OWASP NHI risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferenceCount {
    /// `NHI1` to `NHI10`.
    pub reference: String,
    /// Its name.
    pub title: String,
    /// Credentials with at least one factor of it.
    pub credentials: i64,
    /// Agents with at least one factor of it.
    pub agents: i64,
}

/// Agents of one category, by band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryBands {
    /// The category.
    pub category: AgentCategory,
    /// Its agents by band.
    pub bands: BandCounts,
}

/// A credential or agent among the riskiest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankedRisk {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its score, band and leading factor.
    pub risk: RiskBrief,
}

/// `GET /api/v1/risk/summary`: posture at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskSummary {
    /// The version of the model behind every number here.
    pub risk_model_version: String,
    /// When the scores were last fully recomputed (RFC 3339), if ever.
    pub computed_at: Option<String>,
    /// Credentials by band.
    pub credentials: BandCounts,
    /// Agents by band.
    pub agents: BandCounts,
    /// Per OWASP NHI risk, NHI1 to NHI10.
    pub by_reference: Vec<ReferenceCount>,
    /// Agents by category and band.
    pub by_category: Vec<CategoryBands>,
    /// The 20 riskiest credentials.
    pub top_credentials: Vec<RankedRisk>,
    /// The 20 riskiest agents.
    pub top_agents: Vec<RankedRisk>,
    /// Active credentials per bin of five points: 0–4, 5–9, …, 95–100.
    pub histogram: Vec<i64>,
}
