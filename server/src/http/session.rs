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

use super::extract::{ApiJson, ApiQuery};
use crate::audit::{self, Actor, Entry, Source};
use crate::auth::{self, Caller};
use crate::client::Client;
use crate::db::accounts::{self, SignInMethod};
use crate::db::{oidc, throttle};
use crate::identity::{self, PasswordSignIn};
use crate::{ApiError, AppState};

/// Routes open to anonymous callers.
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_session))
        .routes(routes!(get_sign_in_options))
        .routes(routes!(start_oidc))
        .routes(routes!(finish_oidc))
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
    if state.settings.passwords == PasswordSignIn::Off {
        return Err(ApiError::Forbidden(
            "signing in with a password is switched off here; sign in with your organisation's identity provider"
                .into(),
        ));
    }
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
    // Checked once the password is known good: saying so earlier would tell
    // a stranger which emails have accounts.
    if state.settings.passwords == PasswordSignIn::Admins && !account.roles.contains(&json::Role::Admin) {
        tx.commit().await?;
        return Err(ApiError::Forbidden(
            "only admins sign in with a password here; sign in with your organisation's identity provider"
                .into(),
        ));
    }
    if accounts::has_left(&mut tx, account.id).await? {
        tx.commit().await?;
        return Err(ApiError::Forbidden(
            "the person this account is has left the organisation, so it cannot sign in".into(),
        ));
    }
    let old = auth::session_id(&headers, &client);
    let opened = identity::open_session(
        &mut tx,
        account.id,
        &account.email,
        account.roles,
        SignInMethod::Password,
        None,
        old.as_deref(),
        &source,
        serde_json::json!({"method": SignInMethod::Password.as_str()}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((
        [(
            header::SET_COOKIE,
            auth::session_cookie(&client, Some(&opened.id)),
        )],
        Json(opened.session),
    )
        .into_response())
}

/// Who is signed in, with which roles.
#[utoipa::path(get, path = "/session", tag = "session",
    responses((status = 200, body = json::Session), (status = 401, body = json::ErrorBody)))]
async fn get_session(
    State(state): State<AppState>,
    Extension(Caller(mut session)): Extension<Caller>,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
) -> Result<Json<json::Session>, ApiError> {
    if let Some(provider) = &state.settings.oidc
        && let Some(id) = auth::session_id(&headers, &client)
        && let Some(id_token) = accounts::session_id_token(&state.db, &auth::session_hash(&id)).await?
    {
        session.sign_out_url = provider.sign_out_url(Some(&id_token)).await;
    }
    Ok(Json(session))
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

/// How people sign in here: the identity provider's button, and who may
/// use a password.
#[utoipa::path(get, path = "/session/options", tag = "session",
    responses((status = 200, body = json::SignInOptions)))]
async fn get_sign_in_options(State(state): State<AppState>) -> Json<json::SignInOptions> {
    Json(json::SignInOptions {
        provider: state.settings.oidc.as_ref().map(|p| p.config().name.clone()),
        passwords: state.settings.passwords,
        demo: state.settings.demo,
    })
}

/// How long a sign-in at the provider may take.
const OIDC_LOGIN_TTL: chrono::Duration = chrono::Duration::minutes(10);
/// Sign-ins under way at most; more are refused until some finish or expire.
const OIDC_PENDING_MAX: i64 = 10_000;
/// Sign-ins under way from one address at most, so that one client cannot
/// fill the table and lock everyone else out (a team behind one NAT starts
/// far fewer in ten minutes).
const OIDC_PENDING_PER_ADDRESS: i64 = 50;
/// The cookie that binds a sign-in under way to the browser that started it.
const OIDC_BROWSER_COOKIE: &str = "muster_oidc";

/// Where to go after signing in: a path of Muster's own, else the overview.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StartQuery {
    /// A path of Muster (`/agents/4`); anything else is ignored.
    return_to: Option<String>,
}

