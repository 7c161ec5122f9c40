//! What an audit entry is about: its target's kind and id, written
//! `<kind>:<id>` in the log and on the wire.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{NodeKind, OwnedKind, UnknownValue};

wire_enum! {
    /// What kind of thing an audit entry is about (its target's `<kind>:`).
    TargetKind("audit target kind") {
        /// A team of the inventory.
        Team = "team", "Team";
        /// A person of the inventory.
        Person = "person", "Person";
        /// An agent.
        Agent = "agent", "Agent";
        /// A tool.
        Tool = "tool", "Tool";
        /// A credential.
        Credential = "credential", "Credential";
        /// A stored copy of a credential's secret.
        Copy = "copy", "Stored copy";
        /// A resource.
        Resource = "resource", "Resource";
        /// A sign-in account.
        Account = "account", "Account";
        /// An access review campaign.
        Review = "review", "Access review";
        /// A rule of the approval policy.
        ApprovalRule = "approval_rule", "Approval rule";
        /// A rule of the AI app sanctions.
        SanctionRule = "sanction_rule", "Sanction rule";
        /// A notification channel.
        NotificationChannel = "notification_channel", "Notification channel";
        /// Where an agent's decision callbacks may go.
        CallbackDestination = "callback_destination", "Callback destination";
        /// A message of the outbox.
        Outbox = "outbox", "Outbox message";
        /// An import run.
        Import = "import", "Import";
        /// An application of the AI catalogue, by its key.
        AiApp = "ai_app", "AI application";
        /// An endpoint enrolment token.
        EnrolmentToken = "enrolment_token", "Enrolment token";
        /// A SCIM token.
        ScimToken = "scim_token", "SCIM token";
        /// A group provisioned over SCIM.
        ScimGroup = "scim_group", "SCIM group";
    }
}

impl TargetKind {
    /// The inventory's node of this kind, which has a page of its own.
    pub fn node(self) -> Option<NodeKind> {
        self.as_str().parse().ok()
    }
}

impl From<OwnedKind> for TargetKind {
    fn from(kind: OwnedKind) -> Self {
        match kind {
            OwnedKind::Agent => Self::Agent,
            OwnedKind::Credential => Self::Credential,
        }
    }
}

/// What an audit entry is about, written `<kind>:<id>` (`agent:12`,
/// `ai_app:copilot`) in the log and on the wire, where the audit screen
/// links it to its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTarget {
    /// What kind of thing.
    pub kind: TargetKind,
    /// Its id (a number, or a catalogue application's key).
    pub id: String,
}

impl AuditTarget {
    /// The target of this kind with this id.
    pub fn new(kind: impl Into<TargetKind>, id: impl fmt::Display) -> Self {
        Self {
            kind: kind.into(),
            id: id.to_string(),
        }
    }
}

impl fmt::Display for AuditTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.id)
    }
}

impl FromStr for AuditTarget {
    type Err = UnknownValue;

    fn from_str(text: &str) -> Result<Self, UnknownValue> {
        let (kind, id) = text.split_once(':').ok_or_else(|| UnknownValue {
            what: "audit target",
            value: text.to_owned(),
            expected: vec!["<kind>:<id>"],
        })?;
        Ok(Self {
            kind: kind.parse()?,
            id: id.to_owned(),
        })
    }
}
