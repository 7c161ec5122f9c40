//! Extractors that answer bad input in the API's JSON error shape (axum's
//! own answer plain text).

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Query parameters, or a 400 naming the bad parameter.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| ApiError::BadRequest(format!("bad query: {}", rejection.body_text())))
    }
}

/// An entity id from the path, or a 400 saying it is malformed.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Id)
            .ok_or_else(|| ApiError::BadRequest(format!("malformed id {raw:?}: ids are positive integers")))
    }
}

/// A JSON body, or a 400 naming what is wrong with it.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(request, state)
            .await
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(|rejection| match rejection.status() {
                axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::TooLarge(format!("the body is too large: {}", rejection.body_text()))
                }
                _ => ApiError::BadRequest(format!("bad JSON body: {}", rejection.body_text())),
            })
    }
}

/// Where a request came from, for the audit log: the caller's address (the
/// peer's, or the one a trusted proxy names: [`crate::client`]) and the
/// request id the server assigned.
impl<S: Send + Sync> FromRequestParts<S> for crate::audit::Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let client = parts.extensions.get::<crate::client::Client>();
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok());
        Ok(crate::audit::Source {
            address: client.and_then(|c| c.address).map(|ip| ip.to_string()),
            request_id: request_id.map(str::to_owned),
        })
    }
}
