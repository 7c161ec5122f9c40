//! Every report parser, on mutated fixtures, read as an import reads them
//! (through the value guard), the platforms' pages, and the endpoint
//! collector on a mutated home.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use model::api::ImportKind;
use muster_server::fingerprint::Fingerprinter;
use muster_server::import::guard::{Guarded, Shape};
use muster_server::import::{aws, cloudtrail, declared, endpoint, scanners};
use muster_tests::workspace_root;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::mutation::{apply, mutations};

/// A fixture's bytes, unpacked when gzipped.
fn fixture(path: &str) -> Vec<u8> {
    let bytes = std::fs::read(workspace_root().join("tests/fixtures").join(path)).expect("the fixture");
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .expect("a gzip fixture");
        out
    } else {
        bytes
    }
}

/// The values of `fields` anywhere in a JSON (or JSON lines) fixture: the
/// secrets an error must never repeat.
fn secrets(bytes: &[u8], fields: &[&str]) -> Vec<String> {
    fn walk(value: &serde_json::Value, fields: &[&str], out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        serde_json::Value::String(s) if fields.contains(&key.as_str()) && s.len() >= 8 => {
                            out.push(s.clone());
                        }
                        other => walk(other, fields, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, fields, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for value in serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>() {
        walk(&value.expect("a JSON fixture"), fields, &mut out);
    }
    out
}

/// Runs the parser on mutations of `seed`: it may refuse, never panic, and
/// its refusal is short and names no secret.
fn fuzz(name: &str, seed: &[u8], secrets: &[String], parse: impl Fn(&[u8]) -> Result<(), String>) {
    let mut runner = TestRunner::new(Config {
        cases: crate::cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let (cases, refused) = (AtomicU64::new(0), AtomicU64::new(0));
    runner
        .run(&mutations(), |mutations| {
            cases.fetch_add(1, Ordering::Relaxed);
            let bytes = apply(seed, &mutations);
            if let Err(message) = parse(&bytes) {
                refused.fetch_add(1, Ordering::Relaxed);
                if message.len() > 4096 {
                    return Err(TestCaseError::fail(format!(
                        "a refusal of {} bytes: {}…",
                        message.len(),
                        message.chars().take(300).collect::<String>()
                    )));
                }
                if let Some(secret) = secrets.iter().find(|s| message.contains(s.as_str())) {
                    return Err(TestCaseError::fail(format!(
                        "the refusal repeats a secret ({secret}): {message}"
                    )));
                }
            }
            Ok(())
        })
        .unwrap_or_else(|error| panic!("{name}: {error}"));
    eprintln!(
        "fuzz {name}: {} cases, {} refused with an error, 0 panics",
        cases.into_inner(),
        refused.into_inner()
    );
}

fn keys() -> Fingerprinter {
    Fingerprinter::new([7; 32])
}

fn guarded(bytes: &[u8], shape: Shape) -> Guarded<&[u8]> {
    Guarded::new(bytes, shape)
}

#[test]
fn the_gitleaks_and_trufflehog_readers_survive_mutated_reports() {
    let seed = fixture("gitleaks/report.json");
    let found = secrets(&seed, &["Secret", "Match"]);
    fuzz("gitleaks", &seed, &found, |bytes| {
        scanners::gitleaks(guarded(bytes, Shape::Json), "fuzz", &keys(), |_| true)
            .map(drop)
            .map_err(|e| e.to_string())
    });
    let seed = fixture("trufflehog/findings.jsonl");
    let found = secrets(&seed, &["Raw", "RawV2"]);
    fuzz("trufflehog", &seed, &found, |bytes| {
        scanners::trufflehog(guarded(bytes, Shape::Json), "fuzz", &keys(), |_| true)
            .map(drop)
            .map_err(|e| e.to_string())
    });
}

#[test]
fn the_cloudtrail_and_iam_readers_survive_mutated_reports() {
    let day = "cloudtrail/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/03";
    let file = std::fs::read_dir(workspace_root().join("tests/fixtures").join(day))
        .expect("the CloudTrail fixture folder")
        .next()
        .expect("a CloudTrail file")
        .expect("an entry")
        .path();
    let seed = fixture(
        &file
            .strip_prefix(workspace_root().join("tests/fixtures"))
            .unwrap()
            .to_string_lossy(),
    );
    fuzz("cloudtrail", &seed, &[], |bytes| {
        cloudtrail::read(guarded(bytes, Shape::Json), |_| true)
            .map(drop)
            .map_err(|e| e.to_string())
    });
    let seed = fixture("aws/authorization-details.json");
    fuzz("aws_iam", &seed, &[], |bytes| {
        aws::authorization_details(guarded(bytes, Shape::Json))
            .map(drop)
            .map_err(|e| e.to_string())
    });
    let seed = fixture("aws/credential-report.csv");
    fuzz("aws_credential_report", &seed, &[], |bytes| {
        aws::credential_report(guarded(bytes, Shape::Lines), |_| true)
            .map(drop)
            .map_err(|e| e.to_string())
    });
}

#[test]
fn the_inventory_reader_survives_mutated_files() {
    for file in ["inventory/acme.yaml", "inventory/dangling.json"] {
        let seed = fixture(file);
        fuzz(file, &seed, &[], |bytes| {
            declared::read(guarded(bytes, Shape::Lines))
                .map(drop)
                .map_err(|e| e.to_string())
        });
    }
}

/// Options that scan `home` as a Linux home, quickly.
fn scan_options(home: &Path) -> muster_scan::Options {
    muster_scan::Options {
        home: home.to_owned(),
        projects: Vec::new(),
        discover: true,
        os: muster_scan::Os::Linux,
        host: "fuzz".into(),
        user: "fuzz".into(),
        limits: muster_scan::Limits::default(),
    }
}

/// Copies the folder `from` into `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn the_endpoint_report_reader_and_the_collector_survive_mutated_input() {
    let home = workspace_root().join("scan/tests/fixtures/linux-home");
    let scan = muster_scan::scan(&scan_options(&home));
    let found: Vec<String> = scan
        .values()
        .iter()
        .map(|v| String::from_utf8_lossy(v.expose()).into_owned())
        .collect();
    let seed = serde_json::to_vec(&scan.report).unwrap();
    fuzz("endpoint report", &seed, &found, |bytes| {
        endpoint::read(guarded(bytes, Shape::Json))
            .map(drop)
            .map_err(|e| e.to_string())
    });
    // The collector reads a laptop's own files, which anyone may have written.
    let folder = tempfile::tempdir().unwrap();
    let files: Vec<std::path::PathBuf> = [
        ".claude.json",
        ".cursor/mcp.json",
        ".codex/config.toml",
        ".config/goose/config.yaml",
        ".config/Code/User/mcp.json",
        ".aws/credentials",
        ".config/gh/hosts.yml",
        "src/shop/.env",
        "src/shop/.mcp.json",
    ]
    .iter()
    .map(|f| f.into())
    .collect();
    let case = AtomicU64::new(0);
    let mut runner = TestRunner::new(Config {
        cases: crate::cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(0..files.len(), mutations()), |(file, mutations)| {
            let n = case.fetch_add(1, Ordering::Relaxed);
            let mutated = folder.path().join(n.to_string());
            copy_tree(&home, &mutated);
            let path = mutated.join(&files[file]);
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, apply(&bytes, &mutations)).unwrap();
            let scan = muster_scan::scan(&scan_options(&mutated));
            assert!(scan.report.secrets.len() <= 1000);
            std::fs::remove_dir_all(&mutated).unwrap();
            Ok(())
        })
        .unwrap_or_else(|error| panic!("endpoint collector: {error}"));
    eprintln!("fuzz endpoint collector: {} cases, 0 panics", case.into_inner());
}

#[test]
fn the_platforms_page_readers_survive_mutated_pages() {
    use muster_server::import::platforms::{self, Collected, Page};
    for (kind, file) in [
        (
            ImportKind::GoogleWorkspace,
            "platforms/google_workspace/activities-page1.json",
        ),
        (
            ImportKind::GoogleWorkspace,
            "platforms/google_workspace/tokens/alice@acme.test.json",
        ),
        (ImportKind::Entra, "platforms/entra/servicePrincipals-2.json"),
        (ImportKind::Entra, "platforms/entra/oauth2PermissionGrants.json"),
        (ImportKind::Okta, "platforms/okta/grants/bob@acme.test.json"),
        (ImportKind::Okta, "platforms/okta/apps.json"),
        (ImportKind::Github, "platforms/github/audit-log.json"),
        (ImportKind::Github, "platforms/github/personal-access-tokens.json"),
        (ImportKind::Bedrock, "platforms/bedrock/runtime-support.json"),
        (ImportKind::Vertex, "platforms/vertex/reasoning-engines.json"),
    ] {
        let seed = fixture(file);
        // Graph's `secretText` is a secret the page may hold: no refusal repeats it.
        let found = secrets(&seed, &["secretText"]);
        fuzz(file, &seed, &found, |bytes| {
            let mut collected = Collected::default();
            let page = Page {
                name: file,
                context: None,
            };
            let now = chrono::Utc::now();
            platforms::read_page(kind, guarded(bytes, Shape::Json), &page, &mut collected, now)
                .and_then(|()| platforms::finish(kind, &mut collected, now))
                .map_err(|e| e.to_string())
        });
    }
}
