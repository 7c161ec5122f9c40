//! The evidence pack: one signed zip file an auditor can open and check
//! (`muster evidence --from --to --output pack.zip`, or the CISOs' button).
//!
//! - `report.html`: the human-readable report ([`report`]), printable.
//! - `controls.json`: each control of SOC 2, ISO/IEC 27001:2022, the EU AI
//!   Act, the NIST AI RMF and the OWASP NHI and Agentic Top 10s, mapped to
//!   the report's sections and the records behind them.
//! - `records/*.jsonl`: the machine-readable records, one JSON object a line.
//! - `records/audit.jsonl` and `audit-chain.json`: the period's audit
//!   entries with every hashed field, the chain's head before and at the end
//!   of the period, and the server's verification of the whole chain; the
//!   entries link from one head to the other, which [`verify`] checks again.
//! - `manifest.json`: every file's SHA-256; `signature.json`: an Ed25519
//!   signature of the manifest by the server's signing key (the key that
//!   signs approval decisions), published at `GET /api/v1/evidence/key`.

pub mod report;
pub mod verify;

use std::io::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use model::api as json;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::ApiError;
use crate::approval::DecisionKey;
use crate::audit::{self, Actor, Entry, Source, Stored};
use crate::db::{Db, approvals, evidence as queries, reviews};

/// The pack's format, in its manifest.
pub const FORMAT: &str = "muster-evidence/1";

/// What the signature signs: this prefix, then the manifest's bytes.
pub const SIGNED_PREFIX: &[u8] = b"muster-evidence-v1\n";

/// The longest period one pack covers.
pub const MAX_DAYS: i64 = 800;

/// The period of a pack: whole days, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

impl Period {
    /// Checks a period given as two `YYYY-MM-DD` days.
    pub fn parse(from: &str, to: &str) -> Result<Self, ApiError> {
        let day = |name: &str, text: &str| {
            NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                ApiError::BadRequest(format!("{name} must be a day such as 2026-10-01, not {text:?}"))
            })
        };
        let period = Self {
            from: day("from", from)?,
            to: day("to", to)?,
        };
        for (name, day) in [("from", period.from), ("to", period.to)] {
            if !(2000..=9998).contains(&chrono::Datelike::year(&day)) {
                return Err(ApiError::BadRequest(format!(
                    "{name} must be a day between the years 2000 and 9998"
                )));
            }
        }
        if period.to < period.from {
            return Err(ApiError::BadRequest("to must not be before from".into()));
        }
        if (period.to - period.from).num_days() >= MAX_DAYS {
            return Err(ApiError::BadRequest(format!(
                "a pack covers at most {MAX_DAYS} days"
            )));
        }
        Ok(period)
    }

    /// The first instant, as stored timestamps sort.
    fn start(&self) -> String {
        self.from.format("%Y-%m-%d").to_string()
    }

    /// The first instant after the period (its last day is included).
    fn end(&self) -> String {
        (self.to + chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string()
    }
}

/// One file of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its path in the zip.
    pub path: String,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The period.
    pub period: Period,
    /// When the pack was made.
    pub generated_at: DateTime<Utc>,
    /// Who made it (an email, or the command line).
    pub generated_by: String,
    /// The server's version.
    pub muster_version: String,
    /// Every other file, by path.
    pub files: Vec<FileEntry>,
}

/// `signature.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// `Ed25519`.
    pub algorithm: String,
    /// The key's id.
    pub key_id: String,
    /// The public key, hex.
    pub public_key: String,
    /// The signature of [`SIGNED_PREFIX`] and `manifest.json`'s bytes, hex.
    pub signature: String,
}

/// The signing key as published.
pub fn public_key(key: &DecisionKey) -> json::EvidenceKey {
    json::EvidenceKey {
        algorithm: "Ed25519".into(),
        public_key: hex::encode(key.public_key()),
        key_id: key.kid.clone(),
    }
}

/// A chain head: the newest entry at a moment (seq 0 and the zero hash before any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Its number.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// `audit-chain.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditChain {
    /// The head before the period's first entry.
    pub start: Head,
    /// The head after its last.
    pub end: Head,
    /// Entries in the period.
    pub entries: i64,
    /// The oldest entry of the whole log, if any (retention: the EU AI Act asks for six months).
    pub oldest_entry_at: Option<String>,
    /// The server's walk of the whole chain when the pack was made.
    pub whole_chain: String,
    /// Whether that walk found it intact.
    pub intact: bool,
}

