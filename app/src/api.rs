//! A typed client for Muster's JSON API. Every call returns the wire types of
//! the `model` crate, or an [`ApiError`] carrying the server's error code.

use gloo_net::http::{Request, Response};
use model::api as json;
use serde::de::DeserializeOwned;

/// Why an API call failed, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The server's `error.code`, or `network` when no answer came.
    pub code: String,
    /// The server's `error.message`, or what went wrong on the way.
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// `GET /api/health`.
pub async fn health() -> Result<json::Health, ApiError> {
    get_json("/api/health").await
}

/// `GET /api/v1/session`: who is signed in (an `unauthorized` error if nobody).
pub async fn session() -> Result<json::Session, ApiError> {
    get_json("/api/v1/session").await
}

/// `POST /api/v1/session`: signs in; the server sets the session cookie.
pub async fn sign_in(email: String, password: String) -> Result<json::Session, ApiError> {
    let request = Request::post("/api/v1/session")
        .header(CLIENT_HEADER, "web")
        .json(&json::SignIn { email, password })
        .map_err(|e| ApiError {
            code: "encode".into(),
            message: e.to_string(),
        })?;
    let response = request.send().await.map_err(network)?;
    read_json(response).await
}

/// `DELETE /api/v1/session`: signs out.
pub async fn sign_out() -> Result<(), ApiError> {
    let response = Request::delete("/api/v1/session")
        .header(CLIENT_HEADER, "web")
        .send()
        .await
        .map_err(network)?;
    if response.ok() {
        Ok(())
    } else {
        read_json::<()>(response).await
    }
}

/// The header that marks a state-changing request as coming from this app
/// (the server refuses such requests without it: a CSRF defence).
const CLIENT_HEADER: &str = "X-Muster-Client";

fn network(error: gloo_net::Error) -> ApiError {
    ApiError {
        code: "network".into(),
        message: format!("the server did not answer ({error})"),
    }
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path).send().await.map_err(network)?;
    read_json(response).await
}

async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    if response.ok() {
        return response.json::<T>().await.map_err(|e| ApiError {
            code: "decode".into(),
            message: format!("unexpected answer from the server ({e})"),
        });
    }
    let status = response.status();
    match response.json::<json::ErrorBody>().await {
        Ok(body) => Err(ApiError {
            code: body.error.code,
            message: body.error.message,
        }),
        Err(_) => Err(ApiError {
            code: "http".into(),
            message: format!("the server answered {status}"),
        }),
    }
}
