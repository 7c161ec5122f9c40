//! Revoking credentials: the plan, the revocation and its checklist.

use gloo_net::http::Request;
use model::api as json;

use super::{ApiError, Get, query_string, send};

/// `GET /api/v1/credentials/{id}/revocation-plan`: what revoking it would break.
pub fn revocation_plan(credential: i64) -> Get<json::RevocationPlan> {
    Get::new(format!("/api/v1/credentials/{credential}/revocation-plan"))
}

/// `POST /api/v1/credentials/{id}/revocation` (admins, managers in their teams).
pub async fn revoke_credential(
    credential: i64,
    request: &json::NewRevocation,
) -> Result<json::Revocation, ApiError> {
    send(
        Request::post(&format!("/api/v1/credentials/{credential}/revocation")),
        request,
    )
    .await
}

/// `GET /api/v1/revocations`.
pub fn revocations(query: &json::RevocationQuery) -> Get<json::Page<json::RevocationSummary>> {
    Get::new(format!("/api/v1/revocations{}", query_string(query)))
}

/// `GET /api/v1/revocations/{id}`.
pub fn revocation(id: i64) -> Get<json::Revocation> {
    Get::new(format!("/api/v1/revocations/{id}"))
}

/// `POST /api/v1/revocations/{id}/transitions` (admins, managers in their teams).
pub async fn move_revocation(
    id: i64,
    transition: &json::RevocationTransition,
) -> Result<json::Revocation, ApiError> {
    send(
        Request::post(&format!("/api/v1/revocations/{id}/transitions")),
        transition,
    )
    .await
}

/// `POST /api/v1/revocations/{id}/checklist` (admins, managers in their teams).
pub async fn resolve_copy(id: i64, resolution: &json::CopyResolution) -> Result<json::Revocation, ApiError> {
    send(
        Request::post(&format!("/api/v1/revocations/{id}/checklist")),
        resolution,
    )
    .await
}
