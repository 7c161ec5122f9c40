//! Checking an evidence pack offline (`muster evidence verify pack.zip`):
//! the signature of its manifest, every file against the manifest (none
//! missing, none added), and the period's audit entries hashed again from
//! the chain's head before the period to its head at the end. No database
//! and no network: an auditor runs it on their own machine, with the key
//! published at `GET /api/v1/evidence/key` (`--key`).

use std::collections::BTreeMap;
use std::io::Read as _;

use ed25519_dalek::{Signature as EdSignature, VerifyingKey};

use super::{AuditChain, FORMAT, Manifest, Period, SIGNED_PREFIX, Signature};
use crate::audit::Stored;

/// The most a pack may unpack to: a zip that claims more is refused before it is read.
pub const MAX_UNPACKED: u64 = 2 * 1024 * 1024 * 1024;

/// What a verified pack holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key that signed it.
    pub key_id: String,
    /// Its public key, hex.
    pub public_key: String,
    /// Its period.
    pub period: Period,
    /// Files checked against the manifest.
    pub files: usize,
    /// Audit entries re-hashed.
    pub audit_entries: usize,
    /// Whether the key was the one given (`--key`), not only the one inside the pack.
    pub key_trusted: bool,
    /// The audit chain's head at the end of the period (seq and hash), to
    /// compare with one kept elsewhere.
    pub end_head: (i64, String),
}

/// Why a pack is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    /// Not a zip, or a zip that cannot be read.
    #[error("not a readable evidence pack: {0}")]
    Unreadable(String),
    /// A file the pack must have is missing.
    #[error("the pack has no {0}")]
    Missing(String),
    /// The signature does not match the manifest, or the key.
    #[error("the signature does not verify: {0}")]
    BadSignature(String),
    /// Signed with another key than the one given.
    #[error("signed by key {found}, not the key given ({expected})")]
    OtherKey {
        /// The pack's key id.
        found: String,
        /// The given key's id.
        expected: String,
    },
    /// A file differs from the manifest, or is not in it.
    #[error("{0} was changed after the pack was signed")]
    Tampered(String),
    /// The audit entries do not link from head to head.
    #[error("the audit chain does not verify: {0}")]
    Chain(String),
}

fn unreadable(error: impl std::fmt::Display) -> Refused {
    Refused::Unreadable(error.to_string())
}

/// The number of entries the zip's central directory declares (its end
/// record), which the zip reader does not tell: it keeps one entry per name,
/// so a name given twice would otherwise pass unseen.
fn declared_entries(bytes: &[u8]) -> Option<u64> {
    const END: &[u8] = b"PK\x05\x06";
    // The end record is the last 22 bytes, unless a comment (at most 65535 bytes) follows it.
    let from = bytes.len().saturating_sub(22 + 65_535);
    let at = bytes[from..].windows(4).rposition(|w| w == END)? + from;
    let total = bytes.get(at + 10..at + 12)?;
    let total = u16::from_le_bytes([total[0], total[1]]);
    // 0xFFFF defers to a Zip64 record, which no pack needs (it is refused).
    (total != u16::MAX).then_some(u64::from(total))
}

/// Every file of a zip, by path, refusing repeated names and bombs.
fn unpack(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, Refused> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    if declared_entries(bytes) != Some(zip.len() as u64) {
        return Err(Refused::Tampered(
            "the zip's directory (a name appears twice, or entries are hidden)".into(),
        ));
    }
    let mut files = BTreeMap::new();
    let mut total = 0_u64;
    for index in 0..zip.len() {
        let file = zip.by_index(index).map_err(unreadable)?;
        if file.is_dir() {
            continue;
        }
        let name = file.name().to_owned();
        let declared = file.size();
        if total.saturating_add(declared) > MAX_UNPACKED {
            return Err(Refused::Unreadable(format!(
                "it unpacks to more than {} GiB",
                MAX_UNPACKED >> 30
            )));
        }
        let mut content = Vec::new();
        // The declared size may lie: never read more than it (and one byte to tell).
        file.take(declared + 1)
            .read_to_end(&mut content)
            .map_err(unreadable)?;
        if content.len() as u64 != declared {
            return Err(Refused::Tampered(format!(
                "{name} (it does not unpack to the size it declares)"
            )));
        }
        total += declared;
        files.insert(name, content);
    }
    Ok(files)
}

/// The key id of a public key, as [`crate::approval::DecisionKey`] names it.
pub fn key_id(public_key: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(&sha2::Sha256::digest(public_key)[..8])
}

