//! Request and response bodies of the JSON API under `/api`.

use serde::{Deserialize, Serialize};

/// `GET /api/health`: is the server up, which build is it, which database does it use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"` when the server answers and its database answers too.
    pub status: String,
    /// The server's version (its crate version).
    pub version: String,
    /// The storage backend in use: `"sqlite"` or `"postgres"`.
    pub database: String,
}

/// The one shape of every error the API returns, whatever the status code.
///
/// ```json
/// {"error": {"code": "not_found", "message": "no route for GET /api/nope"}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The content of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable, machine-readable code in `snake_case` (`not_found`, `bad_request`, ...).
    pub code: String,
    /// A sentence for people, naming the problem.
    pub message: String,
}
