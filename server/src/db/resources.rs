//! Queries of resources and of what reaches them.

use model::api as json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Db;
use super::sql::{self, Paging, Params, Sort, get_enum, get_ref, get_required_ref};
use crate::ApiError;

/// Columns of a resource summary, for queries aliasing `resource` as `res`.
pub const RESOURCE_COLUMNS: &str = "res.id, res.name, res.provider, res.kind, res.environment, res.sensitivity, \
     tm.id AS team_id, tm.name AS team_name";
/// `FROM` of a resource summary.
pub const RESOURCE_FROM: &str = "FROM resource res LEFT JOIN team tm ON tm.id = res.owner_team_id";
const RESOURCE_SORTS: &[Sort] = &[
    Sort::by("name", "res.name"),
    Sort::by("provider", "res.provider"),
    Sort::by("kind", "res.kind"),
    Sort::by("environment", "res.environment"),
    Sort::by("sensitivity", "res.sensitivity"),
];

/// Sorts permissions strongest first in SQL (`admin`, `write`, `read`).
pub const PERMISSION_RANK: &str = "CASE r.permission WHEN 'admin' THEN 0 WHEN 'write' THEN 1 ELSE 2 END";
/// Sorts sensitivities most sensitive first in SQL.
pub const SENSITIVITY_RANK: &str = "CASE res.sensitivity WHEN 'restricted' THEN 0 WHEN 'confidential' THEN 1 \
     WHEN 'internal' THEN 2 ELSE 3 END";

/// Reads a resource summary.
pub fn resource_summary(row: &AnyRow) -> Result<json::ResourceSummary, sqlx::Error> {
    Ok(json::ResourceSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        provider: row.try_get("provider")?,
        kind: get_enum(row, "kind")?,
        environment: get_enum(row, "environment")?,
        sensitivity: get_enum(row, "sensitivity")?,
        owner_team: get_ref(row, "team_id", "team_name")?,
    })
}

/// `GET /api/v1/resources`.
pub async fn list(
    db: &Db,
    query: &json::ResourceQuery,
) -> Result<json::Page<json::ResourceSummary>, ApiError> {
    let paging = Paging::new(
        query.page,
        query.limit,
        query.sort.as_deref(),
        RESOURCE_SORTS,
        "res.id",
    )?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(provider) = &query.provider {
        conditions.push(format!("res.provider = {}", params.bind(provider.as_str())));
    }
    if let Some(kind) = query.kind {
        conditions.push(format!("res.kind = {}", params.bind(kind.as_str())));
    }
    if let Some(environment) = query.environment {
        conditions.push(format!("res.environment = {}", params.bind(environment.as_str())));
    }
    if let Some(sensitivity) = query.sensitivity {
        conditions.push(format!("res.sensitivity = {}", params.bind(sensitivity.as_str())));
    }
    if let Some(team) = query.team {
        let teams = sql::team_subtree(&mut params, team);
        conditions.push(format!("res.owner_team_id IN {teams}"));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::indexed_text_match(
            &mut params,
            db.backend(),
            sql::TextIndex::RESOURCE,
            "res.id",
            &["res.name"],
            text,
        ));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        super::Total::KeptUntilChange,
        &format!("SELECT COUNT(*) FROM resource res {filter}"),
        &format!(
            "SELECT {RESOURCE_COLUMNS} {RESOURCE_FROM} {filter} {}",
            paging.tail()
        ),
        params,
        &paging,
        resource_summary,
    )
    .await
}

/// `GET /api/v1/resources/{id}`.
pub async fn get(db: &Db, id: i64) -> Result<json::ResourceDetail, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {RESOURCE_COLUMNS} {RESOURCE_FROM} WHERE res.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no resource with id {id}")))?;
    let (reached_by, reached_by_total) = reaching(db, id, None, 100).await?;
    Ok(json::ResourceDetail {
        resource: resource_summary(&row)?,
        reached_by,
        reached_by_total,
    })
}

/// The credentials reaching a resource (but `except`), strongest first, at
/// most `limit` of them, and how many there are in all.
pub async fn reaching(
    db: &Db,
    resource: i64,
    except: Option<i64>,
    limit: u32,
) -> Result<(Vec<json::CredentialReach>, i64), ApiError> {
    let except = except.unwrap_or(-1);
    let rows = sqlx::query(&format!(
        "SELECT c.id, c.name, r.permission FROM reach r JOIN credential c ON c.id = r.credential_id \
         WHERE r.resource_id = $1 AND r.credential_id <> $2 ORDER BY {PERMISSION_RANK}, c.name, c.id LIMIT {limit}"
    ))
    .bind(resource)
    .bind(except)
    .fetch_all(db.pool())
    .await?;
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM reach WHERE resource_id = $1 AND credential_id <> $2")
            .bind(resource)
            .bind(except)
            .fetch_one(db.pool())
            .await?;
    let reach = rows
        .iter()
        .map(|row| {
            Ok(json::CredentialReach {
                credential: get_required_ref(row, "id", "name")?,
                permission: get_enum(row, "permission")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((reach, total))
}

/// What a credential reaches, most sensitive and most privileged first (at
/// most `limit` resources, or all of them for the blast radius).
pub async fn reached_by_credential(
    db: &Db,
    credential: i64,
    limit: Option<u32>,
) -> Result<Vec<json::ReachEntry>, ApiError> {
    reached(db, "r.credential_id = $1", credential, limit).await
}

/// What an agent reaches through the credentials its tools use: each
/// resource once, with the strongest permission any of them holds on it.
pub async fn reached_by_agent(db: &Db, agent: i64) -> Result<Vec<json::ReachEntry>, ApiError> {
    let rows = reached(
        db,
        "r.credential_id IN (SELECT tc.credential_id FROM tool_credential tc \
         JOIN agent_tool at ON at.tool_id = tc.tool_id WHERE at.agent_id = $1)",
        agent,
        None,
    )
    .await?;
    // In order of sensitivity then permission: a resource's first row is its strongest.
    let mut seen = std::collections::HashSet::new();
    Ok(rows.into_iter().filter(|r| seen.insert(r.resource.id)).collect())
}

/// The reach rows `condition` selects (on `reach r`, with `$1` = `id`).
async fn reached(
    db: &Db,
    condition: &str,
    id: i64,
    limit: Option<u32>,
) -> Result<Vec<json::ReachEntry>, ApiError> {
    let limit = limit.map(|n| format!("LIMIT {n}")).unwrap_or_default();
    let rows = sqlx::query(&format!(
        "SELECT {RESOURCE_COLUMNS}, r.permission {RESOURCE_FROM} JOIN reach r ON r.resource_id = res.id \
         WHERE {condition} ORDER BY {SENSITIVITY_RANK}, {PERMISSION_RANK}, res.name, res.id {limit}"
    ))
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let reach = rows
        .iter()
        .map(|row| {
            Ok(json::ReachEntry {
                resource: resource_summary(row)?,
                permission: get_enum(row, "permission")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(reach)
}
