//! `muster import <kind> FILE...`: reads reports into the inventory.

use std::process::ExitCode;

use crate::db::Db;

use super::ImportArgs;

/// `muster import`: prints what the import found and changed, or why it
/// failed (exit code 2 for a report that is not of its kind; a large import
/// that stopped part-way is finished by a running `muster serve`).
pub(super) async fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let kind: model::api::ImportKind = args.kind.parse()?;
    let keys = args.key.fingerprinter()?;
    let db = Db::open(&args.database.database).await?;
    let request = crate::import::Request {
        kind,
        source: args.source,
        full: !args.partial,
        actor: crate::audit::Actor::System("muster import".into()),
        origin: crate::audit::Source::default(),
    };
    let mut files = Vec::new();
    for given in &args.files {
        let found = crate::import::files_under(given)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", given.display()))?;
        files.extend(found.into_iter().map(|path| crate::import::ReportFile {
            name: path.display().to_string(),
            path,
        }));
    }
    match crate::import::run(&db, &keys, &request, &files).await {
        Ok(s) if kind == model::api::ImportKind::Cloudtrail => {
            println!(
                "Imported {} events: {} recorded ({} seen before), {} of keys and roles not in the inventory{}; \
                 {} behaviour findings raised (import {}).",
                s.events,
                s.events_recorded,
                s.events - s.events_recorded - s.events_unmatched,
                s.events_unmatched,
                if s.unmatched_principals.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", s.unmatched_principals.join(", "))
                },
                s.behaviour_findings,
                s.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(s)
            if matches!(
                kind,
                model::api::ImportKind::AwsIam | model::api::ImportKind::AwsCredentialReport
            ) =>
        {
            println!(
                "Imported {} IAM users and roles: {} new credentials, {} changed, {} reach edges written (import {}).",
                s.principals, s.credentials_created, s.credentials_updated, s.reach_edges, s.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(s) if crate::import::platforms::is_platform(kind) => {
            println!(
                "Imported {} records of {}: {} grants and tokens ({} new credentials, {} changed, {} revoked at the \
                 source), {} agents ({} new), {} events recorded (import {}).",
                s.findings,
                crate::import::platforms::write::label(kind),
                s.grants,
                s.credentials_created,
                s.credentials_updated,
                s.grants_revoked,
                s.agents,
                s.agents_created,
                s.events_recorded,
                s.id
            );
            for note in &s.notes {
                println!("  note: {note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(s) if kind == model::api::ImportKind::Inventory => {
            println!(
                "Imported the inventory file: {} entities declared, {} new, {} changed; {} links and {} reach edges \
                 added (import {}).",
                s.entities_read, s.entities_created, s.entities_updated, s.links_created, s.reach_edges, s.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(s) => {
            println!(
                "Imported {} findings ({} redacted, skipped) of {} secrets from {}: {} new credentials, \
                 {} new copies, {} copies no longer found, {} revocations reopened (import {}).",
                s.findings,
                s.skipped,
                s.secrets,
                s.found_by,
                s.credentials_created,
                s.copies_created,
                s.copies_removed,
                s.revocations_reopened,
                s.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error @ crate::import::ImportError::Invalid { .. }) => {
            eprintln!("Nothing was imported: {error}");
            Ok(ExitCode::from(2))
        }
        Err(error) => Err(error.into()),
    }
}
