//! The audit log: every change appends an entry in the same transaction as
//! the change. Entries are hash-chained (SHA-256 over the entry and the
//! previous entry's hash) and numbered without gaps, and `audit_head` keeps
//! the newest number and hash, so [`verify`] finds a modified, deleted,
//! inserted, reordered or truncated entry. What an entry holds and how a
//! walk judges it is [`chain`]'s; the queries are [`crate::db::audit`]'s.

pub mod chain;

use chrono::{DateTime, Utc};
use model::api as json;
use serde_json::Value as JsonValue;
use sqlx::AnyConnection;

pub use self::chain::{GENESIS, Stored, Tampering, Verification};
use self::chain::{Suspect, VERIFY_PAGE, Walk, parse_details};
use crate::db::sql::timestamp;
use crate::db::{Db, audit as queries};
pub use model::api::{AuditTarget, TargetKind};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Actor {
    /// A signed-in person, by email.
    Person(String),
    /// An agent, by its token's agent id.
    Agent(String),
    /// Muster itself (the command line, a scheduled job).
    System(String),
}

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Actor::Person(_) => "person",
            Actor::Agent(_) => "agent",
            Actor::System(_) => "system",
        }
    }

    /// Who: the email, the agent id or the system part's name.
    pub fn name(&self) -> &str {
        match self {
            Actor::Person(name) | Actor::Agent(name) | Actor::System(name) => name,
        }
    }
}

/// A change to record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Who.
    pub actor: Actor,
    /// What, as `noun.verb` (e.g. `owner.assign`).
    pub action: String,
    /// On what, as `<kind>:<id>`.
    pub target: Option<String>,
    /// Before and after, parameters, reasons.
    pub details: JsonValue,
    /// The caller's address, for requests.
    pub source_address: Option<String>,
    /// The request's id, for requests.
    pub request_id: Option<String>,
}

/// Where a change came from: the caller's address and the request's id
/// (both unknown for the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Source {
    /// The caller's address.
    pub address: Option<String>,
    /// The request's `x-request-id`.
    pub request_id: Option<String>,
}

impl Entry {
    /// An entry with no target, empty details and no source.
    pub fn new(actor: Actor, action: &str) -> Self {
        Self {
            actor,
            action: action.to_owned(),
            target: None,
            details: serde_json::json!({}),
            source_address: None,
            request_id: None,
        }
    }

    /// What the change touched, stored as `<kind>:<id>`.
    pub fn target(mut self, target: AuditTarget) -> Self {
        self.target = Some(target.to_string());
        self
    }

    /// Before and after, parameters, reasons.
    pub fn details(mut self, details: JsonValue) -> Self {
        self.details = details;
        self
    }

    /// The request the change came in.
    pub fn from(mut self, source: &Source) -> Self {
        self.source_address = source.address.clone();
        self.request_id = source.request_id.clone();
        self
    }
}

/// Appends `entry` inside the caller's transaction, so that the change and
/// its record commit or roll back together.
pub async fn append(conn: &mut AnyConnection, entry: &Entry, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    let (last, prev_hash) = queries::lock_head(&mut *conn).await?;
    let mut stored = Stored {
        seq: last + 1,
        occurred_at: timestamp(now),
        actor_kind: entry.actor.kind().to_owned(),
        actor: entry.actor.name().to_owned(),
        action: entry.action.clone(),
        target: entry.target.clone(),
        details: entry.details.to_string(),
        source_address: entry.source_address.clone(),
        request_id: entry.request_id.clone(),
        prev_hash,
        hash: String::new(),
    };
    stored.hash = stored.expected_hash();
    queries::insert(conn, &stored).await?;
    Ok(stored.seq)
}

/// [`append`] for request handlers: a failure is a 503, and the caller's
/// transaction (dropped by `?`) rolls the change back with it.
pub async fn record(
    conn: &mut AnyConnection,
    entry: &Entry,
    now: DateTime<Utc>,
) -> Result<i64, crate::ApiError> {
    append(conn, entry, now)
        .await
        .map_err(crate::ApiError::AuditFailed)
}

/// What happened to a suspect entry, if anything: an entry linking to a
/// *later* entry's hash was moved before it; one linking to the entry two
/// back had an entry slipped in before it; the number is hashed too, so a
/// renumbered entry shows a bad hash. `None`: it follows on after all.
async fn classify(
    conn: &mut sqlx::AnyConnection,
    walk: &Walk,
    suspect: &Suspect,
) -> Result<Option<(i64, Tampering, i64)>, sqlx::Error> {
    let entry = &suspect.entry;
    let links_later = queries::later_has_hash(conn, entry.seq, &entry.prev_hash).await?;
    if suspect.skips_previous && !links_later {
        return Ok(Some((walk.previous_seq, Tampering::Inserted, walk.valid - 1)));
    }
    let found = if !suspect.hash_ok {
        Some(if links_later {
            Tampering::Reordered
        } else {
            Tampering::Modified
        })
    } else if suspect.linked {
        None
    } else if entry.seq > walk.valid + 1 {
        Some(Tampering::Deleted)
    } else if links_later {
        Some(Tampering::Reordered)
    } else {
        Some(Tampering::Inserted)
    };
    Ok(found.map(|tampering| (entry.seq, tampering, walk.valid)))
}