/// The records behind the report, one list per file.
#[derive(Debug, Default)]
pub struct Records {
    /// `records/posture.jsonl`.
    pub posture: Vec<Value>,
    /// `records/campaigns.jsonl`.
    pub campaigns: Vec<json::Campaign>,
    /// `records/review-decisions.jsonl`.
    pub decisions: Vec<json::ReviewItem>,
    /// `records/approvals.jsonl`.
    pub approvals: Vec<Value>,
    /// `records/revocations.jsonl`.
    pub revocations: Vec<Value>,
    /// `records/leavers.jsonl`.
    pub leavers: Vec<Value>,
    /// `records/imports.jsonl`.
    pub imports: Vec<Value>,
    /// `records/audit.jsonl`.
    pub audit: Vec<Stored>,
    /// `audit-chain.json`.
    pub chain: Option<AuditChain>,
}

fn to_values<T: Serialize>(rows: Vec<T>) -> Vec<Value> {
    rows.into_iter()
        .map(|row| serde_json::to_value(row).unwrap_or(Value::Null))
        .collect()
}

async fn head_before(conn: &mut AnyConnection, before: &str) -> Result<Head, sqlx::Error> {
    let head = queries::head_before(conn, before).await?;
    Ok(head.map_or_else(
        || Head {
            seq: 0,
            hash: "0".repeat(64),
        },
        |(seq, hash)| Head { seq, hash },
    ))
}

/// Reads the records of a period, in one read transaction (one snapshot).
pub async fn collect(db: &Db, key: &DecisionKey, period: Period) -> Result<Records, ApiError> {
    let (start, end) = (period.start(), period.end());
    let whole = audit::verify(db).await?;
    let mut tx = db.begin_read().await?;
    let mut records = Records {
        posture: to_values(queries::posture(&mut tx, &start, &end).await?),
        ..Records::default()
    };
    for (campaign, items) in reviews::campaigns_between(&mut tx, &start, &end).await? {
        records.campaigns.push(campaign);
        records.decisions.extend(items);
    }
    let requests = queries::approval_requests(&mut tx, &start, &end).await?;
    for id in requests {
        let Some(stored) = approvals::stored(&mut tx, id).await? else {
            continue;
        };
        let votes = approvals::votes(&mut tx, id).await?;
        let token = (stored.state == json::ApprovalState::Approved)
            .then(|| crate::approval::decision_token(key, &stored, &votes));
        records.approvals.push(json!({
            "id": stored.id, "agent": { "id": stored.agent, "name": stored.agent_name },
            "requested_by": stored.requested_by, "operation": stored.operation,
            "resource": stored.resource_name, "parameters_sha256": stored.parameters_hash,
            "rule": stored.rule, "required_approvals": stored.required_approvals,
            "state": stored.state, "created_at": stored.created_at, "decided_at": stored.decided_at,
            "expires_at": stored.expires_at, "votes": votes, "signed_decision": token,
        }));
    }
    let revocations = queries::revocations(&mut tx, &start, &end).await?;
    records.revocations = to_values(revocations);
    records.leavers = leavers(&mut tx, &start, &end).await?;
    let imports = queries::imports(&mut tx, &start, &end).await?;
    records.imports = to_values(imports);
    let audit_start = head_before(&mut tx, &start).await?;
    let audit_end = head_before(&mut tx, &end).await?;
    records.audit = audit::between(&mut tx, audit_start.seq, audit_end.seq).await?;
    let oldest = queries::oldest_entry(&mut tx).await?;
    records.chain = Some(AuditChain {
        entries: records.audit.len() as i64,
        start: audit_start,
        end: audit_end,
        oldest_entry_at: oldest,
        whole_chain: whole.to_string(),
        intact: whole.problem.is_none(),
    });
    tx.rollback().await?;
    Ok(records)
}

/// People who left in the period: what they still own, and when what they
/// owned was re-homed (from the audit log's ownership changes).
async fn leavers(conn: &mut AnyConnection, start: &str, end: &str) -> Result<Vec<Value>, sqlx::Error> {
    let rows = queries::leavers(&mut *conn, start, end).await?;
    let mut leavers = Vec::new();
    for row in rows {
        // Every re-homing of what they owned, after they left.
        let moves = queries::ownership_moves_since(&mut *conn, &row.departed_at).await?;
        let rehomed: Vec<&String> = moves
            .iter()
            .filter(|(_, details)| {
                serde_json::from_str::<Value>(details)
                    .is_ok_and(|d| d["before"]["id"].as_i64() == Some(row.id))
            })
            .map(|(at, _)| at)
            .collect();
        let hours = |at: &String| {
            let (Ok(left), Ok(moved)) = (
                DateTime::parse_from_rfc3339(&row.departed_at),
                DateTime::parse_from_rfc3339(at),
            ) else {
                return None;
            };
            Some(((moved - left).num_minutes() as f64 / 60.0 * 10.0).round() / 10.0)
        };
        leavers.push(json!({
            "person": { "id": row.id, "name": row.name, "email": row.email },
            "departed_at": row.departed_at,
            "items_rehomed": rehomed.len(),
            "last_rehomed_at": rehomed.last(),
            "hours_to_rehome_all": if row.agents_left + row.credentials_left == 0 { rehomed.last().and_then(|at| hours(at)) } else { None },
            "agents_still_owned": row.agents_left,
            "credentials_still_owned": row.credentials_left,
        }));
    }
    Ok(leavers)
}

