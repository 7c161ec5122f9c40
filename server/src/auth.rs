//! Who is calling: passwords (argon2id), session cookies, the signed-in
//! caller of a request, and the same-origin check on state-changing requests.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use chrono::{Duration, Utc};
use model::api as json;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::client::Client;
use crate::db::accounts;
use crate::{ApiError, AppState};

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// The session cookie's name where the browser accepts `Secure` cookies.
pub const SECURE_COOKIE: &str = "__Host-muster_session";
/// The session cookie's name on plain HTTP to another host than localhost.
pub const PLAIN_COOKIE: &str = "muster_session";
/// The header the web app sets on every state-changing request.
pub const CLIENT_HEADER: &str = "x-muster-client";

/// An argon2id hash of a password, with a random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

pub use json::MIN_PASSWORD_CHARS;
/// The longest: argon2 would hash more, but nobody types it and it costs time.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Refuses a password that is too short or too long, in words for the person choosing it.
pub fn check_password(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        ))
    } else if chars > MAX_PASSWORD_CHARS {
        Err(format!(
            "the password must have at most {MAX_PASSWORD_CHARS} characters"
        ))
    } else {
        Ok(())
    }
}

/// An account's email, trimmed and lowercased, or why it is not one.
pub fn normalise_email(email: &str) -> Result<String, String> {
    let email = email.trim().to_lowercase();
    let shaped = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
    if !shaped || email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Err(format!("{email:?} is not an email address"));
    }
    Ok(email)
}

/// Whether `password` matches `hash`.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// 256 random bits, URL-safe: session ids, agent tokens, demo passwords.
pub fn random_secret() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A new random session id and the hash stored in its place.
pub fn new_session_id() -> (String, String) {
    let id = random_secret();
    let hash = session_hash(&id);
    (id, hash)
}

/// What is stored for a session id or an agent token: its SHA-256.
pub fn session_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// The `Set-Cookie` value that stores a session id (or, with `None`, clears it).
pub fn session_cookie(client: &Client, id: Option<&str>) -> String {
    let secure = client.secure;
    let name = if secure { SECURE_COOKIE } else { PLAIN_COOKIE };
    let mut cookie = match id {
        Some(id) => format!(
            "{name}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
            ABSOLUTE_TIMEOUT.num_seconds()
        ),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// The session id a request carries, if any.
pub fn session_id(headers: &HeaderMap, client: &Client) -> Option<String> {
    // Only the name this context sets: in a secure context, a cookie without
    // the `__Host-` prefix may have been planted by a sibling host or over
    // plain HTTP, and would fix the session of whoever planted it.
    let wanted = if client.secure {
        SECURE_COOKIE
    } else {
        PLAIN_COOKIE
    };
    cookie(headers, wanted)
}

/// The value of the cookie named `wanted` a request carries, if any (and not empty).
pub fn cookie(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The signed-in person making a request (put in the request's extensions by [`require_person`]).
#[derive(Debug, Clone)]
pub struct Caller(pub json::Session);

impl Caller {
    /// Refuses (403) a caller holding none of `roles`.
    pub fn require(&self, roles: &[json::Role]) -> Result<(), ApiError> {
        if self.0.roles.iter().any(|role| roles.contains(role)) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(ApiError::Forbidden(format!(
                "this needs one of the roles: {}",
                names.join(", ")
            )))
        }
    }
}

/// Declares an extractor for signed-in callers holding one of `roles`: it
/// refuses (403) anyone else before the request's body is even read, so that
/// a forbidden caller learns nothing from validation errors.
macro_rules! role_extractor {
    ($(#[$meta:meta])* $name:ident, $roles:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Caller);

        impl<S: Send + Sync> axum::extract::FromRequestParts<S> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                _state: &S,
            ) -> Result<Self, ApiError> {
                let caller = parts
                    .extensions
                    .get::<Caller>()
                    .cloned()
                    .ok_or(ApiError::Unauthorized)?;
                caller.require($roles)?;
                Ok($name(caller))
            }
        }
    };
}

role_extractor!(
    /// A signed-in caller holding the `admin` role.
    Admin,
    &[json::Role::Admin]
);

role_extractor!(
    /// A signed-in caller who may change ownership: a manager (inside their
    /// teams, checked by the handler) or an admin.
    OwnershipEditor,
    &[json::Role::Manager, json::Role::Admin]
);

role_extractor!(
    /// A signed-in caller who runs access reviews and takes evidence packs:
    /// a CISO or an admin.
    ReviewLead,
    &[json::Role::Ciso, json::Role::Admin]
);

role_extractor!(
    /// A signed-in caller who sees the approvals inbox: an approver, a CISO
    /// or an admin (deciding also needs the role the request's rule names).
    InboxReader,
    &[json::Role::Approver, json::Role::Ciso, json::Role::Admin]
);

/// The session id of a request, by the [`Client`] the request came from.
pub fn session_of(request: &Request) -> Option<String> {
    let client = request.extensions().get::<Client>().copied().unwrap_or_default();
    session_id(request.headers(), &client)
}

/// The caller of a request, from its session cookie's id.
pub async fn caller(state: &AppState, session: Option<String>) -> Result<Caller, ApiError> {
    let id = session.ok_or(ApiError::Unauthorized)?;
    let now = Utc::now();
    accounts::session_account(&state.db, &session_hash(&id), now, now - IDLE_TIMEOUT)
        .await?
        .map(Caller)
        .ok_or(ApiError::Unauthorized)
}

/// The `Authorization: Bearer` token of a request, if any.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// An agent calling with its own token (put in the request's extensions by [`require_agent`]).
#[derive(Debug, Clone, Copy)]
pub struct AgentCaller {
    /// The agent the token belongs to.
    pub agent_id: i64,
}

async fn agent_caller(state: &AppState, token: &str) -> Result<AgentCaller, ApiError> {
    crate::db::agent_tokens::agent_of(&state.db, &session_hash(token), Utc::now())
        .await?
        .map(|agent_id| AgentCaller { agent_id })
        .ok_or(ApiError::Unauthorized)
}

/// Middleware: lets only signed-in people through (any role may read the
/// inventory), and hands the [`Caller`] to the handler. An agent's token is
/// refused here (403): agents may only act as themselves, on their routes.
pub async fn require_person(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if session_of(&request).is_none()
        && let Some(token) = bearer_token(request.headers())
    {
        agent_caller(&state, token).await?;
        return Err(ApiError::Forbidden(
            "an agent token cannot be used for this; it is for people".into(),
        ));
    }
    let session = session_of(&request);
    let caller = caller(&state, session).await?;
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

/// Middleware: lets only agents with a live token through, and hands the
/// [`AgentCaller`] to the handler. A signed-in person is refused (403).
pub async fn require_agent(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(token) = bearer_token(request.headers()) else {
        if session_of(&request).is_some() {
            let session = session_of(&request);
            caller(&state, session).await?;
            return Err(ApiError::Forbidden(
                "this is for agents, with their own token".into(),
            ));
        }
        return Err(ApiError::Unauthorized);
    };
    let agent = agent_caller(&state, token).await?;
    request.extensions_mut().insert(agent);
    Ok(next.run(request).await)
}

/// Middleware: a state-changing request must come from our own origin and
/// carry `X-Muster-Client: web`, which a cross-site form or image cannot.
pub async fn same_origin(request: Request, next: Next) -> Result<Response, ApiError> {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.run(request).await);
    }
    // A browser never sends a bearer token by itself: such a request without
    // a session cookie cannot be forged cross-site.
    if bearer_token(request.headers()).is_some() && session_of(&request).is_none() {
        return Ok(next.run(request).await);
    }
    let headers = request.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if text(CLIENT_HEADER).as_deref() != Some("web") {
        return Err(ApiError::Forbidden(format!(
            "state-changing requests must carry `{CLIENT_HEADER}: web`"
        )));
    }
    if let Some(site) = text("sec-fetch-site")
        && site != "same-origin"
        && site != "none"
    {
        return Err(ApiError::Forbidden(format!(
            "cross-site request refused (Sec-Fetch-Site: {site})"
        )));
    }
    if let Some(origin) = text("origin") {
        let host = text("host").unwrap_or_default();
        let origin_host = origin.split_once("://").map_or(origin.as_str(), |(_, rest)| rest);
        if origin_host != host {
            return Err(ApiError::Forbidden(format!(
                "cross-origin request refused (Origin: {origin})"
            )));
        }
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct hose"));
        assert!(!verify_password("not a hash", "correct horse"));
    }

    #[test]
    fn a_secure_context_sets_and_accepts_only_the_host_cookie() {
        let secure = Client {
            secure: true,
            ..Client::default()
        };
        let plain = Client::default();
        let cookie = session_cookie(&secure, Some("x"));
        assert!(cookie.starts_with("__Host-muster_session=x; Path=/; HttpOnly; SameSite=Strict"));
        assert!(cookie.ends_with("; Secure"));
        assert!(session_cookie(&plain, Some("x")).starts_with("muster_session=x;"));
        assert!(!session_cookie(&plain, Some("x")).contains("Secure"));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "muster_session=planted".parse().unwrap());
        assert_eq!(session_id(&headers, &secure), None);
        assert_eq!(session_id(&headers, &plain).as_deref(), Some("planted"));
        headers.insert(header::COOKIE, "__Host-muster_session=mine".parse().unwrap());
        assert_eq!(session_id(&headers, &secure).as_deref(), Some("mine"));
        assert_eq!(session_id(&headers, &plain), None);
    }
}

