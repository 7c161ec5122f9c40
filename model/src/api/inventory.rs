//! The inventory: list filters, list rows (summaries) and entity details of
//! teams, people, agents, tools, credentials, copies and resources.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    AgentCategory, CopyKind, CopyStatus, CredentialKind, CredentialStatus, Environment, Outcome, Permission,
    PersonStatus, Ref, ResourceKind, RevocationBrief, Risk, RiskBand, RiskBrief, Sensitivity, ToolKind,
};

list_query! {
    /// Filters of `GET /api/v1/teams`.
    TeamQuery {
        /// Only the direct sub-teams of this team.
        parent: i64,
    }
}

list_query! {
    /// Filters of `GET /api/v1/people`. `q` matches name and email.
    PersonQuery {
        /// Only members of this team or its sub-teams.
        team: i64,
        /// Only people in this state.
        status: PersonStatus,
    }
}

list_query! {
    /// Filters of `GET /api/v1/agents`. `q` matches name, platform and description.
    AgentQuery {
        /// Only this category.
        category: AgentCategory,
        /// Only this platform (e.g. `Cursor`).
        platform: String,
        /// Only this environment.
        environment: Environment,
        /// Only agents owned by this person.
        owner: i64,
        /// Only agents owned by members of this team or its sub-teams.
        team: i64,
        /// `true`: sanctioned only; `false`: shadow only.
        sanctioned: bool,
        /// `true`: only agents an endpoint scan found (`muster scan`); `false`: only others.
        scanned: bool,
        /// `true`: only agents without an owner.
        has_no_owner: bool,
        /// `true`: only agents whose owner has left; `false`: all others.
        orphaned: bool,
        /// Only agents whose risk score is in this band.
        band: RiskBand,
    }
}

list_query! {
    /// Filters of `GET /api/v1/tools`. `q` matches the name.
    ToolQuery {
        /// Only this kind.
        kind: ToolKind,
        /// Only tools this agent uses.
        agent: i64,
    }
}

list_query! {
    /// Filters of `GET /api/v1/credentials`. `q` matches name, external id
    /// (key id, client id, ARN) and fingerprint.
    CredentialQuery {
        /// Only this kind.
        kind: CredentialKind,
        /// Only this provider (e.g. `aws`).
        provider: String,
        /// Only this status.
        status: CredentialStatus,
        /// Only credentials owned by this person.
        owner: i64,
        /// Only credentials owned by members of this team or its sub-teams.
        team: i64,
        /// Only credentials reaching a resource in this environment.
        environment: Environment,
        /// `true`: only credentials without an owner.
        has_no_owner: bool,
        /// `true`: only credentials whose owner has left; `false`: all others.
        orphaned: bool,
        /// Only credentials used by this agent's tools.
        agent: i64,
        /// Only credentials whose risk score is in this band.
        band: RiskBand,
    }
}

list_query! {
    /// Filters of `GET /api/v1/copies`. `q` matches the locator.
    CopyQuery {
        /// Only this kind of place.
        kind: CopyKind,
        /// Only copies in this state.
        status: CopyStatus,
        /// Only copies of this credential.
        credential: i64,
    }
}

list_query! {
    /// Filters of `GET /api/v1/resources`. `q` matches the name.
    ResourceQuery {
        /// Only this provider.
        provider: String,
        /// Only this kind.
        kind: ResourceKind,
        /// Only this environment.
        environment: Environment,
        /// Only this sensitivity.
        sensitivity: Sensitivity,
        /// Only resources owned by this team or its sub-teams.
        team: i64,
    }
}

/// A team in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamSummary {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The team it belongs to.
    pub parent: Option<Ref>,
    /// How many people are directly in it.
    pub members: i64,
}

