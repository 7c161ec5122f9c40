//! Administration: accounts, the audit log's entries and chain status, and
//! the facts an agent reports about itself.

use serde::{Deserialize, Serialize};

use super::{Role, ToolKind};

/// The shortest password an account may have (NIST SP 800-63B asks for at
/// least 8; we ask more).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// An account as admins see it (never its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    /// Its id.
    pub id: i64,
    /// Its email address (lowercase).
    pub email: String,
    /// What it may do.
    pub roles: Vec<Role>,
    /// Whether it is barred from signing in.
    pub disabled: bool,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it last signed in, if ever (RFC 3339).
    pub last_sign_in: Option<String>,
}

/// `POST /api/v1/accounts`: create an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// Its email address.
    pub email: String,
    /// What it may do (at least one role).
    pub roles: Vec<Role>,
    /// Its first password, at least 12 characters.
    pub password: String,
}

/// `PATCH /api/v1/accounts/{id}`: change an account; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    /// Its new roles (at least one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    /// `true` bars it from signing in and ends its sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// A new password (at least 12 characters); ends its sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

list_query! {
    /// Filters of `GET /api/v1/audit`, newest first. `q` matches the details.
    AuditQuery {
        /// Only entries by this actor (an email, or an agent's id), exactly.
        actor: String,
        /// Only this action (`session.sign_in`) or family (`session.`, with the dot).
        action: String,
        /// Only entries about this target (`agent:12`), exactly.
        target: String,
        /// Only entries at or after this time (RFC 3339).
        since: chrono::DateTime<chrono::Utc>,
        /// Only entries at or before this time (RFC 3339).
        until: chrono::DateTime<chrono::Utc>,
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Its number, from 1, without gaps.
    pub seq: i64,
    /// When it was appended (RFC 3339).
    pub occurred_at: String,
    /// `person`, `agent` or `system`.
    pub actor_kind: String,
    /// Who: an email, an agent's id, or a system job's name.
    pub actor: String,
    /// What, as `noun.verb` (e.g. `account.create`).
    pub action: String,
    /// On what, as `<kind>:<id>` (e.g. `agent:12`).
    pub target: Option<String>,
    /// Before and after, parameters, reasons.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// The caller's address, for requests.
    pub source_address: Option<String>,
    /// The request's `x-request-id`, for requests.
    pub request_id: Option<String>,
}

/// `GET /api/v1/audit/chain`: whether the log was intact at its last
/// verification; `POST` walks it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditChain {
    /// Entries found.
    pub entries: i64,
    /// Entries before the first bad one.
    pub valid: i64,
    /// Whether every entry is valid and none is missing.
    pub intact: bool,
    /// The first bad entry's number, if any.
    pub first_bad: Option<i64>,
    /// What happened to it: `modified`, `deleted`, `inserted`, `reordered` or `truncated`.
    pub tampering: Option<String>,
    /// The newest entry's hash, for an outside witness to keep.
    pub head_hash: String,
    /// When the chain was walked (RFC 3339).
    pub checked_at: String,
    /// Who asked for the walk (an email, or `muster` for the server itself).
    #[serde(default)]
    pub checked_by: String,
    /// How long the walk took, in milliseconds.
    #[serde(default)]
    pub took_ms: i64,
}

/// `PATCH /api/v1/agent/self`: what an agent reports about itself with its
/// own token. Absent fields stay; every report marks the agent as seen now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentFacts {
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where it runs (e.g. `LangGraph`, `Claude Code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Tools it uses; added to the ones it is known to use (never removed
    /// by a report, since other sources may have declared them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolFact>,
}

/// A tool an agent says it uses, by name and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ToolFact {
    /// The tool's name (e.g. `github-mcp`).
    pub name: String,
    /// What kind of tool it is.
    pub kind: ToolKind,
}
