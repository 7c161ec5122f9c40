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

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path).send().await.map_err(|e| ApiError {
        code: "network".into(),
        message: format!("the server did not answer ({e})"),
    })?;
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