/// A team with its place in the hierarchy and its people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamDetail {
    /// The team.
    pub team: TeamSummary,
    /// Its direct sub-teams.
    pub children: Vec<Ref>,
    /// Its direct members.
    pub people: Vec<PersonSummary>,
    /// Agents owned by members of the team and its sub-teams.
    pub agents_owned: i64,
    /// Credentials owned by members of the team and its sub-teams.
    pub credentials_owned: i64,
}

/// A person in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonSummary {
    /// Their id.
    pub id: i64,
    /// Their name.
    pub name: String,
    /// Their email address.
    pub email: String,
    /// Their team.
    pub team: Option<Ref>,
    /// Their manager.
    pub manager: Option<Ref>,
    /// Whether they are still with the company.
    pub status: PersonStatus,
}

/// A person with what they own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonDetail {
    /// The person.
    pub person: PersonSummary,
    /// When they left, if they did.
    pub departed_at: Option<DateTime<Utc>>,
    /// The people who report to them.
    pub reports: Vec<Ref>,
    /// The agents they own (the first 100).
    pub agents: Vec<AgentSummary>,
    /// How many agents they own in all.
    pub agents_total: i64,
    /// The credentials they own (the first 100).
    pub credentials: Vec<CredentialSummary>,
    /// How many credentials they own in all.
    pub credentials_total: i64,
}

/// An agent in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentSummary {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Where it runs.
    pub category: AgentCategory,
    /// Its platform (Cursor, Bedrock, Agentforce, ...).
    pub platform: String,
    /// Its environment.
    pub environment: Environment,
    /// Sanctioned (`true`) or shadow (`false`).
    pub sanctioned: bool,
    /// Its owner, if any.
    pub owner: Option<Ref>,
    /// When it was last seen acting.
    pub last_seen: Option<DateTime<Utc>>,
    /// Its risk score, band and leading factor.
    pub risk: RiskBrief,
}

/// An agent with its tools and credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentDetail {
    /// The agent.
    pub agent: AgentSummary,
    /// What it is for.
    pub description: String,
    /// Who deployed it.
    pub deployed_by: Option<Ref>,
    /// When it was first seen.
    pub first_seen: DateTime<Utc>,
    /// The tools it uses.
    pub tools: Vec<ToolSummary>,
    /// The credentials its tools authenticate with.
    pub credentials: Vec<CredentialSummary>,
    /// Its risk score and every factor behind it.
    pub risk: Risk,
    /// What the latest endpoint scan found of it (agents found by `muster scan`).
    #[serde(default)]
    pub endpoint: Option<super::EndpointAgent>,
    /// What a SaaS or cloud platform's records said of it (agents found by a platform import).
    #[serde(default)]
    pub platform: Option<super::PlatformAgent>,
    /// What it reaches through its credentials: each resource once, with the strongest permission.
    #[serde(default)]
    pub reach: Vec<ReachEntry>,
    /// The last access review that attested it, if any.
    #[serde(default)]
    pub last_attested: Option<super::Attestation>,
}

/// A tool in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolSummary {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What kind of tool it is.
    pub kind: ToolKind,
    /// How many agents use it.
    pub agents: i64,
}

/// A tool with the agents that use it and the credentials it authenticates with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ToolDetail {
    /// The tool.
    pub tool: ToolSummary,
    /// What it does.
    pub description: String,
    /// The agents that use it (the first 100).
    pub agents: Vec<Ref>,
    /// The credentials it authenticates with.
    pub credentials: Vec<CredentialSummary>,
}

/// A credential in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialSummary {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What kind of identity it is.
    pub kind: CredentialKind,
    /// Who issued it (`aws`, `github`, `openai`, ...).
    pub provider: String,
    /// The provider's id for it: key id, client id, ARN.
    pub external_id: String,
    /// Its life-cycle state.
    pub status: CredentialStatus,
    /// Its owner, if any.
    pub owner: Option<Ref>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it expires; none for a secret that never does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last rotated.
    pub last_rotated_at: Option<DateTime<Utc>>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Keyed hash (HMAC-SHA256) of the secret; the secret itself is never stored.
    pub fingerprint: String,
    /// How many stored copies of the secret are present.
    pub copies: i64,
    /// Its risk score, band and leading factor.
    pub risk: RiskBrief,
}

