//! Benchmark of SaaS discovery at scale: 100,000 OAuth grants of an Entra
//! tenant (Microsoft Graph's `oauth2PermissionGrants` pages of 999, with
//! its `servicePrincipals` and `users` pages) imported into a fresh SQLite
//! database with `muster`'s own import code, against a baseline measured in
//! the same run: a raw bulk insert of the rows the grants amount to (a
//! credential and a `platform_grant` row each) into a fresh database of the
//! same schema, with no parsing, no joining, no agents, no reach and no
//! scoring. Prints both rates and their ratio.
//!
//! The tenant: 20,000 users with five grants each, to 500 applications of
//! which 20 are AI applications of the catalogue (their grants become SaaS
//! agents, one per application and user), every grant with mail and file
//! scopes (so each reaches two resources). `make bench-grants` runs it;
//! `--scale N` takes N grants, `--rounds N` measures N times (1: a round takes minutes) and
//! compares the medians. Files and databases go to `target/bench/grants/`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::Utc;
use model::api::ImportKind;
use muster_server::audit::{Actor, Source};
use muster_server::db::bulk;
use muster_server::db::sql::{Value, timestamp};
use muster_server::fingerprint::Fingerprinter;
use muster_server::import::{self, ReportFile};
use muster_tests::bench::{fresh, median};
use serde_json::json;

/// Grants per user.
const PER_USER: usize = 5;
/// Applications in the tenant, and how many of them are AI applications.
const APPS: usize = 500;
const AI_APPS: usize = 20;
/// Records per page (Graph's largest `$top`).
const PAGE: usize = 999;
/// AI applications' names, as the catalogue knows them.
const AI_NAMES: &[&str] = &[
    "ChatGPT",
    "Claude",
    "Glean",
    "Zapier",
    "Notion AI",
    "Perplexity",
    "Otter.ai",
];

fn app_id(a: usize) -> String {
    format!("a1a1a1a1-0000-4000-8000-{a:012}")
}

fn user_id(u: usize) -> String {
    format!("u0000000-0000-4000-8000-{u:012}")
}

/// Writes the tenant's pages; answers them in order.
fn write_pages(dir: &Path, n: usize) -> Vec<PathBuf> {
    let users = n.div_ceil(PER_USER);
    let mut files = Vec::new();
    let mut write = |name: String, entity: &str, value: Vec<serde_json::Value>| {
        let path = dir.join(name);
        let page = json!({
            "@odata.context": format!("https://graph.microsoft.com/v1.0/$metadata#{entity}"),
            "value": value,
        });
        std::fs::write(&path, serde_json::to_vec(&page).unwrap()).unwrap();
        files.push(path);
    };
    let principals: Vec<serde_json::Value> = (0..APPS)
        .map(|a| {
            let name = if a < AI_APPS {
                AI_NAMES[a % AI_NAMES.len()].to_owned()
            } else {
                format!("Line of business app {a}")
            };
            json!({"id": app_id(a), "appId": format!("b2b2b2b2-0000-4000-8000-{a:012}"), "displayName": name,
                   "servicePrincipalType": "Application", "appOwnerOrganizationId": "9b3c1f2e-0000-4000-8000-00000000aaaa",
                   "passwordCredentials": [], "keyCredentials": [], "appRoles": []})
        })
        .collect();
    write("servicePrincipals.json".into(), "servicePrincipals", principals);
    for (p, chunk) in (0..users).collect::<Vec<_>>().chunks(PAGE).enumerate() {
        let value = chunk
            .iter()
            .map(|u| json!({"id": user_id(*u), "displayName": format!("User {u}"), "mail": format!("user{u}@acme.test"),
                            "userPrincipalName": format!("user{u}@acme.test")}))
            .collect();
        write(format!("users-{p:04}.json"), "users", value);
    }
    for (p, chunk) in (0..n).collect::<Vec<_>>().chunks(PAGE).enumerate() {
        let value = chunk
            .iter()
            .map(|g| {
                let user = g / PER_USER;
                // Each user's five grants go to five different applications; one in 25 to an AI application.
                let app = (user * 7 + (g % PER_USER) * 101) % APPS;
                json!({"id": format!("grant-{g:09}"), "clientId": app_id(app), "consentType": "Principal",
                       "principalId": user_id(user), "resourceId": app_id(APPS - 1),
                       "scope": "User.Read Mail.Read Files.ReadWrite.All offline_access"})
            })
            .collect();
        write(format!("grants-{p:04}.json"), "oauth2PermissionGrants", value);
    }
    files
}

