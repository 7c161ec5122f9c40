//! Queries of credentials, their stored copies, reach and activity.

use model::api as json;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{
    self, Paging, Params, Scope, Sort, get_enum, get_opt_time, get_ref, get_required_ref, get_time,
};
use super::{Db, resources, scores};
use crate::ApiError;

pub(crate) const CREDENTIAL_COLUMNS: &str = "c.id, c.name, c.kind, c.provider, c.external_id, c.status, c.created_at, \
     c.expires_at, c.last_rotated_at, c.last_used_at, c.fingerprint, o.id AS owner_id, o.name AS owner_name, \
     c.risk_score, c.risk_factors, \
     (SELECT COUNT(*) FROM credential_copy cc WHERE cc.credential_id = c.id AND cc.status = 'present') AS copies";
pub(crate) const CREDENTIAL_FROM: &str = "FROM credential c LEFT JOIN person o ON o.id = c.owner_id";
const CREDENTIAL_SORTS: &[Sort] = &[
    Sort::by("name", "c.name"),
    Sort::by("kind", "c.kind"),
    Sort::by("provider", "c.provider"),
    Sort::by("status", "c.status"),
    Sort::by("created_at", "c.created_at"),
    Sort::nullable("expires_at", "c.expires_at"),
    Sort::nullable("last_rotated_at", "c.last_rotated_at"),
    Sort::nullable("last_used_at", "c.last_used_at"),
    Sort::by("risk", "c.risk_score"),
];

pub(crate) fn credential_summary(row: &AnyRow) -> Result<json::CredentialSummary, sqlx::Error> {
    Ok(json::CredentialSummary {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        kind: get_enum(row, "kind")?,
        provider: row.try_get("provider")?,
        external_id: row.try_get("external_id")?,
        status: get_enum(row, "status")?,
        owner: get_ref(row, "owner_id", "owner_name")?,
        created_at: get_time(row, "created_at")?,
        expires_at: get_opt_time(row, "expires_at")?,
        last_rotated_at: get_opt_time(row, "last_rotated_at")?,
        last_used_at: get_opt_time(row, "last_used_at")?,
        fingerprint: row.try_get("fingerprint")?,
        copies: row.try_get("copies")?,
        risk: scores::brief(
            row.try_get("risk_score")?,
            &row.try_get::<String, _>("risk_factors")?,
        ),
    })
}

/// `GET /api/v1/credentials`.
pub async fn list(
    db: &Db,
    query: &json::CredentialQuery,
) -> Result<json::Page<json::CredentialSummary>, ApiError> {
    let paging = Paging::new(
        query.page,
        query.limit,
        query.sort.as_deref(),
        CREDENTIAL_SORTS,
        "c.id",
    )?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(kind) = query.kind {
        conditions.push(format!("c.kind = {}", params.bind(kind.as_str())));
    }
    if let Some(provider) = &query.provider {
        conditions.push(format!("c.provider = {}", params.bind(provider.as_str())));
    }
    if let Some(status) = query.status {
        conditions.push(format!("c.status = {}", params.bind(status.as_str())));
    }
    if let Some(owner) = query.owner {
        conditions.push(format!("c.owner_id = {}", params.bind(owner)));
    }
    if let Some(team) = query.team {
        let teams = sql::team_subtree(&mut params, team);
        conditions.push(format!(
            "c.owner_id IN (SELECT id FROM person WHERE team_id IN {teams})"
        ));
    }
    if let Some(environment) = query.environment {
        // Every bit mask that includes the environment's bit: an IN list the
        // index on `reach_environments` can serve (a bitwise test cannot).
        let bit = environment_bit(environment);
        let masks: Vec<String> = (1..8)
            .filter(|mask| mask & bit != 0)
            .map(|mask| params.bind(mask))
            .collect();
        conditions.push(format!("c.reach_environments IN ({})", masks.join(", ")));
    }
    if let Some(orphaned) = query.orphaned {
        conditions.push(
            if orphaned {
                "c.owner_id IN (SELECT id FROM person WHERE status = 'departed')"
            } else {
                "(c.owner_id IS NULL OR c.owner_id NOT IN (SELECT id FROM person WHERE status = 'departed'))"
            }
            .to_owned(),
        );
    }
    if let Some(unowned) = query.has_no_owner {
        conditions.push(
            if unowned {
                "c.owner_id IS NULL"
            } else {
                "c.owner_id IS NOT NULL"
            }
            .to_owned(),
        );
    }
    if let Some(band) = query.band {
        conditions.push(scores::band_condition("c.risk_score", band));
    }
    if let Some(agent) = query.agent {
        conditions.push(format!(
            "c.id IN (SELECT tc.credential_id FROM tool_credential tc \
             JOIN agent_tool at ON at.tool_id = tc.tool_id WHERE at.agent_id = {})",
            params.bind(agent)
        ));
    }
    if let Some(text) = sql::search_text(&query.q) {
        // A pasted key id, ARN or fingerprint names its credential: look it
        // up by index; only text that is no identifier searches the names.
        let identified: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM credential WHERE external_id = $1 UNION SELECT id FROM credential WHERE fingerprint = $1",
        )
        .bind(text)
        .fetch_all(db.pool())
        .await?;
        if identified.is_empty() {
            conditions.push(sql::indexed_text_match(
                &mut params,
                db.backend(),
                sql::TextIndex::CREDENTIAL,
                "c.id",
                &["c.name"],
                text,
            ));
        } else {
            let ids: Vec<String> = identified.into_iter().map(|id| params.bind(id)).collect();
            conditions.push(format!("c.id IN ({})", ids.join(", ")));
        }
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        super::Total::KeptUntilChange,
        &format!("SELECT COUNT(*) FROM credential c {filter}"),
        &format!(
            "SELECT {CREDENTIAL_COLUMNS} {CREDENTIAL_FROM} {filter} {}",
            paging.tail()
        ),
        params,
        &paging,
        credential_summary,
    )
    .await
}

