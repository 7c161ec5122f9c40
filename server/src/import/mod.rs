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

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::Utc;
use model::api::{self as json, ImportKind};

use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::{Db, Pace, accounts, bulk, imports, risk};
use crate::fingerprint::Fingerprinter;
use scanners::{ParseError, Record};

/// Above this many touched credentials and agents, an import rescores them
/// after its commit, a thousand to a transaction, rather than inside it.
const REFRESH_LIMIT: usize = 20_000;

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
        return endpoint::run(db, keys, &report, request.actor.clone(), request.origin.clone()).await;
    }
    if platforms::is_platform(request.kind) {
        return run_platform(db, keys, request, files).await;
    }
    if staged::is_staged(request.kind) {
        return staged::run(db, keys, request, files).await;
    }
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

/// Starts reading one report on a blocking thread, which hands its records
/// over in batches; the answer's second half says how it ended (records
/// read, or why not).
pub(crate) fn read_items(
    kind: ImportKind,
    file: &ReportFile,
    source_label: &str,
    keys: &Fingerprinter,
) -> (
    tokio::sync::mpsc::Receiver<Vec<Item>>,
    tokio::task::JoinHandle<Result<u64, ReadError>>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<Item>>(16);
    let (path, keys, label) = (file.path.clone(), keys.clone(), source_label.to_owned());
    let parser = tokio::task::spawn_blocking(move || -> Result<u64, ReadError> {
        let shape = match kind {
            ImportKind::AwsCredentialReport | ImportKind::Inventory => guard::Shape::Lines,
            _ => guard::Shape::Json,
        };
        let reader = open(&path, shape).map_err(ReadError::Io)?;
        let mut batch = Vec::with_capacity(HAND_OVER);
        let mut push = |item: Item| -> bool {
            batch.push(item);
            batch.len() < HAND_OVER
                || sender
                    .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(HAND_OVER)))
                    .is_ok()
        };
        let read = match kind {
            ImportKind::Gitleaks => scanners::gitleaks(reader, &label, &keys, |r| push(Item::Scanner(r))),
            ImportKind::Trufflehog => scanners::trufflehog(reader, &label, &keys, |r| push(Item::Scanner(r))),
            ImportKind::Cloudtrail => cloudtrail::read(reader, |event| push(Item::Event(Box::new(event)))),
            ImportKind::AwsIam => aws::authorization_details(reader).map(|principals| {
                let read = principals.len() as u64;
                for principal in principals {
                    if !push(Item::Principal(Box::new(principal))) {
                        break;
                    }
                }
                read
            }),
            ImportKind::AwsCredentialReport => {
                aws::credential_report(reader, |slot| push(Item::KeySlot(Box::new(slot))))
            }
            ImportKind::Inventory => declared::read(reader).map(|file| {
                push(Item::Declared(Box::new(file)));
                1
            }),
            // Read whole by `endpoint::run` and `run_platform` (see the top of `run`).
            other => Err(ParseError(format!("a {} import is read whole", other.as_str()))),
        }
        .map_err(ReadError::Parse)?;
        if !batch.is_empty() {
            let _ = sender.blocking_send(batch);
        }
        Ok(read)
    });
    (receiver, parser)
}

/// How reading `file` ended: the records read, or the error naming the file.
pub(crate) fn finish_reading(
    file: &ReportFile,
    ended: Result<Result<u64, ReadError>, tokio::task::JoinError>,
) -> Result<u64, ImportError> {
    match ended {
        Ok(Ok(read)) => Ok(read),
        Ok(Err(ReadError::Parse(error))) => Err(ImportError::Invalid {
            file: file.name.clone(),
            message: error.0,
        }),
        Ok(Err(ReadError::Io(error))) => Err(ImportError::Io {
            file: file.name.clone(),
            error,
        }),
        Err(join) => Err(ImportError::Api(ApiError::Internal(join.into()))),
    }
}