/// Parses a key given as 64 hex digits, or a `GET /api/v1/evidence/key` answer.
pub fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let hex_digits = match serde_json::from_str::<model::api::EvidenceKey>(text) {
        Ok(published) => published.public_key,
        Err(_) => text.to_owned(),
    };
    hex::decode(hex_digits.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| "a key is 64 hexadecimal digits, or the JSON of GET /api/v1/evidence/key".to_owned())
}

/// Verifies a pack; with `trusted`, it must be signed by that key.
pub fn verify(bytes: &[u8], trusted: Option<[u8; 32]>) -> Result<Verified, Refused> {
    let mut files = unpack(bytes)?;
    let manifest_bytes = files
        .remove("manifest.json")
        .ok_or_else(|| Refused::Missing("manifest.json".into()))?;
    let signature: Signature = serde_json::from_slice(
        &files
            .remove("signature.json")
            .ok_or_else(|| Refused::Missing("signature.json".into()))?,
    )
    .map_err(|e| Refused::BadSignature(format!("signature.json: {e}")))?;
    let public: [u8; 32] = hex::decode(&signature.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Refused::BadSignature("the public key is not 32 bytes of hex".into()))?;
    if let Some(trusted) = trusted
        && trusted != public
    {
        return Err(Refused::OtherKey {
            found: key_id(&public),
            expected: key_id(&trusted),
        });
    }
    let key = VerifyingKey::from_bytes(&public).map_err(|e| Refused::BadSignature(e.to_string()))?;
    let raw: [u8; 64] = hex::decode(&signature.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Refused::BadSignature("the signature is not 64 bytes of hex".into()))?;
    key.verify_strict(
        &[SIGNED_PREFIX, &manifest_bytes].concat(),
        &EdSignature::from_bytes(&raw),
    )
    .map_err(|_| Refused::Tampered("manifest.json".into()))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| Refused::Unreadable(format!("manifest.json: {e}")))?;
    if manifest.format != FORMAT {
        return Err(Refused::Unreadable(format!(
            "format {:?}, not {FORMAT}",
            manifest.format
        )));
    }
    for entry in &manifest.files {
        let content = files
            .remove(&entry.path)
            .ok_or_else(|| Refused::Missing(entry.path.clone()))?;
        use sha2::Digest as _;
        if hex::encode(sha2::Sha256::digest(&content)) != entry.sha256 || content.len() as u64 != entry.bytes
        {
            return Err(Refused::Tampered(entry.path.clone()));
        }
        files.insert(entry.path.clone(), content);
    }
    if let Some(extra) = files
        .keys()
        .find(|p| !manifest.files.iter().any(|e| &&e.path == p))
    {
        return Err(Refused::Tampered(format!("{extra} (not in the signed manifest)")));
    }
    let (audit_entries, end_head) = check_chain(&files)?;
    Ok(Verified {
        key_id: key_id(&public),
        public_key: signature.public_key,
        period: manifest.period,
        files: manifest.files.len(),
        audit_entries,
        key_trusted: trusted.is_some(),
        end_head,
    })
}

/// Re-hashes the period's audit entries from the head before it to the head at its end.
fn check_chain(files: &BTreeMap<String, Vec<u8>>) -> Result<(usize, (i64, String)), Refused> {
    let chain: AuditChain = serde_json::from_slice(
        files
            .get("audit-chain.json")
            .ok_or_else(|| Refused::Missing("audit-chain.json".into()))?,
    )
    .map_err(|e| Refused::Chain(format!("audit-chain.json: {e}")))?;
    let lines = files
        .get("records/audit.jsonl")
        .ok_or_else(|| Refused::Missing("records/audit.jsonl".into()))?;
    let (mut seq, mut hash) = (chain.start.seq, chain.start.hash.clone());
    let mut count = 0;
    for line in lines.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let entry: Stored =
            serde_json::from_slice(line).map_err(|e| Refused::Chain(format!("entry {}: {e}", seq + 1)))?;
        if entry.seq != seq + 1 {
            return Err(Refused::Chain(format!("entry {} follows {seq}", entry.seq)));
        }
        if entry.prev_hash != hash {
            return Err(Refused::Chain(format!(
                "entry {} does not link to the one before",
                entry.seq
            )));
        }
        if entry.expected_hash() != entry.hash {
            return Err(Refused::Chain(format!(
                "entry {} does not match its hash",
                entry.seq
            )));
        }
        (seq, hash) = (entry.seq, entry.hash);
        count += 1;
    }
    if seq != chain.end.seq || hash != chain.end.hash {
        return Err(Refused::Chain(format!(
            "the entries end at {seq}, not at the period's head {}",
            chain.end.seq
        )));
    }
    Ok((count, (seq, hash)))
}
