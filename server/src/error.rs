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
    /// log, so it was rolled back; `Retry-After: 1`.
    #[error("the change could not be audited, so it was not made; try again shortly")]
    AuditFailed(#[source] sqlx::Error),
    /// 503 Service Unavailable: the server has as many requests under way as
    /// it takes; `Retry-After` says to try again in a second.
    #[error("{0}")]
    Busy(String),
    /// 503 Service Unavailable: the database did not answer in time, or was
    /// busy with another writer past the busy timeout; `Retry-After: 1`.
    #[error("the database is busy or unavailable; nothing was changed; try again shortly")]
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
            // Another writer held the database past the busy timeout, or two
            // transactions collided: the change was not made, and may be retried.
            sqlx::Error::Database(ref db) if is_contention(db.code().as_deref(), db.message()) => {
                Self::Unavailable(error)
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// Whether a database error says "busy, try again" rather than "wrong":
/// SQLite's `SQLITE_BUSY` and `SQLITE_LOCKED` (and their extended codes, the
/// low byte being the primary code), PostgreSQL's serialisation failures,
/// deadlocks, lock time-outs and connection limits. PostgreSQL's codes are
/// SQLSTATEs, always five characters; SQLite's are numbers of at most four
/// digits (its extended codes reach the thousands).
pub fn is_contention(code: Option<&str>, message: &str) -> bool {
    match code {
        Some(sqlstate) if sqlstate.len() == 5 => {
            matches!(sqlstate, "40001" | "40P01" | "55P03" | "53300" | "57P01")
        }
        Some(code) => code.parse::<i64>().is_ok_and(|code| matches!(code & 0xff, 5 | 6)),
        None => message.contains("database is locked"),
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
        if let Self::Busy(_) | Self::Unavailable(_) | Self::AuditFailed(_) = self {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 1.into());
        }
        response
    }
}

/// The ids of `asked` that are not among `found`, comma-separated, for a
/// 404 naming them all; `None` when every one was found.
pub fn missing_ids(asked: &[i64], found: impl IntoIterator<Item = i64>) -> Option<String> {
    let found: std::collections::BTreeSet<i64> = found.into_iter().collect();
    let missing: Vec<String> = asked
        .iter()
        .filter(|id| !found.contains(id))
        .map(i64::to_string)
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

#[cfg(test)]
mod tests {
    use super::is_contention;

    #[test]
    fn busy_and_locked_databases_and_collisions_are_contention_and_other_errors_are_not() {
        // SQLite: SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT (517), SQLITE_LOCKED_SHAREDCACHE (262).
        for code in ["5", "6", "517", "262"] {
            assert!(is_contention(Some(code), "database is locked"), "{code}");
        }
        // PostgreSQL: serialisation failure, deadlock, lock time-out.
        for code in ["40001", "40P01", "55P03"] {
            assert!(is_contention(Some(code), ""), "{code}");
        }
        // A constraint (SQLite 19 / 2067, PostgreSQL 23505), a syntax error, a
        // NUL byte in text (22021), a division by zero (22012) or a missing
        // privilege (42501) is a bug or bad input, whatever its low byte.
        for code in [
            "19", "2067", "1", "23505", "42601", "22021", "22022", "22012", "42501",
        ] {
            assert!(!is_contention(Some(code), "constraint failed"), "{code}");
        }
        assert!(is_contention(None, "database is locked"));
    }
}
