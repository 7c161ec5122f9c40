//! Queries of agents and the tools they use.

use chrono::{DateTime, Utc};
use model::api as json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::sql::{self, Paging, Params, Sort, get_enum, get_flag, get_opt_time, get_ref, get_time};
use super::{Db, credentials, scores};
use crate::ApiError;

const AGENT_COLUMNS: &str = "a.id, a.name, a.category, a.platform, a.environment, a.sanctioned, \
     a.last_seen, o.id AS owner_id, o.name AS owner_name, a.risk_score, a.risk_factors";
const AGENT_FROM: &str = "FROM agent a LEFT JOIN person o ON o.id = a.owner_id";
const AGENT_SORTS: &[Sort] = &[
    Sort::by("name", "a.name"),
    Sort::by("category", "a.category"),
    Sort::by("platform", "a.platform"),
    Sort::by("environment", "a.environment"),
    Sort::by("first_seen", "a.first_seen"),
    Sort::nullable("last_seen", "a.last_seen"),
    Sort::by("risk", "a.risk_score"),
    // Shadow (0) first, ascending: the order endpoint agents are listed in.
    Sort::by("sanctioned", "a.sanctioned"),
];

fn agent_summary(row: &AnyRow) -> Result<json::AgentSummary, sqlx::Error> {
    Ok(json::AgentSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        category: get_enum(row, "category")?,
        platform: row.try_get("platform")?,
        environment: get_enum(row, "environment")?,
        sanctioned: get_flag(row, "sanctioned")?,
        owner: get_ref(row, "owner_id", "owner_name")?,
        last_seen: get_opt_time(row, "last_seen")?,
        risk: scores::brief(
            row.try_get("risk_score")?,
            &row.try_get::<String, _>("risk_factors")?,
        ),
    })
}

/// `GET /api/v1/agents`.
pub async fn list(db: &Db, query: &json::AgentQuery) -> Result<json::Page<json::AgentSummary>, ApiError> {
    let paging = Paging::new(
        query.page,
        query.limit,
        query.sort.as_deref(),
        AGENT_SORTS,
        "a.id",
    )?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(category) = query.category {
        conditions.push(format!("a.category = {}", params.bind(category.as_str())));
    }
    if let Some(platform) = &query.platform {
        conditions.push(format!("a.platform = {}", params.bind(platform.clone())));
    }
    if let Some(environment) = query.environment {
        conditions.push(format!("a.environment = {}", params.bind(environment.as_str())));
    }
    if let Some(owner) = query.owner {
        conditions.push(format!("a.owner_id = {}", params.bind(owner)));
    }
    if let Some(team) = query.team {
        let teams = sql::team_subtree(&mut params, team);
        conditions.push(format!(
            "a.owner_id IN (SELECT id FROM person WHERE team_id IN {teams})"
        ));
    }
    if let Some(sanctioned) = query.sanctioned {
        conditions.push(format!("a.sanctioned = {}", params.bind(i64::from(sanctioned))));
    }
    if let Some(scanned) = query.scanned {
        conditions.push(format!(
            "a.id {} (SELECT agent_id FROM endpoint_agent)",
            if scanned { "IN" } else { "NOT IN" }
        ));
    }
    if let Some(orphaned) = query.orphaned {
        conditions.push(
            if orphaned {
                "a.owner_id IN (SELECT id FROM person WHERE status = 'departed')"
            } else {
                "(a.owner_id IS NULL OR a.owner_id NOT IN (SELECT id FROM person WHERE status = 'departed'))"
            }
            .to_owned(),
        );
    }
    if let Some(unowned) = query.has_no_owner {
        conditions.push(
            if unowned {
                "a.owner_id IS NULL"
            } else {
                "a.owner_id IS NOT NULL"
            }
            .to_owned(),
        );
    }
    if let Some(band) = query.band {
        conditions.push(scores::band_condition("a.risk_score", band));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::indexed_text_match(
            &mut params,
            db.backend(),
            sql::TextIndex::AGENT,
            "a.id",
            &["a.name", "a.platform", "a.description"],
            text,
        ));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        super::Total::KeptUntilChange,
        &format!("SELECT COUNT(*) FROM agent a {filter}"),
        &format!("SELECT {AGENT_COLUMNS} {AGENT_FROM} {filter} {}", paging.tail()),
        params,
        &paging,
        agent_summary,
    )
    .await
}

