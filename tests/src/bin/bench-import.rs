//! Benchmark of imports at scale: 1,000,000 trufflehog findings (of 100,000
//! secrets, read in-process), 1,000,000 findings each of a secret never seen
//! before (a first scan of an organisation, uploaded over HTTP), and
//! 1,000,000 CloudTrail events, each against a baseline measured in the
//! same run: a raw bulk insert of the same rows into a fresh SQLite
//! database of the same schema (the project's fastest write path, many
//! rows per statement, values ready), with no parsing, no joining, no
//! baselines and no scoring. Prints both rates and their ratio, next to the
//! target (an import at 25% of the raw rate or better).
//!
//! `make bench-import` runs it; the files and databases go to
//! `target/bench/import/` and are made anew each run. Each import and its
//! baseline are measured `--rounds N` times (3), one after the other, and
//! the medians compared. `--scale N` takes N findings and N events instead
//! (for a quick look); `--only trufflehog|new-secrets|cloudtrail` one case.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use model::api::ImportKind;
use muster_server::audit::{Actor, Source};
use muster_server::db::sql::{Value, timestamp};
use muster_server::db::{Db, bulk};
use muster_server::fingerprint::Fingerprinter;
use muster_server::import::{self, ReportFile};
use muster_tests::bench::{fresh, median};

/// Distinct secrets among the findings: each is found in `n / SECRETS` places.
const SECRETS: usize = 100_000;
/// Access keys the events are spread over.
const KEYS: usize = 10_000;
/// Events per CloudTrail file (CloudTrail delivers about this many).
const EVENTS_PER_FILE: usize = 5_000;

fn key_id(k: usize) -> String {
    format!("AKIABENCH{k:011}")
}

/// Writes `n` trufflehog findings (one a line) of `secrets` secrets.
fn write_findings(path: &Path, n: usize, secrets: usize) {
    muster_tests::reports::write_trufflehog(std::fs::File::create(path).unwrap(), n, secrets, "bench")
        .unwrap();
}

/// The raw rows the findings amount to: a credential per secret, a copy per finding.
fn finding_rows(keys: &Fingerprinter, n: usize, secrets: usize) -> (Vec<Value>, Vec<Value>) {
    let secrets = secrets.min(n);
    let now = timestamp(Utc::now());
    let mut credentials = Vec::with_capacity(secrets * 7);
    for s in 0..secrets {
        let fingerprint = keys.fingerprint(format!("sk-bench-{s:012}").as_bytes());
        credentials.extend([
            Value::Int(s as i64 + 1),
            format!("OpenAI {}", &fingerprint[..12]).into(),
            "api_key".into(),
            "openai".into(),
            format!("fp:{}", &fingerprint[..12]).into(),
            now.clone().into(),
            "active".into(),
            fingerprint.into(),
        ]);
    }
    let mut copies = Vec::with_capacity(n * 8);
    for i in 0..n {
        let secret = i % secrets;
        let place = i / secrets;
        copies.extend([
            Value::Int(secret as i64 + 1),
            "env_file".into(),
            format!(
                "https://github.com/acme/repo-{}/services/svc-{place}/config/.env:{}@{:012x}",
                secret % 1000,
                i % 300 + 1,
                i * 7919
            )
            .into(),
            "trufflehog:bench".into(),
            format!("dev{}@acme.test", i % 500).into(),
            "2026-10-09T08:00:00Z".into(),
            "2026-10-09T08:00:00Z".into(),
            "present".into(),
        ]);
    }
    (credentials, copies)
}

const CREDENTIAL_COLUMNS: &[&str] = &[
    "id",
    "name",
    "kind",
    "provider",
    "external_id",
    "created_at",
    "status",
    "fingerprint",
];