/// An endpoint collector calling with an enrolment token (put in the
/// request's extensions by [`require_enrolment`]).
#[derive(Debug, Clone)]
pub struct EnrolmentCaller {
    /// The token's id.
    pub token_id: i64,
    /// The token's name.
    pub name: String,
}

/// Middleware: lets only collectors with a live enrolment token through. A
/// signed-in person or an agent's token is refused: these routes can do
/// nothing else, and nothing else accepts their token.
pub async fn require_enrolment(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let refused = || ApiError::Forbidden("this is for endpoint collectors, with an enrolment token".into());
    let Some(token) = bearer_token(request.headers()) else {
        if session_of(&request).is_some() {
            let session = session_of(&request);
            caller(&state, session).await?;
            return Err(refused());
        }
        return Err(ApiError::Unauthorized);
    };
    let Some((token_id, name)) = crate::db::issued_tokens::live(
        &state.db,
        crate::db::issued_tokens::Issued::Enrolment,
        &session_hash(token),
        Utc::now(),
    )
    .await?
    else {
        // An agent's token is known, but not for this.
        agent_caller(&state, token).await?;
        return Err(refused());
    };
    request
        .extensions_mut()
        .insert(EnrolmentCaller { token_id, name });
    Ok(next.run(request).await)
}

/// Checks a new token's terms (a name of 1 to 100 characters, a life of 1
/// to 365 days); answers the trimmed name and when the token expires.
pub fn token_terms(
    name: &str,
    days: u32,
    now: chrono::DateTime<Utc>,
) -> Result<(&str, chrono::DateTime<Utc>), ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::BadRequest("name must have 1 to 100 characters".into()));
    }
    if !(1..=365).contains(&days) {
        return Err(ApiError::BadRequest(format!(
            "expires_in_days must be between 1 and 365, not {days}"
        )));
    }
    Ok((name, now + chrono::Duration::days(i64::from(days))))
}
