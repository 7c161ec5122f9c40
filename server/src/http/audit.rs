//! `/api/v1/audit/export`: the audit log as JSON lines, for SIEMs.

use axum::Extension;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use model::api::{self as json, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::auth::Caller;
use crate::db::sql::timestamp;
use crate::{ApiError, AppState, audit};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_audit))
}

/// Entries between two times as JSON lines (OCSF-style field names), oldest
/// first. For the `ciso` and `admin` roles.
#[utoipa::path(get, path = "/audit/export", tag = "audit", params(json::AuditExportQuery),
    responses((status = 200, content_type = "application/x-ndjson", body = String),
        (status = 403, body = json::ErrorBody)))]
async fn export_audit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<json::AuditExportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(&[Role::Ciso, Role::Admin])?;
    let since = query.since.map(timestamp);
    let until = query.until.map(timestamp);
    let mut body = audit::export(&state.db, since.as_deref(), until.as_deref())
        .await?
        .join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body))
}
