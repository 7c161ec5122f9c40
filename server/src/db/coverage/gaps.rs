//! The gaps: agents and active credentials whose owner is missing or has
//! left, listed a page at a time with their teams and hints of who should
//! own them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use model::api::{self as json, GapState, OwnedKind};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::super::sql::{self, Paging, Params, Sort, get_enum, get_opt_time, get_ref, get_required_ref};
use super::super::{Db, scores};
use crate::ApiError;

/// Sorts of the gap list; the default puts the riskiest first.
const GAP_SORTS: &[Sort] = &[
    Sort::by("-risk", "g.risk_score"),
    Sort::nullable("due", "g.departed_at"),
    Sort::by("name", "g.name"),
];

/// A gap as listed, before its hints are looked up.
struct GapRow {
    kind: OwnedKind,
    entity: json::Ref,
    former_owner: Option<json::Ref>,
    departed_at: Option<DateTime<Utc>>,
    team: Option<i64>,
    risk: json::RiskBrief,
}

fn gap_row(row: &AnyRow) -> Result<GapRow, sqlx::Error> {
    Ok(GapRow {
        kind: get_enum(row, "kind")?,
        entity: get_required_ref(row, "id", "name")?,
        former_owner: get_ref(row, "owner_id", "owner_name")?,
        departed_at: get_opt_time(row, "departed_at")?,
        team: row.try_get("team")?,
        risk: scores::brief(
            row.try_get("risk_score")?,
            &row.try_get::<String, _>("risk_factors")?,
        ),
    })
}

/// `GET /api/v1/ownership/gaps`: agents and active credentials whose owner
/// is missing or has left, with hints of who should own them.
pub async fn gaps(
    db: &Db,
    query: &json::GapQuery,
    now: DateTime<Utc>,
) -> Result<json::Page<json::Gap>, ApiError> {
    gaps_page(db, query, now, None).await
}

/// [`gaps`], with the total given when the caller has it already (the
/// coverage figures count every gap), which saves a scan.
pub(super) async fn gaps_page(
    db: &Db,
    query: &json::GapQuery,
    now: DateTime<Utc>,
    known_total: Option<i64>,
) -> Result<json::Page<json::Gap>, ApiError> {
    // Ties sort by kind then id, which together name one row.
    let paging = Paging::new(
        query.page,
        query.limit,
        query.sort.as_deref(),
        GAP_SORTS,
        "g.kind, g.id",
    )?;
    let mut params = Params::default();
    // Each part in two forms: every column for the page, and only what the
    // filters read for the count.
    let mut rows = Vec::new();
    let mut keys = Vec::new();
    for (kind, table, alias, extra) in [
        (OwnedKind::Agent, "agent", "a", ""),
        (
            OwnedKind::Credential,
            "credential",
            "c",
            "c.status = 'active' AND ",
        ),
    ] {
        if query.kind.is_some_and(|wanted| wanted != kind) {
            continue;
        }
        let from = format!(
            "FROM {table} {alias} LEFT JOIN person po ON po.id = {alias}.owner_id \
             WHERE {extra}({alias}.owner_id IS NULL OR po.status = 'departed')"
        );
        rows.push(format!(
            "SELECT '{kind}' AS kind, {alias}.id, {alias}.name, po.id AS owner_id, po.name AS owner_name, \
               po.departed_at, {alias}.risk_score, {alias}.risk_factors, {alias}.coverage_team_id AS team {from}"
        ));
        keys.push(format!(
            "SELECT {alias}.name, {alias}.owner_id, {alias}.coverage_team_id AS team {from}"
        ));
    }
    let mut conditions = Vec::new();
    if let Some(team) = query.team {
        db.must_exist("team", team).await?;
        let teams = sql::team_subtree(&mut params, team);
        conditions.push(format!("g.team IN {teams}"));
    }
    match query.state {
        Some(GapState::Unowned) => conditions.push("g.owner_id IS NULL".to_owned()),
        Some(GapState::Orphaned) => conditions.push("g.owner_id IS NOT NULL".to_owned()),
        None => {}
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::text_match(&mut params, db.backend(), &["g.name"], text));
    }
    let filter = sql::where_clause(&conditions);
    let rows = sqlx::query_with(
        &format!(
            "SELECT g.* FROM ({}) g {filter} {}",
            rows.join(" UNION ALL "),
            paging.tail()
        ),
        params.args(),
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(gap_row)
    .collect::<Result<Vec<_>, _>>()?;
    // A short first page is the whole list; the caller may know the total.
    let total = match known_total {
        _ if paging.page == 1 && rows.len() < paging.limit as usize => rows.len() as i64,
        Some(total) => total,
        None => {
            sqlx::query_scalar_with(
                &format!("SELECT COUNT(*) FROM ({}) g {filter}", keys.join(" UNION ALL ")),
                params.args(),
            )
            .fetch_one(db.pool())
            .await?
        }
    };
    let page = paging.page(rows, total);
    let mut conn = db.pool().acquire().await?;
    let teams = team_names(&mut conn, page.items.iter().filter_map(|g| g.team)).await?;
    let mut hints = hints(&mut conn, &page.items).await?;
    Ok(json::Page {
        total: page.total,
        page: page.page,
        limit: page.limit,
        items: page
            .items
            .into_iter()
            .map(|gap| json::Gap {
                kind: gap.kind,
                state: if gap.former_owner.is_some() {
                    GapState::Orphaned
                } else {
                    GapState::Unowned
                },
                due: gap
                    .former_owner
                    .as_ref()
                    .map(|_| gap.departed_at.unwrap_or(now) + Duration::days(json::ORPHAN_GRACE_DAYS)),
                team: gap.team.and_then(|id| teams.get(&id).cloned()),
                hints: hints.remove(&(gap.kind, gap.entity.id)).unwrap_or_default(),
                entity: gap.entity,
                former_owner: gap.former_owner,
                risk: gap.risk,
            })
            .collect(),
    })
}

