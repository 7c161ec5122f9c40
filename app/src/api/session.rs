//! Signing in and out, and whether the server is up.

use gloo_net::http::Request;
use model::api as json;

use super::{ApiError, Get, delete, query_string, refusal, send};

/// `GET /api/health`.
pub fn health() -> Get<json::Health> {
    Get::new("/api/health".to_owned())
}

/// `GET /api/v1/session`: who is signed in (an `unauthorized` error if nobody).
pub fn session() -> Get<json::Session> {
    Get::new("/api/v1/session".to_owned())
}

/// `GET /api/v1/session/options`: the identity provider's button, who may use a password.
pub fn sign_in_options() -> Get<json::SignInOptions> {
    Get::new("/api/v1/session/options".to_owned())
}

/// Where the browser goes to sign in with the identity provider, and comes back to `return_to`.
pub fn oidc_start_url(return_to: &str) -> String {
    format!(
        "/api/v1/session/oidc/start{}",
        query_string(&serde_json::json!({ "return_to": return_to }))
    )
}

/// `POST /api/v1/session`: signs in; the server sets the session cookie.
pub async fn sign_in(email: String, password: String) -> Result<json::Session, ApiError> {
    send(
        Request::post("/api/v1/session"),
        &json::SignIn { email, password },
    )
    .await
}

/// `DELETE /api/v1/session`: signs out (of Muster; the provider's own
/// session ends at `Session::sign_out_url`).
pub async fn sign_out() -> Result<(), ApiError> {
    let answer = delete("/api/v1/session").await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}
