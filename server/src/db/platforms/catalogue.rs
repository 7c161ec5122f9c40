//! The admins' entries in the catalogue of AI applications: listed, added
//! and deleted.

use chrono::{DateTime, Utc};
use model::api as json;
use sqlx::AnyConnection;

use super::super::sql::timestamp;

#[derive(sqlx::FromRow)]
struct AiAppRow {
    id: i64,
    name: String,
    vendor: String,
    client_ids: String,
    github_apps: String,
    publishers: String,
    names: String,
}

impl AiAppRow {
    fn into_wire(self) -> json::AiApp {
        let list = |text: &str| serde_json::from_str::<Vec<String>>(text).unwrap_or_default();
        json::AiApp {
            key: format!("admin-{}", self.id),
            name: self.name,
            vendor: self.vendor,
            client_ids: list(&self.client_ids),
            github_apps: list(&self.github_apps),
            publishers: list(&self.publishers),
            names: list(&self.names),
            builtin: false,
        }
    }
}

/// The admins' entries of the catalogue, newest first.
pub async fn ai_apps(conn: &mut AnyConnection) -> Result<Vec<json::AiApp>, sqlx::Error> {
    let rows: Vec<AiAppRow> = sqlx::query_as(
        "SELECT id, name, vendor, client_ids, github_apps, publishers, names FROM ai_app ORDER BY id DESC",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(AiAppRow::into_wire).collect())
}

/// Adds an admin's entry; answers it.
pub async fn add_ai_app(
    conn: &mut AnyConnection,
    app: &json::NewAiApp,
    by: &str,
    now: DateTime<Utc>,
) -> Result<json::AiApp, sqlx::Error> {
    let list = |l: &Vec<String>| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ai_app (name, vendor, client_ids, github_apps, publishers, names, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&app.name)
    .bind(&app.vendor)
    .bind(list(&app.client_ids))
    .bind(list(&app.github_apps))
    .bind(list(&app.publishers))
    .bind(list(&app.names))
    .bind(by)
    .bind(timestamp(now))
    .fetch_one(&mut *conn)
    .await?;
    Ok(AiAppRow {
        id,
        name: app.name.clone(),
        vendor: app.vendor.clone(),
        client_ids: list(&app.client_ids),
        github_apps: list(&app.github_apps),
        publishers: list(&app.publishers),
        names: list(&app.names),
    }
    .into_wire())
}

/// Deletes an admin's entry; answers whether there was one.
pub async fn delete_ai_app(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM ai_app WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}
