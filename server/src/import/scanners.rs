//! Reading secret scanners' reports as streams: gitleaks' JSON array and
//! trufflehog's JSON lines. Each finding becomes a [`Finding`] carrying the
//! keyed fingerprint of its secret, never the secret: the secret is read,
//! fingerprinted and dropped here, on the parsing thread.

use std::io::{BufRead, Read};

use chrono::{DateTime, Utc};
use model::api::{CopyKind, CredentialKind};
use serde::Deserialize;
use serde::de::{SeqAccess, Visitor};

use crate::fingerprint::Fingerprinter;

/// The longest trufflehog line read (a finding is a few KB).
pub const MAX_LINE_BYTES: u64 = 1024 * 1024;

/// One place a secret was found, ready to join the inventory (and to be
/// staged as JSON by [`super::staged`]: it holds no secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The keyed fingerprint of the secret.
    pub fingerprint: String,
    /// Its scan fingerprint, by which an endpoint scan's copy of the same
    /// secret joins (`None` when it came from a scan without one).
    pub scan_fingerprint: Option<String>,
    /// The provider's public hash of the token (GitHub's `hashed_token`,
    /// the base64 of its SHA-256), by which the provider's audit log names
    /// it, keyed: computed while the secret is in memory, for GitHub tokens only.
    pub provider_hash: Option<String>,
    /// What kind of credential the secret is.
    pub kind: CredentialKind,
    /// Whose credential (`aws`, `github`, ...).
    pub provider: String,
    /// An identifier that is not secret and names the credential at its
    /// provider (an AWS access key id), when the finding has one.
    pub external_id: Option<String>,
    /// The scanner's rule or detector.
    pub rule: String,
    /// The principal the credential belongs to (trufflehog's AWS `arn`).
    pub principal: Option<String>,
    /// What kind of place holds the copy.
    pub copy_kind: CopyKind,
    /// Where: repository, file, line and commit.
    pub locator: String,
    /// Who put it there.
    pub author_email: Option<String>,
    /// When it was committed or seen.
    pub seen_at: Option<DateTime<Utc>>,
}

/// What one record of a report gave.
#[derive(Debug)]
pub enum Record {
    /// A finding.
    Finding(Box<Finding>),
    /// A finding whose secret was redacted: nothing to fingerprint.
    Redacted,
}

/// GitHub's `hashed_token` of a secret that is a GitHub token, keyed as
/// Muster keeps it ([`Fingerprinter::provider_hash`]).
fn provider_hash(keys: &Fingerprinter, secret: &str) -> Option<String> {
    muster_scan::secrets::provider_hash(secret.trim()).map(|hash| keys.provider_hash(&hash))
}

/// Why a report could not be read: where, and what, without the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", scrub(.0))]
pub struct ParseError(pub String);

/// The longest quoted value a refusal repeats whole.
const QUOTED: usize = 40;
/// The longest refusal.
const MESSAGE: usize = 500;

/// A parser's message made safe to answer: serde quotes the offending
/// value, which may be a secret (`invalid type: string "AKIA…", expected
/// …` becomes `… a string, expected …`) or a megabyte of input (a quoted or
/// back-ticked value past 40 characters keeps its first 12); the whole
/// message is cut at 500 characters.
pub fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MESSAGE + 8));
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        let Some(length) = rest[start + 1..].find(quote) else {
            break;
        };
        let value = &rest[start + 1..start + 1 + length];
        let before = &rest[..start];
        if quote == '"' && before.ends_with("string ") {
            out.push_str(&before[..before.len() - "string ".len()]);
            out.push_str("a string");
        } else if value.chars().count() > QUOTED {
            out.push_str(before);
            out.push(quote);
            out.extend(value.chars().take(12));
            out.push('…');
            out.push(quote);
        } else {
            out.push_str(&rest[..start + length + 2]);
        }
        rest = &rest[start + length + 2..];
    }
    out.push_str(rest);
    if out.chars().count() > MESSAGE {
        out = out.chars().take(MESSAGE).collect::<String>() + "…";
    }
    out
}

/// Scan fingerprints already computed for this report, by fingerprint: an
/// OPRF evaluation costs tens of microseconds, and a report names the same
/// secret in many places. Bounded: past 100,000 secrets it starts again.
struct ScanFingerprints<'a> {
    keys: &'a Fingerprinter,
    known: std::collections::HashMap<String, String>,
}

impl<'a> ScanFingerprints<'a> {
    fn new(keys: &'a Fingerprinter) -> Self {
        Self {
            keys,
            known: std::collections::HashMap::new(),
        }
    }

