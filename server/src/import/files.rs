//! The reports' files: the spool where uploads wait ([`prepare_spool`]),
//! opening a report (plain or gzip, guarded against bombs, [`open`]) and
//! the report files under a path ([`files_under`]).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::guard;

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
