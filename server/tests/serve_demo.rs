//! `muster serve --demo`, as `make run` starts it: the small organisation,
//! one account per role with the given password, and a health check that
//! says it is a demo.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn serve_demo_fills_the_inventory_and_opens_one_account_per_role() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_muster"))
        .args([
            "serve",
            "--demo",
            "--demo-password",
            "demo password 123",
            "--bind",
            "127.0.0.1:0",
            "--database",
        ])
        .arg(dir.path().join("muster.sqlite"))
        .arg("--fingerprint-key-file")
        .arg(dir.path().join("fingerprint.key"))
        .arg("--approval-key-file")
        .arg(dir.path().join("approval.key"))
        .arg("--dist")
        .arg(dir.path().join("dist"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let base = loop {
        let line = lines.next().expect("the server prints its address").unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("Muster is running at ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_owned();
        }
    };
    assert!(
        printed.iter().any(|l| l.contains("demo password 123")),
        "{printed:?}"
    );

    let client = reqwest::Client::new();
    let health: serde_json::Value = client
        .get(format!("{base}/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["demo"], true);
    for role in ["admin", "ciso", "manager", "approver", "viewer"] {
        let response = client
            .post(format!("{base}/api/v1/session"))
            .header("x-muster-client", "web")
            .json(
                &serde_json::json!({ "email": format!("{role}@demo.test"), "password": "demo password 123" }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{role}");
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let agents: serde_json::Value = client
            .get(format!("{base}/api/v1/agents?limit=1"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(agents["total"], 400, "{role} sees the small organisation");
        if role == "approver" {
            let inbox: serde_json::Value = client
                .get(format!("{base}/api/v1/approvals"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert!(
                inbox["total"].as_i64().is_some_and(|n| n >= 3),
                "the demo has requests waiting for approvers: {inbox}"
            );
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
