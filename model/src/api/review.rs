//! Access reviews (certification campaigns): a campaign puts each agent and
//! credential in its scope before a reviewer, who keeps, reduces, revokes or
//! reassigns it; and the evidence pack that proves it to an auditor.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::fmt;
use std::str::FromStr;

use super::{OwnedKind, Ref, RiskBand, RiskBrief, UnknownValue};

wire_enum! {
    /// Which items a campaign reviews.
    ReviewScope("scope") {
        /// Every active agent and credential.
        All = "all", "The whole organisation";
        /// The items a team and its sub-teams count for.
        Team = "team", "A team and its sub-teams";
        /// Items scored critical or high.
        CriticalHigh = "critical_high", "Critical and high risk only";
        /// Agents found on laptops by `muster scan`, and their credentials.
        Endpoint = "endpoint", "Endpoint agents";
    }
}

wire_enum! {
    /// A reviewer's decision on one item.
    ReviewDecision("decision") {
        /// It is needed as it is (with a reason): the item is attested.
        Keep = "keep", "Keep";
        /// It has more access than it needs: a change request removes scopes.
        Reduce = "reduce", "Reduce";
        /// It is not needed: a revocation plan is opened.
        Revoke = "revoke", "Revoke";
        /// It is not the reviewer's: it goes to another owner, who reviews it next time.
        Reassign = "reassign", "Reassign";
    }
}

wire_enum! {
    /// Why a reviewer reviews an item.
    ReviewerBasis("basis") {
        /// They own it.
        Owner = "owner", "Owner";
        /// It has no owner (or its owner left) and they manage its team.
        Manager = "manager", "Manager of its team";
        /// Nobody else could: no owner, no team manager.
        Admin = "admin", "Admin (nobody else)";
        /// Its reviewer missed the due date and they manage that reviewer.
        Escalated = "escalated", "Escalated to the reviewer's manager";
    }
}

wire_enum! {
    /// Where a campaign stands.
    CampaignState("state") {
        /// Open for decisions.
        Open = "open", "Open";
        /// Past its due date: what was not decided was escalated and counts as not attested.
        Escalated = "escalated", "Past due, escalated";
        /// Closed by a CISO or admin: no more decisions.
        Closed = "closed", "Closed";
    }
}

wire_enum! {
    /// How often a campaign repeats: each cycle starts this long after the
    /// one before, with the same scope and as long to decide.
    ReviewCadence("cadence") {
        /// Every month.
        Monthly = "monthly", "Every month";
        /// Every three months.
        Quarterly = "quarterly", "Every quarter";
        /// Every six months.
        HalfYearly = "half_yearly", "Every six months";
        /// Every twelve months.
        Yearly = "yearly", "Every year";
    }
}

impl ReviewCadence {
    /// The months from one cycle's start to the next's.
    pub fn months(self) -> u32 {
        match self {
            ReviewCadence::Monthly => 1,
            ReviewCadence::Quarterly => 3,
            ReviewCadence::HalfYearly => 6,
            ReviewCadence::Yearly => 12,
        }
    }
}

/// A campaign to start (`POST /api/v1/reviews`, CISOs and admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// Its name, e.g. "Q1 2027 access review".
    pub name: String,
    /// Which items it reviews.
    pub scope: ReviewScope,
    /// The team, for the `team` scope.
    #[serde(default)]
    pub team: Option<i64>,
    /// When decisions are due (RFC 3339, in the future).
    pub due_at: DateTime<Utc>,
    /// How often it repeats (none: once). Its due date must come before
    /// the next cycle starts.
    #[serde(default)]
    pub repeat: Option<ReviewCadence>,
}

/// How far a set of items got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewProgress {
    /// Items.
    pub items: i64,
    /// Items decided.
    pub decided: i64,
    /// Items kept (attested as they are).
    pub kept: i64,
    /// Items to be reduced.
    pub reduced: i64,
    /// Items to be revoked.
    pub revoked: i64,
    /// Items reassigned.
    pub reassigned: i64,
    /// Items past the due date and escalated, still undecided.
    pub escalated: i64,
}

/// A campaign, with its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Which items it reviews.
    pub scope: ReviewScope,
    /// The team, for the `team` scope.
    pub team: Option<Ref>,
    /// Who started it.
    pub started_by: String,
    /// When.
    pub started_at: DateTime<Utc>,
    /// When decisions are due.
    pub due_at: DateTime<Utc>,
    /// Where it stands.
    pub state: CampaignState,
    /// How often it was set to repeat, if it was.
    #[serde(default)]
    pub repeat: Option<ReviewCadence>,
    /// When its next cycle starts, while it still repeats.
    #[serde(default)]
    pub next_start: Option<DateTime<Utc>>,
    /// The cycle before it, for a repeating campaign's later cycles.
    #[serde(default)]
    pub follows: Option<i64>,
    /// Its progress; for a reviewer or manager, over the items they see.
    pub progress: ReviewProgress,
}

