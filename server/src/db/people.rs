//! Queries of teams and people.

use model::api as json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{self, Paging, Params, Sort, get_enum, get_opt_time, get_ref, get_required_ref};
use super::{Db, agents, credentials};
use crate::ApiError;

const TEAM_COLUMNS: &str = "t.id, t.name, p.id AS parent_id, p.name AS parent_name, \
     (SELECT COUNT(*) FROM person m WHERE m.team_id = t.id) AS members";
const TEAM_FROM: &str = "FROM team t LEFT JOIN team p ON p.id = t.parent_id";
const TEAM_SORTS: &[Sort] = &[Sort::by("name", "t.name")];

fn team_summary(row: &AnyRow) -> Result<json::TeamSummary, sqlx::Error> {
    Ok(json::TeamSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        parent: get_ref(row, "parent_id", "parent_name")?,
        members: row.try_get("members")?,
    })
}

/// `GET /api/v1/teams`.
pub async fn list_teams(db: &Db, query: &json::TeamQuery) -> Result<json::Page<json::TeamSummary>, ApiError> {
    let paging = Paging::new(query.page, query.limit, query.sort.as_deref(), TEAM_SORTS, "t.id")?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(parent) = query.parent {
        conditions.push(format!("t.parent_id = {}", params.bind(parent)));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::text_match(&mut params, db.backend(), &["t.name"], text));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        super::Total::KeptUntilChange,
        &format!("SELECT COUNT(*) FROM team t {filter}"),
        &format!("SELECT {TEAM_COLUMNS} {TEAM_FROM} {filter} {}", paging.tail()),
        params,
        &paging,
        team_summary,
    )
    .await
}

/// `GET /api/v1/teams/{id}`.
pub async fn get_team(db: &Db, id: i64) -> Result<json::TeamDetail, ApiError> {
    let row = sqlx::query(&format!("SELECT {TEAM_COLUMNS} {TEAM_FROM} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no team with id {id}")))?;
    let children = sqlx::query("SELECT id, name FROM team WHERE parent_id = $1 ORDER BY name, id")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    let people = list_people(
        db,
        &json::PersonQuery {
            limit: Some(json::MAX_PAGE_LIMIT),
            ..Default::default()
        },
        Some(id),
    )
    .await?;
    let mut params = Params::default();
    let subtree = sql::team_subtree(&mut params, id);
    let owned = |table: &str| {
        format!(
            "SELECT COUNT(*) FROM {table} WHERE owner_id IN (SELECT id FROM person WHERE team_id IN {subtree})"
        )
    };
    let agents_owned: i64 = sqlx::query_scalar_with(&owned("agent"), params.args())
        .fetch_one(db.pool())
        .await?;
    let credentials_owned: i64 = sqlx::query_scalar_with(&owned("credential"), params.args())
        .fetch_one(db.pool())
        .await?;
    Ok(json::TeamDetail {
        team: team_summary(&row)?,
        children: children
            .iter()
            .map(|r| get_required_ref(r, "id", "name"))
            .collect::<Result<_, _>>()?,
        people: people.items,
        agents_owned,
        credentials_owned,
    })
}

const PERSON_COLUMNS: &str = "pe.id, pe.name, pe.email, pe.status, pe.departed_at, t.id AS team_id, \
     t.name AS team_name, m.id AS manager_id, m.name AS manager_name";
const PERSON_FROM: &str =
    "FROM person pe LEFT JOIN team t ON t.id = pe.team_id LEFT JOIN person m ON m.id = pe.manager_id";
const PERSON_SORTS: &[Sort] = &[
    Sort::by("name", "pe.name"),
    Sort::by("email", "pe.email"),
    Sort::by("status", "pe.status"),
];

fn person_summary(row: &AnyRow) -> Result<json::PersonSummary, sqlx::Error> {
    Ok(json::PersonSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        team: get_ref(row, "team_id", "team_name")?,
        manager: get_ref(row, "manager_id", "manager_name")?,
        status: get_enum(row, "status")?,
    })
}

/// `GET /api/v1/people`; with `direct_team`, only that team's own members.
pub async fn list_people(
    db: &Db,
    query: &json::PersonQuery,
    direct_team: Option<i64>,
) -> Result<json::Page<json::PersonSummary>, ApiError> {
    let paging = Paging::new(
        query.page,
        query.limit,
        query.sort.as_deref(),
        PERSON_SORTS,
        "pe.id",
    )?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(team) = direct_team {
        conditions.push(format!("pe.team_id = {}", params.bind(team)));
    }
    if let Some(team) = query.team {
        let teams = sql::team_subtree(&mut params, team);
        conditions.push(format!("pe.team_id IN {teams}"));
    }
    if let Some(status) = query.status {
        conditions.push(format!("pe.status = {}", params.bind(status.as_str())));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::indexed_text_match(
            &mut params,
            db.backend(),
            sql::TextIndex::PERSON,
            "pe.id",
            &["pe.name", "pe.email"],
            text,
        ));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        super::Total::KeptUntilChange,
        &format!("SELECT COUNT(*) FROM person pe {filter}"),
        &format!("SELECT {PERSON_COLUMNS} {PERSON_FROM} {filter} {}", paging.tail()),
        params,
        &paging,
        person_summary,
    )
    .await
}

/// `GET /api/v1/people/{id}`.
pub async fn get_person(db: &Db, id: i64) -> Result<json::PersonDetail, ApiError> {
    let row = sqlx::query(&format!("SELECT {PERSON_COLUMNS} {PERSON_FROM} WHERE pe.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no person with id {id}")))?;
    let reports = sqlx::query("SELECT id, name FROM person WHERE manager_id = $1 ORDER BY name, id")
        .bind(id)
        .fetch_all(db.pool())
        .await?;
    let agents = agents::owned_by(db, id).await?;
    let credentials = credentials::owned_by(db, id).await?;
    Ok(json::PersonDetail {
        person: person_summary(&row)?,
        departed_at: get_opt_time(&row, "departed_at")?,
        reports: reports
            .iter()
            .map(|r| get_required_ref(r, "id", "name"))
            .collect::<Result<_, _>>()?,
        agents_total: agents.total,
        agents: agents.items,
        credentials_total: credentials.total,
        credentials: credentials.items,
    })
}
