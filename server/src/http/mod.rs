//! The JSON API, mounted under `/api`. Each resource module owns its
//! `router()` and its handlers (named `verb_noun`).

pub mod health;

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::{HeaderValue, Method, header};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{ApiError, AppState};

/// Every API route, relative to `/api`. Unknown paths and methods answer JSON errors
/// here, so that an API client never receives the web app's `index.html`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .fallback(no_such_route)
        .method_not_allowed_fallback(no_such_method)
        // API answers describe a company's keys: no cache may keep them.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

async fn no_such_route(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("no API route for {method} {}", uri.path()))
}

async fn no_such_method(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} does not accept {method}", uri.path()))
}