    fn of(&mut self, fingerprint: &str, secret: &[u8]) -> Option<String> {
        if let Some(known) = self.known.get(fingerprint) {
            return Some(known.clone());
        }
        let computed = self.keys.scan_fingerprint(secret)?;
        if self.known.len() >= 100_000 {
            self.known.clear();
        }
        self.known.insert(fingerprint.to_owned(), computed.clone());
        Some(computed)
    }
}

/// A gitleaks finding, as `gitleaks detect --report-format json` writes it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GitleaksFinding {
    #[serde(rename = "RuleID")]
    rule_id: String,
    file: String,
    secret: String,
    #[serde(default)]
    start_line: Option<i64>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

/// Reads a gitleaks report (a JSON array), one finding at a time; `each`
/// returns false to stop early.
pub fn gitleaks(
    reader: impl Read,
    source: &str,
    keys: &Fingerprinter,
    mut each: impl FnMut(Record) -> bool,
) -> Result<u64, ParseError> {
    struct Findings<'a, F> {
        source: &'a str,
        keys: &'a Fingerprinter,
        scan: ScanFingerprints<'a>,
        each: &'a mut F,
    }
    impl<'de, F: FnMut(Record) -> bool> Visitor<'de> for Findings<'_, F> {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON array of gitleaks findings")
        }

        fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<u64, A::Error> {
            let mut count = 0_u64;
            loop {
                let finding = seq.next_element::<GitleaksFinding>().map_err(|e| {
                    serde::de::Error::custom(format!("finding {}: {}", count + 1, scrub(&e.to_string())))
                })?;
                let Some(finding) = finding else { return Ok(count) };
                count += 1;
                let record = if finding.secret.is_empty() || finding.secret == "REDACTED" {
                    Record::Redacted
                } else {
                    let (kind, provider) = classify(&finding.rule_id);
                    let locator = place_at(
                        self.source,
                        &finding.file,
                        finding.start_line,
                        finding.commit.as_deref(),
                    );
                    let fingerprint = self.keys.fingerprint(finding.secret.as_bytes());
                    Record::Finding(Box::new(Finding {
                        provider_hash: provider_hash(self.keys, &finding.secret),
                        scan_fingerprint: self.scan.of(&fingerprint, finding.secret.as_bytes()),
                        fingerprint,
                        external_id: aws_key_id(&provider, &finding.secret),
                        kind,
                        provider,
                        rule: finding.rule_id,
                        principal: None,
                        copy_kind: place(&finding.file, false),
                        locator,
                        author_email: finding.email.filter(|e| !e.is_empty()),
                        seen_at: finding.date.as_deref().and_then(parse_time),
                    }))
                };
                if !(self.each)(record) {
                    return Ok(count);
                }
            }
        }
    }
    let mut deserializer = serde_json::Deserializer::from_reader(std::io::BufReader::new(reader));
    let count = serde::Deserializer::deserialize_seq(
        &mut deserializer,
        Findings {
            source,
            keys,
            scan: ScanFingerprints::new(keys),
            each: &mut each,
        },
    )
    .map_err(|e| ParseError(scrub(&e.to_string())))?;
    deserializer
        .end()
        .map_err(|e| ParseError(format!("after the findings: {}", scrub(&e.to_string()))))?;
    Ok(count)
}

/// A trufflehog finding, as `trufflehog ... --json` writes it (one a line).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TrufflehogFinding {
    source_metadata: SourceMetadata,
    detector_name: String,
    #[serde(default)]
    raw: String,
    #[serde(default, rename = "RawV2")]
    raw_v2: String,
    #[serde(default)]
    extra_data: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SourceMetadata {
    /// One key, the source type (`Git`, `Github`, `Filesystem`, `Slack`...).
    data: std::collections::BTreeMap<String, SourcePlace>,
}

#[derive(Deserialize, Default)]
struct SourcePlace {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<i64>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    repository: Option<String>,
    #[serde(default)]
    link: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    channel: Option<String>,
}