/// A credential with everything around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialDetail {
    /// The credential.
    pub credential: CredentialSummary,
    /// The scopes or policies it grants.
    pub scopes: Vec<String>,
    /// The third-party application holding the grant, if any.
    pub third_party: Option<String>,
    /// The tools that authenticate with it (the first 100).
    pub tools: Vec<Ref>,
    /// The agents that use those tools (the first 100).
    pub agents: Vec<Ref>,
    /// How many agents use it in all.
    pub agents_total: i64,
    /// The stored copies of its secret (the first 200; `credential.copies` counts the present ones).
    pub copies: Vec<CopySummary>,
    /// What it reaches (the first 200, most sensitive first; the blast radius has them all).
    pub reach: Vec<ReachEntry>,
    /// How many resources it reaches in all.
    pub reach_total: i64,
    /// Its most recent activity (the last 20 events).
    pub recent_activity: Vec<ActivityEvent>,
    /// Its risk score and every factor behind it.
    pub risk: Risk,
    /// What it reaches, weighted by sensitivity, permission and production (0 to 100).
    pub blast_radius: i64,
    /// Its revocation, if one was asked for.
    #[serde(default)]
    pub revocation: Option<RevocationBrief>,
    /// What a SaaS platform's records said of it (grants and tokens found by a platform import).
    #[serde(default)]
    pub grant: Option<super::PlatformGrant>,
    /// The last access review that attested it, if any.
    #[serde(default)]
    pub last_attested: Option<super::Attestation>,
}

/// A stored copy of a credential's secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CopySummary {
    /// Its id.
    pub id: i64,
    /// The credential whose secret it is.
    pub credential: Ref,
    /// What kind of place holds it.
    pub kind: CopyKind,
    /// Where exactly: a path, a URL, a channel.
    pub locator: String,
    /// What found it (a scanner, an import, a person).
    pub found_by: String,
    /// Who wrote it there, when known.
    pub author_email: Option<String>,
    /// When it was first seen.
    pub first_seen: DateTime<Utc>,
    /// When it was last seen.
    pub last_seen: DateTime<Utc>,
    /// Whether it is still there.
    pub status: CopyStatus,
}

/// A resource in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceSummary {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Where it lives (`aws`, `gcp`, `github`, `salesforce`, ...).
    pub provider: String,
    /// What kind of thing it is.
    pub kind: ResourceKind,
    /// Its environment.
    pub environment: Environment,
    /// How sensitive its data is.
    pub sensitivity: Sensitivity,
    /// The team that owns it.
    pub owner_team: Option<Ref>,
}

/// A resource with the credentials that reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceDetail {
    /// The resource.
    pub resource: ResourceSummary,
    /// Credentials that reach it (the first 100, strongest permission first).
    pub reached_by: Vec<CredentialReach>,
    /// How many credentials reach it in all.
    pub reached_by_total: i64,
}

/// A credential reaching a resource with a permission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialReach {
    /// The credential.
    pub credential: Ref,
    /// Its permission on the resource.
    pub permission: Permission,
}

/// A resource reached by a credential with a permission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReachEntry {
    /// The resource.
    pub resource: ResourceSummary,
    /// The credential's permission on it.
    pub permission: Permission,
}

/// Something a credential did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivityEvent {
    /// Its id.
    pub id: i64,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The provider's name for the action (e.g. `s3:GetObject`).
    pub action: String,
    /// The resource acted on, when known.
    pub resource: Option<Ref>,
    /// The address the call came from.
    pub source_address: Option<String>,
    /// The caller's user agent.
    pub user_agent: Option<String>,
    /// Whether it succeeded.
    pub outcome: Outcome,
}