/// A path of Muster's own: one `/`, never `//` or `/\\` (another host).
fn local_path(path: Option<&str>) -> String {
    match path {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= 2048
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn browser_cookie(client: &Client, value: Option<&str>) -> String {
    // Lax, not Strict: the provider sends the browser back with a top-level
    // navigation from its own site, which a Strict cookie would not follow.
    let (name, secure) = if client.secure {
        (format!("__Host-{OIDC_BROWSER_COOKIE}"), "; Secure")
    } else {
        (OIDC_BROWSER_COOKIE.to_owned(), "")
    };
    match value {
        Some(value) => format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            OIDC_LOGIN_TTL.num_seconds()
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

fn browser_cookie_value(headers: &HeaderMap, client: &Client) -> Option<String> {
    let wanted = if client.secure {
        format!("__Host-{OIDC_BROWSER_COOKIE}")
    } else {
        OIDC_BROWSER_COOKIE.to_owned()
    };
    auth::cookie(headers, &wanted)
}

fn redirect(to: &str, cookies: &[String]) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response();
    for cookie in cookies {
        if let Ok(value) = header::HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn provider(state: &AppState) -> Result<&std::sync::Arc<identity::oidc::Provider>, ApiError> {
    state
        .settings
        .oidc
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("no identity provider is configured here".into()))
}

/// Starts signing in with the identity provider: sends the browser there
/// (Authorization Code flow with PKCE; state and nonce kept server-side).
#[utoipa::path(get, path = "/session/oidc/start", tag = "session", params(StartQuery),
    responses((status = 303, description = "To the identity provider (or back with `?sign_in_error=unreachable`)"),
        (status = 404, body = json::ErrorBody), (status = 503, body = json::ErrorBody)))]
async fn start_oidc(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    ApiQuery(query): ApiQuery<StartQuery>,
) -> Result<Response, ApiError> {
    let provider = provider(&state)?;
    let now = Utc::now();
    let address = client.address.map(|a| a.to_string());
    let (all, theirs) = oidc::pending(&state.db, address.as_deref(), now).await?;
    if theirs >= OIDC_PENDING_PER_ADDRESS {
        return Err(ApiError::TooManyRequests(OIDC_LOGIN_TTL.num_seconds()));
    }
    if all >= OIDC_PENDING_MAX {
        return Err(ApiError::Busy(
            "too many sign-ins are under way; try again in a minute".into(),
        ));
    }
    let started = match provider.start().await {
        Ok(started) => started,
        Err(error) => {
            tracing::warn!(%error, "cannot start a sign-in with the identity provider");
            return Ok(redirect("/?sign_in_error=unreachable", &[]));
        }
    };
    let browser = auth::random_secret();
    oidc::insert_login(
        &state.db,
        &auth::session_hash(&started.state),
        &auth::session_hash(&browser),
        &started.nonce,
        &started.pkce_verifier,
        &local_path(query.return_to.as_deref()),
        address.as_deref(),
        now,
        now + OIDC_LOGIN_TTL,
    )
    .await?;
    Ok(redirect(
        started.url.as_str(),
        &[browser_cookie(&client, Some(&browser))],
    ))
}

/// What the provider sends back.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CallbackQuery {
    /// The authorization code.
    code: Option<String>,
    /// The state sent.
    state: Option<String>,
    /// The provider's error code, when it did not sign the person in.
    error: Option<String>,
}

/// Finishes signing in with the identity provider (the redirect URI to
/// register there): checks the state, exchanges the code, checks the ID
/// token, maps the groups to roles, and opens a session. Every outcome is a
/// redirect to the web app; a refusal names its reason in `sign_in_error`.
#[utoipa::path(get, path = "/session/oidc/callback", tag = "session", params(CallbackQuery),
    responses((status = 303, description = "Into Muster, signed in or with `?sign_in_error=`"),
        (status = 404, body = json::ErrorBody)))]
async fn finish_oidc(
    State(state): State<AppState>,
    source: Source,
    Extension(client): Extension<Client>,
    headers: HeaderMap,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, ApiError> {
    let provider = provider(&state)?.clone();
    let clear = browser_cookie(&client, None);
    let refuse = |code: &str| redirect(&format!("/?sign_in_error={code}"), std::slice::from_ref(&clear));
    // Parameters are read leniently: whatever the provider (or anyone) sends
    // must reach the person as a message, never as an error page.
    let query = query.unwrap_or_default();
    let param = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .filter(|v| !v.is_empty() && v.len() <= 4096)
    };
    let callback = CallbackQuery {
        code: param("code"),
        state: param("state"),
        error: param("error"),
    };
    let now = Utc::now();
    let Some(state_value) = callback.state else {
        return Ok(refuse("state"));
    };
    let mut tx = state.db.begin().await?;
    let login = oidc::take_login(&mut tx, &auth::session_hash(&state_value), now).await?;
    tx.commit().await?;
    // Unknown, used already, expired, or started in another browser.
    let Some(login) = login.filter(|login| {
        browser_cookie_value(&headers, &client).is_some_and(|b| auth::session_hash(&b) == login.browser_hash)
    }) else {
        return Ok(refuse("state"));
    };
    if let Some(error) = callback.error {
        tracing::info!(%error, "the identity provider did not sign the person in");
        return Ok(refuse("provider"));
    }
    let Some(code) = callback.code else {
        return Ok(refuse("provider"));
    };
    let identity = match provider.finish(&code, &login.nonce, &login.pkce_verifier).await {
        Ok(identity) => identity,
        Err(error) => {
            tracing::warn!(%error, "sign-in with the identity provider failed");
            return Ok(refuse("token"));
        }
    };
    let old = auth::session_id(&headers, &client);
    match identity::sign_in_with_provider(&state.db, &provider, &identity, old.as_deref(), &source, now).await
    {
        Ok(Ok(opened)) => Ok(redirect(
            &login.return_to,
            &[clear.clone(), auth::session_cookie(&client, Some(&opened.id))],
        )),
        Ok(Err(refusal)) => Ok(refuse(refusal.code())),
        // Two first sign-ins of one person at once (one account wins), a
        // busy database: the person starts again.
        Err(error) => {
            tracing::warn!(%error, "signing in with the identity provider could not be recorded");
            Ok(refuse("retry"))
        }
    }
}
