//! The endpoint scan report: what `muster scan` found on one machine for one
//! operating-system user, as a versioned JSON document (`docs/scan.md`).
//!
//! A report never holds a secret. Each secret appears as its kind, its
//! provider, the identifiers that are not secret (an AWS access key id), a
//! short hint (`ghp_…(40)`), the places it was found, and — when the
//! collector was enrolled with a server — its *scan fingerprint*: the output
//! of an oblivious pseudo-random function (RFC 9497, ristretto255-SHA512)
//! under a key only the server holds, computed without the server ever
//! seeing the secret. The server computes the same value for every secret a
//! scanner import shows it, so a secret found on a laptop joins the one
//! gitleaks found in a repository.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::api::{AgentCategory, CopyKind, CredentialKind};

/// The value of [`Report::format`].
pub const FORMAT: &str = "muster-endpoint-scan";

/// The report version this crate reads and writes.
pub const VERSION: u32 = 1;

/// One scan of one machine for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Always `muster-endpoint-scan`.
    pub format: String,
    /// The format's version: 1.
    pub version: u32,
    /// When the scan ran.
    pub scanned_at: DateTime<Utc>,
    /// The collector's name and version (`muster scan 0.1.0`).
    pub scanner: String,
    /// Whether the scan covered the whole home (a later full scan of the same
    /// host and user marks removed what it no longer finds).
    pub full: bool,
    /// The machine and the user.
    pub host: Host,
    /// The agents found: coding clients, and self-hosted agent projects.
    #[serde(default)]
    pub agents: Vec<Agent>,
    /// The secrets found, referred to by index from agents and tools.
    #[serde(default)]
    pub secrets: Vec<Secret>,
    /// Values that name a secret kept elsewhere (`${env:GITHUB_TOKEN}`,
    /// `${input:token}`): recorded as references, never as secrets.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// What the scan could not read, and why.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

/// The machine and the user a report is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// The host name.
    pub name: String,
    /// `linux`, `macos` or `windows`.
    pub os: String,
    /// The operating-system user whose home was read.
    pub user: String,
    /// The git `user.email` of the home (a hint to the owner).
    #[serde(default)]
    pub git_email: Option<String>,
}

/// An agent found on the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// The client's id (`claude_code`, `cursor`, ...) or, for a self-hosted
    /// agent, the framework's (`langchain`, ...).
    pub client: String,
    /// The client or framework in words (`Claude Code`, `LangChain`).
    pub product: String,
    /// `coding_endpoint` for a client, `self_hosted` for a project that
    /// declares an agent framework.
    pub category: AgentCategory,
    /// The project folder, for a self-hosted agent.
    #[serde(default)]
    pub project: Option<String>,
    /// The git `user.email` of the project, if it differs from the home's.
    #[serde(default)]
    pub git_email: Option<String>,
    /// The configuration files or manifests it was found by.
    pub config_files: Vec<String>,
    /// Its tools: MCP servers, and the built-in access it has to the user's
    /// credential files or the project's `.env`.
    #[serde(default)]
    pub tools: Vec<Tool>,
}

/// A tool of an agent: an MCP server, or the agent's own access to the
/// credentials on the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// Its name (the MCP server's key in the configuration).
    pub name: String,
    /// `stdio`, `http`, `sse` for an MCP server; `builtin` for the agent's own access.
    pub transport: String,
    /// The program a stdio server runs (`npx`, `docker`, `uvx`, a path).
    #[serde(default)]
    pub command: Option<String>,
    /// The package it runs (`@modelcontextprotocol/server-github`), if named.
    #[serde(default)]
    pub package: Option<String>,
    /// The container image it runs, if any.
    #[serde(default)]
    pub image: Option<String>,
    /// The host of a remote server's URL (never its path or query, which may hold a secret).
    #[serde(default)]
    pub url_host: Option<String>,
    /// The file it is configured in, and where (`mcpServers.github`).
    pub config_file: String,
    /// The secrets it authenticates with, as indices into [`Report::secrets`].
    #[serde(default)]
    pub secrets: Vec<usize>,
}

/// A secret found on the machine, without its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// What kind of credential it is.
    pub kind: CredentialKind,
    /// Whose (`aws`, `github`, `openai`, `postgres`, ...).
    pub provider: String,
    /// An identifier that is not secret: an AWS access key id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// The first characters of well-known prefixes and the length
    /// (`ghp_…(40)`), never enough to guess it.
    pub hint: String,
    /// The scan fingerprint (128 hexadecimal digits), when the collector
    /// asked the server for it; without it the secret joins by
    /// `external_id` only.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// The provider's public hash of a GitHub token (`hashed_token`: the
    /// base64 of its SHA-256), as GitHub's audit log names the token: the
    /// token's activity there joins this copy. Never the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_hash: Option<String>,
    /// Every place it was found on the machine.
    pub places: Vec<Place>,
}

/// A place a secret is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// What kind of place.
    pub kind: CopyKind,
    /// The file and where in it (`~/.cursor/mcp.json#mcpServers.github.env.GITHUB_TOKEN`).
    pub locator: String,
}

/// A value that names a secret kept elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Where it is written.
    pub locator: String,
    /// The placeholder as written (`${env:GITHUB_TOKEN}`).
    pub placeholder: String,
}

/// Something the scan did not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Skipped {
    /// The path.
    pub path: String,
    /// Why (`not valid JSON at line 3`, `larger than 1 MiB`, `a symbolic link`).
    pub reason: String,
}

/// `POST /api/v1/scan/fingerprints`: blinded secrets (RFC 9497 blinded
/// elements, 32 bytes each, as hexadecimal), at most 1,000 a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BlindedSecrets {
    /// The blinded elements.
    pub blinded: Vec<String>,
}

/// The server's evaluations of [`BlindedSecrets`], in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvaluatedSecrets {
    /// The evaluated elements (32 bytes each, as hexadecimal).
    pub evaluated: Vec<String>,
}