/// `GET /api/v1/agents/{id}`.
pub async fn get(db: &Db, id: i64) -> Result<json::AgentDetail, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {AGENT_COLUMNS}, a.description, a.first_seen, d.id AS deployer_id, d.name AS deployer_name \
         {AGENT_FROM} LEFT JOIN person d ON d.id = a.deployed_by_id WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no agent with id {id}")))?;
    let tools = sqlx::query(&format!(
        "SELECT {TOOL_COLUMNS} FROM tool t JOIN agent_tool at ON at.tool_id = t.id \
         WHERE at.agent_id = $1 ORDER BY t.name, t.id"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let credentials = credentials::list(
        db,
        &json::CredentialQuery {
            agent: Some(id),
            limit: Some(json::MAX_PAGE_LIMIT),
            ..Default::default()
        },
    )
    .await?;
    Ok(json::AgentDetail {
        agent: agent_summary(&row)?,
        description: row.try_get("description")?,
        deployed_by: get_ref(&row, "deployer_id", "deployer_name")?,
        first_seen: get_time(&row, "first_seen")?,
        tools: tools.iter().map(tool_summary).collect::<Result<_, _>>()?,
        credentials: credentials.items,
        risk: scores::detail(
            row.try_get("risk_score")?,
            &row.try_get::<String, _>("risk_factors")?,
        ),
        endpoint: super::endpoint::agent_facts(db, id).await?,
        platform: super::platforms::agent_facts(db, id).await?,
        reach: super::resources::reached_by_agent(db, id).await?,
        last_attested: super::reviews::last_attested(
            &mut *db.pool().acquire().await?,
            json::OwnedKind::Agent,
            id,
        )
        .await?,
    })
}

/// The agents of a person (for their page).
pub async fn owned_by(db: &Db, person: i64) -> Result<json::Page<json::AgentSummary>, ApiError> {
    list(
        db,
        &json::AgentQuery {
            owner: Some(person),
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
}

const TOOL_COLUMNS: &str =
    "t.id, t.name, t.kind, (SELECT COUNT(*) FROM agent_tool x WHERE x.tool_id = t.id) AS agents";
const TOOL_SORTS: &[Sort] = &[Sort::by("name", "t.name"), Sort::by("kind", "t.kind")];

fn tool_summary(row: &AnyRow) -> Result<json::ToolSummary, sqlx::Error> {
    Ok(json::ToolSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: get_enum(row, "kind")?,
        agents: row.try_get("agents")?,
    })
}

/// `GET /api/v1/tools`.
pub async fn list_tools(db: &Db, query: &json::ToolQuery) -> Result<json::Page<json::ToolSummary>, ApiError> {
    let paging = Paging::new(query.page, query.limit, query.sort.as_deref(), TOOL_SORTS, "t.id")?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(kind) = query.kind {
        conditions.push(format!("t.kind = {}", params.bind(kind.as_str())));
    }
    if let Some(agent) = query.agent {
        conditions.push(format!(
            "t.id IN (SELECT tool_id FROM agent_tool WHERE agent_id = {})",
            params.bind(agent)
        ));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::text_match(&mut params, db.backend(), &["t.name"], text));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        super::Total::KeptUntilChange,
        &format!("SELECT COUNT(*) FROM tool t {filter}"),
        &format!("SELECT {TOOL_COLUMNS} FROM tool t {filter} {}", paging.tail()),
        params,
        &paging,
        tool_summary,
    )
    .await
}

/// `GET /api/v1/tools/{id}`.
pub async fn get_tool(db: &Db, id: i64) -> Result<json::ToolDetail, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {TOOL_COLUMNS}, t.description FROM tool t WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no tool with id {id}")))?;
    let agents = sqlx::query(
        "SELECT a.id, a.name FROM agent a JOIN agent_tool at ON at.agent_id = a.id \
         WHERE at.tool_id = $1 ORDER BY a.name, a.id LIMIT 100",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let credentials = sqlx::query_scalar::<_, i64>(
        "SELECT credential_id FROM tool_credential WHERE tool_id = $1 ORDER BY credential_id LIMIT 200",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(json::ToolDetail {
        tool: tool_summary(&row)?,
        description: row.try_get("description")?,
        agents: agents
            .iter()
            .map(|r| sql::get_required_ref(r, "id", "name"))
            .collect::<Result<_, _>>()?,
        credentials: credentials::summaries(db, &credentials).await?,
    })
}

/// What an agent's report changed, for the audit log.
#[derive(Debug, Default)]
pub struct ReportOutcome {
    /// `field → {before, after}` for each field the report changed.
    pub changed: serde_json::Map<String, serde_json::Value>,
    /// Tools newly linked to the agent (created when Muster did not know them).
    pub tools_added: Vec<json::Ref>,
    /// Tools the report named that exist and are not the agent's: an agent
    /// may not give itself another's tool (and so its credentials); that
    /// goes through a change request and its approvers.
    pub refused_tools: Vec<String>,
}

/// Applies an agent's report about itself inside the caller's transaction:
/// description and platform when given, tools added (never removed), and
/// `last_seen` set to `now`.
pub async fn report(
    conn: &mut AnyConnection,
    id: i64,
    facts: &json::AgentFacts,
    now: DateTime<Utc>,
) -> Result<ReportOutcome, sqlx::Error> {
    let row = sqlx::query("SELECT description, platform FROM agent WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let mut outcome = ReportOutcome::default();
    for (column, new) in [("description", &facts.description), ("platform", &facts.platform)] {
        let Some(new) = new.as_deref().map(str::trim) else {
            continue;
        };
        let old: String = row.try_get(column)?;
        if old != new {
            // `column` is one of the two names above, never caller text.
            sqlx::query(&format!("UPDATE agent SET {column} = $1 WHERE id = $2"))
                .bind(new)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            outcome
                .changed
                .insert(column.into(), serde_json::json!({ "before": old, "after": new }));
        }
    }
    sqlx::query("UPDATE agent SET last_seen = $1 WHERE id = $2")
        .bind(sql::timestamp(now))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for tool in &facts.tools {
        let name = tool.name.trim();
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM tool WHERE name = $1 AND kind = $2 ORDER BY id LIMIT 1")
                .bind(name)
                .bind(tool.kind.as_str())
                .fetch_optional(&mut *conn)
                .await?;
        let tool_id = match known {
            Some(tool_id) => {
                let its_own: Option<i64> =
                    sqlx::query_scalar("SELECT tool_id FROM agent_tool WHERE agent_id = $1 AND tool_id = $2")
                        .bind(id)
                        .bind(tool_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                if its_own.is_none() {
                    outcome.refused_tools.push(name.to_owned());
                }
                continue;
            }
            None => {
                sqlx::query_scalar(
                    "INSERT INTO tool (name, kind, description) VALUES ($1, $2, '') RETURNING id",
                )
                .bind(name)
                .bind(tool.kind.as_str())
                .fetch_one(&mut *conn)
                .await?
            }
        };
        let linked = sqlx::query(
            "INSERT INTO agent_tool (agent_id, tool_id) SELECT $1, $2 \
             WHERE NOT EXISTS (SELECT 1 FROM agent_tool WHERE agent_id = $1 AND tool_id = $2)",
        )
        .bind(id)
        .bind(tool_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if linked > 0 {
            outcome.tools_added.push(json::Ref {
                id: tool_id,
                name: name.to_owned(),
            });
        }
    }
    Ok(outcome)
}