/// The raw rows the grants amount to: a credential and a grant row each.
fn grant_rows(keys: &Fingerprinter, n: usize) -> (Vec<Value>, Vec<Value>) {
    let now = timestamp(Utc::now());
    let mut credentials = Vec::with_capacity(n * 8);
    let mut grants = Vec::with_capacity(n * 13);
    for g in 0..n {
        let external = format!("grant-{g:09}");
        credentials.extend([
            Value::Int(g as i64 + 1),
            format!("App on Microsoft Graph {g}").into(),
            "oauth_grant".into(),
            "microsoft".into(),
            external.clone().into(),
            "Files.ReadWrite.All Mail.Read User.Read offline_access"
                .to_owned()
                .into(),
            now.clone().into(),
            "active".into(),
            keys.fingerprint(format!("microsoft:{external}").as_bytes())
                .into(),
        ]);
        grants.extend([
            Value::Int(g as i64 + 1),
            "entra".into(),
            "entra".into(),
            "oauth2_permission_grant".into(),
            String::new().into(),
            app_id(g % APPS).into(),
            format!("Line of business app {}", g % APPS).into(),
            "user".into(),
            user_id(g / PER_USER).into(),
            Value::Int(1),
            Value::Int(1),
            now.clone().into(),
            now.clone().into(),
        ]);
    }
    (credentials, grants)
}

#[tokio::main]
async fn main() {
    muster_tests::bench::log_import_phases();
    let mut args = std::env::args().skip(1);
    let (mut n, mut rounds) = (100_000, 1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => n = args.next().and_then(|v| v.parse().ok()).expect("--scale N"),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).expect("--rounds N"),
            other => panic!("unknown argument {other}: --scale N, --rounds N"),
        }
    }
    let dir = PathBuf::from("target/bench/grants");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("pages")).unwrap();
    let keys = Fingerprinter::new([7; 32]);
    let files = write_pages(&dir.join("pages"), n);
    let size: u64 = files.iter().map(|f| std::fs::metadata(f).unwrap().len()).sum();
    println!(
        "{n} grants in {} pages ({:.1} MB)",
        files.len(),
        size as f64 / 1e6
    );
    let (credentials, grants) = grant_rows(&keys, n);
    let (mut baselines, mut imports) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let raw = fresh(&dir, "raw.sqlite").await;
        let started = Instant::now();
        let mut tx = raw.begin().await.unwrap();
        bulk::bulk_cache(&mut tx, raw.backend(), true).await.unwrap();
        bulk::insert(
            &mut tx,
            raw.backend(),
            "credential",
            &[
                "id",
                "name",
                "kind",
                "provider",
                "external_id",
                "scopes",
                "created_at",
                "status",
                "fingerprint",
            ],
            &credentials,
        )
        .await
        .unwrap();
        bulk::insert(
            &mut tx,
            raw.backend(),
            "platform_grant",
            &[
                "credential_id",
                "platform",
                "found_by",
                "family",
                "covered_by",
                "client_id",
                "app_name",
                "consent",
                "consented_by",
                "present",
                "import_id",
                "seen_at",
                "state_at",
            ],
            &grants,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap();
        let baseline = started.elapsed().as_secs_f64();
        println!(
            "baseline: raw bulk insert of {n} credentials and grant rows in {baseline:.1} s: {:.0} grants/s",
            n as f64 / baseline
        );

        let db = fresh(&dir, "import.sqlite").await;
        let request = import::Request {
            kind: ImportKind::Entra,
            source: None,
            full: true,
            actor: Actor::System("bench-grants".into()),
            origin: Source::default(),
        };
        let reports: Vec<ReportFile> = files
            .iter()
            .map(|path| ReportFile {
                name: path.display().to_string(),
                path: path.clone(),
            })
            .collect();
        let started = Instant::now();
        let summary = import::run(&db, &keys, &request, &reports)
            .await
            .expect("the import succeeds");
        let took = started.elapsed().as_secs_f64();
        assert_eq!(summary.grants as usize, n);
        println!(
            "import: {} grants, {} agents ({} SaaS agents new), {} credentials in {took:.1} s: {:.0} grants/s; ratio {:.3}",
            summary.grants,
            summary.agents,
            summary.agents_created,
            summary.credentials_created,
            n as f64 / took,
            baseline / took
        );
        // The same pages again: nothing changes, and how long it takes to find that out.
        let started = Instant::now();
        let again = import::run(&db, &keys, &request, &reports)
            .await
            .expect("the import succeeds");
        assert_eq!(
            (
                again.credentials_created,
                again.credentials_updated,
                again.agents_created
            ),
            (0, 0, 0)
        );
        println!(
            "the same pages again: nothing changed, in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        baselines.push(baseline);
        imports.push(took);
    }
    let ratio = median(&baselines) / median(&imports);
    println!(
        "{n} Entra grants: median of {rounds} rounds: baseline {:.2} s, import {:.1} s ({:.0} grants/s); ratio to baseline {ratio:.3}",
        median(&baselines),
        median(&imports),
        n as f64 / median(&imports)
    );
}