fn jsonl<T: Serialize>(rows: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    for row in rows {
        serde_json::to_writer(&mut out, row).expect("records serialise");
        out.push(b'\n');
    }
    out
}

/// The pack's files but the manifest and signature, by path.
pub fn files(records: &Records, period: Period, generated_at: DateTime<Utc>) -> Vec<(String, Vec<u8>)> {
    let chain = records.chain.clone().unwrap_or(AuditChain {
        start: Head {
            seq: 0,
            hash: "0".repeat(64),
        },
        end: Head {
            seq: 0,
            hash: "0".repeat(64),
        },
        entries: 0,
        oldest_entry_at: None,
        whole_chain: String::new(),
        intact: false,
    });
    let controls = report::controls(records);
    vec![
        (
            "report.html".into(),
            report::html(records, &controls, period, generated_at).into_bytes(),
        ),
        (
            "controls.json".into(),
            serde_json::to_vec_pretty(&controls).expect("serialises"),
        ),
        (
            "audit-chain.json".into(),
            serde_json::to_vec_pretty(&chain).expect("serialises"),
        ),
        ("records/posture.jsonl".into(), jsonl(&records.posture)),
        ("records/campaigns.jsonl".into(), jsonl(&records.campaigns)),
        ("records/review-decisions.jsonl".into(), jsonl(&records.decisions)),
        ("records/approvals.jsonl".into(), jsonl(&records.approvals)),
        ("records/revocations.jsonl".into(), jsonl(&records.revocations)),
        ("records/leavers.jsonl".into(), jsonl(&records.leavers)),
        ("records/imports.jsonl".into(), jsonl(&records.imports)),
        ("records/audit.jsonl".into(), jsonl(&records.audit)),
    ]
}

/// Records who took a pack (in the audit log, so that the pack's own
/// entries show it), then builds it.
pub async fn export(
    db: &Db,
    key: &DecisionKey,
    period: Period,
    actor: Actor,
    source: Option<&Source>,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, ApiError> {
    let mut entry = Entry::new(actor.clone(), "evidence.export").details(json!({
        "from": period.from, "to": period.to,
    }));
    if let Some(source) = source {
        entry = entry.from(source);
    }
    let mut tx = db.begin().await?;
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    pack(db, key, period, actor.name(), now).await
}

/// Builds the signed zip of a period's evidence.
pub async fn pack(
    db: &Db,
    key: &DecisionKey,
    period: Period,
    generated_by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, ApiError> {
    let records = collect(db, key, period).await?;
    let files = files(&records, period, now);
    // Zipping and hashing is CPU work: off the async runtime.
    let key = key.clone();
    let generated_by = generated_by.to_owned();
    tokio::task::spawn_blocking(move || seal(&files, &key, period, &generated_by, now))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
}

/// Zips `files` with their manifest and its signature.
pub fn seal(
    files: &[(String, Vec<u8>)],
    key: &DecisionKey,
    period: Period,
    generated_by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, ApiError> {
    let manifest = Manifest {
        format: FORMAT.into(),
        period,
        generated_at: now,
        generated_by: generated_by.to_owned(),
        muster_version: env!("CARGO_PKG_VERSION").into(),
        files: files
            .iter()
            .map(|(path, bytes)| FileEntry {
                path: path.clone(),
                sha256: hex::encode(Sha256::digest(bytes)),
                bytes: bytes.len() as u64,
            })
            .collect(),
    };
    let manifest = serde_json::to_vec_pretty(&manifest).expect("the manifest serialises");
    let signed = [SIGNED_PREFIX, &manifest].concat();
    let published = public_key(key);
    let signature = Signature {
        algorithm: published.algorithm,
        key_id: published.key_id,
        public_key: published.public_key,
        signature: hex::encode(key.sign_bytes(&signed)),
    };
    let signature = serde_json::to_vec_pretty(&signature).expect("the signature serialises");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let all = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).chain([
        ("manifest.json", manifest.as_slice()),
        ("signature.json", signature.as_slice()),
    ]);
    for (path, bytes) in all {
        zip.start_file(path, options)
            .and_then(|()| zip.write_all(bytes).map_err(Into::into))
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing the pack: {e}")))?;
    }
    let cursor = zip
        .finish()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing the pack: {e}")))?;
    Ok(cursor.into_inner())
}
