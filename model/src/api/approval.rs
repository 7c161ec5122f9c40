//! Human-in-the-loop approvals: an agent asks before a sensitive operation
//! (or anyone asks for a change to an agent's capabilities), the policy
//! decides at once or names how many approvers are needed, approvers decide
//! in their inbox, and an approved agent receives a signed decision that the
//! executing tool verifies offline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    ActivityEvent, AgentCategory, ApprovalKind, ApprovalState, Environment, Ref, Risk, RiskBrief, Role,
    RuleDecision, Sensitivity, Verdict,
};

/// The operations that change an agent's capabilities (change management).
/// Approved, they are recorded in the inventory. `muster:remove_scope` is
/// what an access review's "reduce" asks for.
pub const CHANGE_OPERATIONS: &[&str] = &[
    "muster:grant_tool",
    "muster:grant_credential",
    "muster:grant_scope",
    "muster:remove_scope",
];

/// `POST /api/v1/approval-requests` (with the agent's token and an
/// `Idempotency-Key` header): ask before acting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApprovalRequest {
    /// What the agent wants to do, e.g. `s3:DeleteBucket`, `deploy:production`,
    /// `db:export`; or one of the change operations (`muster:grant_tool`...).
    pub operation: String,
    /// The target resource, by its name in the inventory (an unknown name is
    /// kept as given and shown as not in the inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The exact parameters of the operation; the approval binds to the
    /// SHA-256 of their RFC 8785 canonical form.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: serde_json::Value,
    /// Why, in words, for the approvers.
    pub justification: String,
    /// A URL Muster POSTs the decision to (signed with the approvals key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// `POST /api/v1/change-requests` (a signed-in person): ask to grant an agent
/// a new tool, credential or scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewChangeRequest {
    /// The agent to change.
    pub agent: i64,
    /// `muster:grant_tool` (`{"tool": id}`), `muster:grant_credential`
    /// (`{"tool": id, "credential": id}`), `muster:grant_scope` or
    /// `muster:remove_scope` (`{"credential": id, "scope": "..."}`).
    pub operation: String,
    /// The change's parameters, as above.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: serde_json::Value,
    /// Why, in words.
    pub justification: String,
}

/// An approval request as its requester (the agent) follows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalStatus {
    /// Its id.
    pub id: i64,
    /// Where it stands.
    pub state: ApprovalState,
    /// The operation asked for.
    pub operation: String,
    /// The target resource, as named in the request.
    pub resource: Option<String>,
    /// SHA-256 (hex) of the canonical parameters.
    pub parameters_hash: String,
    /// The policy rule that applied (or the default).
    pub rule: String,
    /// Approvals needed (0 when the policy decided).
    pub required_approvals: i64,
    /// Approvals given so far.
    pub approvals: i64,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// Until when it may be decided and, once approved, used.
    pub expires_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// When the approval was used (`consume`); it can be used once.
    pub consumed_at: Option<DateTime<Utc>>,
    /// Why it was denied, when it was (the policy's rule or the approver's comment).
    pub reason: Option<String>,
    /// The signed decision (a JWT, `EdDSA`), when approved.
    pub decision: Option<String>,
}

/// The claims of a signed decision: what exactly was approved, for whom and
/// until when. The executing tool checks the signature against
/// `GET /api/v1/approvals/keys`, then that `parameters_sha256` is the hash of
/// the canonical parameters it is about to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionClaims {
    /// `muster`.
    pub iss: String,
    /// `agent:<id>`: who may act.
    pub sub: String,
    /// `approval:<request id>`: one decision, one id.
    pub jti: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// The approval request.
    pub request: i64,
    /// The agent's name.
    pub agent: String,
    /// The approved operation.
    pub operation: String,
    /// The approved target resource.
    pub resource: Option<String>,
    /// SHA-256 (hex) of the RFC 8785 canonical parameters.
    pub parameters_sha256: String,
    /// Who approved it (emails), or `policy:<rule>` when the policy did.
    pub approvers: Vec<String>,
}

/// `GET /api/v1/approvals/keys`: the public keys that sign decisions, as a
/// JSON Web Key Set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeySet {
    /// The keys.
    pub keys: Vec<PublicKey>,
}

/// One Ed25519 public key as a JSON Web Key (RFC 8037).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicKey {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// The key id, named in each decision's header.
    pub kid: String,
    /// The public key, Base64url.
    pub x: String,
}

list_query! {
    /// Parameters of `GET /api/v1/approvals`: the inbox (`state=pending`, the
    /// default, most urgent first) or the history.
    ApprovalQuery {
        /// Only requests in this state; `pending` by default.
        state: super::ApprovalState,
        /// Only decided requests (approved, denied or expired), newest first.
        decided: bool,
        /// Only this agent's requests.
        agent: i64,
    }
}

/// An approval request in a list row of the inbox or history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalSummary {
    /// Its id.
    pub id: i64,
    /// An operation, or a change to the agent.
    pub kind: ApprovalKind,
    /// Where it stands.
    pub state: ApprovalState,
    /// The agent it is for.
    pub agent: Ref,
    /// The agent's owner.
    pub owner: Option<Ref>,
    /// Who asked: `agent:<id>` or a person's email.
    pub requested_by: String,
    /// The operation.
    pub operation: String,
    /// The target as named in the request.
    pub resource_name: Option<String>,
    /// The target in the inventory, if it is there.
    pub resource: Option<Ref>,
    /// The target's sensitivity, if known.
    pub sensitivity: Option<Sensitivity>,
    /// The environment the policy matched on (the resource's, else the agent's).
    pub environment: Environment,
    /// The agent's risk.
    pub risk: RiskBrief,
    /// The rule that applied.
    pub rule: String,
    /// Approvals needed.
    pub required_approvals: i64,
    /// Approvals given.
    pub approvals: i64,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
    /// Until when it may be decided.
    pub expires_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}

