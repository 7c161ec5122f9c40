//! The agents a platform names: brought up to date or made, their tools,
//! and what an agent's page shows of the platform's word on it.

use chrono::{DateTime, Utc};
use model::api::{self as json, Consent, Environment, ImportKind};
use sqlx::AnyConnection;

use super::super::Db;
use super::super::sql::{Value, parse_time, timestamp};
use super::Upserted;
use super::catalogue::ai_apps;

/// An agent as a platform describes it.
#[derive(Debug, Clone)]
pub struct AgentRow<'a> {
    /// The platform's key of it.
    pub source_key: &'a str,
    /// The platform (the import's kind).
    pub platform: &'a str,
    /// The platform's identifier.
    pub identifier: &'a str,
    /// Its name.
    pub name: &'a str,
    /// `saas` or `cloud`.
    pub category: json::AgentCategory,
    /// The platform it runs on, as the inventory shows it.
    pub runs_on: &'a str,
    /// Its environment.
    pub environment: Environment,
    /// What it is for.
    pub description: &'a str,
    /// Its owner and deployer, when known (set only where none is).
    pub owner: Option<i64>,
    /// When it was first seen.
    pub first_seen: DateTime<Utc>,
    /// The catalogue's entry or the platform's slug (the sanctioned list's `client`).
    pub app_key: Option<&'a str>,
    /// How it was matched.
    pub matched: Option<json::AppMatch>,
    /// What matched.
    pub matched_on: Option<&'a str>,
    /// How it was granted its access.
    pub consent: Option<Consent>,
    /// Who consented (a handle).
    pub consented_by: Option<&'a str>,
    /// The import.
    pub import: i64,
}

/// Finds the agent by its platform key and brings it up to date, or makes
/// it (shadow until sanctioned, like everything found rather than declared).
pub async fn upsert_agent(
    conn: &mut AnyConnection,
    a: &AgentRow<'_>,
    now: DateTime<Utc>,
) -> Result<Upserted, sqlx::Error> {
    let known: Option<i64> = sqlx::query_scalar("SELECT agent_id FROM platform_agent WHERE source_key = $1")
        .bind(a.source_key)
        .fetch_optional(&mut *conn)
        .await?;
    let outcome = match known {
        Some(id) => {
            let changed = super::super::declared::update_differing(
                conn,
                "agent",
                id,
                &[
                    ("name", a.name.to_owned().into()),
                    ("description", a.description.to_owned().into()),
                    ("platform", a.runs_on.to_owned().into()),
                ],
            )
            .await?;
            if let Some(owner) = a.owner {
                sqlx::query(
                    "UPDATE agent SET owner_id = COALESCE(owner_id, $1), deployed_by_id = COALESCE(deployed_by_id, $1) \
                     WHERE id = $2 AND (owner_id IS NULL OR deployed_by_id IS NULL)",
                )
                .bind(owner)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query("UPDATE agent SET last_seen = $1 WHERE id = $2")
                .bind(timestamp(now))
                .bind(id)
                .execute(&mut *conn)
                .await?;
            if changed {
                Upserted::Updated(id)
            } else {
                Upserted::Unchanged(id)
            }
        }
        None => Upserted::Created(
            super::super::declared::insert(
                conn,
                "agent",
                &[
                    ("name", a.name.to_owned().into()),
                    ("category", a.category.as_str().to_owned().into()),
                    ("platform", a.runs_on.to_owned().into()),
                    ("environment", a.environment.as_str().to_owned().into()),
                    ("sanctioned", Value::Int(0)),
                    ("owner_id", a.owner.into()),
                    ("deployed_by_id", a.owner.into()),
                    ("first_seen", timestamp(a.first_seen).into()),
                    ("last_seen", timestamp(now).into()),
                    ("description", a.description.to_owned().into()),
                ],
            )
            .await?,
        ),
    };
    sqlx::query(
        "INSERT INTO platform_agent (agent_id, platform, source_key, identifier, app_key, matched, matched_on, consent, \
         consented_by, import_id, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (agent_id) DO UPDATE SET identifier = excluded.identifier, app_key = excluded.app_key, \
         matched = CASE WHEN platform_agent.matched = 'promoted' THEN platform_agent.matched ELSE excluded.matched END, \
         matched_on = excluded.matched_on, consent = excluded.consent, consented_by = excluded.consented_by, \
         import_id = excluded.import_id, seen_at = excluded.seen_at",
    )
    .bind(outcome.id())
    .bind(a.platform)
    .bind(a.source_key)
    .bind(a.identifier)
    .bind(a.app_key)
    .bind(a.matched.map(|m| m.as_str()))
    .bind(a.matched_on)
    .bind(a.consent.map(|c| c.as_str()))
    .bind(a.consented_by)
    .bind(a.import)
    .bind(timestamp(now))
    .execute(conn)
    .await?;
    Ok(outcome)
}

/// The agent's tool of this name, made and linked if it has none.
pub async fn agent_tool(
    conn: &mut AnyConnection,
    agent: i64,
    name: &str,
    kind: json::ToolKind,
) -> Result<i64, sqlx::Error> {
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT t.id FROM tool t JOIN agent_tool at ON at.tool_id = t.id WHERE at.agent_id = $1 AND t.name = $2 \
         ORDER BY t.id LIMIT 1",
    )
    .bind(agent)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = known {
        return Ok(id);
    }
    let id =
        sqlx::query_scalar("INSERT INTO tool (name, kind, description) VALUES ($1, $2, '') RETURNING id")
            .bind(name)
            .bind(kind.as_str())
            .fetch_one(&mut *conn)
            .await?;
    super::super::declared::link(conn, "agent_tool", ("agent_id", "tool_id"), (agent, id)).await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct PlatformAgentRow {
    platform: String,
    identifier: String,
    app_key: Option<String>,
    matched: Option<String>,
    matched_on: Option<String>,
    consent: Option<String>,
    consented_by: Option<String>,
    marked: Option<i64>,
    seen_at: String,
    person_id: Option<i64>,
    person_name: Option<String>,
}

/// What a platform import said of an agent, if one did.
pub async fn agent_facts(db: &Db, agent: i64) -> Result<Option<json::PlatformAgent>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let row: Option<PlatformAgentRow> = sqlx::query_as(
        "SELECT a.platform, a.identifier, a.app_key, a.matched, a.matched_on, a.consent, a.consented_by, a.marked, \
         a.seen_at, p.id AS person_id, p.name AS person_name FROM platform_agent a \
         LEFT JOIN platform_identity i ON i.platform = a.platform AND i.handle = a.consented_by \
         LEFT JOIN person p ON lower(p.email) = COALESCE(i.email, lower(a.consented_by)) \
         WHERE a.agent_id = $1",
    )
    .bind(agent)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let catalogue = crate::catalogue::Catalogue::new(ai_apps(&mut conn).await?);
    let entry = row.app_key.as_deref().and_then(|k| catalogue.entry(k));
    Ok(Some(json::PlatformAgent {
        platform: row.platform.parse().unwrap_or(ImportKind::Inventory),
        identifier: row.identifier,
        app: entry.map(|e| e.name.clone()),
        vendor: entry.map(|e| e.vendor.clone()),
        matched: row.matched.and_then(|m| m.parse().ok()),
        matched_on: row.matched_on,
        consent: row.consent.and_then(|c| c.parse().ok()),
        consented_by: row.consented_by,
        consenting_person: row
            .person_id
            .zip(row.person_name)
            .map(|(id, name)| json::Ref { id, name }),
        marked: row.marked.map(|m| m != 0),
        seen_at: parse_time("seen_at", &row.seen_at)?,
    }))
}
