//! The audit chain's entries and how a walk of the chain judges them: each
//! entry's hash is SHA-256 over its fields and the previous entry's hash,
//! so a walk finds a modified, deleted, inserted, reordered or truncated
//! entry. No storage here: [`super`] reads the entries through
//! [`crate::db::audit`] and walks them.

use chrono::{DateTime, Utc};
use model::api as json;
use serde_json::Value as JsonValue;
use sha2::{Digest, Sha256};

use crate::db::sql::timestamp;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One stored entry, with every field its hash covers (as the evidence
/// pack carries it, so that an auditor can re-hash it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
pub struct Stored {
    /// Its number, from 1, without gaps.
    pub seq: i64,
    /// When it was appended.
    pub occurred_at: String,
    /// `person`, `agent` or `system`.
    pub actor_kind: String,
    /// The actor's name.
    pub actor: String,
    /// The action.
    pub action: String,
    /// The target.
    pub target: Option<String>,
    /// The details, as JSON text.
    pub details: String,
    /// The caller's address.
    pub source_address: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl Stored {
    /// The hash this entry must have: SHA-256 of its fields and the previous
    /// hash, serialised as a JSON array (unambiguous, unlike concatenation).
    pub fn expected_hash(&self) -> String {
        let fields = serde_json::json!([
            self.seq,
            self.occurred_at,
            self.actor_kind,
            self.actor,
            self.action,
            self.target,
            self.details,
            self.source_address,
            self.request_id,
            self.prev_hash,
        ]);
        hex::encode(Sha256::digest(fields.to_string().as_bytes()))
    }

    /// The entry as the API shows it (details parsed, integrity fields left
    /// to the chain status and the export).
    pub fn into_wire(self) -> json::AuditEntry {
        json::AuditEntry {
            details: parse_details(&self.details),
            seq: self.seq,
            occurred_at: self.occurred_at,
            actor_kind: self.actor_kind,
            actor: self.actor,
            action: self.action,
            target: self.target,
            source_address: self.source_address,
            request_id: self.request_id,
        }
    }
}

/// How the log was tampered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tampering {
    /// An entry's content no longer matches its hash.
    Modified,
    /// An entry is missing from the middle of the chain.
    Deleted,
    /// An entry that was never appended is in the chain.
    Inserted,
    /// Entries were swapped.
    Reordered,
    /// Entries are missing from the end.
    Truncated,
}

impl std::fmt::Display for Tampering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tampering::Modified => "modified",
            Tampering::Deleted => "deleted",
            Tampering::Inserted => "inserted",
            Tampering::Reordered => "reordered",
            Tampering::Truncated => "truncated",
        })
    }
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries found.
    pub entries: i64,
    /// Entries before the first bad one.
    pub valid: i64,
    /// The first bad entry's number and what happened to it.
    pub problem: Option<(i64, Tampering)>,
    /// The newest hash, for an outside witness to keep.
    pub head_hash: String,
}

impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} entries valid", self.valid, self.entries)?;
        match self.problem {
            Some((seq, tampering)) => write!(f, "; first bad entry #{seq}: {tampering}"),
            None => write!(f, "; head {}", self.head_hash),
        }
    }
}

impl Verification {
    /// The outcome as the API shows it.
    pub fn to_wire(&self, checked_at: DateTime<Utc>) -> json::AuditChain {
        json::AuditChain {
            checked_by: String::new(),
            took_ms: 0,
            entries: self.entries,
            valid: self.valid,
            intact: self.problem.is_none(),
            first_bad: self.problem.map(|(seq, _)| seq),
            tampering: self.problem.map(|(_, tampering)| tampering.to_string()),
            head_hash: self.head_hash.clone(),
            checked_at: timestamp(checked_at),
        }
    }
}

/// Details are stored as JSON text; a row altered by hand may hold any text,
/// which is then shown as a string rather than failing the whole list.
pub fn parse_details(text: &str) -> JsonValue {
    serde_json::from_str(text).unwrap_or_else(|_| JsonValue::String(text.to_owned()))
}

/// Entries read at a time while verifying: memory stays bounded whatever
/// the log's size.
pub(super) const VERIFY_PAGE: i64 = 5_000;

/// Where a walk of the chain stands.
#[derive(Debug, Clone)]
pub(super) struct Walk {
    /// Entries walked, all valid.
    pub(super) valid: i64,
    /// The last valid entry's hash.
    previous_hash: String,
    /// The hash of the entry before it, and that entry's number.
    two_back: Option<(i64, String)>,
    /// The last valid entry's number.
    pub(super) previous_seq: i64,
}

/// An entry that does not follow on from the walk, with what the walk can
/// tell of it without looking further.
#[derive(Debug, Clone)]
pub(super) struct Suspect {
    pub(super) entry: Stored,
    pub(super) hash_ok: bool,
    pub(super) linked: bool,
    pub(super) skips_previous: bool,
}

impl Walk {
    pub(super) fn new() -> Self {
        Self {
            valid: 0,
            previous_hash: GENESIS.to_owned(),
            two_back: None,
            previous_seq: 0,
        }
    }

    /// Takes `entry` as valid.
    pub(super) fn advance(&mut self, entry: &Stored) {
        self.two_back = Some((self.previous_seq, std::mem::take(&mut self.previous_hash)));
        self.previous_hash = entry.hash.clone();
        self.previous_seq = entry.seq;
        self.valid += 1;
    }

    /// Walks `page` (hashing is CPU work: callers run this off the async
    /// runtime) until an entry does not follow on; answers its place in the
    /// page with what is known of it.
    pub(super) fn scan(&mut self, page: &[Stored]) -> Option<(usize, Suspect)> {
        for (i, entry) in page.iter().enumerate() {
            let hash_ok = entry.hash == entry.expected_hash();
            let linked = entry.prev_hash == self.previous_hash && entry.seq == self.valid + 1;
            let skips_previous = self
                .two_back
                .as_ref()
                .is_some_and(|(_, hash)| self.valid >= 2 && entry.prev_hash == *hash);
            if !hash_ok || !linked || skips_previous {
                return Some((
                    i,
                    Suspect {
                        entry: entry.clone(),
                        hash_ok,
                        linked,
                        skips_previous,
                    },
                ));
            }
            self.advance(entry);
        }
        None
    }
}
