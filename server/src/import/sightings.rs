//! Joining scanners' findings to the inventory in batches: each batch finds
//! its credentials (by provider id, else by fingerprint) and its known
//! copies in a few set-wise statements, creates what is new in one
//! statement each, and marks what was found again in one more, rather than
//! several round trips per finding. A copy of a revoked secret found again
//! goes back on the revocation's checklist.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use model::api::{self as json, CopyStatus};
use sqlx::AnyConnection;

use super::scanners::Finding;
use super::{ImportError, Request};
use crate::db::imports::SecretKey;
use crate::db::{Backend, imports};
use crate::revocation;

/// Findings joined per batch.
const BATCH: usize = 1000;

/// What a credential is known by: its provider id when the finding has one
/// (an AWS key id joins gitleaks' and trufflehog's findings, which
/// fingerprint different text), else its secret's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    External(String, String),
    Fingerprint(String),
}

fn identity(finding: &Finding) -> Identity {
    match &finding.external_id {
        Some(id) => Identity::External(finding.provider.clone(), id.clone()),
        None => Identity::Fingerprint(finding.fingerprint.clone()),
    }
}

/// Findings waiting to be joined, and the credentials known so far (memory
/// grows with the distinct secrets, not with the findings).
pub struct Sightings {
    backend: Backend,
    import: i64,
    found_by: String,
    pending: Vec<Finding>,
    known: HashMap<Identity, i64>,
    /// Fingerprints of credentials found by their provider id, so that a
    /// later finding of the same secret without that id joins them too.
    by_fingerprint: HashMap<String, i64>,
    /// Revocations put back to work by a copy found again.
    reopened: HashSet<i64>,
    /// Whether the findings' provider hashes may be written onto credentials
    /// found otherwise: a scanner's (the server saw the secret), not a
    /// collector's (a hash alone proves no possession).
    trust_hashes: bool,
}

impl Sightings {
    /// Batches for import `import`, whose copies are attributed to `found_by`.
    pub fn new(backend: Backend, import: i64, found_by: String) -> Self {
        Self {
            backend,
            import,
            found_by,
            pending: Vec::new(),
            known: HashMap::new(),
            by_fingerprint: HashMap::new(),
            reopened: HashSet::new(),
            trust_hashes: true,
        }
    }

    /// Batches for an endpoint scan's report: its provider hashes join a
    /// copy to a token, but are never written onto a credential.
    pub fn from_collector(mut self) -> Self {
        self.trust_hashes = false;
        self
    }

    /// The credential a finding joined, once its batch was flushed.
    pub fn credential_of(&self, finding: &Finding) -> Option<i64> {
        self.known
            .get(&identity(finding))
            .or_else(|| self.by_fingerprint.get(&finding.fingerprint))
            .copied()
    }

    /// Takes a finding; joins a batch when one is full.
    pub async fn add(
        &mut self,
        conn: &mut AnyConnection,
        finding: Box<Finding>,
        request: &Request,
        summary: &mut json::ImportSummary,
        touched: &mut HashSet<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), ImportError> {
        self.pending.push(*finding);
        if self.pending.len() >= BATCH {
            self.flush(conn, request, summary, touched, now).await?;
        }
        Ok(())
    }