/// Reads trufflehog's JSON lines, one finding at a time; `each` returns
/// false to stop early. Blank lines are skipped.
pub fn trufflehog(
    reader: impl Read,
    source: &str,
    keys: &Fingerprinter,
    mut each: impl FnMut(Record) -> bool,
) -> Result<u64, ParseError> {
    let mut reader = std::io::BufReader::new(reader);
    let mut scan = ScanFingerprints::new(keys);
    let mut line = String::new();
    let mut number = 0_u64;
    let mut count = 0_u64;
    loop {
        line.clear();
        number += 1;
        let read = (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_line(&mut line)
            .map_err(|e| ParseError(format!("line {number}: {e}")))?;
        if read == 0 {
            return Ok(count);
        }
        if read as u64 == MAX_LINE_BYTES && !line.ends_with('\n') {
            return Err(ParseError(format!(
                "line {number}: longer than {} MiB",
                MAX_LINE_BYTES / 1024 / 1024
            )));
        }
        if line.trim().is_empty() {
            continue;
        }
        let finding: TrufflehogFinding = serde_json::from_str(&line)
            .map_err(|e| ParseError(format!("line {number}: {}", scrub(&e.to_string()))))?;
        count += 1;
        let secret = if finding.raw_v2.is_empty() {
            &finding.raw
        } else {
            &finding.raw_v2
        };
        let record = if secret.is_empty() {
            Record::Redacted
        } else {
            let (origin, place_of) = finding
                .source_metadata
                .data
                .into_iter()
                .next()
                .unwrap_or_else(|| ("Unknown".to_owned(), SourcePlace::default()));
            let (kind, provider) = classify(&finding.detector_name);
            let repository = match origin.as_str() {
                "Filesystem" => "",
                _ => place_of.repository.as_deref().unwrap_or(source),
            };
            let path = place_of
                .file
                .clone()
                .or(place_of.channel.clone())
                .or(place_of.link.clone())
                .unwrap_or_default();
            let locator = place_at(repository, &path, place_of.line, place_of.commit.as_deref());
            let principal = finding
                .extra_data
                .as_ref()
                .and_then(|extra| extra.get("arn"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned);
            let fingerprint = keys.fingerprint(secret.as_bytes());
            Record::Finding(Box::new(Finding {
                provider_hash: provider_hash(keys, secret),
                scan_fingerprint: scan.of(&fingerprint, secret.as_bytes()),
                fingerprint,
                external_id: aws_key_id(&provider, &finding.raw),
                kind,
                provider,
                rule: finding.detector_name,
                principal,
                copy_kind: match origin.as_str() {
                    "Slack" | "Teams" | "Discord" => CopyKind::ChatMessage,
                    "Filesystem" => place(&path, true),
                    _ => place(&path, false),
                },
                locator,
                author_email: place_of.email.filter(|e| !e.is_empty()),
                seen_at: place_of.timestamp.as_deref().and_then(parse_time),
            }))
        };
        if !each(record) {
            return Ok(count);
        }
    }
}

/// `repository/path:line@commit` (the commit's first 12 characters), each
/// part only when known.
fn place_at(repository: &str, path: &str, line: Option<i64>, commit: Option<&str>) -> String {
    let mut place = if repository.is_empty() {
        path.to_owned()
    } else {
        format!("{repository}/{path}")
    };
    if let Some(line) = line {
        place.push_str(&format!(":{line}"));
    }
    if let Some(commit) = commit {
        place.push('@');
        place.push_str(commit.get(..12).unwrap_or(commit));
    }
    place
}

/// RFC 3339, or git's `2022-11-01 14:25:13 +0000`.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S %z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What kind of credential a rule or detector finds, and whose.
fn classify(rule: &str) -> (CredentialKind, String) {
    let rule = rule.to_lowercase();
    let has = |word: &str| rule.contains(word);
    let (kind, provider) = if has("aws") {
        (CredentialKind::AccessKey, "aws")
    } else if has("github") {
        (CredentialKind::PersonalAccessToken, "github")
    } else if has("gitlab") {
        (CredentialKind::PersonalAccessToken, "gitlab")
    } else if has("gcp") || has("google") {
        (CredentialKind::ServiceAccountKey, "gcp")
    } else if has("private") || has("ssh") {
        (CredentialKind::SshKey, "ssh")
    } else if has("slack") {
        (CredentialKind::ApiKey, "slack")
    } else if has("openai") {
        (CredentialKind::ApiKey, "openai")
    } else if has("anthropic") {
        (CredentialKind::ApiKey, "anthropic")
    } else if has("stripe") {
        (CredentialKind::ApiKey, "stripe")
    } else {
        return (
            CredentialKind::ApiKey,
            rule.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(40)
                .collect(),
        );
    };
    (kind, provider.to_owned())
}

/// An AWS access key id (`AKIA`/`ASIA` and 16 characters) at the start of
/// the secret: not secret itself, it names the key in CloudTrail and IAM.
fn aws_key_id(provider: &str, secret: &str) -> Option<String> {
    let id = secret.get(..20)?;
    (provider == "aws"
        && (id.starts_with("AKIA") || id.starts_with("ASIA"))
        && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
    .then(|| id.to_owned())
}

/// What kind of place a path is.
fn place(path: &str, on_disk: bool) -> CopyKind {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        CopyKind::EnvFile
    } else if [
        ".github/workflows/",
        ".gitlab-ci",
        "Jenkinsfile",
        ".circleci/",
        "azure-pipelines",
        "bitbucket-pipelines",
    ]
    .iter()
    .any(|ci| path.contains(ci))
    {
        CopyKind::CiConfig
    } else if on_disk {
        CopyKind::EndpointDisk
    } else {
        CopyKind::RepositoryFile
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Fingerprinter {
        Fingerprinter::new([7; 32])
    }

    fn gitleaks_records(text: &str) -> Result<Vec<Record>, ParseError> {
        let mut out = Vec::new();
        gitleaks(text.as_bytes(), "acme/app", &keys(), |r| {
            out.push(r);
            true
        })?;
        Ok(out)
    }

    fn trufflehog_records(text: &str) -> Result<Vec<Record>, ParseError> {
        let mut out = Vec::new();
        trufflehog(text.as_bytes(), "acme/app", &keys(), |r| {
            out.push(r);
            true
        })?;
        Ok(out)
    }

    #[test]
    fn a_gitleaks_finding_keeps_its_place_and_only_the_fingerprint_of_its_secret() {
        let report = r#"[{"RuleID":"github-pat","File":".github/workflows/deploy.yml","StartLine":12,
            "Commit":"0123456789abcdef","Secret":"ghp_SECRETSECRET","Match":"token: ghp_SECRETSECRET",
            "Email":"dev@acme.test","Date":"2026-10-01T12:00:00Z","Fingerprint":"x"},
            {"RuleID":"aws-access-token","File":"app/.env","Secret":"REDACTED"}]"#;
        let out = gitleaks_records(report).unwrap();
        let Record::Finding(f) = &out[0] else {
            panic!("a finding")
        };
        assert_eq!(f.locator, "acme/app/.github/workflows/deploy.yml:12@0123456789ab");
        assert_eq!(
            (f.kind, f.provider.as_str(), f.copy_kind),
            (CredentialKind::PersonalAccessToken, "github", CopyKind::CiConfig)
        );
        assert_eq!(f.fingerprint, keys().fingerprint(b"ghp_SECRETSECRET"));
        assert!(!format!("{f:?}").contains("SECRETSECRET"));
        assert!(matches!(out[1], Record::Redacted));
    }

    #[test]
    fn bad_gitleaks_reports_say_where_and_never_quote_the_secret() {
        let wrong_type = r#"[{"RuleID":"x","File":"a","Secret":"s1"},{"RuleID":"x","File":"a","Secret":"s","StartLine":"AKIAIOSFODNN7EXAMPLE"}]"#;
        let error = gitleaks_records(wrong_type).unwrap_err().0;
        assert!(error.contains("finding 2"), "{error}");
        assert!(!error.contains("AKIAIOSFODNN7EXAMPLE"), "{error}");
        let truncated = gitleaks_records(r#"[{"RuleID":"x","File":"a","Secret":"s1"},{"RuleID":"#)
            .unwrap_err()
            .0;
        assert!(truncated.contains("line 1"), "{truncated}");
        let not_an_array = gitleaks_records(r#"{"Records":[]}"#).unwrap_err().0;
        assert!(
            not_an_array.contains("a JSON array of gitleaks findings"),
            "{not_an_array}"
        );
    }

    #[test]
    fn trufflehog_lines_use_raw_v2_then_raw_and_keep_the_aws_principal() {
        let lines = concat!(
            r#"{"SourceMetadata":{"Data":{"Git":{"commit":"abcdef0123456789","file":"src/config.py","line":3,"repository":"https://github.com/acme/app","email":"a@acme.test","timestamp":"2026-10-01 12:00:00 +0000"}}},"DetectorName":"AWS","Verified":true,"Raw":"AKIAIOSFODNN7EXAMPLE","RawV2":"AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMI","ExtraData":{"arn":"arn:aws:iam::123456789012:user/ci"}}"#,
            "\n\n",
            r#"{"SourceMetadata":{"Data":{"Filesystem":{"file":"/home/dev/.env","line":1}}},"DetectorName":"OpenAI","Raw":"sk-SECRET","Redacted":"sk-***"}"#,
            "\n",
        );
        let out = trufflehog_records(lines).unwrap();
        let Record::Finding(aws) = &out[0] else {
            panic!("a finding")
        };
        assert_eq!(
            aws.fingerprint,
            keys().fingerprint(b"AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMI")
        );
        assert_eq!(aws.external_id.as_deref(), Some("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(
            aws.principal.as_deref(),
            Some("arn:aws:iam::123456789012:user/ci")
        );
        assert_eq!(
            aws.locator,
            "https://github.com/acme/app/src/config.py:3@abcdef012345"
        );
        assert!(aws.seen_at.is_some());
        let Record::Finding(disk) = &out[1] else {
            panic!("a finding")
        };
        assert_eq!(
            (disk.copy_kind, disk.locator.as_str()),
            (CopyKind::EnvFile, "/home/dev/.env:1")
        );
        let error = trufflehog_records("{\"SourceMetadata\":{\"Data\":{}},\"DetectorName\":7}\n")
            .unwrap_err()
            .0;
        assert!(error.starts_with("line 1:"), "{error}");
    }
}