/// The access keys the events belong to, in the inventory before either run.
async fn add_keys(db: &Db, keys: &Fingerprinter) {
    let now = timestamp(Utc::now());
    let mut rows = Vec::with_capacity(KEYS * 8);
    for k in 0..KEYS {
        rows.extend([
            Value::Int(k as i64 + 1),
            format!("bench key {k}").into(),
            "access_key".into(),
            "aws".into(),
            key_id(k).into(),
            now.clone().into(),
            "active".into(),
            keys.fingerprint(key_id(k).as_bytes()).into(),
        ]);
    }
    let mut tx = db.begin().await.unwrap();
    bulk::insert(&mut tx, db.backend(), "credential", CREDENTIAL_COLUMNS, &rows)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Event `i`: its key, time, action, address and client.
fn event(
    i: usize,
    start: chrono::DateTime<Utc>,
) -> (usize, chrono::DateTime<Utc>, &'static str, String, &'static str) {
    let key = (i * 7) % KEYS;
    let at = start + Duration::seconds((i as i64) * 2);
    let action = ["GetObject", "PutObject", "ListBucket", "GetItem"][i % 4];
    let address = format!("10.{}.{}.{}", key % 200, (i / 1000) % 4, i % 250 + 1);
    let agent = ["Boto3/1.34.100 md/Botocore#1.34.100", "aws-sdk-go-v2/1.30.0"][key % 2];
    (key, at, action, address, agent)
}

/// Writes `n` events as gzipped CloudTrail files of `EVENTS_PER_FILE`.
fn write_events(dir: &Path, n: usize, start: chrono::DateTime<Utc>) -> Vec<PathBuf> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let mut files = Vec::new();
    for (f, first) in (0..n).step_by(EVENTS_PER_FILE).enumerate() {
        let path = dir.join(format!("111122223333_CloudTrail_eu-west-1_{f:06}.json.gz"));
        let file = std::fs::File::create(&path).unwrap();
        // Buffered before the encoder: it is slow with many small writes.
        let mut out = std::io::BufWriter::with_capacity(
            1 << 20,
            flate2::write::GzEncoder::new(file, flate2::Compression::fast()),
        );
        write!(out, r#"{{"Records":["#).unwrap();
        for i in first..(first + EVENTS_PER_FILE).min(n) {
            let (key, at, action, address, agent) = event(i, start);
            if i > first {
                write!(out, ",").unwrap();
            }
            write!(
                out,
                r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDABENCH","arn":"arn:aws:iam::111122223333:user/bench-{key}","accountId":"111122223333","accessKeyId":"{}","userName":"bench-{key}"}},"eventTime":"{}","eventSource":"s3.amazonaws.com","eventName":"{action}","awsRegion":"eu-west-1","sourceIPAddress":"{address}","userAgent":"{agent}","requestParameters":{{"bucketName":"bench-{}"}},"responseElements":null,"requestID":"{i:016X}","eventID":"bench-{i:012}","readOnly":true,"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::bench-{}/data/{i}.csv"}}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333"}}"#,
                key_id(key),
                timestamp(at),
                key % 50,
                key % 50,
            )
            .unwrap();
        }
        write!(out, "]}}").unwrap();
        out.into_inner()
            .map_err(|e| e.into_error())
            .expect("the buffer flushes")
            .finish()
            .unwrap();
        files.push(path);
    }
    files
}

/// The raw activity rows of the same events.
fn event_rows(n: usize, start: chrono::DateTime<Utc>) -> Vec<Value> {
    let mut rows = Vec::with_capacity(n * 9);
    for i in 0..n {
        let (key, at, action, address, agent) = event(i, start);
        rows.extend([
            Value::Int(key as i64 + 1),
            timestamp(at).into(),
            format!("s3:{action}").into(),
            Value::NullInt,
            address.into(),
            agent.into(),
            "success".into(),
            format!("bench-{i:012}").into(),
            Value::NullInt,
        ]);
    }
    rows
}

fn request(kind: ImportKind, source: Option<&str>) -> import::Request {
    import::Request {
        kind,
        source: source.map(str::to_owned),
        full: true,
        actor: Actor::System("bench-import".into()),
        origin: Source::default(),
    }
}

