//! The API's one error type. Every handler returns `Result<_, ApiError>`, and
//! every error reaches the client in one JSON shape:
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use model::api as json;

/// An error answered to an API client. Each variant names its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 Bad Request: malformed input, an unknown filter value, a limit over the maximum.
    #[error("{0}")]
    BadRequest(String),
    /// 401 Unauthorized: the caller is not signed in.
    #[error("sign in first")]
    Unauthorized,
    /// 403 Forbidden: the caller's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404 Not Found: no such route or entity.
    #[error("{0}")]
    NotFound(String),
    /// 405 Method Not Allowed: the path exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409 Conflict: the change clashes with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 429 Too Many Requests: slowed down after failed sign-ins; the
    /// `Retry-After` header says for how many seconds.
    #[error("too many failed sign-ins; try again in {0} s")]
    TooManyRequests(i64),
    /// 429 Too Many Requests: the same approval request polled again within
    /// a second; `Retry-After` says when to look again (or use `?wait=`).
    #[error("polled too fast; look again in {0} s, or wait for the decision with ?wait=30s")]
    PolledTooFast(i64),
    /// 429 Too Many Requests: a token has used up its allowance for now.
    #[error("{0}")]
    QuotaExceeded(String),
    /// 413 Payload Too Large: a request body over its route's limit.
    #[error("{0}")]
    TooLarge(String),
    /// 422 Unprocessable Entity: well-formed input that cannot be applied.
    #[error("{0}")]
    Unprocessable(String),
    /// 503 Service Unavailable: the change could not be written to the audit
    /// log, so it was rolled back.
    #[error("the change could not be audited, so it was not made; try again shortly")]
    AuditFailed(#[source] sqlx::Error),
    /// 503 Service Unavailable: the server has as many requests under way as
    /// it takes; `Retry-After` says to try again in a second.
    #[error("{0}")]
    Busy(String),
    /// 503 Service Unavailable: the database did not answer in time.
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[source] sqlx::Error),
    /// 500 Internal Server Error: a bug. The cause is logged, never sent.
    #[error("an internal error occurred; it has been logged")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) | Self::PolledTooFast(_) | Self::QuotaExceeded(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::AuditFailed(_) | Self::Unavailable(_) | Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code sent in `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::Unprocessable(_) => "unprocessable",
            Self::TooLarge(_) => "payload_too_large",
            Self::TooManyRequests(_) | Self::PolledTooFast(_) | Self::QuotaExceeded(_) => "too_many_requests",
            Self::AuditFailed(_) => "audit_unavailable",
            Self::Unavailable(_) => "unavailable",
            Self::Busy(_) => "busy",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            // Load or an outage, not a bug: the client may retry.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::Unavailable(error)
            }
            // Two requests racing to create the same thing: the loser is told so.
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                Self::Conflict("this exists already (another request created it at the same time)".into())
            }
            other => Self::Internal(other.into()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The chain of causes goes to the log only: it may name tables or paths.
            tracing::error!(error = ?self, "request failed");
        }
        let body = json::ErrorBody {
            error: json::ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::TooManyRequests(seconds) | Self::PolledTooFast(seconds) = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        if let Self::Busy(_) = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 1.into());
        }
        response
    }
}
