//! Imports: reports that security teams already produce, read into the
//! lineage graph (credentials by the keyed fingerprint of their secret, and
//! every place a copy of it was found).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BaselineDimension, BehaviourFindingKind, ImportKind, Ref};

/// Parameters of `POST /api/v1/imports/{kind}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// What was scanned (a repository, a host), 1 to 200 characters: copies
    /// are attributed to `<kind>:<source>`. Default: the kind alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Whether the report covers the whole source (default `true`): copies
    /// an earlier import of the same source found and this one does not are
    /// then marked removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full: Option<bool>,
}

/// What an import read and changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    /// The import's id.
    pub id: i64,
    /// The report's kind.
    pub kind: ImportKind,
    /// What the copies are attributed to (`found_by`).
    pub found_by: String,
    /// Whether it covered the whole source.
    pub full: bool,
    /// Findings read.
    pub findings: i64,
    /// Findings left out because their secret was redacted (nothing to fingerprint).
    pub skipped: i64,
    /// Distinct secrets in the report.
    pub secrets: i64,
    /// Credentials not known before.
    pub credentials_created: i64,
    /// Copies not known before.
    pub copies_created: i64,
    /// Copies an earlier import of this source found and this one did not, now removed.
    pub copies_removed: i64,
    /// Revocations reopened because a copy of a revoked secret was found again.
    pub revocations_reopened: i64,
    /// Activity events read (CloudTrail records).
    #[serde(default)]
    pub events: i64,
    /// Events recorded for the first time (an event imported again is not).
    #[serde(default)]
    pub events_recorded: i64,
    /// Events of keys and roles the inventory does not know, left out.
    #[serde(default)]
    pub events_unmatched: i64,
    /// The first keys and roles (up to 10) those events named: import the
    /// IAM reports or declare them to match them.
    #[serde(default)]
    pub unmatched_principals: Vec<String>,
    /// Behaviour findings raised (new networks, resources, spikes, human use...).
    #[serde(default)]
    pub behaviour_findings: i64,
    /// IAM users and roles read (authorization details), or users (credential report).
    #[serde(default)]
    pub principals: i64,
    /// Known credentials an IAM report changed (scopes, dates, status).
    #[serde(default)]
    pub credentials_updated: i64,
    /// Reach edges the IAM policies gave, or the inventory file declared (to resources of the inventory).
    #[serde(default)]
    pub reach_edges: i64,
    /// Entities an inventory file declared (teams, people, resources, credentials, agents, tools).
    #[serde(default)]
    pub entities_read: i64,
    /// Of those, new ones.
    #[serde(default)]
    pub entities_created: i64,
    /// Of those, known ones the file changed.
    #[serde(default)]
    pub entities_updated: i64,
    /// Agent → tool and tool → credential links the file added.
    #[serde(default)]
    pub links_created: i64,
    /// Grants and tokens a platform's records named (OAuth grants, personal access tokens, app installations, roles).
    #[serde(default)]
    pub grants: i64,
    /// Grants a full import of a platform no longer found (or the platform said were revoked): revoked at the source.
    #[serde(default)]
    pub grants_revoked: i64,
    /// AI agents a platform's records named (SaaS agents by the catalogue, cloud agents).
    #[serde(default)]
    pub agents: i64,
    /// Of those, new ones.
    #[serde(default)]
    pub agents_created: i64,
    /// Records that named something not imported (a grant of an unknown application, a person the platform did not name), each in words; the first ten.
    #[serde(default)]
    pub notes: Vec<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
}

/// A value a credential's baseline holds: it used it `events` times between
/// `first_seen` and `last_seen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BaselineEntry {
    /// What kind of value.
    pub dimension: BaselineDimension,
    /// The action, resource, network or user agent.
    pub value: String,
    /// First used.
    pub first_seen: DateTime<Utc>,
    /// Last used.
    pub last_seen: DateTime<Utc>,
    /// Events with it.
    pub events: i64,
}

/// Something unusual a credential did, against its baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BehaviourFinding {
    /// Its id.
    pub id: i64,
    /// The credential.
    pub credential: Ref,
    /// What is unusual.
    pub kind: BehaviourFindingKind,
    /// The new value: network, resource, hour, client.
    pub value: String,
    /// In words, with the event.
    pub evidence: String,
    /// When the event happened.
    pub occurred_at: DateTime<Utc>,
    /// When Muster raised it.
    pub raised_at: DateTime<Utc>,
}

/// `GET /api/v1/credentials/{id}/behaviour`: what a credential normally
/// does, and what it did that was unusual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Behaviour {
    /// Its baseline, by dimension, most used first.
    pub baseline: Vec<BaselineEntry>,
    /// Hours in which it was active.
    pub active_hours: i64,
    /// Its mean events per active hour.
    pub usual_hourly_rate: f64,
    /// Its findings, newest first (the last 100).
    pub findings: Vec<BehaviourFinding>,
}

/// Findings of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FindingCount {
    /// The kind.
    pub kind: BehaviourFindingKind,
    /// How many.
    pub count: i64,
}

/// `GET /api/v1/behaviour/findings`: recent behaviour findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecentFindings {
    /// Findings of events since then (30 days back).
    pub since: DateTime<Utc>,
    /// How many of each kind.
    pub by_kind: Vec<FindingCount>,
    /// The newest (up to 50).
    pub findings: Vec<BehaviourFinding>,
}
