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
