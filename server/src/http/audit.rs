//! `/api/v1/audit`: the audit log's entries with filters, the chain's status,
//! and the export as JSON lines for SIEMs. For the `ciso` and `admin` roles:
//! the log names people, addresses and failed sign-ins.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use model::api::{self as json, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiQuery;
use crate::auth::Caller;
use crate::db::sql::timestamp;
use crate::{ApiError, AppState, audit};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_audit))
        .routes(routes!(get_audit_chain, verify_audit_chain))
        .routes(routes!(export_audit))
}

/// Who may read the log.
const READERS: &[Role] = &[Role::Ciso, Role::Admin];

/// A page of entries, newest first, filtered by actor, action, target and time.
#[utoipa::path(get, path = "/audit", tag = "audit", params(json::AuditQuery),
    responses((status = 200, body = json::Page<json::AuditEntry>), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody)))]
async fn list_audit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(query): ApiQuery<json::AuditQuery>,
) -> Result<Json<json::Page<json::AuditEntry>>, ApiError> {
    caller.require(READERS)?;
    Ok(Json(audit::list(&state.db, &query).await?))
}

/// The last verification of the chain: whether it was intact and, if not,
/// the first bad entry and what happened to it; when, by whom, how long it
/// took. The first visit, before any, walks the chain.
#[utoipa::path(get, path = "/audit/chain", tag = "audit",
    responses((status = 200, body = json::AuditChain), (status = 403, body = json::ErrorBody)))]
async fn get_audit_chain(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<json::AuditChain>, ApiError> {
    caller.require(READERS)?;
    Ok(Json(match audit::last_verification(&state.db).await? {
        Some(last) => last,
        None => audit::verify_and_record(&state.db, &state.verifying, &caller.0.email).await?,
    }))
}

/// Walks the whole chain now (one walk at a time) and records the outcome.
#[utoipa::path(post, path = "/audit/chain", tag = "audit",
    responses((status = 200, body = json::AuditChain), (status = 403, body = json::ErrorBody)))]
async fn verify_audit_chain(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<json::AuditChain>, ApiError> {
    caller.require(READERS)?;
    Ok(Json(
        audit::verify_and_record(&state.db, &state.verifying, &caller.0.email).await?,
    ))
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
    caller.require(READERS)?;
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
