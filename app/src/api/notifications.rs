//! Notifications: personal preferences, the organisation's channels and the
//! outbox.

use gloo_net::http::Request;
use model::api as json;

use super::{ApiError, Get, decode, delete, post_empty, query_string, refusal, send};

/// `GET /api/v1/notifications/preferences`: what the signed-in person hears, by email.
pub fn notification_preferences() -> Get<json::Preferences> {
    Get::new("/api/v1/notifications/preferences".to_owned())
}

/// `PUT /api/v1/notifications/preferences`: the events given change, the others stay.
pub async fn save_notification_preferences(
    update: &json::PreferencesUpdate,
) -> Result<json::Preferences, ApiError> {
    send(Request::put("/api/v1/notifications/preferences"), update).await
}

/// `GET /api/v1/notification-channels` (admins): the organisation's channels,
/// without their URLs or secrets.
pub fn notification_channels() -> Get<Vec<json::NotificationChannel>> {
    Get::new("/api/v1/notification-channels".to_owned())
}

/// `POST /api/v1/notification-channels` (admins): the answer holds an event
/// stream's signing secret, once, when Muster made it.
pub async fn create_notification_channel(
    channel: &json::NewNotificationChannel,
) -> Result<json::CreatedChannel, ApiError> {
    send(Request::post("/api/v1/notification-channels"), channel).await
}

/// `DELETE /api/v1/notification-channels/{id}` (admins).
pub async fn delete_notification_channel(id: i64) -> Result<(), ApiError> {
    let answer = delete(&format!("/api/v1/notification-channels/{id}")).await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}

/// `POST /api/v1/notification-channels/{id}/test` (admins): queues a test
/// message (the server answers 202 at once; the outbox tells how it went).
pub async fn test_notification_channel(id: i64) -> Result<(), ApiError> {
    let answer = post_empty(&format!("/api/v1/notification-channels/{id}/test")).await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}

/// `GET /api/v1/outbox` (admins): counts by state and the newest messages.
pub fn outbox(query: &json::OutboxQuery) -> Get<json::OutboxStatus> {
    Get::new(format!("/api/v1/outbox{}", query_string(query)))
}

/// `POST /api/v1/outbox/{id}/retry` (admins): a dead letter is tried again.
pub async fn retry_outbox_message(id: i64) -> Result<json::OutboxMessage, ApiError> {
    decode(post_empty(&format!("/api/v1/outbox/{id}/retry")).await?)
}