fn report(ratio: f64) -> &'static str {
    if ratio >= 0.25 { "met" } else { "missed" }
}

/// Prints the rounds' medians and their ratio: this machine is shared, and a
/// single round's ratio moves by a fifth either way.
fn conclude(what: &str, baselines: &[f64], imports: &[f64]) {
    let ratios: Vec<f64> = baselines.iter().zip(imports).map(|(b, i)| b / i).collect();
    let ratio = median(baselines) / median(imports);
    println!(
        "{what}: median of {} rounds: baseline {:.1} s, import {:.1} s; ratio to baseline {ratio:.2} \
         (rounds {:.2}–{:.2}; target 0.25: {})",
        ratios.len(),
        median(baselines),
        median(imports),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
        report(ratio)
    );
}

#[tokio::main]
async fn main() {
    muster_tests::bench::log_import_phases();
    let mut args = std::env::args().skip(1);
    let mut n = 1_000_000;
    let mut rounds = 3;
    let mut only = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => n = args.next().and_then(|v| v.parse().ok()).expect("--scale N"),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).expect("--rounds N"),
            "--only" => only = Some(args.next().expect("--only trufflehog|new-secrets|cloudtrail")),
            other => panic!(
                "unknown argument {other}: --scale N, --rounds N, --only trufflehog|new-secrets|cloudtrail"
            ),
        }
    }
    let dir = PathBuf::from("target/bench/import");
    std::fs::create_dir_all(&dir).unwrap();
    let keys = Fingerprinter::new([7; 32]);

    let runs = |case: &str| only.as_deref().is_none_or(|only| only == case);
    if runs("trufflehog") {
        trufflehog(&dir, &keys, n, SECRETS, rounds, Via::Process).await;
    }
    if runs("new-secrets") {
        trufflehog(&dir, &keys, n, n, rounds, Via::Http).await;
    }
    if runs("cloudtrail") {
        cloudtrail(&dir, &keys, n, rounds).await;
    }
}

/// How an import is handed its report.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// `import::run` on the file, in this process.
    Process,
    /// Uploaded to a server (in this process) over HTTP, as an admin.
    Http,
}

async fn trufflehog(dir: &Path, keys: &Fingerprinter, n: usize, secrets: usize, rounds: usize, via: Via) {
    let what = if via == Via::Http {
        "trufflehog, every secret new, over HTTP"
    } else {
        "trufflehog"
    };
    let findings = dir.join("findings.jsonl");
    write_findings(&findings, n, secrets);
    let size = std::fs::metadata(&findings).unwrap().len();
    let (credentials, copies) = finding_rows(keys, n, secrets);
    let (mut baselines, mut imports) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let raw = fresh(dir, "raw-findings.sqlite").await;
        let started = Instant::now();
        let mut tx = raw.begin().await.unwrap();
        // The same page cache as the import's transaction.
        bulk::bulk_cache(&mut tx, raw.backend(), true).await.unwrap();
        bulk::insert(
            &mut tx,
            raw.backend(),
            "credential",
            CREDENTIAL_COLUMNS,
            &credentials,
        )
        .await
        .unwrap();
        bulk::insert(
            &mut tx,
            raw.backend(),
            "credential_copy",
            &[
                "credential_id",
                "kind",
                "locator",
                "found_by",
                "author_email",
                "first_seen",
                "last_seen",
                "status",
            ],
            &copies,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let baseline = started.elapsed().as_secs_f64();
        println!(
            "{what} baseline: raw bulk insert of {} credentials and {n} copies in {baseline:.1} s: {:.0} findings/s",
            secrets.min(n),
            n as f64 / baseline
        );
        let db = fresh(dir, "findings.sqlite").await;
        let (summary, took) = match via {
            Via::Process => {
                let started = Instant::now();
                let summary = import::run(
                    &db,
                    keys,
                    &request(ImportKind::Trufflehog, Some("bench")),
                    &[ReportFile {
                        name: "findings.jsonl".into(),
                        path: findings.clone(),
                    }],
                )
                .await
                .expect("the findings import");
                (summary, started.elapsed().as_secs_f64())
            }
            Via::Http => upload(&db, keys, &findings).await,
        };
        println!(
            "{what} import: {} findings ({:.0} MB) of {} secrets in {took:.1} s: {:.0} findings/s; \
             ratio to baseline {:.2}",
            summary.findings,
            size as f64 / 1e6,
            summary.secrets,
            n as f64 / took,
            baseline / took,
        );
        baselines.push(baseline);
        imports.push(took);
    }
    conclude(what, &baselines, &imports);
}

