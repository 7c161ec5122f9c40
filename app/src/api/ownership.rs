//! Changing who owns what: assignments, departures and transfers.

use gloo_net::http::Request;
use model::api as json;

use super::{ApiError, send};

/// `POST /api/v1/ownership/assign` (managers in their teams, admins).
pub async fn assign_owner(assignment: &json::OwnerAssignment) -> Result<Vec<json::OwnerChange>, ApiError> {
    send(Request::post("/api/v1/ownership/assign"), assignment).await
}

/// `POST /api/v1/people/{id}/depart` (managers in their teams, admins).
pub async fn depart_person(id: i64, departure: &json::Departure) -> Result<json::DepartureResult, ApiError> {
    send(Request::post(&format!("/api/v1/people/{id}/depart")), departure).await
}

/// `POST /api/v1/ownership/transfer` (managers in their teams, admins).
pub async fn transfer_ownership(transfer: &json::OwnerTransfer) -> Result<json::TransferResult, ApiError> {
    send(Request::post("/api/v1/ownership/transfer"), transfer).await
}
