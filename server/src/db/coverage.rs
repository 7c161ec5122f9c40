//! Owner coverage: which agents and active credentials have an accountable
//! owner, counted against the team they belong to and rolled up through the
//! team hierarchy; the gaps (unowned and orphaned) with hints of who should
//! own them; and the daily posture history.
//!
//! An owned item belongs to its owner's team, even after the owner left (its
//! orphan then counts against that team). An unowned item belongs to the
//! team the evidence points at: for an agent, the team of whoever deployed
//! it; for a credential, the team of the owners of the agents that use it,
//! else of the authors of its copies, else the team owning most of what it
//! reaches. Items without any such evidence count for the organisation only.
//! That team is stored on the row (`coverage_team_id`) by [`rehome`], which
//! every change of ownership calls through `risk::refresh`, so that the
//! figures are one indexed `GROUP BY` at any size.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use model::api::{self as json, GapState, OwnedKind, RiskBand, Share};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::sql::{self, Paging, Params, Scope, Sort, get_enum, get_opt_time, get_ref, get_required_ref};
use super::{Db, scores};
use crate::ApiError;

/// The team an agent counts against (see the module's documentation), for
/// `UPDATE agent`.
const AGENT_TEAM: &str = "COALESCE((SELECT p.team_id FROM person p WHERE p.id = agent.owner_id), \
     (SELECT p.team_id FROM person p WHERE p.id = agent.deployed_by_id))";

/// The team a credential counts against, for `UPDATE credential`. COALESCE
/// stops at the first answer on both engines, so an owned credential costs
/// one lookup.
const CREDENTIAL_TEAM: &str = "COALESCE((SELECT p.team_id FROM person p WHERE p.id = credential.owner_id), \
     (SELECT p.team_id FROM tool_credential tc JOIN agent_tool at ON at.tool_id = tc.tool_id \
        JOIN agent ag ON ag.id = at.agent_id JOIN person p ON p.id = ag.owner_id \
      WHERE tc.credential_id = credential.id AND p.team_id IS NOT NULL \
      GROUP BY p.team_id ORDER BY COUNT(*) DESC, p.team_id LIMIT 1), \
     (SELECT p.team_id FROM credential_copy cc JOIN person p ON p.email = cc.author_email \
      WHERE cc.credential_id = credential.id AND p.team_id IS NOT NULL \
      GROUP BY p.team_id ORDER BY COUNT(*) DESC, p.team_id LIMIT 1), \
     (SELECT r.owner_team_id FROM reach x JOIN resource r ON r.id = x.resource_id \
      WHERE x.credential_id = credential.id AND r.owner_team_id IS NOT NULL \
      GROUP BY r.owner_team_id ORDER BY COUNT(*) DESC, r.owner_team_id LIMIT 1))";

/// Every credential with the team it has stored and the team it counts
/// against now, as [`CREDENTIAL_TEAM`] finds it for one, found for all at
/// once: each kind of evidence grouped once over its whole table, then
/// joined. PostgreSQL ran the correlated form as plans of their own per
/// credential and took two minutes on half of `large` (`make
/// bench-engines`); SQLite runs the correlated form faster than this one
/// (1.0 s against 6.0 s on `large`), as index lookups that stop at the
/// first evidence found.
const EVERY_CREDENTIAL_TEAM: &str = "WITH by_agents AS (\
       SELECT credential_id, team_id FROM (\
         SELECT tc.credential_id, p.team_id, \
           ROW_NUMBER() OVER (PARTITION BY tc.credential_id ORDER BY COUNT(*) DESC, p.team_id) AS rank \
         FROM tool_credential tc JOIN agent_tool at ON at.tool_id = tc.tool_id \
           JOIN agent ag ON ag.id = at.agent_id JOIN person p ON p.id = ag.owner_id \
         WHERE p.team_id IS NOT NULL GROUP BY tc.credential_id, p.team_id) ranked \
       WHERE rank = 1), \
     by_authors AS (\
       SELECT credential_id, team_id FROM (\
         SELECT cc.credential_id, p.team_id, \
           ROW_NUMBER() OVER (PARTITION BY cc.credential_id ORDER BY COUNT(*) DESC, p.team_id) AS rank \
         FROM credential_copy cc JOIN person p ON p.email = cc.author_email \
         WHERE p.team_id IS NOT NULL GROUP BY cc.credential_id, p.team_id) ranked \
       WHERE rank = 1), \
     by_reach AS (\
       SELECT credential_id, team_id FROM (\
         SELECT x.credential_id, r.owner_team_id AS team_id, \
           ROW_NUMBER() OVER (PARTITION BY x.credential_id ORDER BY COUNT(*) DESC, r.owner_team_id) AS rank \
         FROM reach x JOIN resource r ON r.id = x.resource_id \
         WHERE r.owner_team_id IS NOT NULL GROUP BY x.credential_id, r.owner_team_id) ranked \
       WHERE rank = 1) \
     SELECT c.id, c.coverage_team_id AS stored, COALESCE(o.team_id, a.team_id, w.team_id, x.team_id) AS home \
     FROM credential c LEFT JOIN person o ON o.id = c.owner_id \
       LEFT JOIN by_agents a ON a.credential_id = c.id \
       LEFT JOIN by_authors w ON w.credential_id = c.id \
       LEFT JOIN by_reach x ON x.credential_id = c.id";

