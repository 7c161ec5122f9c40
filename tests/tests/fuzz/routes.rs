//! Every write route of the API, as an admin (who gets past every role
//! check) or as an agent (for the agents' own routes), with random JSON bodies: objects with the route's own field
//! names holding values of any type, and JSON of any shape. Each answer is
//! below 500, and a refused request leaves the audit log as it was (every
//! change is audited in its own transaction, so a refusal with a new entry
//! would be a half-applied change).

use std::sync::atomic::{AtomicU64, Ordering};

use model::api::Role;
use muster_tests::{Backend, spawn_app};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

/// Routes left out: they end the session or token the run uses, or take
/// raw report bytes (the parsers are fuzzed on their own).
const SKIPPED: &[(&str, &str)] = &[
    ("delete", "/session"),
    ("post", "/session"),
    ("post", "/imports/{kind}"),
    ("post", "/scan/reports"),
    ("post", "/scan/fingerprints"),
];

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("x".repeat(100_000))),
        Just(json!("../../etc/passwd")),
        Just(json!("'; DROP TABLE agent; --")),
        Just(json!("\u{0}\u{202e}")),
        Just(json!(i64::MAX)),
        Just(json!(-1)),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A body for a route whose request names `fields`: mostly objects with
/// those fields (some left out) holding any values, sometimes any JSON.
fn body(fields: Vec<String>) -> impl Strategy<Value = Value> {
    let shaped = prop::collection::vec((any::<bool>(), any_json()), fields.len()).prop_map(move |values| {
        let mut object = Map::new();
        for (field, (keep, value)) in fields.iter().zip(values) {
            if keep {
                object.insert(field.clone(), value);
            }
        }
        Value::Object(object)
    });
    prop_oneof![4 => shaped, 1 => any_json()]
}

/// The property names of a request body's schema, `$ref`s resolved.
fn fields(document: &Value, operation: &Value) -> Vec<String> {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let resolved = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            &document["components"]["schemas"][name]
        }
        None => schema,
    };
    resolved["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_route_answers_random_bodies_below_500_and_refusals_change_nothing() {
    fuzz_routes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "skipped: set MUSTER_TEST_POSTGRES to run on PostgreSQL"
)]
async fn every_write_route_answers_random_bodies_below_500_and_refusals_change_nothing_on_postgres() {
    fuzz_routes(Backend::Postgres).await;
}

/// The write routes' fuzz on `backend` (the runtime must have several
/// threads: each case blocks on its requests).
async fn fuzz_routes(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    // The agents' own routes, with an agent's token.
    let agent = app.agent_client(&admin).await;
    // Something for the ids to name.
    let (status, imported) = app
        .import(
            &admin,
            "inventory",
            std::fs::read(muster_tests::workspace_root().join("tests/fixtures/inventory/acme.yaml")).unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{imported}");
    let document: Value = app.get_json("/api/v1/openapi.json").await;
    let mut routes = Vec::new();
    for (path, methods) in document["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            if method != "get" && !SKIPPED.contains(&(method.as_str(), path.as_str())) {
                routes.push((method.clone(), path.clone(), fields(&document, operation)));
            }
        }
    }
    assert!(routes.len() > 20, "the write routes: {}", routes.len());
    let handle = tokio::runtime::Handle::current();
    let (sent, refused) = (AtomicU64::new(0), AtomicU64::new(0));
    for (method, path, fields) in &routes {
        let mut runner = TestRunner::new(Config {
            cases: crate::cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (body(fields.clone()), 1..4_i64, any::<bool>());
        runner
            .run(&strategy, |(body, id, as_agent)| {
                let client = if as_agent { &agent } else { &admin };
                let url = app.url(&format!("/api/v1{}", path.replace("{id}", &id.to_string())));
                let (status, audited_before, audited_after) = tokio::task::block_in_place(|| {
                    handle.block_on(async {
                        let before = app.count("SELECT COUNT(*) FROM audit_event").await;
                        let request = match method.as_str() {
                            "post" => client.post(&url),
                            "put" => client.put(&url),
                            "patch" => client.patch(&url),
                            "delete" => client.delete(&url),
                            other => panic!("no case for {other}"),
                        };
                        // A refusal before the body is read closes the connection
                        // while a large body is still on its way (HTTP/1.1): the
                        // client may then see the connection end instead of the
                        // 4xx. Counted as a refusal; the audit log still tells.
                        let status = request
                            .header("idempotency-key", format!("fuzz-{}", rand::random::<u64>()))
                            .json(&body)
                            .send()
                            .await
                            .map_or(499, |response| response.status().as_u16());
                        (
                            status,
                            before,
                            app.count("SELECT COUNT(*) FROM audit_event").await,
                        )
                    })
                });
                sent.fetch_add(1, Ordering::Relaxed);
                if status >= 500 {
                    return Err(TestCaseError::fail(format!(
                        "{method} {path}: {status} for {body}"
                    )));
                }
                if status >= 400 {
                    refused.fetch_add(1, Ordering::Relaxed);
                    if audited_after != audited_before {
                        return Err(TestCaseError::fail(format!(
                            "{method} {path}: refused ({status}) yet audited, for {body}"
                        )));
                    }
                }
                Ok(())
            })
            .unwrap_or_else(|error| panic!("{method} {path}: {error}"));
    }
    eprintln!(
        "fuzz write routes ({backend:?}): {} routes, {} requests, {} refused with a 4xx, 0 answered 5xx, 0 refusals audited",
        routes.len(),
        sent.into_inner(),
        refused.into_inner()
    );
}
