//! Approvals: the inbox, decisions, change requests and the approval policy.

use gloo_net::http::Request;
use model::api as json;

use super::{ApiError, Get, delete, query_string, refusal, send};

/// `GET /api/v1/approvals`: the inbox, or with `decided` the history.
pub fn approvals(query: &json::ApprovalQuery) -> Get<json::Page<json::ApprovalSummary>> {
    Get::new(format!("/api/v1/approvals{}", query_string(query)))
}

/// `GET /api/v1/approvals/{id}`: one request with what is needed to decide it.
pub fn approval(id: i64) -> Get<json::ApprovalDetail> {
    Get::new(format!("/api/v1/approvals/{id}"))
}

/// `POST /api/v1/approvals/{id}/decision`: approve or deny.
pub async fn decide_approval(id: i64, vote: &json::NewVote) -> Result<json::ApprovalDetail, ApiError> {
    send(Request::post(&format!("/api/v1/approvals/{id}/decision")), vote).await
}

/// `POST /api/v1/change-requests` (managers, admins): a new tool, credential
/// or scope for an agent, through the approvals. Each submission is a new
/// request: its idempotency key is the moment it was sent.
pub async fn request_change(request: &json::NewChangeRequest) -> Result<json::ApprovalStatus, ApiError> {
    let key = format!("web-{}", chrono::Utc::now().timestamp_micros());
    send(
        Request::post("/api/v1/change-requests").header("idempotency-key", &key),
        request,
    )
    .await
}

/// `GET /api/v1/approval-rules`: the policy, in order.
pub fn approval_rules() -> Get<Vec<json::ApprovalRule>> {
    Get::new("/api/v1/approval-rules".to_owned())
}

/// `POST /api/v1/approval-rules` (admins).
pub async fn create_approval_rule(rule: &json::NewApprovalRule) -> Result<json::ApprovalRule, ApiError> {
    send(Request::post("/api/v1/approval-rules"), rule).await
}

/// `DELETE /api/v1/approval-rules/{id}` (admins).
pub async fn delete_approval_rule(id: i64) -> Result<(), ApiError> {
    let answer = delete(&format!("/api/v1/approval-rules/{id}")).await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}