/// One person's approval or denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Vote {
    /// Who (email).
    pub approver: String,
    /// What they said.
    pub verdict: Verdict,
    /// Their comment.
    pub comment: String,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// `GET /api/v1/approvals/{id}`: everything an approver needs to decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalDetail {
    /// The request in one row.
    pub summary: ApprovalSummary,
    /// Why the requester says it is needed.
    pub justification: String,
    /// The exact parameters (canonical JSON, parsed).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub parameters: serde_json::Value,
    /// Their SHA-256 (hex), which the signed decision names.
    pub parameters_hash: String,
    /// The agent's category.
    pub category: AgentCategory,
    /// Who deployed the agent.
    pub deployed_by: Option<Ref>,
    /// The agent's risk and its factors.
    pub agent_risk: Risk,
    /// The credential the agent would use for this resource, with its risk.
    pub credential: Option<Ref>,
    /// That credential's risk.
    pub credential_risk: Option<RiskBrief>,
    /// What the agent's credentials did lately (at most 10 events).
    pub recent_activity: Vec<ActivityEvent>,
    /// The approvals and denials so far.
    pub votes: Vec<Vote>,
    /// When the approval was used.
    pub consumed_at: Option<DateTime<Utc>>,
    /// Why the signed-in person cannot decide it, if they cannot (already
    /// decided, expired, their own agent, already approved by them, a role
    /// they lack).
    pub cannot_decide: Option<String>,
}

/// `POST /api/v1/approvals/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVote {
    /// Approve or deny.
    pub verdict: Verdict,
    /// A comment (required to deny, optional to approve).
    #[serde(default)]
    pub comment: String,
}

/// One rule of the approval policy. Rules are tried in `position` order; the
/// first whose every condition matches decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApprovalRule {
    /// Its id.
    pub id: i64,
    /// Its place in the order (lower first).
    pub position: i64,
    /// What it is for, in words.
    pub name: String,
    /// A case-insensitive pattern of operations, `*` matching any text
    /// (`*delete*`, `deploy:*`, `s3:DeleteBucket`).
    pub operation: String,
    /// The target sensitivities it applies to (empty: any, even unknown).
    pub sensitivities: Vec<Sensitivity>,
    /// The environments it applies to (empty: any).
    pub environments: Vec<Environment>,
    /// The agent categories it applies to (empty: any).
    pub categories: Vec<AgentCategory>,
    /// What it decides.
    pub decision: RuleDecision,
    /// With `require`: how many different people must approve (1 or 2).
    pub approvals: i64,
    /// With `require`: the role approvers must hold.
    pub approver_role: Role,
    /// Seconds a request has to be decided, and an approval to be used.
    pub expires_in: i64,
    /// The channel its approvers watch, told of each request it rules on.
    #[serde(default)]
    pub channel: Option<Ref>,
    /// Who changed it last.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/approval-rules` and `PUT /api/v1/approval-rules/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApprovalRule {
    /// Its place (lower first); after the last rule by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// What it is for.
    pub name: String,
    /// The operation pattern.
    pub operation: String,
    /// Sensitivities (empty: any).
    #[serde(default)]
    pub sensitivities: Vec<Sensitivity>,
    /// Environments (empty: any).
    #[serde(default)]
    pub environments: Vec<Environment>,
    /// Agent categories (empty: any).
    #[serde(default)]
    pub categories: Vec<AgentCategory>,
    /// What it decides.
    pub decision: RuleDecision,
    /// Approvers needed with `require` (1 or 2; default 1).
    #[serde(default = "one")]
    pub approvals: i64,
    /// Their role (default `approver`).
    #[serde(default = "approver")]
    pub approver_role: Role,
    /// Seconds to decide and use (60 to 604800; default 3600).
    #[serde(default = "hour")]
    pub expires_in: i64,
    /// The id of a channel its approvers watch, told of each request it
    /// rules on (`/api/v1/notification-channels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<i64>,
}

fn one() -> i64 {
    1
}

fn approver() -> Role {
    Role::Approver
}

fn hour() -> i64 {
    3600
}

/// A destination approval callbacks may go to: an admin allows a host (or
/// every host under a domain, `*.example.com`), for one agent or for all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CallbackDestination {
    /// Its id.
    pub id: i64,
    /// The agent it is for; none: every agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<super::Ref>,
    /// A host name, an IP address, or `*.` and a domain (lowercase).
    pub host: String,
    /// The one port allowed; none: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Whether the host may be, or resolve to, a private or local address
    /// (loopback, link-local, private ranges): refused otherwise.
    pub allow_private: bool,
    /// Why it is allowed.
    pub note: String,
    /// Who allowed it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/callback-destinations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCallbackDestination {
    /// The agent it is for; none: every agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<i64>,
    /// A host name, an IP address, or `*.` and a domain.
    pub host: String,
    /// The one port allowed; none: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Whether the host may be a private or local address.
    #[serde(default)]
    pub allow_private: bool,
    /// Why it is allowed (1 to 500 characters).
    pub note: String,
}
