//! Extractors that answer bad input in the API's JSON error shape (axum's
//! own answer plain text).

use axum::extract::{FromRequest, FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Query parameters, or a 400 naming the bad parameter.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts
            .uri
            .query()
            .is_some_and(|query| query.to_ascii_lowercase().contains("%00"))
        {
            return Err(nul_refused("the query"));
        }
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

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::BadRequest(
                "bad JSON body: send it with `Content-Type: application/json`".into(),
            ));
        }
        let bytes =
            axum::body::Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                        ApiError::TooLarge(format!("the body is too large: {}", rejection.body_text()))
                    }
                    _ => ApiError::BadRequest(format!("bad JSON body: {}", rejection.body_text())),
                })?;
        if holds_nul_escape(&bytes) {
            return Err(nul_refused("the body"));
        }
        axum::Json::<T>::from_bytes(&bytes)
            .map(|axum::Json(value)| ApiJson(value))
            .map_err(|rejection| ApiError::BadRequest(format!("bad JSON body: {}", rejection.body_text())))
    }
}

/// The refusal of text holding the NUL character, which no text column
/// takes (PostgreSQL refuses it outright) and nobody means.
fn nul_refused(what: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "{what} holds the NUL character (\\u0000), which no text may hold"
    ))
}

/// Whether JSON text holds `\u0000` as an escape (a backslash that is not
/// itself escaped, then `u0000`): the only way JSON carries a NUL.
pub fn holds_nul_escape(json: &[u8]) -> bool {
    let mut backslashes = 0_usize;
    for (i, byte) in json.iter().enumerate() {
        if *byte == b'\\' {
            backslashes += 1;
            continue;
        }
        if backslashes % 2 == 1 && *byte == b'u' && json.get(i + 1..i + 5) == Some(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

/// Where a request came from, for the audit log: the caller's address (the
/// peer's, or the one a trusted proxy names: [`crate::client`]) and the
/// request id the server assigned.
impl<S: Send + Sync> FromRequestParts<S> for crate::audit::Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(source_of(parts))
    }
}

/// Where a request came from (what the [`crate::audit::Source`] extractor
/// answers), for handlers that take the request whole.
pub fn source_of(parts: &Parts) -> crate::audit::Source {
    let client = parts.extensions.get::<crate::client::Client>();
    let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok());
    crate::audit::Source {
        address: client.and_then(|c| c.address).map(|ip| ip.to_string()),
        request_id: request_id.map(str::to_owned),
    }
}
