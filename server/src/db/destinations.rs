//! Queries of the callback destinations admins allow (`callback_destination`).

use chrono::{DateTime, Utc};
use model::api as json;
use sqlx::{AnyConnection, FromRow};

use super::sql::{parse_time, timestamp};

/// A destination's row, with its agent's name.
#[derive(Debug, FromRow)]
struct DestinationRow {
    id: i64,
    agent_id: Option<i64>,
    agent_name: Option<String>,
    host: String,
    port: Option<i64>,
    allow_private: i64,
    note: String,
    created_by: String,
    created_at: String,
}

impl TryFrom<DestinationRow> for json::CallbackDestination {
    type Error = sqlx::Error;

    fn try_from(row: DestinationRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.id,
            agent: match (row.agent_id, row.agent_name) {
                (Some(id), Some(name)) => Some(json::Ref { id, name }),
                _ => None,
            },
            host: row.host,
            port: row.port.and_then(|p| u16::try_from(p).ok()),
            allow_private: row.allow_private != 0,
            note: row.note,
            created_by: row.created_by,
            created_at: parse_time("created_at", &row.created_at)?,
        })
    }
}

const SELECT: &str = "SELECT d.id, d.agent_id, a.name AS agent_name, d.host, d.port, d.allow_private, d.note, \
     d.created_by, d.created_at FROM callback_destination d LEFT JOIN agent a ON a.id = d.agent_id";

fn rows(rows: Vec<DestinationRow>) -> Result<Vec<json::CallbackDestination>, sqlx::Error> {
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Every destination, the organisation's first, then by agent and host.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<json::CallbackDestination>, sqlx::Error> {
    rows(
        sqlx::query_as(&format!(
            "{SELECT} ORDER BY d.agent_id IS NOT NULL, a.name, d.host, d.id"
        ))
        .fetch_all(conn)
        .await?,
    )
}

/// The destinations an agent's callbacks may go to: its own and the
/// organisation's.
pub async fn for_agent(
    conn: &mut AnyConnection,
    agent: i64,
) -> Result<Vec<json::CallbackDestination>, sqlx::Error> {
    rows(
        sqlx::query_as(&format!(
            "{SELECT} WHERE d.agent_id IS NULL OR d.agent_id = $1 ORDER BY d.id"
        ))
        .bind(agent)
        .fetch_all(conn)
        .await?,
    )
}

/// One destination.
pub async fn get(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<json::CallbackDestination>, sqlx::Error> {
    sqlx::query_as::<_, DestinationRow>(&format!("{SELECT} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(TryInto::try_into)
        .transpose()
}

/// Adds a destination (its host already normalised); answers its id.
pub async fn create(
    conn: &mut AnyConnection,
    new: &json::NewCallbackDestination,
    host: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO callback_destination (agent_id, host, port, allow_private, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.agent)
    .bind(host)
    .bind(new.port.map(i64::from))
    .bind(i64::from(new.allow_private))
    .bind(new.note.trim())
    .bind(by)
    .bind(timestamp(now))
    .fetch_one(conn)
    .await
}

/// Removes a destination.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM callback_destination WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
