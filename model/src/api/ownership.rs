//! Ownership: who is accountable for each agent and credential.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{GapState, OwnedKind, Page, Ref, RiskBrief, Share};

/// The most entities one assignment may change.
pub const MAX_ASSIGNMENT: usize = 500;

/// `POST /api/v1/ownership/assign`: give agents or credentials an owner,
/// one or many (e.g. every selected row of a filtered list), with a reason.
/// All of them change, or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OwnerAssignment {
    /// What the ids name.
    pub kind: OwnedKind,
    /// The agents or credentials, 1 to 500.
    pub ids: Vec<i64>,
    /// The new owner: a person still with the organisation.
    pub owner: i64,
    /// Why, for the audit log (1 to 500 characters).
    pub reason: String,
}

/// One entity's change of owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnerChange {
    /// What it is.
    pub kind: OwnedKind,
    /// The entity.
    pub entity: Ref,
    /// Its owner before, if any.
    pub before: Option<Ref>,
    /// Its owner now.
    pub after: Ref,
}

/// Days an orphaned agent or credential has to find a new owner, counted
/// from the day its owner left.
pub const ORPHAN_GRACE_DAYS: i64 = 14;

/// `POST /api/v1/ownership/transfer`: everything one person owns moves to
/// another, e.g. when someone changes team or leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OwnerTransfer {
    /// The person whose agents and credentials move.
    pub from: i64,
    /// The new owner: a person still with the organisation.
    pub to: i64,
    /// Why, for the audit log (1 to 500 characters).
    pub reason: String,
}

/// What a transfer moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferResult {
    /// The former owner.
    pub from: Ref,
    /// The new owner.
    pub to: Ref,
    /// Agents moved.
    pub agents: i64,
    /// Credentials moved.
    pub credentials: i64,
}

/// `POST /api/v1/people/{id}/depart`: the person has left the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Departure {
    /// Why, for the audit log (1 to 500 characters).
    pub reason: String,
}

/// What a departure left behind: the person's agents and credentials are
/// now orphans, due to be re-homed by `due`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartureResult {
    /// The person.
    pub person: Ref,
    /// When they left (the earlier date when they had already left).
    pub departed_at: DateTime<Utc>,
    /// `false` when they had already been marked departed.
    pub changed: bool,
    /// Their agents, now orphaned.
    pub agents: i64,
    /// Their credentials, now orphaned.
    pub credentials: i64,
    /// When the orphans should have a new owner.
    pub due: DateTime<Utc>,
}

list_query! {
    /// Filters of `GET /api/v1/ownership/gaps`: agents and active credentials
    /// without an accountable owner. `q` matches the name.
    GapQuery {
        /// Only gaps of this team or its sub-teams (see `Gap::team`).
        team: i64,
        /// Only agents, or only credentials.
        kind: OwnedKind,
        /// Only unowned, or only orphaned.
        state: GapState,
    }
}

/// A hint of who should own an agent or credential, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnerHint {
    /// The likely owner, when the hint names a person still with us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Ref>,
    /// The likely team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Ref>,
    /// The evidence, in words (e.g. "deployed the agent").
    pub reason: String,
}

/// An agent or active credential without an accountable owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Gap {
    /// Agent or credential.
    pub kind: OwnedKind,
    /// The entity.
    pub entity: Ref,
    /// Unowned or orphaned.
    pub state: GapState,
    /// The owner who left (orphans only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_owner: Option<Ref>,
    /// When it should have a new owner (orphans only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    /// The team it counts against: the former owner's, else the best hint's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Ref>,
    /// Its risk.
    pub risk: RiskBrief,
    /// Who probably should own it, strongest first.
    pub hints: Vec<OwnerHint>,
}

/// Owner coverage of one team (its sub-teams included) or the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamCoverage {
    /// The team; none for the whole organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Ref>,
    /// Agents with an owner still with the organisation.
    pub agents: Share,
    /// Active credentials with an owner still with the organisation.
    pub credentials: Share,
    /// Agents and active credentials whose owner has left.
    pub orphaned: i64,
    /// Agents and active credentials that never had an owner.
    pub unowned: i64,
}

/// One day of the posture history of a team or the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PosturePoint {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Agent owner coverage that day.
    pub agents: Share,
    /// Credential owner coverage that day.
    pub credentials: Share,
    /// Orphans that day.
    pub orphaned: i64,
    /// Active credentials in the critical band that day.
    pub critical: i64,
    /// Active credentials in the high band that day.
    pub high: i64,
}

/// Parameters of `GET /api/v1/coverage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// The team (its sub-teams included); the whole organisation without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<i64>,
}

/// `GET /api/v1/coverage`: owner coverage of a team or the organisation,
/// its direct sub-teams, its first gaps and its daily history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    /// The figures of the team (or the organisation) as of now.
    pub coverage: TeamCoverage,
    /// Each direct sub-team (the top-level teams for the organisation),
    /// rolled up through its own sub-teams, lowest agent coverage first.
    pub teams: Vec<TeamCoverage>,
    /// The riskiest gaps (at most 20; `GET /ownership/gaps` pages them all).
    pub gaps: Page<Gap>,
    /// One point per day, oldest first, at most 90, today's from live figures.
    pub history: Vec<PosturePoint>,
}