/// Imports a platform's pages (`google_workspace`, `entra`, `okta`,
/// `github`, `bedrock`, `vertex`), all or nothing: every page is read
/// first (a grant names its application by an id another page spells out),
/// then joined to the inventory in one transaction.
async fn run_platform(
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

/// Ends an import: its events' baselines, the rescoring of what it touched,
/// its summary and audit entry, and the commit.
#[allow(clippy::too_many_arguments)]
async fn conclude(
    db: &Db,
    mut tx: crate::db::Tx,
    request: &Request,
    mut summary: json::ImportSummary,
    recorder: activity::Recorder,
    mut touched: HashSet<i64>,
    touched_agents: HashSet<i64>,
    clock: std::time::Instant,
    reading: std::time::Duration,
) -> Result<json::ImportSummary, ImportError> {
    let (counts, active) = recorder.finish(&mut tx).await?;
    summary.events = counts.events;
    summary.events_recorded = counts.recorded;
    summary.events_unmatched = counts.unmatched;
    summary.unmatched_principals = counts.unmatched_principals;
    summary.behaviour_findings = counts.findings;
    touched.extend(active);
    summary.finished_at = Utc::now();
    let finishing = clock.elapsed() - reading;
    let touched: Vec<i64> = touched.into_iter().collect();
    let touched_agents: Vec<i64> = touched_agents.into_iter().collect();
    let refresh_here = touched.len() + touched_agents.len() <= REFRESH_LIMIT;
    if refresh_here {
        rescore(&mut tx, &touched, &touched_agents, summary.finished_at).await?;
    }
    record_run(&mut tx, request, &summary).await?;
    bulk::bulk_cache(&mut tx, db.backend(), false).await?;
    tx.commit().await?;
    if !refresh_here
        && let Err(error) = rescore_in_steps(db, &touched, &touched_agents, summary.finished_at).await
    {
        // The import is committed: its answer must not say otherwise.
        tracing::error!(error = ?error, import = summary.id, "rescoring what an import touched failed");
        summary.notes.push(
            "rescoring what this import touched stopped part-way; the daily recompute finishes it".into(),
        );
    }
    tracing::info!(
        import = summary.id,
        kind = request.kind.as_str(),
        read_and_recorded_ms = reading.as_millis() as u64,
        finished_ms = finishing.as_millis() as u64,
        scored_ms = (clock.elapsed() - reading - finishing).as_millis() as u64,
        "import done"
    );
    Ok(summary)
}

/// Rescores the credentials and agents an import touched, a thousand at a time.
pub(crate) async fn rescore(
    conn: &mut sqlx::AnyConnection,
    credentials: &[i64],
    agents: &[i64],
    now: chrono::DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    for chunk in credentials.chunks(1000) {
        risk::refresh(conn, chunk, &[], now).await?;
    }
    for chunk in agents.chunks(1000) {
        risk::refresh(conn, &[], chunk, now).await?;
    }
    Ok(())
}

/// Rescores these credentials and agents as many to a transaction as take
/// about [`crate::db::STEP`], letting other writers go between two: an import that
/// touched much of the inventory rescores what it touched, never holding
/// the database for long.
pub(crate) async fn rescore_in_steps(
    db: &Db,
    credentials: &[i64],
    agents: &[i64],
    now: chrono::DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let rescored = async {
        db.in_steps(credentials, Pace::new(250, 50, 5_000), |conn, step| {
            Box::pin(risk::refresh(conn, step, &[], now))
        })
        .await?;
        db.in_steps(agents, Pace::new(250, 50, 5_000), |conn, step| {
            Box::pin(risk::refresh(conn, &[], step, now))
        })
        .await
    }
    .await;
    // Scores changed with no audit entry of their own, even if it stopped
    // part-way: the kept figures and totals are counted again.
    risk::scores_changed(db).await?;
    rescored.map(drop)
}

/// Writes a finished import's counts, and its audit entry, in its transaction.
pub(crate) async fn record_run(
    conn: &mut sqlx::AnyConnection,
    request: &Request,
    summary: &json::ImportSummary,
) -> Result<(), ImportError> {
    imports::finish_run(conn, summary).await?;
    // People an import created may be the people of existing accounts.
    accounts::link_people(conn).await?;
    let entry = Entry::new(request.actor.clone(), "import.run")
        .target(AuditTarget::new(TargetKind::Import, summary.id))
        .details(serde_json::to_value(summary).unwrap_or_default())
        .from(&request.origin);
    audit::record(conn, &entry, summary.finished_at).await?;
    Ok(())
}

/// Starts an import's row; answers its summary before it has read anything.
pub(crate) async fn begin_run(
    conn: &mut sqlx::AnyConnection,
    request: &Request,
    started_at: chrono::DateTime<Utc>,
) -> Result<json::ImportSummary, ImportError> {
    let id = imports::start_run(
        conn,
        request.kind,
        &request.found_by(),
        request.full,
        request.actor.name(),
        started_at,
    )
    .await?;
    Ok(empty_summary(id, request, started_at))
}

/// The summary of import `id` before it has read anything.
pub(crate) fn empty_summary(
    id: i64,
    request: &Request,
    started_at: chrono::DateTime<Utc>,
) -> json::ImportSummary {
    json::ImportSummary {
        id,
        kind: request.kind,
        found_by: request.found_by(),
        full: request.full,
        findings: 0,
        skipped: 0,
        secrets: 0,
        credentials_created: 0,
        copies_created: 0,
        copies_removed: 0,
        revocations_reopened: 0,
        events: 0,
        events_recorded: 0,
        events_unmatched: 0,
        unmatched_principals: Vec::new(),
        behaviour_findings: 0,
        principals: 0,
        credentials_updated: 0,
        reach_edges: 0,
        entities_read: 0,
        entities_created: 0,
        entities_updated: 0,
        links_created: 0,
        grants: 0,
        grants_revoked: 0,
        agents: 0,
        agents_created: 0,
        notes: Vec::new(),
        started_at,
        finished_at: started_at,
    }
}

/// Records handed from the parsing thread to the writer at a time.
const HAND_OVER: usize = 256;

/// What the parsing thread hands the writer.
pub(crate) enum Item {
    /// A secret scanner's record.
    Scanner(Record),
    /// An activity event.
    Event(Box<cloudtrail::Event>),
    /// An IAM user or role.
    Principal(Box<aws::Principal>),
    /// An access key of the credential report.
    KeySlot(Box<aws::KeySlot>),
    /// An inventory file, read whole.
    Declared(Box<declared::InventoryFile>),
}

/// Readies the spool folder (created if missing, readable by Muster's
/// user only) and deletes the uploads an earlier run left in it (cut short
/// by a crash, with the secrets of a scanner's report in them). Only
/// Muster's own `upload-*` entries are deleted, whatever folder is named.
pub fn prepare_spool(path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        if !entry.file_name().to_string_lossy().starts_with(UPLOAD_PREFIX) {
            continue;
        }
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// What the spool's uploads are named after.
pub const UPLOAD_PREFIX: &str = "upload-";

/// How many times its own size a gzip report may unpack to: JSON logs
/// compress ten to twenty times; a gzip bomb, a thousand and more.
pub const MAX_UNPACK_RATIO: u64 = 100;

/// Opens a report, unpacking it on the fly if it is gzip (as CloudTrail
/// writes its logs), whatever its name. Unpacking stops with an error past
/// [`MAX_UNPACK_RATIO`] times the file's size (at least 64 MiB), so that a
/// small bomb cannot make the parser read terabytes; and a single value
/// longer than [`guard::MAX_FIELD`] (cut as `shape`) stops it too.
pub fn open(path: &Path, shape: guard::Shape) -> std::io::Result<Box<dyn Read + Send>> {
    let file = std::fs::File::open(path)?;
    let packed = file.metadata()?.len();
    let mut reader = BufReader::new(file);
    let gzip = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        let limit = packed.saturating_mul(MAX_UNPACK_RATIO).max(64 * 1024 * 1024);
        Box::new(guard::Guarded::new(
            Unpacked {
                inner: flate2::read::MultiGzDecoder::new(reader),
                left: limit,
                limit,
            },
            shape,
        ))
    } else {
        Box::new(guard::Guarded::new(reader, shape))
    })
}

/// A gzip stream that may unpack to `limit` bytes and no more.
struct Unpacked<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Unpacked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // At the limit: one more byte means the stream is larger than allowed.
            let mut probe = [0_u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "it unpacks to more than {} MiB ({MAX_UNPACK_RATIO} times its packed size): refused as a \
                         possible gzip bomb",
                        self.limit / 1024 / 1024
                    ),
                )),
            };
        }
        let room = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..room])?;
        self.left -= read as u64;
        Ok(read)
    }
}

/// The report files under `path`: the file itself, or a folder's `.json`,
/// `.jsonl` and `.gz` files (recursively), in file-name order: CloudTrail
/// names its files by time (under folders by region and day), so a folder
/// is read from its oldest file.
pub fn files_under(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![path.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?.path();
            if entry.is_dir() {
                folders.push(entry);
            } else if entry
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "json" | "jsonl" | "gz"))
            {
                found.push(entry);
            }
        }
    }
    found.sort_by(|a, b| (a.file_name(), a).cmp(&(b.file_name(), b)));
    Ok(found)
}

/// Why the parsing thread stopped.
pub(crate) enum ReadError {
    Io(std::io::Error),
    Parse(ParseError),
}
