//! The coverage figures: every team's counts rolled up through the
//! hierarchy, the daily posture snapshots (and the demo's backfill), and
//! `GET /api/v1/coverage`, which shows them with the first gaps.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use model::api::{self as json, RiskBand, Share};
use sqlx::{AnyConnection, Row};

use super::super::{Db, scores};
use super::gaps::gaps_page;
use crate::ApiError;

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
