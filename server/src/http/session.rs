//! `/api/v1/session`: sign in, who am I, sign out. Each appends to the audit
//! log in the same transaction as the session change.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use model::api as json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ApiJson;
use crate::audit::{self, Actor, Entry, Source};
use crate::auth::{self, Caller};
use crate::client::Client;
use crate::db::{accounts, throttle};
use crate::{ApiError, AppState};

/// Routes open to anonymous callers.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_session))
}

/// Routes for signed-in people.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_session, delete_session))
}

/// Signs in with email and password; sets the session cookie.
#[utoipa::path(post, path = "/session", tag = "session", request_body = json::SignIn,
    responses((status = 200, body = json::Session), (status = 401, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 429, body = json::ErrorBody)))]
async fn create_session(
    State(state): State<AppState>,
    source: Source,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    ApiJson(sign_in): ApiJson<json::SignIn>,
) -> Result<Response, ApiError> {
    // Sizes are checked before anything is stored or hashed: an email of a
    // megabyte must reach neither the throttle rows nor the audit log, and
    // a password of a megabyte would cost Argon2 seconds.
    if sign_in.email.len() > 254 || sign_in.password.len() > 1024 {
        return Err(ApiError::BadRequest(
            "an email has at most 254 characters, and a password at most 1,024".into(),
        ));
    }
    let now = Utc::now();
    let keys = throttle::keys(&sign_in.email, client.address);
    if let Err(wait) = throttle::reserve(&state.db, &keys, now).await? {
        return Err(ApiError::TooManyRequests(wait.num_seconds() + 1));
    }
    let account = accounts::by_email(&state.db, &sign_in.email).await?;
    // Verify against a real hash even for an unknown email, so that timing
    // does not tell which emails have accounts.
    let hash = account
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let password = sign_in.password.clone();
    let matches = tokio::task::spawn_blocking(move || auth::verify_password(&hash, &password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let mut tx = state.db.begin().await?;
    let Some(account) = account.filter(|a| matches && !a.disabled) else {
        // The failure was counted before the password was checked.
        let entry = Entry::new(
            Actor::Person(sign_in.email.trim().to_lowercase()),
            "session.sign_in_failed",
        )
        .from(&source);
        audit::record(&mut tx, &entry, now).await?;
        tx.commit().await?;
        // The same answer whether the email exists or not.
        return Err(ApiError::Unauthorized);
    };
    throttle::record_success(&mut tx, &keys).await?;
    // A new id at every sign-in; any session the browser still carried ends.
    if let Some(old) = auth::session_id(&headers, &client) {
        accounts::revoke_session(&mut tx, &auth::session_hash(&old), now).await?;
    }
    let (id, id_hash) = auth::new_session_id();
    accounts::create_session(&mut tx, &id_hash, account.id, now, now + auth::ABSOLUTE_TIMEOUT).await?;
    let entry = Entry::new(Actor::Person(account.email.clone()), "session.sign_in")
        .target(format!("account:{}", account.id))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    let (person, team) = accounts::identity(&mut tx, account.id).await?;
    tx.commit().await?;
    let body = json::Session {
        email: account.email,
        roles: account.roles,
        person,
        team,
    };
    Ok((
        [(header::SET_COOKIE, auth::session_cookie(&client, Some(&id)))],
        Json(body),
    )
        .into_response())
}

/// Who is signed in, with which roles.
#[utoipa::path(get, path = "/session", tag = "session",
    responses((status = 200, body = json::Session), (status = 401, body = json::ErrorBody)))]
async fn get_session(Extension(Caller(session)): Extension<Caller>) -> Json<json::Session> {
    Json(session)
}

/// Signs out: the session ends on the server and the cookie is cleared.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204), (status = 401, body = json::ErrorBody)))]
async fn delete_session(
    State(state): State<AppState>,
    Extension(Caller(session)): Extension<Caller>,
    source: Source,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = auth::session_id(&headers, &client).ok_or(ApiError::Unauthorized)?;
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    accounts::revoke_session(&mut tx, &auth::session_hash(&id), now).await?;
    let entry = Entry::new(Actor::Person(session.email), "session.sign_out").from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::session_cookie(&client, None))],
    )
        .into_response())
}

/// A hash of a password nobody knows, to spend the same time on unknown emails.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| auth::hash_password("no account has this password"));
