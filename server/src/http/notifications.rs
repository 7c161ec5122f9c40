//! Notifications: each person's preferences (`/notifications/preferences`),
//! the organisation's channels (`/notification-channels`, admins; a
//! channel's URL and secret are write-only), and the outbox everything
//! leaves by (`/outbox`, admins: counts, the newest messages, and retrying a
//! dead letter). Every change is audited.

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Utc;
use model::api::{self as json, ChannelKind, NotifyEvent, OutboxTopic};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, ApiQuery, Id};
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::auth::{Admin, Caller};
use crate::db::{notify as db, outbox};
use crate::notify::{Notice, render};
use crate::webhook::{self, WebhookConfig};
use crate::{ApiError, AppState};

/// Routes of this resource.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_preferences, update_preferences))
        .routes(routes!(list_channels, create_channel))
        .routes(routes!(delete_channel))
        .routes(routes!(test_channel))
        .routes(routes!(get_outbox))
        .routes(routes!(retry_message))
}

async fn preferences(state: &AppState, email: &str) -> Result<json::Preferences, ApiError> {
    let chosen = db::preferences(&mut *state.db.pool().acquire().await?, email).await?;
    Ok(json::Preferences {
        email: email.to_owned(),
        email_enabled: state.settings.notify.smtp.is_some(),
        events: NotifyEvent::ALL
            .iter()
            .map(|event| json::EventPreference {
                event: *event,
                delivery: chosen
                    .iter()
                    .find(|(e, _)| e == event)
                    .map_or(json::NotifyDelivery::Each, |(_, d)| *d),
            })
            .collect(),
    })
}

/// What the signed-in person hears of, by email.
#[utoipa::path(get, path = "/notifications/preferences", tag = "notifications",
    responses((status = 200, body = json::Preferences), (status = 401, body = json::ErrorBody)))]
async fn get_preferences(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<json::Preferences>, ApiError> {
    Ok(Json(preferences(&state, &caller.0.email).await?))
}

/// Changes how the signed-in person hears of some events: each time, in a
/// daily digest, or never.
#[utoipa::path(put, path = "/notifications/preferences", tag = "notifications",
    request_body = json::PreferencesUpdate,
    responses((status = 200, body = json::Preferences), (status = 400, body = json::ErrorBody)))]
async fn update_preferences(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    source: Source,
    ApiJson(update): ApiJson<json::PreferencesUpdate>,
) -> Result<Json<json::Preferences>, ApiError> {
    if update.events.is_empty() {
        return Err(ApiError::BadRequest("name at least one event to change".into()));
    }
    let me = caller.0.email.as_str();
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    for preference in &update.events {
        db::set_delivery(&mut tx, me, preference.event, preference.delivery).await?;
    }
    let entry = Entry::new(Actor::Person(me.to_owned()), "notification.preferences")
        .target(AuditTarget::new(TargetKind::Account, me))
        .details(serde_json::json!({ "events": update.events }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Json(preferences(&state, me).await?))
}

/// A channel, or 404.
async fn channel_or_404(conn: &mut sqlx::AnyConnection, id: i64) -> Result<db::ChannelRow, ApiError> {
    db::channel(conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no channel with id {id}")))
}

/// The organisation's channels (never their URLs or secrets).
#[utoipa::path(get, path = "/notification-channels", tag = "notifications",
    responses((status = 200, body = Vec<json::NotificationChannel>), (status = 403, body = json::ErrorBody)))]
async fn list_channels(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::NotificationChannel>>, ApiError> {
    let rows = db::channels(&mut *state.db.pool().acquire().await?).await?;
    Ok(Json(
        rows.iter()
            .map(db::ChannelRow::public)
            .collect::<Result<_, _>>()?,
    ))
}

/// Checks a new channel: answers its URL and, for an event stream, its secret.
fn check_channel(new: &json::NewNotificationChannel) -> Result<(String, Option<String>, bool), ApiError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::BadRequest("name must have 1 to 100 characters".into()));
    }
    let url = new.url.trim();
    let parsed = reqwest::Url::parse(url)
        .map_err(|_| ApiError::BadRequest(format!("url {url:?} is not an http:// or https:// URL")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(ApiError::BadRequest(format!(
            "url {url:?} is not an http:// or https:// URL"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ApiError::BadRequest(
            "url must not carry a user name or password".into(),
        ));
    }
    match (new.kind, &new.secret) {
        (ChannelKind::Webhook, Some(secret)) => {
            WebhookConfig::new(url, secret).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            Ok((url.to_owned(), Some(secret.trim().to_owned()), false))
        }
        (ChannelKind::Webhook, None) => Ok((url.to_owned(), Some(webhook::new_secret()), true)),
        (_, Some(_)) => Err(ApiError::BadRequest(format!(
            "a {} channel takes no secret: its URL is the secret",
            new.kind.label()
        ))),
        (_, None) => Ok((url.to_owned(), None, false)),
    }
}

/// Adds a channel. Its URL is never shown again (a Slack or Teams URL is
/// itself a secret); an event stream gets a signing secret, made for it
/// and shown once when none is given.
#[utoipa::path(post, path = "/notification-channels", tag = "notifications",
    request_body = json::NewNotificationChannel,
    responses((status = 201, body = json::CreatedChannel), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 409, body = json::ErrorBody)))]
