//! `/api/v1/risk`: posture at a glance, from the stored scores (see
//! `docs/risk-model.md` for the model behind them).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_risk_summary))
}

/// Counts per band, per OWASP NHI risk and per agent category, and the 20
/// riskiest credentials and agents with their leading factor.
#[utoipa::path(get, path = "/risk/summary", tag = "risk",
    responses((status = 200, body = json::RiskSummary), (status = 401, body = json::ErrorBody)))]
async fn get_risk_summary(State(state): State<AppState>) -> Result<Json<Arc<json::RiskSummary>>, ApiError> {
    Ok(Json(state.aggregates.risk_summary(&state.db).await?))
}
