//! Shapes used across the API: health, errors, references and pages.

use serde::{Deserialize, Serialize};

/// `GET /api/health`: is the server up, which build is it, which database does it use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `"ok"` when the server answers and its database answers too.
    pub status: String,
    /// The server's version (its crate version).
    pub version: String,
    /// The storage backend in use: `"sqlite"` or `"postgres"`.
    pub database: String,
    /// Whether this server runs on demo data with demo accounts.
    #[serde(default)]
    pub demo: bool,
}

/// The one shape of every error the API returns, whatever the status code.
///
/// ```json
/// {"error": {"code": "not_found", "message": "no route for GET /api/nope"}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The content of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable, machine-readable code in `snake_case` (`not_found`, `bad_request`, ...).
    pub code: String,
    /// A sentence for people, naming the problem.
    pub message: String,
}

/// A link to another entity: enough to show its name and build its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ref {
    /// The entity's id.
    pub id: i64,
    /// Its display name.
    pub name: String,
}

/// One page of a list, with the total number of matching rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// How many rows match the filters, on all pages.
    pub total: i64,
    /// This page's number, from 1.
    pub page: u32,
    /// Rows per page.
    pub limit: u32,
}

/// The largest `limit` a list accepts.
pub const MAX_PAGE_LIMIT: u32 = 200;
/// The `limit` of a list when none is given.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// `POST /api/v1/session`: sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The account's email address.
    pub email: String,
    /// Its password.
    pub password: String,
}

/// `GET /api/v1/session`: who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// The account's email address.
    pub email: String,
    /// What the account may do.
    pub roles: Vec<super::Role>,
    /// The person of the inventory this account is (linked by email once,
    /// then by id), if any: nobody decides for an agent this person owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Ref>,
    /// The team of that person, if any: a manager changes ownership in it
    /// and its sub-teams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Ref>,
    /// Where the browser goes after signing out of a session that the
    /// identity provider opened, to end the provider's session too
    /// (RP-initiated logout); absent for password sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_out_url: Option<String>,
}

/// `GET /api/v1/session/options`: how people sign in to this server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInOptions {
    /// The identity provider's name for the "Sign in with …" button, when
    /// one is configured; the browser starts at `/api/v1/session/oidc/start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Who may sign in with an email and a local password.
    pub passwords: super::PasswordSignIn,
    /// Whether this server runs on demo data with demo accounts.
    #[serde(default)]
    pub demo: bool,
}

/// Parameters of `GET /api/v1/audit/export`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct AuditExportQuery {
    /// Only entries at or after this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries at or before this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// `POST /api/v1/agents/{id}/tokens`: give an agent an API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAgentToken {
    /// What the token is for (e.g. "CI runner").
    pub name: String,
    /// Days until it expires, 1 to 365.
    pub expires_in_days: u32,
}

/// An agent's API token, without its secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentToken {
    /// Its id.
    pub id: i64,
    /// The agent it belongs to.
    pub agent_id: i64,
    /// What it is for.
    pub name: String,
    /// Who created it.
    pub created_by: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// The answer of creating a token: the only time its value is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedAgentToken {
    /// The token.
    pub token: AgentToken,
    /// The secret to give the agent (`Authorization: Bearer <secret>`); never shown again.
    pub secret: String,
}