/// The rows of `table` (`credential` or `agent`) whose coverage team is out
/// of date, by id.
async fn out_of_date(conn: &mut AnyConnection, table: &'static str) -> Result<Vec<i64>, sqlx::Error> {
    let homes = match table {
        "credential" if conn.backend_name() != "SQLite" => EVERY_CREDENTIAL_TEAM.to_owned(),
        "credential" => {
            format!("SELECT id, coverage_team_id AS stored, {CREDENTIAL_TEAM} AS home FROM credential")
        }
        _ => format!("SELECT id, coverage_team_id AS stored, {AGENT_TEAM} AS home FROM agent"),
    };
    sqlx::query_scalar(&format!(
        "SELECT id FROM ({homes}) homes WHERE stored IS DISTINCT FROM home ORDER BY id"
    ))
    .fetch_all(conn)
    .await
}

/// Sets `coverage_team_id` of these rows of `table`, a thousand ids a
/// statement, each found again here (in the caller's transaction, so
/// that it is the team as of this change, whatever was read before);
/// answers the rows whose team changed.
async fn rehome_rows(conn: &mut AnyConnection, table: &'static str, ids: &[i64]) -> Result<u64, sqlx::Error> {
    let expression = if table == "credential" {
        CREDENTIAL_TEAM
    } else {
        AGENT_TEAM
    };
    let mut moved = 0;
    for chunk in ids.chunks(1000) {
        let mut params = Params::default();
        let filter = Scope::Ids(chunk).condition("id", &mut params);
        // Only rows whose team changes are written (the expression is
        // evaluated a second time only for the rows that do change).
        moved += sqlx::query_with(
            &format!(
                "UPDATE {table} SET coverage_team_id = {expression} \
                 WHERE {filter} AND coverage_team_id IS DISTINCT FROM {expression}"
            ),
            params.args(),
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(moved)
}

/// Sets `coverage_team_id` of these credentials and agents (or of all):
/// called by every change of ownership or lineage, in its transaction.
/// All of them: those out of date are found first (at once), then
/// re-homed row by row.
pub async fn rehome(
    conn: &mut AnyConnection,
    credentials: Scope<'_>,
    agents: Scope<'_>,
) -> Result<(), sqlx::Error> {
    for (table, scope) in [("credential", credentials), ("agent", agents)] {
        match scope {
            Scope::All => {
                let ids = out_of_date(conn, table).await?;
                rehome_rows(conn, table, &ids).await?;
            }
            Scope::Ids(ids) => {
                rehome_rows(conn, table, ids).await?;
            }
        }
    }
    if matches!((credentials, agents), (Scope::All, Scope::All)) {
        mark_rehomed(conn).await?;
    }
    Ok(())
}

/// Re-homes every credential and agent whose team is out of date, in steps
/// ([`Db::in_steps`]): which rows are out of date is read first, outside
/// any transaction, then each step finds their teams again in its own.
/// Answers the rows moved; the caller records that everything was
/// re-homed ([`mark_rehomed`]) once its own work is done.
pub async fn rehome_in_steps(db: &Db) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    for table in ["credential", "agent"] {
        let ids = out_of_date(&mut *db.pool().acquire().await?, table).await?;
        total += db
            .in_steps(&ids, super::Pace::new(1_000, 100, 20_000), |conn, step| {
                Box::pin(rehome_rows(conn, table, step))
            })
            .await?;
    }
    Ok(total)
}

/// Records, in the caller's transaction, that every row was re-homed.
pub async fn mark_rehomed(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sql::put_setting(conn, REHOMED, &sql::timestamp(Utc::now())).await
}

/// The setting that records the last time every row was re-homed.
const REHOMED: &str = "coverage_rehomed_at";

/// Re-homes everything once on a database that never was (one upgraded from
/// before coverage teams were stored); later changes keep them current.
pub async fn rehome_if_never(db: &Db) -> Result<bool, sqlx::Error> {
    let done: Option<String> = sqlx::query_scalar("SELECT value FROM setting WHERE name = $1")
        .bind(REHOMED)
        .fetch_optional(db.pool())
        .await?;
    if done.is_some() {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    rehome(&mut tx, Scope::All, Scope::All).await?;
    tx.commit().await?;
    Ok(true)
}

/// The team key of the organisation as a whole in `posture_snapshot`.
const ORGANISATION: i64 = 0;

/// Days of history `GET /coverage` returns, today included.
const HISTORY_DAYS: i64 = 90;

/// Gaps listed with the coverage figures.
const COVERAGE_GAPS: u32 = 20;

/// Counts of one team (or of everything), before or after rolling up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Agents.
    pub agents: i64,
    /// Agents with an owner still with the organisation.
    pub agents_owned: i64,
    /// Active credentials.
    pub credentials: i64,
    /// Active credentials with an owner still with the organisation.
    pub credentials_owned: i64,
    /// Agents and active credentials whose owner left.
    pub orphaned: i64,
    /// Active credentials in the critical band.
    pub critical: i64,
    /// Active credentials in the high band.
    pub high: i64,
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.agents += other.agents;
        self.agents_owned += other.agents_owned;
        self.credentials += other.credentials;
        self.credentials_owned += other.credentials_owned;
        self.orphaned += other.orphaned;
        self.critical += other.critical;
        self.high += other.high;
    }

    fn coverage(&self, team: Option<json::Ref>) -> json::TeamCoverage {
        json::TeamCoverage {
            team,
            agents: Share {
                count: self.agents_owned,
                total: self.agents,
            },
            credentials: Share {
                count: self.credentials_owned,
                total: self.credentials,
            },
            orphaned: self.orphaned,
            unowned: self.agents + self.credentials
                - self.agents_owned
                - self.credentials_owned
                - self.orphaned,
        }
    }

    fn point(&self, day: NaiveDate) -> json::PosturePoint {
        let coverage = self.coverage(None);
        json::PosturePoint {
            day,
            agents: coverage.agents,
            credentials: coverage.credentials,
            orphaned: self.orphaned,
            critical: self.critical,
            high: self.high,
        }
    }
}