async fn team_names(
    conn: &mut AnyConnection,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, json::Ref>, sqlx::Error> {
    let mut params = Params::default();
    let list: Vec<String> = ids.map(|id| params.bind(id)).collect();
    if list.is_empty() {
        return Ok(HashMap::new());
    }
    sqlx::query_with(
        &format!("SELECT id, name FROM team WHERE id IN ({})", list.join(", ")),
        params.args(),
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        let team = get_required_ref(row, "id", "name")?;
        Ok((team.id, team))
    })
    .collect()
}

/// Hints of an entity, strongest first, without repeating a person.
type Hints = HashMap<(OwnedKind, i64), Vec<json::OwnerHint>>;

/// The most hints one gap lists.
const MAX_HINTS: usize = 3;

fn push_hint(hints: &mut Hints, key: (OwnedKind, i64), hint: json::OwnerHint) {
    let list = hints.entry(key).or_default();
    let repeated = hint.person.is_some() && list.iter().any(|h| h.person == hint.person);
    if !repeated && list.len() < MAX_HINTS {
        list.push(hint);
    }
}

/// Looks up the hints of a page of gaps: a handful of queries for the whole
/// page, each bounded by the page's ids.
async fn hints(conn: &mut AnyConnection, gaps: &[GapRow]) -> Result<Hints, sqlx::Error> {
    let ids = |kind: OwnedKind| -> Vec<i64> {
        gaps.iter()
            .filter(|g| g.kind == kind)
            .map(|g| g.entity.id)
            .collect()
    };
    let agents = ids(OwnedKind::Agent);
    let credentials = ids(OwnedKind::Credential);
    let leavers: Vec<i64> = gaps
        .iter()
        .filter_map(|g| g.former_owner.as_ref().map(|o| o.id))
        .collect();
    let mut hints = Hints::new();
    let who = |row: &AnyRow| -> Result<(Option<json::Ref>, Option<json::Ref>), sqlx::Error> {
        Ok((
            get_ref(row, "person_id", "person_name")?,
            get_ref(row, "team_id", "team_name")?,
        ))
    };

    // An orphan's natural heir is its former owner's manager.
    let managers = rows(
        conn,
        "SELECT p.id AS key, m.id AS person_id, m.name AS person_name, t.id AS team_id, t.name AS team_name \
         FROM person p JOIN person m ON m.id = p.manager_id LEFT JOIN team t ON t.id = m.team_id \
         WHERE m.status = 'active' AND p.id IN",
        &leavers,
        "",
    )
    .await?;
    let mut manager_of: HashMap<i64, (Option<json::Ref>, Option<json::Ref>)> = HashMap::new();
    for row in &managers {
        manager_of.insert(row.try_get("key")?, who(row)?);
    }
    for gap in gaps {
        if let Some(former) = &gap.former_owner
            && let Some((manager, team)) = manager_of.get(&former.id)
        {
            push_hint(
                &mut hints,
                (gap.kind, gap.entity.id),
                json::OwnerHint {
                    person: manager.clone(),
                    team: team.clone(),
                    reason: format!("manager of {}, the former owner", former.name),
                },
            );
        }
    }

    for row in rows(
        conn,
        "SELECT a.id AS key, p.id AS person_id, p.name AS person_name, t.id AS team_id, t.name AS team_name \
         FROM agent a JOIN person p ON p.id = a.deployed_by_id LEFT JOIN team t ON t.id = p.team_id \
         WHERE p.status = 'active' AND a.id IN",
        &agents,
        "",
    )
    .await?
    {
        let (person, team) = who(&row)?;
        let hint = json::OwnerHint {
            person,
            team,
            reason: "deployed the agent".to_owned(),
        };
        push_hint(&mut hints, (OwnedKind::Agent, row.try_get("key")?), hint);
    }
    for row in rows(
        conn,
        "SELECT tc.credential_id AS key, MIN(ag.name) AS agent_name, p.id AS person_id, p.name AS person_name, \
           t.id AS team_id, t.name AS team_name \
         FROM tool_credential tc JOIN agent_tool at ON at.tool_id = tc.tool_id JOIN agent ag ON ag.id = at.agent_id \
           JOIN person p ON p.id = ag.owner_id LEFT JOIN team t ON t.id = p.team_id \
         WHERE p.status = 'active' AND tc.credential_id IN",
        &credentials,
        "GROUP BY tc.credential_id, p.id, p.name, t.id, t.name ORDER BY tc.credential_id, COUNT(*) DESC, p.id",
    )
    .await?
    {
        let (person, team) = who(&row)?;
        let agent: String = row.try_get("agent_name")?;
        let hint = json::OwnerHint {
            person,
            team,
            reason: format!("owns {agent}, which uses it"),
        };
        push_hint(&mut hints, (OwnedKind::Credential, row.try_get("key")?), hint);
    }
    for row in rows(
        conn,
        "SELECT cc.credential_id AS key, MIN(cc.locator) AS locator, p.id AS person_id, p.name AS person_name, \
           t.id AS team_id, t.name AS team_name \
         FROM credential_copy cc JOIN person p ON p.email = cc.author_email LEFT JOIN team t ON t.id = p.team_id \
         WHERE p.status = 'active' AND cc.credential_id IN",
        &credentials,
        "GROUP BY cc.credential_id, p.id, p.name, t.id, t.name ORDER BY cc.credential_id, COUNT(*) DESC, p.id",
    )
    .await?
    {
        let (person, team) = who(&row)?;
        let locator: String = row.try_get("locator")?;
        let hint = json::OwnerHint {
            person,
            team,
            reason: format!("wrote the copy in {locator}"),
        };
        push_hint(&mut hints, (OwnedKind::Credential, row.try_get("key")?), hint);
    }
    // The team owning most of what an agent or credential reaches.
    for (kind, ids, sql) in [
        (
            OwnedKind::Credential,
            &credentials,
            "SELECT x.credential_id AS key, t.id AS team_id, t.name AS team_name, COUNT(*) AS reached \
             FROM reach x JOIN resource r ON r.id = x.resource_id JOIN team t ON t.id = r.owner_team_id \
             WHERE x.credential_id IN",
        ),
        (
            OwnedKind::Agent,
            &agents,
            "SELECT at.agent_id AS key, t.id AS team_id, t.name AS team_name, COUNT(DISTINCT r.id) AS reached \
             FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
               JOIN reach x ON x.credential_id = tc.credential_id JOIN resource r ON r.id = x.resource_id \
               JOIN team t ON t.id = r.owner_team_id \
             WHERE at.agent_id IN",
        ),
    ] {
        let group = match kind {
            OwnedKind::Credential => {
                "GROUP BY x.credential_id, t.id, t.name ORDER BY x.credential_id, COUNT(*) DESC, t.id"
            }
            OwnedKind::Agent => {
                "GROUP BY at.agent_id, t.id, t.name ORDER BY at.agent_id, COUNT(DISTINCT r.id) DESC, t.id"
            }
        };
        let mut seen: HashMap<i64, usize> = HashMap::new();
        for row in rows(conn, sql, ids, group).await? {
            let key: i64 = row.try_get("key")?;
            // One team per entity: the one owning most of its reach.
            let n = seen.entry(key).or_default();
            *n += 1;
            if *n > 1 {
                continue;
            }
            let reached: i64 = row.try_get("reached")?;
            let hint = json::OwnerHint {
                person: None,
                team: get_ref(&row, "team_id", "team_name")?,
                reason: format!(
                    "owns {reached} resource{} it reaches",
                    if reached == 1 { "" } else { "s" }
                ),
            };
            push_hint(&mut hints, (kind, key), hint);
        }
    }
    Ok(hints)
}

/// Runs `head (ids...) tail`, or nothing when there are no ids.
async fn rows(
    conn: &mut AnyConnection,
    head: &str,
    ids: &[i64],
    tail: &str,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::default();
    let list: Vec<String> = ids.iter().map(|id| params.bind(*id)).collect();
    sqlx::query_with(&format!("{head} ({}) {tail}", list.join(", ")), params.args())
        .fetch_all(conn)
        .await
}
