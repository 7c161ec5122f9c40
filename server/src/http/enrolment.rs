//! Endpoint discovery over HTTP: admins create, list and revoke enrolment
//! tokens; a collector with one (`muster scan --server`) has its secrets
//! fingerprinted blind and submits its scan report. An enrolment token can
//! do nothing else (`docs/scan.md`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use model::api as json;
use model::scan;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Id};
use crate::audit::{Actor, Source};
use crate::auth::{Admin, EnrolmentCaller};
use crate::db::endpoint as endpoint_db;
use crate::db::issued_tokens::{self as issued, Issued};
use crate::import::endpoint;
use crate::issued_tokens;
use crate::{ApiError, AppState};

/// Blinded secrets one request may ask to have evaluated.
pub const MAX_BLINDED: usize = 1000;

/// Blind evaluations one token may have a day (UTC): a fleet's daily scans,
/// and a bound on how fast a stolen token can test guesses.
pub const DAILY_EVALUATIONS: i64 = 200_000;

/// Routes for admins (signed-in people).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_enrolment_token, list_enrolment_tokens))
        .routes(routes!(revoke_enrolment_token))
}

/// Routes for collectors with an enrolment token.
pub fn collector_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(evaluate_blinded_secrets))
        .routes(routes!(submit_scan_report))
}

/// Creates an enrolment token. The secret is in this answer only.
#[utoipa::path(post, path = "/enrolment-tokens", tag = "endpoint discovery",
    request_body = json::NewIssuedToken,
    responses((status = 201, body = json::CreatedIssuedToken), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody)))]
async fn create_enrolment_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(request): ApiJson<json::NewIssuedToken>,
) -> Result<(StatusCode, Json<json::CreatedIssuedToken>), ApiError> {
    let by = Actor::Person(caller.0.email.clone());
    let created = issued_tokens::create(
        &state.db,
        Issued::Enrolment,
        &request.name,
        request.expires_in_days,
        by,
        &source,
        Utc::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Every enrolment token, without its secret, newest first.
#[utoipa::path(get, path = "/enrolment-tokens", tag = "endpoint discovery",
    responses((status = 200, body = Vec<json::IssuedToken>), (status = 403, body = json::ErrorBody)))]
async fn list_enrolment_tokens(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::IssuedToken>>, ApiError> {
    Ok(Json(issued::list(&state.db, Issued::Enrolment).await?))
}

/// Revokes an enrolment token at once. Revoking it again changes nothing.
#[utoipa::path(delete, path = "/enrolment-tokens/{id}", tag = "endpoint discovery",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = json::IssuedToken), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody)))]
async fn revoke_enrolment_token(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::IssuedToken>, ApiError> {
    let by = Actor::Person(caller.0.email.clone());
    Ok(Json(
        issued_tokens::revoke(&state.db, Issued::Enrolment, id, by, &source, Utc::now()).await?,
    ))
}

/// Evaluates blinded secrets under the scan key (RFC 9497 OPRF): the
/// collector unblinds the answers into scan fingerprints. The server never
/// sees a secret. At most 1,000 a request and 200,000 a token a day.
#[utoipa::path(post, path = "/scan/fingerprints", tag = "endpoint discovery",
    request_body = scan::BlindedSecrets,
    responses((status = 200, body = scan::EvaluatedSecrets), (status = 400, body = json::ErrorBody),
        (status = 401, body = json::ErrorBody), (status = 429, body = json::ErrorBody)))]
async fn evaluate_blinded_secrets(
    State(state): State<AppState>,
    Extension(caller): Extension<EnrolmentCaller>,
    ApiJson(request): ApiJson<scan::BlindedSecrets>,
) -> Result<Json<scan::EvaluatedSecrets>, ApiError> {
    if request.blinded.len() > MAX_BLINDED {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_BLINDED} blinded secrets a request, not {}",
            request.blinded.len()
        )));
    }
    let evaluated = request
        .blinded
        .iter()
        .enumerate()
        .map(|(i, blinded)| {
            state.settings.fingerprinter.evaluate_blinded(blinded).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "blinded[{i}] is not a blinded element (64 hexadecimal digits of a ristretto255 point)"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let count = evaluated.len() as i64;
    if !endpoint_db::spend_evaluations(&state.db, caller.token_id, count, DAILY_EVALUATIONS, Utc::now())
        .await?
    {
        return Err(ApiError::QuotaExceeded(format!(
            "this enrolment token has had its {DAILY_EVALUATIONS} fingerprints for today (UTC)"
        )));
    }
    Ok(Json(scan::EvaluatedSecrets { evaluated }))
}

/// Submits a scan report: the host's agents, MCP servers and secrets join
/// the inventory (see `docs/scan.md`). All or nothing.
#[utoipa::path(post, path = "/scan/reports", tag = "endpoint discovery",
    request_body = scan::Report,
    responses((status = 200, body = json::ImportSummary), (status = 400, body = json::ErrorBody),
        (status = 401, body = json::ErrorBody), (status = 413, body = json::ErrorBody),
        (status = 422, body = json::ErrorBody)))]
async fn submit_scan_report(
    State(state): State<AppState>,
    Extension(caller): Extension<EnrolmentCaller>,
    origin: Source,
    ApiJson(report): ApiJson<scan::Report>,
) -> Result<Json<json::ImportSummary>, ApiError> {
    let actor = Actor::System(format!("enrolment token {} ({})", caller.token_id, caller.name));
    let summary = endpoint::run(&state.db, &state.settings.fingerprinter, &report, actor, origin).await?;
    endpoint_db::report_submitted(&state.db, caller.token_id, Utc::now()).await?;
    Ok(Json(summary))
}