    /// Finds the batch's credentials, creating those not known.
    async fn credentials(
        &mut self,
        conn: &mut AnyConnection,
        findings: &[Finding],
        summary: &mut json::ImportSummary,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, ImportError> {
        let unknown: Vec<&Finding> = findings
            .iter()
            .filter(|f| {
                !self.known.contains_key(&identity(f)) && !self.by_fingerprint.contains_key(&f.fingerprint)
            })
            .collect();
        let external: Vec<String> = unknown.iter().filter_map(|f| f.external_id.clone()).collect();
        for (id, provider, external_id) in
            imports::credentials_by_external_id(conn, self.backend, &external).await?
        {
            self.known
                .entry(Identity::External(provider, external_id))
                .or_insert(id);
        }
        let fingerprints: Vec<String> = unknown
            .iter()
            .filter(|f| !self.known.contains_key(&identity(f)))
            .map(|f| f.fingerprint.clone())
            .collect();
        for (id, fingerprint) in
            imports::credentials_by_fingerprint(conn, self.backend, &fingerprints).await?
        {
            self.by_fingerprint.entry(fingerprint).or_insert(id);
        }
        // Credentials stored before scan fingerprints (or provider hashes) were
        // known get theirs; a secret an endpoint scan (or a platform import,
        // by the provider's hash) found first is known by that key only.
        for key in [SecretKey::ScanFingerprint, SecretKey::ProviderHash] {
            let of = |f: &Finding| match key {
                SecretKey::ScanFingerprint => f.scan_fingerprint.clone(),
                SecretKey::ProviderHash => f.provider_hash.clone(),
            };
            let backfill: Vec<(i64, String)> = unknown
                .iter()
                .filter_map(|f| Some((*self.by_fingerprint.get(&f.fingerprint)?, of(f)?)))
                .collect();
            if key == SecretKey::ScanFingerprint || self.trust_hashes {
                imports::set_keys(conn, self.backend, key, &backfill).await?;
            }
            let wanted: Vec<String> = unknown
                .iter()
                .filter(|f| {
                    !self.known.contains_key(&identity(f))
                        && !self.by_fingerprint.contains_key(&f.fingerprint)
                })
                .filter_map(|f| of(f))
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let by_key: HashMap<String, i64> = imports::credentials_by_key(conn, self.backend, key, &wanted)
                .await?
                .into_iter()
                .map(|(id, value)| (value, id))
                .rev()
                .collect();
            for finding in &unknown {
                if let Some(&id) = of(finding).and_then(|value| by_key.get(&value)) {
                    self.by_fingerprint
                        .entry(finding.fingerprint.clone())
                        .or_insert(id);
                }
            }
        }
        // The rest are new: one credential per identity, first seen at its first finding.
        let mut new: Vec<(&Finding, DateTime<Utc>)> = Vec::new();
        let mut planned: HashSet<Identity> = HashSet::new();
        for finding in &unknown {
            let key = identity(finding);
            if self.known.contains_key(&key) || self.by_fingerprint.contains_key(&finding.fingerprint) {
                continue;
            }
            if planned.insert(key) {
                new.push((finding, seen_at(finding, now)));
            }
        }
        if !new.is_empty() {
            let created = imports::create_credentials(conn, self.backend, &new).await?;
            summary.credentials_created += created.len() as i64;
            // Matched by fingerprint: the order of RETURNING rows is not promised.
            let created: HashMap<String, i64> = created.into_iter().map(|(id, fp)| (fp, id)).collect();
            for (finding, _) in &new {
                let id = created[&finding.fingerprint];
                self.known.insert(identity(finding), id);
                self.by_fingerprint.insert(finding.fingerprint.clone(), id);
            }
        }
        Ok(findings
            .iter()
            .map(|f| {
                self.known
                    .get(&identity(f))
                    .or_else(|| self.by_fingerprint.get(&f.fingerprint))
                    .copied()
                    .expect("found or created above")
            })
            .collect())
    }

    /// Joins the pending findings: credentials, then copies new or found again.
    pub async fn flush(
        &mut self,
        conn: &mut AnyConnection,
        request: &Request,
        summary: &mut json::ImportSummary,
        touched: &mut HashSet<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), ImportError> {
        let findings = std::mem::take(&mut self.pending);
        if findings.is_empty() {
            return Ok(());
        }
        let credentials = self.credentials(conn, &findings, summary, now).await?;
        touched.extend(credentials.iter().copied());

        // One sighting per place (the latest time when a place is found twice).
        let mut sightings: HashMap<(i64, json::CopyKind, String), json::CopySighting> = HashMap::new();
        for (finding, credential) in findings.iter().zip(&credentials) {
            let locator: String = finding.locator.chars().take(1000).collect();
            let seen = seen_at(finding, now);
            sightings
                .entry((*credential, finding.copy_kind, locator.clone()))
                .and_modify(|s| s.seen_at = s.seen_at.max(Some(seen)))
                .or_insert(json::CopySighting {
                    credential: *credential,
                    kind: finding.copy_kind,
                    locator,
                    found_by: self.found_by.clone(),
                    author_email: finding.author_email.clone(),
                    seen_at: Some(seen),
                });
        }
        let mut ids: Vec<i64> = credentials;
        ids.sort_unstable();
        ids.dedup();
        // Copies of a secret being revoked that are new or back: the
        // revocation puts them (back) on its checklist.
        let revoked: HashSet<i64> = imports::with_revocation(conn, self.backend, &ids)
            .await?
            .into_iter()
            .collect();
        let mut places: Vec<String> = sightings.keys().map(|(_, _, locator)| locator.clone()).collect();
        places.sort_unstable();
        places.dedup();
        let stored = imports::copies_at(conn, self.backend, &ids, &places).await?;
        let mut again = Vec::new();
        let mut reappeared: Vec<(i64, i64)> = Vec::new();
        for (id, credential, kind, locator, status) in stored {
            let Ok(kind) = kind.parse::<json::CopyKind>() else {
                continue;
            };
            if let Some(sighting) = sightings.remove(&(credential, kind, locator)) {
                again.push((id, sighting.seen_at.unwrap_or(now)));
                if status != CopyStatus::Present.as_str() && revoked.contains(&credential) {
                    reappeared.push((credential, id));
                }
            }
        }
        imports::copies_seen_again(conn, self.backend, self.import, &again).await?;
        let (watched, new): (Vec<json::CopySighting>, Vec<json::CopySighting>) = sightings
            .into_values()
            .partition(|s| revoked.contains(&s.credential));
        if !new.is_empty() {
            summary.copies_created +=
                imports::insert_copies(conn, self.backend, self.import, &new).await? as i64;
        }
        if !watched.is_empty() {
            let created = imports::insert_copies_returning(conn, self.backend, self.import, &watched).await?;
            summary.copies_created += created.len() as i64;
            reappeared.extend(created.into_iter().map(|(id, credential)| (credential, id)));
        }
        for (credential, copy) in reappeared {
            if let Some(reopened) =
                revocation::copy_found(conn, credential, copy, &request.actor, Some(&request.origin), now)
                    .await?
            {
                self.reopened.insert(reopened.id);
            }
        }
        summary.revocations_reopened = self.reopened.len() as i64;
        Ok(())
    }
}

/// When a finding was made: its commit or scan time, never later than now.
fn seen_at(finding: &Finding, now: DateTime<Utc>) -> DateTime<Utc> {
    finding.seen_at.filter(|t| *t <= now).unwrap_or(now)
}
