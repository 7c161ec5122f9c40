//! Keyed fingerprints of secrets: HMAC-SHA256 under a key of this
//! installation. Copies of one secret found in different places share a
//! fingerprint, so they join to one credential; the secret itself is never
//! stored, and without the key a fingerprint cannot be tested against guesses.
//!
//! Beside it, the *scan fingerprint*: an oblivious PRF of the secret (RFC
//! 9497) under a key derived from the same installation key. Endpoint
//! collectors obtain it for the secrets on a laptop without sending them
//! ([`Fingerprinter::evaluate_blinded`]), and the server computes it for
//! every secret a scanner's report shows it, so both join (`docs/scan.md`).

use std::path::Path;
use std::sync::Arc;

use muster_scan::oprf::Evaluator;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Computes fingerprints under one key.
#[derive(Clone)]
pub struct Fingerprinter {
    key: [u8; 32],
    scan: Arc<Evaluator>,
}

impl Default for Fingerprinter {
    /// A fingerprinter with a new random key (tests; servers load theirs).
    fn default() -> Self {
        let mut key = [0_u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::new(key)
    }
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter { key: <hidden> }")
    }
}

/// The errors of loading a fingerprint key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key is not 64 hexadecimal digits.
    #[error("the fingerprint key must be 64 hexadecimal digits (32 bytes)")]
    Malformed,
    /// The key file could not be read or written.
    #[error("cannot read or create the fingerprint key file {0}: {1}")]
    File(String, #[source] std::io::Error),
}

impl Fingerprinter {
    /// A fingerprinter with the given 32-byte key.
    pub fn new(key: [u8; 32]) -> Self {
        // The OPRF key is derived, so replicas that share the installation key agree on it.
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(b"muster scan fingerprint seed v1");
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        Self {
            key,
            scan: Arc::new(Evaluator::from_seed(&seed)),
        }
    }

    /// Parses a key written as 64 hexadecimal digits.
    pub fn from_hex(hex_key: &str) -> Result<Self, KeyError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| KeyError::Malformed)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(Self::new(key))
    }

    /// Reads the key from `path`, creating the file with a random key (and
    /// owner-only permissions) on first use.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let io = |e| KeyError::File(path.display().to_string(), e);
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0_u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_private(path, &hex::encode(key)).map_err(io)?;
                Ok(Self::new(key))
            }
            Err(error) => Err(io(error)),
        }
    }

    /// The fingerprint of a secret: 64 lowercase hexadecimal digits.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(secret);
        hex::encode(mac.finalize().into_bytes())
    }

    /// The scan fingerprint of a secret (128 hexadecimal digits); `None`
    /// for an empty secret or one over 65,535 bytes.
    pub fn scan_fingerprint(&self, secret: &[u8]) -> Option<String> {
        self.scan.fingerprint(secret)
    }

    /// Evaluates a collector's blinded secret (hexadecimal) under the scan
    /// key; `None` if it is not a blinded element.
    pub fn evaluate_blinded(&self, blinded: &str) -> Option<String> {
        self.scan.evaluate_blinded(blinded)
    }

    /// How a provider's public hash of a token (GitHub's `hashed_token`) is
    /// kept: keyed like a fingerprint, so that the database holds nothing
    /// anyone could test a guessed token against without the key. A
    /// scanner's token, a collector's hash and an audit event's hash of the
    /// same token all come out the same.
    pub fn provider_hash(&self, hashed_token: &str) -> String {
        self.fingerprint(format!("github-hash:{}", hashed_token.trim()).as_bytes())
    }

    /// The fingerprint of a secret known only by its scan fingerprint (an
    /// endpoint found it; no scanner has shown it to the server yet).
    pub fn of_scan_fingerprint(&self, scan_fingerprint: &str) -> String {
        self.fingerprint(format!("scan:{scan_fingerprint}").as_bytes())
    }
}

/// Writes a new key file readable by its owner only, creating its folders.
#[cfg(unix)]
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// Writes a new key file, creating its folders.
#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_secret_under_the_same_key_has_the_same_fingerprint() {
        let a = Fingerprinter::new([7; 32]);
        assert_eq!(a.fingerprint(b"AKIA-secret"), a.fingerprint(b"AKIA-secret"));
        assert_ne!(a.fingerprint(b"AKIA-secret"), a.fingerprint(b"AKIA-secres"));
        assert_eq!(a.fingerprint(b"x").len(), 64);
    }

    #[test]
    fn another_key_gives_another_fingerprint() {
        let a = Fingerprinter::new([7; 32]);
        let b = Fingerprinter::new([8; 32]);
        assert_ne!(a.fingerprint(b"AKIA-secret"), b.fingerprint(b"AKIA-secret"));
    }

    #[test]
    fn a_key_file_is_created_once_and_read_back() {
        let dir = tempfile_dir();
        let path = dir.join("fingerprint.key");
        let first = Fingerprinter::load_or_create(&path).unwrap();
        let second = Fingerprinter::load_or_create(&path).unwrap();
        assert_eq!(first.fingerprint(b"s"), second.fingerprint(b"s"));
        std::fs::remove_dir_all(dir).ok();
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("muster-fp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
