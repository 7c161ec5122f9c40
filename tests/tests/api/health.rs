//! `GET /api/health`.

use muster_tests::{Backend, on_every_backend, spawn_app};

async fn health_answers_ok_with_the_version_and_the_database(backend: Backend) {
    let app = spawn_app(backend).await;

    let response = app.get("/api/health").await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: model::api::Health = response.json().await.unwrap();
    assert_eq!(body.status, "ok");
    assert_eq!(body.version, env!("CARGO_PKG_VERSION"));
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body.database, expected);
}

async fn health_says_unavailable_when_the_database_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.db.close().await;

    let response = app.get("/api/health").await;

    assert_eq!(response.status(), 503);
    let body: model::api::ErrorBody = response.json().await.unwrap();
    assert_eq!(body.error.code, "unavailable");
}

on_every_backend!(
    health_answers_ok_with_the_version_and_the_database,
    health_says_unavailable_when_the_database_is_gone,
);
