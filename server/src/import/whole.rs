//! The imports whose reports are read whole before anything is written:
//! an endpoint scan report ([`run_endpoint`]) and a platform's pages
//! ([`run_platform`]).

use chrono::Utc;
use model::api as json;

use super::finish::{begin_run, conclude};
use super::{ImportError, ReportFile, Request, activity, endpoint, guard, open, platforms};
use crate::ApiError;
use crate::db::{Db, bulk};
use crate::fingerprint::Fingerprinter;

/// Imports one endpoint scan report, read whole.
pub(super) async fn run_endpoint(
    db: &Db,
    keys: &Fingerprinter,
    request: &Request,
    files: &[ReportFile],
) -> Result<json::ImportSummary, ImportError> {
    // A scan report is small and names its own host and user (its source): read whole.
    let [file] = files else {
        return Err(ImportError::Invalid {
            file: "the reports".into(),
            message: "import one endpoint scan report at a time".into(),
        });
    };
    let reader = open(&file.path, guard::Shape::Json).map_err(|error| ImportError::Io {
        file: file.name.clone(),
        error,
    })?;
    let report = endpoint::read(reader).map_err(|e| ImportError::Invalid {
        file: file.name.clone(),
        message: e.0,
    })?;
    endpoint::run(db, keys, &report, request.actor.clone(), request.origin.clone()).await
}

/// Imports a platform's pages (`google_workspace`, `entra`, `okta`,
/// `github`, `bedrock`, `vertex`), all or nothing: every page is read
/// first (a grant names its application by an id another page spells out),
/// then joined to the inventory in one transaction.
pub(super) async fn run_platform(
    db: &Db,
    keys: &Fingerprinter,
    request: &Request,
    files: &[ReportFile],
) -> Result<json::ImportSummary, ImportError> {
    let started_at = Utc::now();
    let clock = std::time::Instant::now();
    let (kind, context, pages) = (request.kind, request.source.clone(), files.to_vec());
    let collected = tokio::task::spawn_blocking(move || -> Result<platforms::Collected, ImportError> {
        let mut collected = platforms::Collected::default();
        for file in &pages {
            let reader = open(&file.path, guard::Shape::Json).map_err(|error| ImportError::Io {
                file: file.name.clone(),
                error,
            })?;
            let page = platforms::Page {
                name: &file.name,
                context: context.as_deref(),
            };
            platforms::read_page(kind, reader, &page, &mut collected, started_at).map_err(|e| {
                ImportError::Invalid {
                    file: file.name.clone(),
                    message: e.0,
                }
            })?;
        }
        platforms::finish(kind, &mut collected, started_at).map_err(|e| ImportError::Invalid {
            file: "the pages".into(),
            message: e.0,
        })?;
        Ok(collected)
    })
    .await
    .map_err(|join| ImportError::Api(ApiError::Internal(join.into())))??;
    let reading = clock.elapsed();
    let mut tx = db.begin().await?;
    bulk::bulk_cache(&mut tx, db.backend(), true).await?;
    let mut summary = begin_run(&mut tx, request, started_at).await?;
    let mut recorder = activity::Recorder::new(db.backend(), summary.id, started_at);
    let written = platforms::write::record(
        &mut tx,
        keys,
        kind,
        &request.found_by(),
        request.full,
        summary.id,
        &collected,
        &mut recorder,
        &mut summary,
        started_at,
    )
    .await?;
    conclude(
        db,
        tx,
        request,
        summary,
        recorder,
        written.credentials,
        written.agents,
        clock,
        reading,
    )
    .await
}