/// The bit of an environment in `credential.reach_environments`.
pub fn environment_bit(environment: json::Environment) -> i64 {
    match environment {
        json::Environment::Prod => 1,
        json::Environment::Staging => 2,
        json::Environment::Dev => 4,
    }
}

/// Recomputes `reach_environments` of the credentials in `scope` from
/// `reach`, after reach edges were written.
pub async fn refresh_reach_environments(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope<'_>,
) -> Result<(), sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("credential.id", &mut params);
    let reaches = |environment: &str| {
        format!(
            "EXISTS (SELECT 1 FROM reach r JOIN resource res ON res.id = r.resource_id \
             WHERE r.credential_id = credential.id AND res.environment = '{environment}')"
        )
    };
    let sql = format!(
        "UPDATE credential SET reach_environments = \
         (CASE WHEN {} THEN 1 ELSE 0 END) + (CASE WHEN {} THEN 2 ELSE 0 END) + (CASE WHEN {} THEN 4 ELSE 0 END) \
         WHERE {filter}",
        reaches("prod"),
        reaches("staging"),
        reaches("dev")
    );
    sqlx::query_with(&sql, params.args()).execute(conn).await?;
    Ok(())
}

/// The summaries of the given credentials, by name.
pub async fn summaries(db: &Db, ids: &[i64]) -> Result<Vec<json::CredentialSummary>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::default();
    let placeholders: Vec<String> = ids.iter().map(|id| params.bind(*id)).collect();
    let rows = sqlx::query_with(
        &format!(
            "SELECT {CREDENTIAL_COLUMNS} {CREDENTIAL_FROM} WHERE c.id IN ({}) ORDER BY c.name, c.id",
            placeholders.join(", ")
        ),
        params.args(),
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(credential_summary).collect::<Result<_, _>>()?)
}

