//! The audit log: every change appends an entry in the same transaction as
//! the change. Entries are hash-chained (SHA-256 over the entry and the
//! previous entry's hash) and numbered without gaps, and `audit_head` keeps
//! the newest number and hash, so [`verify`] finds a modified, deleted,
//! inserted, reordered or truncated entry.

use chrono::{DateTime, Utc};
use serde_json::Value as JsonValue;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use model::api as json;

use crate::ApiError;
use crate::db::Db;
use crate::db::sql::{self, Paging, Params, Sort, timestamp};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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

    /// What the change touched, as `<kind>:<id>`.
    pub fn target(mut self, target: String) -> Self {
        self.target = Some(target);
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

/// One stored entry, with every field its hash covers (as the evidence
/// pack carries it, so that an auditor can re-hash it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    fn into_wire(self) -> json::AuditEntry {
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

    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            seq: row.try_get("seq")?,
            occurred_at: row.try_get("occurred_at")?,
            actor_kind: row.try_get("actor_kind")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            details: row.try_get("details")?,
            source_address: row.try_get("source_address")?,
            request_id: row.try_get("request_id")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }
}

/// Appends `entry` inside the caller's transaction, so that the change and
/// its record commit or roll back together.
pub async fn append(conn: &mut AnyConnection, entry: &Entry, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    // Taking the head row's write lock first serialises appenders (PostgreSQL
    // row lock; SQLite has one writer anyway).
    sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let (last, prev_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
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
    sqlx::query(
        "INSERT INTO audit_event (seq, occurred_at, actor_kind, actor, action, target, details, \
         source_address, request_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(stored.seq)
    .bind(&stored.occurred_at)
    .bind(&stored.actor_kind)
    .bind(&stored.actor)
    .bind(&stored.action)
    .bind(&stored.target)
    .bind(&stored.details)
    .bind(&stored.source_address)
    .bind(&stored.request_id)
    .bind(&stored.prev_hash)
    .bind(&stored.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(stored.seq)
        .bind(&stored.hash)
        .execute(&mut *conn)
        .await?;
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
fn parse_details(text: &str) -> JsonValue {
    serde_json::from_str(text).unwrap_or_else(|_| JsonValue::String(text.to_owned()))
}

/// Entries read at a time while verifying: memory stays bounded whatever
/// the log's size.
const VERIFY_PAGE: i64 = 5_000;

/// Where a walk of the chain stands.
#[derive(Debug, Clone)]
struct Walk {
    /// Entries walked, all valid.
    valid: i64,
    /// The last valid entry's hash.
    previous_hash: String,
    /// The hash of the entry before it, and that entry's number.
    two_back: Option<(i64, String)>,
    /// The last valid entry's number.
    previous_seq: i64,
}

/// An entry that does not follow on from the walk, with what the walk can
/// tell of it without looking further.
#[derive(Debug, Clone)]
struct Suspect {
    entry: Stored,
    hash_ok: bool,
    linked: bool,
    skips_previous: bool,
}

impl Walk {
    fn new() -> Self {
        Self {
            valid: 0,
            previous_hash: GENESIS.to_owned(),
            two_back: None,
            previous_seq: 0,
        }
    }

    /// Takes `entry` as valid.
    fn advance(&mut self, entry: &Stored) {
        self.two_back = Some((self.previous_seq, std::mem::take(&mut self.previous_hash)));
        self.previous_hash = entry.hash.clone();
        self.previous_seq = entry.seq;
        self.valid += 1;
    }

    /// Walks `page` (hashing is CPU work: callers run this off the async
    /// runtime) until an entry does not follow on; answers its place in the
    /// page with what is known of it.
    fn scan(&mut self, page: &[Stored]) -> Option<(usize, Suspect)> {
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
    let later: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event WHERE seq > $1 AND hash = $2")
        .bind(entry.seq)
        .bind(&entry.prev_hash)
        .fetch_one(&mut *conn)
        .await?;
    let links_later = later > 0;
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
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    let mut walk = Walk::new();
    let mut problem = None;
    let mut last: Option<(i64, String)> = None;
    let mut after = 0_i64;
    'pages: loop {
        let rows = sqlx::query("SELECT * FROM audit_event WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(after)
            .bind(VERIFY_PAGE)
            .fetch_all(&mut *tx)
            .await?;
        let Some(final_row) = rows.last() else { break };
        after = final_row.try_get("seq")?;
        let mut page: Vec<Stored> = rows.iter().map(Stored::from_row).collect::<Result<_, _>>()?;
        drop(rows);
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
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_event")
        .fetch_one(&mut *tx)
        .await?;
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
    sqlx::query(
        "INSERT INTO audit_verification (checked_at, checked_by, entries, valid, first_bad, tampering, head_hash, \
         took_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&chain.checked_at)
    .bind(&chain.checked_by)
    .bind(chain.entries)
    .bind(chain.valid)
    .bind(chain.first_bad)
    .bind(&chain.tampering)
    .bind(&chain.head_hash)
    .bind(chain.took_ms)
    .execute(db.pool())
    .await?;
    Ok(chain)
}

/// A recorded verification's row.
#[derive(Debug, sqlx::FromRow)]
struct VerificationRow {
    checked_at: String,
    checked_by: String,
    entries: i64,
    valid: i64,
    first_bad: Option<i64>,
    tampering: Option<String>,
    head_hash: String,
    took_ms: i64,
}

/// The last recorded verification, if any.
pub async fn last_verification(db: &Db) -> Result<Option<json::AuditChain>, sqlx::Error> {
    let row: Option<VerificationRow> = sqlx::query_as(
        "SELECT checked_at, checked_by, entries, valid, first_bad, tampering, head_hash, took_ms \
         FROM audit_verification ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|row| json::AuditChain {
        intact: row.first_bad.is_none(),
        entries: row.entries,
        valid: row.valid,
        first_bad: row.first_bad,
        tampering: row.tampering,
        head_hash: row.head_hash,
        checked_at: row.checked_at,
        checked_by: row.checked_by,
        took_ms: row.took_ms,
    }))
}

/// How the audit list may be sorted: by number only, newest first by default
/// (numbers follow time, and a number is unique).
const SORTS: &[Sort] = &[Sort::by("-seq", "seq")];

/// `GET /api/v1/audit`: a page of entries matching the filters.
pub async fn list(db: &Db, query: &json::AuditQuery) -> Result<json::Page<json::AuditEntry>, ApiError> {
    let paging = Paging::new(query.page, query.limit, query.sort.as_deref(), SORTS, "seq")?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    for (column, value) in [("actor", &query.actor), ("target", &query.target)] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            conditions.push(format!("{column} = {}", params.bind(value.to_owned())));
        }
    }
    if let Some(action) = query.action.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        // `session.` names a family of actions; anything else one action.
        if action.ends_with('.') {
            let pattern = params.bind(format!("{}%", sql::escape_like(action)));
            conditions.push(format!("action LIKE {pattern} ESCAPE '\\'"));
        } else {
            conditions.push(format!("action = {}", params.bind(action.to_owned())));
        }
    }
    if let Some(since) = query.since {
        conditions.push(format!("occurred_at >= {}", params.bind(timestamp(since))));
    }
    if let Some(until) = query.until {
        conditions.push(format!("occurred_at <= {}", params.bind(timestamp(until))));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::text_match(
            &mut params,
            db.backend(),
            &["details", "actor", "target"],
            text,
        ));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        crate::db::Total::Counted,
        &format!("SELECT COUNT(*) FROM audit_event {filter}"),
        &format!("SELECT * FROM audit_event {filter} {}", paging.tail()),
        params,
        &paging,
        |row| Stored::from_row(row).map(Stored::into_wire),
    )
    .await
}

/// The entries after `after` up to `last` (by number), oldest first.
pub async fn between(conn: &mut AnyConnection, after: i64, last: i64) -> Result<Vec<Stored>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM audit_event WHERE seq > $1 AND seq <= $2 ORDER BY seq")
        .bind(after)
        .bind(last)
        .fetch_all(conn)
        .await?;
    rows.iter().map(Stored::from_row).collect()
}

/// The entries between two times (inclusive), oldest first, as JSON lines
/// with OCSF-style field names where they fit.
pub async fn export(db: &Db, since: Option<&str>, until: Option<&str>) -> Result<Vec<String>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT * FROM audit_event WHERE occurred_at >= $1 AND occurred_at <= $2 ORDER BY seq")
            .bind(since.unwrap_or(""))
            .bind(until.unwrap_or("9999"))
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|row| {
            let e = Stored::from_row(row)?;
            let details = parse_details(&e.details);
            Ok(serde_json::json!({
                "time": e.occurred_at,
                "metadata": { "uid": e.seq, "product": { "name": "Muster" }, "correlation_uid": e.request_id },
                "activity_name": e.action,
                "actor": { "user": { "type": e.actor_kind, "name": e.actor } },
                "src_endpoint": { "ip": e.source_address },
                "resources": e.target.map(|t| vec![serde_json::json!({ "uid": t })]).unwrap_or_default(),
                "unmapped": details,
                "integrity": { "prev_hash": e.prev_hash, "hash": e.hash },
            })
            .to_string())
        })
        .collect()
}
