//! The imports read and written in one transaction as their records
//! arrive: AWS IAM's authorization details and credential report, and
//! inventory files.

use std::collections::HashSet;

use chrono::Utc;
use model::api::{self as json, ImportKind};

use super::finish::{begin_run, conclude};
use super::read::{Item, finish_reading, read_items};
use super::{ImportError, ReportFile, Request, activity, declared, iam};
use crate::ApiError;
use crate::db::{Db, bulk};
use crate::fingerprint::Fingerprinter;

/// Imports AWS IAM's reports or inventory files, all or nothing, in one
/// transaction.
pub(super) async fn run(
    db: &Db,
    keys: &Fingerprinter,
    request: &Request,
    files: &[ReportFile],
) -> Result<json::ImportSummary, ImportError> {
    let started_at = Utc::now();
    let clock = std::time::Instant::now();
    // Places are named under the source when one is named.
    let source_label = request.source.clone().unwrap_or_default();
    let mut tx = db.begin().await?;
    bulk::bulk_cache(&mut tx, db.backend(), true).await?;
    let mut summary = begin_run(&mut tx, request, started_at).await?;
    let id = summary.id;
    let mut touched: HashSet<i64> = HashSet::new();
    let mut touched_agents: HashSet<i64> = HashSet::new();
    let recorder = activity::Recorder::new(db.backend(), id, started_at);
    for file in files {
        // Records cross in batches: one hand-over (and wake-up) per batch, not per record.
        let (mut receiver, parser) = read_items(request.kind, file, &source_label, keys);
        while let Some(batch) = receiver.recv().await {
            for item in batch {
                match item {
                    Item::Principal(principal) => {
                        touched.extend(
                            iam::record_principal(&mut tx, keys, &principal, id, &mut summary, started_at)
                                .await?,
                        );
                    }
                    Item::Declared(declared) => {
                        let done = declared::record(&mut tx, keys, &declared, &mut summary, started_at)
                            .await
                            .map_err(|error| match error {
                                declared::RecordError::Invalid(message) => ImportError::Invalid {
                                    file: file.name.clone(),
                                    message,
                                },
                                declared::RecordError::Db(error) => error.into(),
                            })?;
                        touched.extend(done.credentials);
                        touched_agents.extend(done.agents);
                    }
                    Item::KeySlot(slot) => {
                        touched.insert(
                            iam::record_key_slot(&mut tx, keys, &slot, &mut summary, started_at).await?,
                        );
                    }
                    // Scanners' findings and events are imported in steps (`staged`).
                    Item::Scanner(_) | Item::Event(_) => {
                        return Err(ImportError::Api(ApiError::Internal(anyhow::anyhow!(
                            "a {} import is staged",
                            request.kind.as_str()
                        ))));
                    }
                }
            }
        }
        let read = finish_reading(file, parser.await)?;
        // The credential report's users are counted by its parser: one a row, with keys or not.
        if request.kind == ImportKind::AwsCredentialReport {
            summary.principals += read as i64;
        }
    }
    let reading = clock.elapsed();
    conclude(
        db,
        tx,
        request,
        summary,
        recorder,
        touched,
        touched_agents,
        clock,
        reading,
    )
    .await
}