/// Walks the whole chain in one pass, a page at a time, hashing off the
/// async runtime; only at a suspect entry does it look further (one query)
/// to tell what happened.
pub async fn verify(db: &Db) -> Result<Verification, sqlx::Error> {
    // One snapshot for the head and every entry: an entry appended while the
    // chain is walked (by another request) would otherwise lie past the head
    // read before it, and look inserted.
    let mut tx = db.begin_read().await?;
    let (head_seq, head_hash) = queries::head(&mut tx).await?;
    let mut walk = Walk::new();
    let mut problem = None;
    let mut last: Option<(i64, String)> = None;
    let mut after = 0_i64;
    'pages: loop {
        let mut page = queries::page_after(&mut tx, after, VERIFY_PAGE).await?;
        let Some(final_entry) = page.last() else { break };
        after = final_entry.seq;
        last = page.last().map(|e| (e.seq, e.hash.clone()));
        loop {
            let (scanned, suspect, rest) = tokio::task::spawn_blocking(move || {
                let found = walk.scan(&page);
                (walk, found, page)
            })
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("the verification stopped: {e}")))?;
            walk = scanned;
            let Some((at, suspect)) = suspect else { break };
            if let Some((seq, tampering, valid)) = classify(&mut tx, &walk, &suspect).await? {
                problem = Some((seq, tampering));
                walk.valid = valid;
                break 'pages;
            }
            walk.advance(&suspect.entry);
            page = rest;
            page.drain(..=at);
        }
    }
    let entries = queries::count(&mut tx).await?;
    let mut valid = walk.valid;
    if problem.is_none() {
        let last_seq = last.as_ref().map_or(0, |(seq, _)| *seq);
        if last_seq < head_seq {
            problem = Some((last_seq + 1, Tampering::Truncated));
        } else if last_seq > head_seq {
            problem = Some((head_seq + 1, Tampering::Inserted));
            valid = head_seq;
        } else if last.is_some_and(|(_, hash)| hash != head_hash) {
            problem = Some((head_seq, Tampering::Modified));
            valid = head_seq - 1;
        }
    }
    Ok(Verification {
        entries,
        valid,
        problem,
        head_hash,
    })
}

/// Walks the chain (one walk at a time: a second caller waits for the one
/// under way, then walks again) and records the outcome, who asked and how
/// long it took.
pub async fn verify_and_record(
    db: &Db,
    running: &tokio::sync::Mutex<()>,
    by: &str,
) -> Result<json::AuditChain, sqlx::Error> {
    let _one_at_a_time = running.lock().await;
    let started = std::time::Instant::now();
    let verification = verify(db).await?;
    let mut chain = verification.to_wire(Utc::now());
    chain.checked_by = by.to_owned();
    chain.took_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    queries::insert_verification(db, &chain).await?;
    Ok(chain)
}

/// The last recorded verification, if any.
pub async fn last_verification(db: &Db) -> Result<Option<json::AuditChain>, sqlx::Error> {
    queries::last_verification(db).await
}

/// `GET /api/v1/audit`: a page of entries matching the filters.
pub async fn list(
    db: &Db,
    query: &json::AuditQuery,
) -> Result<json::Page<json::AuditEntry>, crate::ApiError> {
    queries::list(db, query).await
}

/// The entries after `after` up to `last` (by number), oldest first.
pub async fn between(conn: &mut AnyConnection, after: i64, last: i64) -> Result<Vec<Stored>, sqlx::Error> {
    queries::between(conn, after, last).await
}

/// The entries between two times (inclusive), oldest first, as JSON lines
/// with OCSF-style field names where they fit.
pub async fn export(db: &Db, since: Option<&str>, until: Option<&str>) -> Result<Vec<String>, sqlx::Error> {
    let entries = queries::in_period(db, since, until).await?;
    Ok(entries
        .into_iter()
        .map(|e| {
            let details = parse_details(&e.details);
            serde_json::json!({
                "time": e.occurred_at,
                "metadata": { "uid": e.seq, "product": { "name": "Muster" }, "correlation_uid": e.request_id },
                "activity_name": e.action,
                "actor": { "user": { "type": e.actor_kind, "name": e.actor } },
                "src_endpoint": { "ip": e.source_address },
                "resources": e.target.map(|t| vec![serde_json::json!({ "uid": t })]).unwrap_or_default(),
                "unmapped": details,
                "integrity": { "prev_hash": e.prev_hash, "hash": e.hash },
            })
            .to_string()
        })
        .collect())
}
