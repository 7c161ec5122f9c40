//! Ownership: who is accountable for each agent and credential.

use serde::{Deserialize, Serialize};

use super::{OwnedKind, Ref};

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
