//! Imports of the reports security teams already produce, into the lineage
//! graph: each found secret joins (or becomes) a credential by its keyed
//! fingerprint, each place it was found becomes one of its copies; each
//! CloudTrail event becomes activity on its credential and extends its
//! behaviour baseline ([`activity`]).
//!
//! A report (plain or gzip) is read as a stream on a blocking thread
//! ([`scanners`], [`cloudtrail`]), which fingerprints each secret and drops
//! it; records cross to the writer over a bounded channel, so memory stays
//! bounded however large the report.
//! A bad record anywhere leaves the inventory as it was. Small imports are
//! one transaction; the large ones (secret scanners, CloudTrail) are read
//! whole first and then applied in short transactions ([`staged`]), so that
//! they never hold the database for long. Importing the same report again
//! changes nothing; a full import of a source marks removed the copies it no
//! longer finds.

pub mod activity;
pub mod aws;
pub mod cloudtrail;
pub mod declared;
pub mod endpoint;
pub mod guard;
pub mod iam;
pub mod platforms;
pub mod scanners;
pub mod sightings;
pub mod staged;

mod direct;
mod files;
mod finish;
mod read;
mod whole;

use std::path::PathBuf;

use model::api::{self as json, ImportKind};

use crate::ApiError;
use crate::audit::{Actor, Source};
use crate::db::Db;
use crate::fingerprint::Fingerprinter;

pub use files::{MAX_UNPACK_RATIO, UPLOAD_PREFIX, files_under, open, prepare_spool};
pub(crate) use finish::{begin_run, empty_summary, record_run, rescore, rescore_in_steps};
pub(crate) use read::{Item, finish_reading, read_items};

/// Why an import failed: nothing of it was kept, but for a large import
/// that stopped part-way, which a running server finishes ([`staged`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file is not a report of the kind named: which file, where, what.
    #[error("{file}: {}", scanners::scrub(.message))]
    Invalid {
        /// The file's name as given.
        file: String,
        /// Where in it and what is wrong (never the secret).
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {file}: {error}")]
    Io {
        /// The file's name as given.
        file: String,
        /// Why.
        error: std::io::Error,
    },
    /// The database failed (or the audit log could not be written).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<sqlx::Error> for ImportError {
    fn from(error: sqlx::Error) -> Self {
        Self::Api(error.into())
    }
}

impl From<ImportError> for ApiError {
    fn from(error: ImportError) -> Self {
        match error {
            ImportError::Invalid { .. } => ApiError::Unprocessable(error.to_string()),
            ImportError::Io { .. } => ApiError::Internal(anyhow::Error::new(error)),
            ImportError::Api(api) => api,
        }
    }
}

/// One report to read: its name (for messages) and where it is.
#[derive(Debug, Clone)]
pub struct ReportFile {
    /// The name given by the person importing (a path, an upload).
    pub name: String,
    /// The file on disk.
    pub path: PathBuf,
}

/// What to import, and on whose behalf (stored with a large import's run,
/// so that another replica can finish it).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Request {
    /// The reports' kind.
    pub kind: ImportKind,
    /// What was scanned, if named (copies are attributed to `<kind>:<source>`).
    pub source: Option<String>,
    /// Whether the reports cover the whole source.
    pub full: bool,
    /// Who imports.
    pub actor: Actor,
    /// Where the request came from.
    pub origin: Source,
}

impl Request {
    /// What the copies are attributed to.
    pub fn found_by(&self) -> String {
        match &self.source {
            Some(source) => format!("{}:{source}", self.kind.as_str()),
            None => self.kind.as_str().to_owned(),
        }
    }
}

/// Imports `files`, all or nothing.
pub async fn run(
    db: &Db,
    keys: &Fingerprinter,
    request: &Request,
    files: &[ReportFile],
) -> Result<json::ImportSummary, ImportError> {
    if request.kind == ImportKind::Endpoint {
        return whole::run_endpoint(db, keys, request, files).await;
    }
    if platforms::is_platform(request.kind) {
        return whole::run_platform(db, keys, request, files).await;
    }
    if staged::is_staged(request.kind) {
        return staged::run(db, keys, request, files).await;
    }
    direct::run(db, keys, request, files).await
}
