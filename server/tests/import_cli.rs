//! `muster import` from the command line: a report is read into the
//! database and summed up; a bad one is refused whole, naming the file and
//! the finding, with exit code 2.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn import(dir: &Path, kind: &str, file: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_muster"))
        // Every log line there is, SQL included: none may hold a secret.
        .env("RUST_LOG", "trace")
        .args(["import", kind])
        .arg(file)
        .args(["--source", "acme/app", "--database"])
        .arg(dir.join("muster.sqlite"))
        .arg("--fingerprint-key-file")
        .arg(dir.join("fingerprint.key"))
        .output()
        .unwrap()
}

#[test]
fn a_report_is_imported_from_the_command_line_and_a_bad_one_is_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let done = import(dir.path(), "gitleaks", &fixture("gitleaks/report.json"));
    let out = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(out.contains("Imported 8 findings (1 redacted, skipped) of 3 secrets from gitleaks:acme/app: 3 new credentials, 7 new copies"), "{out}");
    // The secrets of the report (its AWS key id is not one: it names the key).
    let secrets = [
        "ghp_muster0fixture0secret0one0000000000",
        "xoxb-muster-fixture-slack-secret-two",
    ];
    let logged = format!("{out}{}", String::from_utf8_lossy(&done.stderr));
    let mut stored = Vec::new();
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let path = file.unwrap().path();
        if path.to_string_lossy().contains("muster.sqlite") {
            stored.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(stored.len() > 10_000, "the database files were read");
    for secret in secrets {
        assert!(report_holds(secret), "the fixture holds {secret}");
        assert!(!logged.contains(secret), "a log line holds a secret");
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the database file holds a secret"
        );
    }

    let bad = fixture("gitleaks/wrong-type.json");
    let refused = import(dir.path(), "gitleaks", &bad);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("Nothing was imported") && err.contains("wrong-type.json") && err.contains("finding 2"),
        "{err}"
    );

    let unknown = import(dir.path(), "nessus", &bad);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("expected one of: gitleaks, trufflehog"));
}

#[test]
fn a_cloudtrail_folder_is_imported_oldest_file_first_and_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let key = import(dir.path(), "gitleaks", &fixture("gitleaks/report.json"));
    assert!(key.status.success());
    let logs = fixture("cloudtrail/AWSLogs");
    let first = import(dir.path(), "cloudtrail", &logs);
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        out.contains(
            "Imported 143 events: 140 recorded (1 seen before), 2 of keys and roles not in the inventory \
             (AKIAUNKNOWNFIXTURE01, ASIAUNKNOWNFIXTURE02); 4 behaviour findings raised"
        ),
        "{out}"
    );
    let again = import(dir.path(), "cloudtrail", &logs);
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(
        out.contains("Imported 143 events: 0 recorded (141 seen before)")
            && out.contains("0 behaviour findings"),
        "{out}"
    );
    let bad = import(
        dir.path(),
        "cloudtrail",
        &fixture("cloudtrail/bad/wrong-type.json"),
    );
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{err}");
    assert!(
        err.contains("wrong-type.json") && err.contains("record 2"),
        "{err}"
    );
}

fn report_holds(secret: &str) -> bool {
    std::fs::read_to_string(fixture("gitleaks/report.json"))
        .unwrap()
        .contains(secret)
}

#[test]
fn iam_reports_are_imported_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let details = import(dir.path(), "aws_iam", &fixture("aws/authorization-details.json"));
    let out = String::from_utf8_lossy(&details.stdout);
    assert!(
        details.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&details.stderr)
    );
    assert!(
        out.contains("Imported 4 IAM users and roles: 2 new credentials, 0 changed"),
        "{out}"
    );
    let report = import(
        dir.path(),
        "aws_credential_report",
        &fixture("aws/credential-report.csv"),
    );
    let out = String::from_utf8_lossy(&report.stdout);
    assert!(
        out.contains("Imported 3 IAM users and roles: 4 new credentials, 0 changed"),
        "{out}"
    );
}
