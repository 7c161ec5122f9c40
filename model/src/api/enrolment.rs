//! Endpoint discovery: the tokens admins issue to machines (enrolment
//! tokens, what `muster scan --server` authenticates with, which can only
//! fingerprint secrets blind and submit scan reports; SCIM tokens, the
//! identity provider's), what a scan found of an agent, and the sanctioned
//! list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Ref;

/// `POST /api/v1/enrolment-tokens`, `POST /api/v1/scim-tokens`: a bearer
/// token an admin issues to a machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIssuedToken {
    /// What it is for (`engineering laptops`, `Okta provisioning`), 1 to 100 characters.
    pub name: String,
    /// Days until it expires, 1 to 365.
    pub expires_in_days: u32,
}

/// A bearer token an admin issued to a machine, without its secret: an
/// enrolment token (endpoint collectors) or a SCIM token (the identity
/// provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    /// Its id.
    pub id: i64,
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
    /// When its machine last used it.
    pub last_used_at: Option<String>,
    /// Scan reports submitted with it (enrolment tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<i64>,
}

/// The answer of creating a token: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedIssuedToken {
    /// The token.
    pub token: IssuedToken,
    /// The secret (`mse_…` for `muster scan --server URL`, `msc_…` for the
    /// identity provider's SCIM client); never shown again.
    pub secret: String,
}

/// What the latest endpoint scan found of an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointAgent {
    /// The host it runs on.
    pub host: String,
    /// `linux`, `macos` or `windows`.
    pub os: String,
    /// The operating-system user.
    pub user: String,
    /// The client (`claude_code`, `cursor`...) or framework (`langchain`).
    pub client: String,
    /// The project folder, for a self-hosted agent.
    pub project: Option<String>,
    /// The git email the scan saw (a hint to the owner).
    pub git_email: Option<String>,
    /// The configuration files or manifests it was found by.
    pub config_files: Vec<String>,
    /// When it was last scanned.
    pub scanned_at: DateTime<Utc>,
    /// Its MCP servers and built-in access, with their credentials.
    pub servers: Vec<EndpointTool>,
}

/// An MCP server (or the agent's own access) as the latest scan found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointTool {
    /// The tool.
    pub tool: Ref,
    /// `stdio`, `http`, `sse`, or `builtin`.
    pub transport: String,
    /// The program it runs.
    pub command: Option<String>,
    /// The package it runs.
    pub package: Option<String>,
    /// The container image it runs.
    pub image: Option<String>,
    /// A remote server's host.
    pub url_host: Option<String>,
    /// Where it is configured.
    pub config_file: String,
    /// Whether the latest full scan still found it.
    pub present: bool,
    /// Whether it is sanctioned (by the list, or by an admin).
    pub sanctioned: bool,
    /// The credentials it authenticates with.
    pub credentials: Vec<Ref>,
}

/// What a sanction rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SanctionKind {
    /// A client by id: a coding agent on endpoints (`claude_code`, `cursor`),
    /// an AI application of the catalogue (`chatgpt`) or a cloud agent platform
    /// (`bedrock`, `agentcore`, `vertex`, `entra-agent-id`): its agents are sanctioned.
    Client,
    /// An MCP server's package (`@modelcontextprotocol/server-github`), any version.
    Package,
    /// An MCP server's container image (`ghcr.io/github/github-mcp-server`), any tag.
    Image,
    /// A remote MCP server's host (`mcp.linear.app`).
    UrlHost,
}

impl SanctionKind {
    /// The value in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SanctionKind::Client => "client",
            SanctionKind::Package => "package",
            SanctionKind::Image => "image",
            SanctionKind::UrlHost => "url_host",
        }
    }

    /// Every kind, in display order.
    pub const ALL: [SanctionKind; 4] = [
        SanctionKind::Client,
        SanctionKind::Package,
        SanctionKind::Image,
        SanctionKind::UrlHost,
    ];

    /// The kind in words.
    pub fn label(self) -> &'static str {
        match self {
            SanctionKind::Client => "Client",
            SanctionKind::Package => "MCP package",
            SanctionKind::Image => "MCP image",
            SanctionKind::UrlHost => "Remote MCP host",
        }
    }
}

/// `POST /api/v1/sanction-rules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSanctionRule {
    /// What it matches.
    pub kind: SanctionKind,
    /// The value, 1 to 300 characters.
    pub value: String,
}

/// A rule of the sanctioned list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SanctionRule {
    /// Its id.
    pub id: i64,
    /// What it matches.
    pub kind: SanctionKind,
    /// The value.
    pub value: String,
    /// Who added it.
    pub created_by: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// How many agents and MCP servers it sanctions now.
    pub matches: i64,
}

/// `PUT /api/v1/agents/{id}/sanctioned` and `/tools/{id}/sanctioned`: an
/// admin's word on one agent or MCP server, over the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Sanction {
    /// Sanctioned, or shadow.
    pub sanctioned: bool,
    /// Why, 1 to 500 characters (audited).
    pub reason: String,
}
