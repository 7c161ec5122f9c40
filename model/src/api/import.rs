//! Imports: reports that security teams already produce, read into the
//! lineage graph (credentials by the keyed fingerprint of their secret, and
//! every place a copy of it was found).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ImportKind;

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
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
}
