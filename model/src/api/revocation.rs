//! Revocations: the "what breaks" plan of a credential, the revocation that
//! tracks it being disabled and revoked upstream and every stored copy of its
//! secret being removed, the automation webhook's deliveries, and reports of
//! copies found.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    ActivityEvent, ChecklistState, CopyKind, CopySummary, CredentialStatus, CredentialSummary, DeliveryState,
    ReachEntry, Ref, RevocationState,
};

/// An agent that would lose a credential, and through which tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consumer {
    /// The agent.
    pub agent: Ref,
    /// The tool of the agent that uses the credential.
    pub tool: Ref,
    /// The agent's owner, who should hear of it.
    pub owner: Option<Ref>,
    /// When the agent was last seen.
    pub last_seen: Option<DateTime<Utc>>,
}

/// `GET /api/v1/credentials/{id}/revocation-plan`: what revoking a credential
/// would break, and what would be left to clean up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationPlan {
    /// The credential.
    pub credential: CredentialSummary,
    /// The agents and tools that use it.
    pub consumers: Vec<Consumer>,
    /// Its most recent recorded use: when, what, from where and by what client.
    pub last_activity: Option<ActivityEvent>,
    /// The resources that would lose access through it (at most 200).
    pub resources: Vec<ReachEntry>,
    /// How many resources in all.
    pub resources_total: i64,
    /// Every copy of its secret still stored somewhere, with its location.
    pub copies: Vec<CopySummary>,
    /// Its revocation, if one was asked for.
    pub revocation: Option<RevocationBrief>,
}

/// A revocation in one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationBrief {
    /// Its id.
    pub id: i64,
    /// Where it stands.
    pub state: RevocationState,
}

/// `POST /api/v1/credentials/{id}/revocation`: revoke a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewRevocation {
    /// Why (1 to 500 characters); kept with the revocation and in the audit log.
    pub reason: String,
    /// A credential that replaces it (a rotation): its consumers are to move there.
    #[serde(default)]
    pub replacement: Option<i64>,
}

/// `POST /api/v1/revocations/{id}/transitions`: move a revocation on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RevocationTransition {
    /// The new state: one of the current state's `next`.
    pub to: RevocationState,
    /// What was done, or what went wrong (at most 500 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/revocations/{id}/checklist`: tick off a copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CopyResolution {
    /// The copy's id.
    pub copy: i64,
    /// `removed`, or `accepted` for a copy that cannot be removed.
    pub state: ChecklistState,
    /// Why a copy is accepted (required then, 1 to 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// One copy on a revocation's checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistItem {
    /// The copy and where it is.
    pub copy: CopySummary,
    /// Whether it is dealt with.
    pub state: ChecklistState,
    /// Why it was accepted.
    pub reason: Option<String>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
    /// When.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// One delivery of the automation webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// Its id; the `webhook-id` header carries `msg_<id>`.
    pub id: i64,
    /// The event it announces, e.g. `revocation.requested`.
    pub event: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// How many attempts were made.
    pub attempts: i64,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer.
    pub last_status: Option<i64>,
    /// What went wrong with the last attempt.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A revocation with its checklist, its consumers and its deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revocation {
    /// Its id.
    pub id: i64,
    /// The credential being revoked.
    pub credential: Ref,
    /// The credential's status now.
    pub credential_status: CredentialStatus,
    /// Where the revocation stands.
    pub state: RevocationState,
    /// The states it may be moved to now.
    pub next: Vec<RevocationState>,
    /// Why it was asked for.
    pub reason: String,
    /// The credential that replaces it, if this is a rotation.
    pub replacement: Option<Ref>,
    /// Who asked for it.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The agents and tools that use the credential: to move to the
    /// replacement, if there is one.
    pub consumers: Vec<Consumer>,
    /// Every copy of the secret to remove.
    pub checklist: Vec<ChecklistItem>,
    /// How many copies are still pending.
    pub copies_left: i64,
    /// Whether an automation webhook is configured. Without one, the
    /// operator moves the revocation on by hand.
    pub automated: bool,
    /// The webhook's deliveries for this revocation, newest first.
    pub deliveries: Vec<Delivery>,
}

/// A revocation in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationSummary {
    /// Its id.
    pub id: i64,
    /// The credential being revoked.
    pub credential: Ref,
    /// Where it stands.
    pub state: RevocationState,
    /// Why it was asked for.
    pub reason: String,
    /// Who asked for it.
    pub requested_by: String,
    /// When.
    pub requested_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// How many copies are still pending.
    pub copies_left: i64,
}

list_query! {
    /// Filters of `GET /api/v1/revocations`. `q` matches the credential's name.
    RevocationQuery {
        /// Only revocations in this state.
        state: RevocationState,
        /// Only those still open (not complete), when true.
        open: bool,
    }
}

/// `POST /api/v1/copies`: a stored copy of a secret was found (by a scanner,
/// an import or a person). A copy already known is marked present and seen
/// again; one that a revocation's checklist had as removed is pending again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CopySighting {
    /// The credential whose secret it is.
    pub credential: i64,
    /// What kind of place holds it.
    pub kind: CopyKind,
    /// Where exactly (1 to 1000 characters): a path, a URL, a channel.
    pub locator: String,
    /// What found it (1 to 200 characters).
    pub found_by: String,
    /// Who put it there, if known.
    #[serde(default)]
    pub author_email: Option<String>,
    /// When it was seen (default: now).
    #[serde(default)]
    pub seen_at: Option<DateTime<Utc>>,
}

/// The answer to a [`CopySighting`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SightedCopy {
    /// The copy as now stored.
    pub copy: CopySummary,
    /// Whether it was not known before.
    pub created: bool,
    /// The revocation whose checklist it is pending on again, if any.
    pub reopened: Option<RevocationBrief>,
}

/// The JSON body of the webhook's `revocation.requested` event (the
/// [Standard Webhooks](https://www.standardwebhooks.com/) envelope: `type`,
/// `timestamp`, `data`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationEvent {
    /// `revocation.requested`.
    #[serde(rename = "type")]
    pub event: String,
    /// When the event happened.
    pub timestamp: DateTime<Utc>,
    /// What to revoke.
    pub data: RevocationRequested,
}

/// What the automation is asked to revoke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevocationRequested {
    /// The revocation's id.
    pub revocation: i64,
    /// The credential: its provider and external id name it upstream.
    pub credential: CredentialSummary,
    /// Why.
    pub reason: String,
    /// Who asked.
    pub requested_by: String,
    /// The replacement credential, if this is a rotation.
    pub replacement: Option<CredentialSummary>,
    /// The agents and tools that use it.
    pub consumers: Vec<Consumer>,
    /// The stored copies of the secret, to remove.
    pub copies: Vec<CopySummary>,
}