/// A credential's detail as its own tables hold it; its revocation, platform
/// grant and last attestation come from their own aggregates
/// ([`crate::inventory::credential`] adds them).
pub async fn get(db: &Db, id: i64) -> Result<json::CredentialDetail, ApiError> {
    let row = sqlx::query(&format!(
        "SELECT {CREDENTIAL_COLUMNS}, c.scopes, c.third_party, c.blast_radius {CREDENTIAL_FROM} WHERE c.id = $1"
    ))
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no credential with id {id}")))?;
    let tools = sqlx::query(
        "SELECT t.id, t.name FROM tool t JOIN tool_credential tc ON tc.tool_id = t.id \
         WHERE tc.credential_id = $1 ORDER BY t.name, t.id LIMIT 100",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let agents = sqlx::query(
        "SELECT DISTINCT a.id, a.name FROM agent a JOIN agent_tool at ON at.agent_id = a.id \
         JOIN tool_credential tc ON tc.tool_id = at.tool_id WHERE tc.credential_id = $1 ORDER BY a.name, a.id \
         LIMIT 100",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let copies = list_copies(
        db,
        &json::CopyQuery {
            credential: Some(id),
            limit: Some(json::MAX_PAGE_LIMIT),
            ..Default::default()
        },
    )
    .await?;
    let events = sqlx::query(
        "SELECT e.id, e.occurred_at, e.action, e.source_address, e.user_agent, e.outcome, \
         r.id AS resource_id, r.name AS resource_name \
         FROM activity_event e LEFT JOIN resource r ON r.id = e.resource_id \
         WHERE e.credential_id = $1 ORDER BY e.occurred_at DESC, e.id DESC LIMIT 20",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let scopes: String = row.try_get("scopes")?;
    Ok(json::CredentialDetail {
        credential: credential_summary(&row)?,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        third_party: row.try_get("third_party")?,
        tools: tools
            .iter()
            .map(|r| get_required_ref(r, "id", "name"))
            .collect::<Result<_, _>>()?,
        agents: agents
            .iter()
            .map(|r| get_required_ref(r, "id", "name"))
            .collect::<Result<_, _>>()?,
        copies: copies.items,
        agents_total: sqlx::query_scalar(
            "SELECT COUNT(DISTINCT at.agent_id) FROM agent_tool at \
             JOIN tool_credential tc ON tc.tool_id = at.tool_id WHERE tc.credential_id = $1",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?,
        reach: resources::reached_by_credential(db, id, Some(200)).await?,
        reach_total: sqlx::query_scalar("SELECT COUNT(*) FROM reach WHERE credential_id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?,
        recent_activity: events.iter().map(activity_event).collect::<Result<_, _>>()?,
        risk: scores::detail(
            row.try_get("risk_score")?,
            &row.try_get::<String, _>("risk_factors")?,
        ),
        blast_radius: row.try_get("blast_radius")?,
        // Other aggregates' parts: the inventory service fills them in.
        revocation: None,
        grant: None,
        last_attested: None,
    })
}

pub(crate) fn activity_event(row: &AnyRow) -> Result<json::ActivityEvent, sqlx::Error> {
    Ok(json::ActivityEvent {
        id: row.try_get("id")?,
        occurred_at: get_time(row, "occurred_at")?,
        action: row.try_get("action")?,
        resource: get_ref(row, "resource_id", "resource_name")?,
        source_address: row.try_get("source_address")?,
        user_agent: row.try_get("user_agent")?,
        outcome: get_enum(row, "outcome")?,
    })
}

pub(crate) const COPY_COLUMNS: &str = "cp.id, cp.kind, cp.locator, cp.found_by, cp.author_email, cp.first_seen, \
     cp.last_seen, cp.status, c.id AS credential_id, c.name AS credential_name";
pub(crate) const COPY_FROM: &str = "FROM credential_copy cp JOIN credential c ON c.id = cp.credential_id";
const COPY_SORTS: &[Sort] = &[
    Sort::by("-last_seen", "cp.last_seen"),
    Sort::by("first_seen", "cp.first_seen"),
    Sort::by("kind", "cp.kind"),
    Sort::by("locator", "cp.locator"),
    Sort::by("status", "cp.status"),
];

pub(crate) fn copy_summary(row: &AnyRow) -> Result<json::CopySummary, sqlx::Error> {
    Ok(json::CopySummary {
        id: row.try_get("id")?,
        credential: get_required_ref(row, "credential_id", "credential_name")?,
        kind: get_enum(row, "kind")?,
        locator: row.try_get("locator")?,
        found_by: row.try_get("found_by")?,
        author_email: row.try_get("author_email")?,
        first_seen: get_time(row, "first_seen")?,
        last_seen: get_time(row, "last_seen")?,
        status: get_enum(row, "status")?,
    })
}

/// `GET /api/v1/copies`.
pub async fn list_copies(
    db: &Db,
    query: &json::CopyQuery,
) -> Result<json::Page<json::CopySummary>, ApiError> {
    let paging = Paging::new(
        query.page,
        query.limit,
        query.sort.as_deref(),
        COPY_SORTS,
        "cp.id",
    )?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(kind) = query.kind {
        conditions.push(format!("cp.kind = {}", params.bind(kind.as_str())));
    }
    if let Some(status) = query.status {
        conditions.push(format!("cp.status = {}", params.bind(status.as_str())));
    }
    if let Some(credential) = query.credential {
        conditions.push(format!("cp.credential_id = {}", params.bind(credential)));
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::text_match(&mut params, db.backend(), &["cp.locator"], text));
    }
    let filter = sql::where_clause(&conditions);
    db.list_page(
        super::Total::KeptUntilChange,
        &format!("SELECT COUNT(*) FROM credential_copy cp {filter}"),
        &format!("SELECT {COPY_COLUMNS} {COPY_FROM} {filter} {}", paging.tail()),
        params,
        &paging,
        copy_summary,
    )
    .await
}

/// `GET /api/v1/copies/{id}`.
pub async fn get_copy(db: &Db, id: i64) -> Result<json::CopySummary, ApiError> {
    let row = sqlx::query(&format!("SELECT {COPY_COLUMNS} {COPY_FROM} WHERE cp.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no copy with id {id}")))?;
    Ok(copy_summary(&row)?)
}

/// The credentials of a person (for their page).
pub async fn owned_by(db: &Db, person: i64) -> Result<json::Page<json::CredentialSummary>, ApiError> {
    list(
        db,
        &json::CredentialQuery {
            owner: Some(person),
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
}
