//! Access reviews: campaigns, their items and decisions.

use gloo_net::http::Request;
use model::api as json;

use super::{ApiError, Get, decode, delete, post_empty, query_string, send};

/// `GET /api/v1/reviews`: the access reviews, newest first, each with the
/// progress of the items the signed-in person sees.
pub fn reviews() -> Get<Vec<json::Campaign>> {
    Get::new("/api/v1/reviews".to_owned())
}

/// `POST /api/v1/reviews` (CISOs and admins): starts an access review.
pub async fn start_review(campaign: &json::NewCampaign) -> Result<json::Campaign, ApiError> {
    send(Request::post("/api/v1/reviews"), campaign).await
}

/// `GET /api/v1/reviews/{id}`: one review, with its progress by team and by reviewer.
pub fn review(id: i64) -> Get<json::CampaignDetail> {
    Get::new(format!("/api/v1/reviews/{id}"))
}

/// `GET /api/v1/reviews/{id}/items`: a page of its items, riskiest first.
pub fn review_items(id: i64, query: &json::ReviewItemQuery) -> Get<json::Page<json::ReviewItem>> {
    Get::new(format!("/api/v1/reviews/{id}/items{}", query_string(query)))
}

/// `POST /api/v1/reviews/{id}/decisions`: one decision for one or more
/// items, all or none (each item's reviewer).
pub async fn decide_review_items(
    id: i64,
    decisions: &json::ReviewDecisions,
) -> Result<json::ReviewDecided, ApiError> {
    send(
        Request::post(&format!("/api/v1/reviews/{id}/decisions")),
        decisions,
    )
    .await
}

/// `POST /api/v1/reviews/{id}/close` (CISOs and admins): no more decisions.
pub async fn close_review(id: i64) -> Result<json::Campaign, ApiError> {
    decode(post_empty(&format!("/api/v1/reviews/{id}/close")).await?)
}

/// `DELETE /api/v1/reviews/{id}/repeat` (CISOs and admins): no next cycle.
pub async fn stop_repeating_review(id: i64) -> Result<json::Campaign, ApiError> {
    decode(delete(&format!("/api/v1/reviews/{id}/repeat")).await?)
}