async fn create_channel(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(new): ApiJson<json::NewNotificationChannel>,
) -> Result<(StatusCode, Json<json::CreatedChannel>), ApiError> {
    let (url, secret, made) = check_channel(&new)?;
    let name = new.name.trim();
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    if db::channel_named(&mut tx, name).await? {
        return Err(ApiError::Conflict(format!("a channel is named {name:?} already")));
    }
    let row = db::NewChannel {
        name,
        kind: new.kind,
        url: &url,
        secret: secret.as_deref(),
        events: &new.events,
    };
    let id = db::create_channel(&mut tx, &row, &caller.0.email, now).await?;
    let channel = channel_or_404(&mut tx, id).await?.public()?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "notification_channel.create")
        .target(AuditTarget::new(TargetKind::NotificationChannel, id))
        .details(serde_json::json!({
            "name": name, "kind": new.kind, "host": channel.host, "events": new.events, "signed": secret.is_some(),
        }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(json::CreatedChannel {
            channel,
            secret: if made { secret } else { None },
        }),
    ))
}

/// Removes a channel (and takes it off the rules that named it); messages
/// not yet sent to it are given up.
#[utoipa::path(delete, path = "/notification-channels/{id}", tag = "notifications",
    params(("id" = i64, Path, description = "Channel id")),
    responses((status = 204), (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody)))]
async fn delete_channel(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<StatusCode, ApiError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let channel = channel_or_404(&mut tx, id).await?;
    db::delete_channel(&mut tx, id).await?;
    let entry = Entry::new(
        Actor::Person(caller.0.email.clone()),
        "notification_channel.delete",
    )
    .target(AuditTarget::new(TargetKind::NotificationChannel, id))
    .details(serde_json::json!({ "name": channel.name, "kind": channel.kind()? }))
    .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a test message to a channel, to check its URL (and signature).
#[utoipa::path(post, path = "/notification-channels/{id}/test", tag = "notifications",
    params(("id" = i64, Path, description = "Channel id")),
    responses((status = 202), (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody)))]
async fn test_channel(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
) -> Result<StatusCode, ApiError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let channel = channel_or_404(&mut tx, id).await?;
    let config = state.notify_config();
    let notice = Notice {
        event: NotifyEvent::ApprovalRequested,
        title: format!("A test message from Muster, sent by {}", caller.0.email),
        lines: vec!["This channel is set up: Muster's messages will arrive here.".into()],
        link: config.link("/notifications"),
        action: "Open Muster".into(),
    };
    let body = render::for_channel(&notice, &channel.name, channel.kind()?, "test");
    let destination = format!("channel:{id}");
    let message = outbox::New {
        topic: OutboxTopic::Notification,
        subject: None,
        dedupe_key: None,
        destination: &destination,
        event: "test",
        body: &body,
    };
    outbox::enqueue(&mut tx, &message, now).await?;
    tx.commit().await?;
    state.notices.notify_one();
    Ok(StatusCode::ACCEPTED)
}

/// The outbox: how many messages wait, were delivered or were given up
/// (dead letters), and the newest ones (never their bodies).
#[utoipa::path(get, path = "/outbox", tag = "notifications", params(json::OutboxQuery),
    responses((status = 200, body = json::OutboxStatus), (status = 403, body = json::ErrorBody)))]
async fn get_outbox(
    State(state): State<AppState>,
    Admin(_): Admin,
    ApiQuery(query): ApiQuery<json::OutboxQuery>,
) -> Result<Json<json::OutboxStatus>, ApiError> {
    Ok(Json(outbox::status(&state.db, &query).await?))
}

/// An outbox message, or 404.
async fn message_or_404(conn: &mut sqlx::AnyConnection, id: i64) -> Result<outbox::Row, ApiError> {
    outbox::get(conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no outbox message with id {id}")))
}

/// Gives a dead letter another round of attempts.
#[utoipa::path(post, path = "/outbox/{id}/retry", tag = "notifications",
    params(("id" = i64, Path, description = "Message id")),
    responses((status = 200, body = json::OutboxMessage), (status = 403, body = json::ErrorBody),
        (status = 404, body = json::ErrorBody), (status = 409, body = json::ErrorBody)))]
async fn retry_message(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
) -> Result<Json<json::OutboxMessage>, ApiError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let row = message_or_404(&mut tx, id).await?;
    if !outbox::retry(&mut tx, id, now).await? {
        return Err(ApiError::Conflict(format!(
            "message {id} is {}, not a dead letter: only failed messages are retried",
            row.state()?.as_str()
        )));
    }
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "outbox.retry")
        .target(AuditTarget::new(TargetKind::Outbox, id))
        .details(serde_json::json!({ "event": row.event, "attempts": row.attempts, "error": row.last_error }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    let message = message_or_404(&mut tx, id).await?.message()?;
    tx.commit().await?;
    for wake in [&state.outbox, &state.callbacks, &state.events, &state.notices] {
        wake.notify_one();
    }
    Ok(Json(message))
}
