//! `GET /api/health`: liveness and readiness in one answer, for load balancers
//! and for the web app's footer.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use model::api as json;

use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(get_health))
}

/// Answers `ok` only when the database answers too, so a replica whose
/// database is gone is taken out of rotation.
async fn get_health(State(state): State<AppState>) -> Result<Json<json::Health>, ApiError> {
    state.db.ping().await?;
    Ok(Json(json::Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: state.db.backend().name().to_owned(),
        demo: state.settings.demo,
    }))
}