/// Uploads `report` to a server on `db` as an admin; answers the import's
/// summary and how long the upload and import took.
async fn upload(db: &Db, keys: &Fingerprinter, report: &Path) -> (model::api::ImportSummary, f64) {
    let state = muster_server::AppState::new(
        db.clone(),
        muster_server::Settings {
            fingerprinter: keys.clone(),
            ..muster_server::Settings::default()
        },
    );
    let base = muster_tests::bench::serve_router(muster_server::app(state)).await;
    let admin =
        muster_tests::bench::signed_in_as(db, &base, "bench-admin@muster.test", &[model::api::Role::Admin])
            .await;
    let bytes = std::fs::read(report).unwrap();
    let started = Instant::now();
    let response = admin
        .post(format!("{base}/api/v1/imports/trufflehog?source=bench"))
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    let took = started.elapsed().as_secs_f64();
    assert!(status.is_success(), "the upload: {status}: {body}");
    (serde_json::from_str(&body).expect("an import summary"), took)
}

async fn cloudtrail(dir: &Path, keys: &Fingerprinter, n: usize, rounds: usize) {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let files = write_events(&dir.join("cloudtrail"), n, start);
    // How long reading the files alone takes (unpacking and parsing, no database).
    let started = Instant::now();
    let mut parsed = 0;
    for file in &files {
        parsed += import::cloudtrail::read(import::open(file, import::guard::Shape::Json).unwrap(), |_| true)
            .unwrap();
    }
    println!(
        "cloudtrail reading alone: {parsed} events unpacked and parsed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let rows = event_rows(n, start);
    let reports: Vec<ReportFile> = files
        .iter()
        .map(|path| ReportFile {
            name: path.display().to_string(),
            path: path.clone(),
        })
        .collect();
    let (mut baselines, mut imports) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let raw = fresh(dir, "raw-events.sqlite").await;
        add_keys(&raw, keys).await;
        let started = Instant::now();
        let mut tx = raw.begin().await.unwrap();
        bulk::bulk_cache(&mut tx, raw.backend(), true).await.unwrap();
        bulk::insert(
            &mut tx,
            raw.backend(),
            "activity_event",
            muster_server::db::behaviour::EVENT_COLUMNS,
            &rows,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let baseline = started.elapsed().as_secs_f64();
        println!(
            "cloudtrail baseline: raw bulk insert of {n} activity events in {baseline:.1} s: {:.0} events/s",
            n as f64 / baseline
        );
        let db = fresh(dir, "events.sqlite").await;
        add_keys(&db, keys).await;
        let started = Instant::now();
        let summary = import::run(&db, keys, &request(ImportKind::Cloudtrail, None), &reports)
            .await
            .expect("the events import");
        let took = started.elapsed().as_secs_f64();
        println!(
            "cloudtrail import: {} events ({} gzipped files) in {took:.1} s: {:.0} events/s, {} behaviour findings; \
             ratio to baseline {:.2}",
            summary.events_recorded,
            files.len(),
            n as f64 / took,
            summary.behaviour_findings,
            baseline / took,
        );
        baselines.push(baseline);
        imports.push(took);
    }
    conclude("cloudtrail", &baselines, &imports);
}
