//! Queries of agents' API tokens.

use chrono::{DateTime, Utc};
use model::api as json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::Db;
use super::sql::timestamp;

const COLUMNS: &str = "id, agent_id, name, created_by, created_at, expires_at, revoked_at";

fn token(row: &AnyRow) -> Result<json::AgentToken, sqlx::Error> {
    Ok(json::AgentToken {
        id: row.try_get("id")?,
        agent_id: row.try_get("agent_id")?,
        name: row.try_get("name")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// Stores a token (by the hash of its secret).
pub async fn create(
    conn: &mut AnyConnection,
    agent: i64,
    name: &str,
    token_hash: &str,
    created_by: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<json::AgentToken, sqlx::Error> {
    sqlx::query(
        "INSERT INTO agent_token (agent_id, name, token_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(agent)
    .bind(name)
    .bind(token_hash)
    .bind(created_by)
    .bind(timestamp(now))
    .bind(timestamp(expires))
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM agent_token WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_one(&mut *conn)
    .await?;
    token(&row)
}

/// An agent's tokens, newest first.
pub async fn list(db: &Db, agent: i64) -> Result<Vec<json::AgentToken>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM agent_token WHERE agent_id = $1 ORDER BY id DESC"
    ))
    .bind(agent)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(token).collect()
}

/// Revokes a token; `None` when there is no such token. Revoking twice changes nothing.
pub async fn revoke(
    conn: &mut AnyConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<json::AgentToken>, sqlx::Error> {
    sqlx::query("UPDATE agent_token SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(timestamp(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM agent_token WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(token).transpose()
}

/// The agent a live token (not revoked, not expired) speaks for.
pub async fn agent_of(db: &Db, token_hash: &str, now: DateTime<Utc>) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT agent_id FROM agent_token WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(timestamp(now))
    .fetch_optional(db.pool())
    .await
}
