//! Reading a report on a blocking thread ([`read_items`]): its records
//! ([`Item`]) cross to the writer in batches over a bounded channel, and
//! how the reading ended is told by [`finish_reading`].

use model::api::ImportKind;

use super::scanners::{ParseError, Record};
use super::{ImportError, ReportFile, aws, cloudtrail, declared, guard, open, scanners};
use crate::ApiError;
use crate::fingerprint::Fingerprinter;

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

/// Why the parsing thread stopped.
pub(crate) enum ReadError {
    Io(std::io::Error),
    Parse(ParseError),
}
