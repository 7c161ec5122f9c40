//! Every API error has one JSON shape and the right status; unknown API paths
//! never fall through to the web app.

use muster_tests::{Backend, on_every_backend, spawn_app};
use serde_json::Value;

async fn an_unknown_api_path_is_a_json_404_not_the_web_app(backend: Backend) {
    let app = spawn_app(backend).await;

    for path in ["/api/nope", "/api/v1/unknown/thing", "/api"] {
        let response = app.get(path).await;

        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(response.headers()["content-type"], "application/json", "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no API route"),
            "{path}: {body}"
        );
        assert_eq!(
            body.as_object().unwrap().len(),
            1,
            "only `error` at the top: {body}"
        );
    }
}

async fn a_wrong_method_on_an_api_path_is_a_json_405(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.client.delete(app.url("/api/health")).send().await.unwrap();

    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

on_every_backend!(
    an_unknown_api_path_is_a_json_404_not_the_web_app,
    a_wrong_method_on_an_api_path_is_a_json_405,
);