/// Progress of one team or reviewer in a campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressRow {
    /// The team or the reviewer (a person); `None` for items with no team.
    pub who: Option<Ref>,
    /// Its progress.
    pub progress: ReviewProgress,
}

/// A campaign with its progress per team and per reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CampaignDetail {
    /// The campaign.
    pub campaign: Campaign,
    /// By the team each item counts for.
    pub teams: Vec<ProgressRow>,
    /// By reviewer.
    pub reviewers: Vec<ProgressRow>,
}

list_query! {
    /// Filters of `GET /api/v1/reviews/{id}/items`. `q` matches the item's name.
    ReviewItemQuery {
        /// `true`: only items waiting for a decision; `false`: only decided ones.
        open: bool,
        /// Only items given to this reviewer (a person id).
        reviewer: i64,
        /// `true`: only the signed-in person's own items (as reviewer).
        mine: bool,
        /// Only agents or only credentials.
        kind: OwnedKind,
        /// Only items in this risk band (as scored when listed).
        band: RiskBand,
        /// Only items with this decision.
        decision: ReviewDecision,
    }
}

/// One item of a campaign, with what its reviewer needs to decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewItem {
    /// Its id.
    pub id: i64,
    /// The campaign.
    pub campaign: i64,
    /// An agent or a credential.
    pub kind: OwnedKind,
    /// Which one.
    pub subject: Ref,
    /// Its risk now.
    pub risk: RiskBrief,
    /// Its owner now.
    pub owner: Option<Ref>,
    /// Resources it reaches (a credential), or reached through its credentials (an agent).
    pub reach: i64,
    /// Of those, in production.
    pub reach_prod: i64,
    /// Present copies of its secret (credentials; for agents, of their credentials').
    pub copies: i64,
    /// When it was last used (credentials) or seen (agents).
    pub last_used: Option<DateTime<Utc>>,
    /// Its scopes (credentials), so that a reduction can name the ones to remove.
    pub scopes: Vec<String>,
    /// Who reviews it.
    pub reviewer: Option<Ref>,
    /// Why them.
    pub basis: ReviewerBasis,
    /// The reviewer's manager it went to when it was not decided in time.
    pub escalated_to: Option<Ref>,
    /// The decision, once made.
    pub decision: Option<ReviewDecision>,
    /// Its reason.
    pub reason: Option<String>,
    /// Who decided (an email).
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// What the decision opened: `approval:<id>` (a change request) or `revocation:<id>`.
    pub follow_up: Option<String>,
}

/// Decisions on one or more items of a campaign
/// (`POST /api/v1/reviews/{id}/decisions`): the same decision for all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewDecisions {
    /// The items, 1 to 500.
    pub items: Vec<i64>,
    /// The decision.
    pub decision: ReviewDecision,
    /// Why (1 to 2000 characters).
    pub reason: String,
    /// For `reassign`: the new owner (a person id).
    #[serde(default)]
    pub new_owner: Option<i64>,
    /// For `reduce` (one credential at a time): the scopes to remove.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// What a batch of decisions did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewDecided {
    /// Items decided.
    pub decided: usize,
    /// What they opened: `approval:<id>` or `revocation:<id>`.
    pub follow_ups: Vec<String>,
}

/// The last time a reviewer attested an agent or credential (kept or reduced it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attestation {
    /// The campaign.
    pub campaign: Ref,
    /// The decision.
    pub decision: ReviewDecision,
    /// Its reason.
    pub reason: String,
    /// Who (an email).
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The key that signs evidence packs (`GET /api/v1/evidence/key`, public):
/// an auditor checks a pack against it with `muster evidence verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceKey {
    /// `Ed25519`.
    pub algorithm: String,
    /// The public key, hex.
    pub public_key: String,
    /// Its id: the first 16 hex digits of the SHA-256 of the public key.
    pub key_id: String,
}

/// The period of an evidence pack (`GET /api/v1/evidence?from=&to=`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct EvidenceQuery {
    /// The first day (YYYY-MM-DD).
    pub from: String,
    /// The last day (YYYY-MM-DD), included.
    pub to: String,
}