/// A team of the hierarchy.
#[derive(Debug, Clone)]
struct Team {
    name: String,
    parent: Option<i64>,
}

/// The whole hierarchy's figures, as of now.
#[derive(Debug, Clone, Default)]
pub struct Rollup {
    teams: BTreeMap<i64, Team>,
    /// Per team, its sub-teams included.
    by_team: HashMap<i64, Figures>,
    organisation: Figures,
}

impl Rollup {
    fn team_ref(&self, id: i64) -> Option<json::Ref> {
        self.teams.get(&id).map(|team| json::Ref {
            id,
            name: team.name.clone(),
        })
    }

    fn figures(&self, team: Option<i64>) -> Figures {
        match team {
            None => self.organisation,
            Some(team) => self.by_team.get(&team).copied().unwrap_or_default(),
        }
    }

    fn coverage(&self, team: Option<i64>) -> json::TeamCoverage {
        self.figures(team).coverage(team.and_then(|id| self.team_ref(id)))
    }
}

/// Counts every agent and active credential against its team, then adds each
/// team's figures to all its ancestors.
pub async fn rollup(conn: &mut AnyConnection) -> Result<Rollup, sqlx::Error> {
    let teams: BTreeMap<i64, Team> = sqlx::query("SELECT id, name, parent_id FROM team")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("id")?,
                Team {
                    name: row.try_get("name")?,
                    parent: row.try_get("parent_id")?,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let critical = scores::band_condition("c.risk_score", RiskBand::Critical);
    let high = scores::band_condition("c.risk_score", RiskBand::High);
    // `+` keeps SQLite from walking the owner index person by person: the
    // covering index on (status, coverage_team_id, owner_id, ...) is faster.
    let agents = "SELECT a.coverage_team_id AS team, COUNT(*) AS total, \
           SUM(CASE WHEN p.status = 'active' THEN 1 ELSE 0 END) AS owned, \
           SUM(CASE WHEN p.status = 'departed' THEN 1 ELSE 0 END) AS orphaned, \
           0 AS critical, 0 AS high \
         FROM agent a LEFT JOIN person p ON p.id = +a.owner_id GROUP BY a.coverage_team_id"
        .to_owned();
    let credentials = format!(
        "SELECT c.coverage_team_id AS team, COUNT(*) AS total, \
           SUM(CASE WHEN p.status = 'active' THEN 1 ELSE 0 END) AS owned, \
           SUM(CASE WHEN p.status = 'departed' THEN 1 ELSE 0 END) AS orphaned, \
           SUM(CASE WHEN {critical} THEN 1 ELSE 0 END) AS critical, \
           SUM(CASE WHEN {high} THEN 1 ELSE 0 END) AS high \
         FROM credential c LEFT JOIN person p ON p.id = +c.owner_id \
         WHERE c.status = 'active' GROUP BY c.coverage_team_id"
    );
    let mut own: HashMap<Option<i64>, Figures> = HashMap::new();
    for (sql, is_agent) in [(agents, true), (credentials, false)] {
        for row in sqlx::query(&sql).fetch_all(&mut *conn).await? {
            let team: Option<i64> = row.try_get("team")?;
            let total: i64 = row.try_get("total")?;
            let owned: i64 = row.try_get("owned")?;
            let figures = own.entry(team).or_default();
            if is_agent {
                figures.agents += total;
                figures.agents_owned += owned;
            } else {
                figures.credentials += total;
                figures.credentials_owned += owned;
                figures.critical += row.try_get::<i64, _>("critical")?;
                figures.high += row.try_get::<i64, _>("high")?;
            }
            figures.orphaned += row.try_get::<i64, _>("orphaned")?;
        }
    }
    let mut rollup = Rollup {
        teams,
        ..Rollup::default()
    };
    for (team, figures) in &own {
        rollup.organisation.add(figures);
        let mut next = *team;
        // The hierarchy is a tree; the step bound only guards against a
        // cycle someone wrote into the database by hand.
        let mut steps = 0;
        while let Some(id) = next
            && steps <= rollup.teams.len()
        {
            rollup.by_team.entry(id).or_default().add(figures);
            next = rollup.teams.get(&id).and_then(|team| team.parent);
            steps += 1;
        }
    }
    Ok(rollup)
}

/// Records today's posture of every team and of the organisation,
/// replacing what an earlier run recorded today.
pub async fn snapshot(db: &Db, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let rollup = rollup(&mut tx).await?;
    write_day(&mut tx, now.date_naive(), &rollup, |figures| figures).await?;
    tx.commit().await
}

/// Records the `days` before `today` from today's figures, each shaped by
/// `past(days_ago, figures)`: how the demo gets a history to draw.
pub async fn backfill(
    db: &Db,
    today: NaiveDate,
    days: i64,
    past: impl Fn(i64, Figures) -> Figures,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let rollup = rollup(&mut tx).await?;
    for ago in 1..=days {
        write_day(&mut tx, today - Duration::days(ago), &rollup, |figures| {
            past(ago, figures)
        })
        .await?;
    }
    tx.commit().await
}

/// Replaces one day's rows: the organisation's and every team's.
async fn write_day(
    conn: &mut AnyConnection,
    day: NaiveDate,
    rollup: &Rollup,
    shape: impl Fn(Figures) -> Figures,
) -> Result<(), sqlx::Error> {
    let day = day.to_string();
    sqlx::query("DELETE FROM posture_snapshot WHERE day = $1")
        .bind(&day)
        .execute(&mut *conn)
        .await?;
    let rows = std::iter::once((ORGANISATION, rollup.organisation))
        .chain(rollup.teams.keys().map(|&id| (id, rollup.figures(Some(id)))));
    for (team, figures) in rows {
        let figures = shape(figures);
        sqlx::query(
            "INSERT INTO posture_snapshot (day, team_id, agents, agents_owned, credentials, \
             credentials_owned, orphaned, critical, high) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&day)
        .bind(team)
        .bind(figures.agents)
        .bind(figures.agents_owned)
        .bind(figures.credentials)
        .bind(figures.credentials_owned)
        .bind(figures.orphaned)
        .bind(figures.critical)
        .bind(figures.high)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// `GET /api/v1/coverage`.
pub async fn coverage(db: &Db, team: Option<i64>, now: DateTime<Utc>) -> Result<json::Coverage, ApiError> {
    let mut conn = db.pool().acquire().await?;
    let rollup = rollup(&mut conn).await?;
    drop(conn);
    if let Some(id) = team
        && !rollup.teams.contains_key(&id)
    {
        return Err(ApiError::NotFound(format!("no team with id {id}")));
    }
    let mut teams: Vec<json::TeamCoverage> = rollup
        .teams
        .iter()
        .filter(|(_, t)| t.parent == team)
        .map(|(&id, _)| rollup.coverage(Some(id)))
        .collect();
    teams.sort_by(|a, b| {
        (a.agents.percent(), a.credentials.percent())
            .cmp(&(b.agents.percent(), b.credentials.percent()))
            .then_with(|| {
                a.team
                    .as_ref()
                    .map(|t| &t.name)
                    .cmp(&b.team.as_ref().map(|t| &t.name))
            })
    });
    let figures = rollup.coverage(team);
    let gaps = gaps_page(
        db,
        &json::GapQuery {
            team,
            limit: Some(COVERAGE_GAPS),
            ..Default::default()
        },
        now,
        Some(figures.orphaned + figures.unowned),
    )
    .await?;
    let today = now.date_naive();
    let since = today - Duration::days(HISTORY_DAYS - 1);
    let mut history: Vec<json::PosturePoint> = sqlx::query(
        "SELECT day, agents, agents_owned, credentials, credentials_owned, orphaned, critical, high \
         FROM posture_snapshot WHERE team_id = $1 AND day >= $2 AND day < $3 ORDER BY day",
    )
    .bind(team.unwrap_or(ORGANISATION))
    .bind(since.to_string())
    .bind(today.to_string())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|row| {
        let day: String = row.try_get("day")?;
        let day = day
            .parse::<NaiveDate>()
            .map_err(|e| sqlx::Error::Decode(format!("posture_snapshot.day {day:?}: {e}").into()))?;
        Ok(Figures {
            agents: row.try_get("agents")?,
            agents_owned: row.try_get("agents_owned")?,
            credentials: row.try_get("credentials")?,
            credentials_owned: row.try_get("credentials_owned")?,
            orphaned: row.try_get("orphaned")?,
            critical: row.try_get("critical")?,
            high: row.try_get("high")?,
        }
        .point(day))
    })
    .collect::<Result<_, sqlx::Error>>()?;
    history.push(rollup.figures(team).point(today));
    Ok(json::Coverage {
        coverage: figures,
        teams,
        gaps,
        history,
    })
}

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
async fn gaps_page(
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
