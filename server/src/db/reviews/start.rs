//! Starting a campaign: the agents and credentials it reviews, who can
//! review them, and recording the campaign and its items.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use model::api::{self as json, OwnedKind, ReviewScope, ReviewerBasis, RiskBand};
use sqlx::{AnyConnection, FromRow};

use super::super::sql::{self, Params, parse_enum, timestamp};

/// An agent or credential a new campaign reviews, with what picks its reviewer.
#[derive(Debug, Clone, FromRow)]
pub struct Candidate {
    kind: String,
    /// The agent's or credential's id.
    pub subject_id: i64,
    /// Its owner, if any.
    pub owner_id: Option<i64>,
    owner_status: Option<String>,
    /// The owner's manager, if recorded.
    pub owner_manager: Option<i64>,
    /// The team it counts for.
    pub team_id: Option<i64>,
}

impl Candidate {
    /// An agent or a credential.
    pub fn kind(&self) -> Result<OwnedKind, sqlx::Error> {
        parse_enum("kind", &self.kind)
    }

    /// Whether its owner has left.
    pub fn orphaned(&self) -> bool {
        self.owner_status.as_deref() == Some(json::PersonStatus::Departed.as_str())
    }
}

/// The agents and active credentials a campaign of `scope` reviews.
pub async fn candidates(
    conn: &mut AnyConnection,
    scope: ReviewScope,
    team: Option<i64>,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let mut params = Params::default();
    let high = RiskBand::High.range().0;
    let endpoint_agents = "SELECT agent_id FROM endpoint_agent";
    let (agents, credentials) = match (scope, team) {
        (ReviewScope::Team, Some(team)) => {
            let subtree = sql::team_subtree(&mut params, team);
            (
                format!("a.coverage_team_id IN {subtree}"),
                format!("c.coverage_team_id IN {subtree}"),
            )
        }
        (ReviewScope::CriticalHigh, _) => (
            format!("a.risk_score >= {high}"),
            format!("c.risk_score >= {high}"),
        ),
        (ReviewScope::Endpoint, _) => (
            format!("a.id IN ({endpoint_agents})"),
            format!(
                "c.id IN (SELECT tc.credential_id FROM tool_credential tc JOIN agent_tool at \
                 ON at.tool_id = tc.tool_id WHERE at.agent_id IN ({endpoint_agents}))"
            ),
        ),
        _ => ("1 = 1".to_owned(), "1 = 1".to_owned()),
    };
    let sql = format!(
        "SELECT 'agent' AS kind, a.id AS subject_id, a.owner_id, p.status AS owner_status, \
         p.manager_id AS owner_manager, a.coverage_team_id AS team_id \
         FROM agent a LEFT JOIN person p ON p.id = a.owner_id WHERE {agents} \
         UNION ALL \
         SELECT 'credential' AS kind, c.id AS subject_id, c.owner_id, p.status AS owner_status, \
         p.manager_id AS owner_manager, c.coverage_team_id AS team_id \
         FROM credential c LEFT JOIN person p ON p.id = c.owner_id WHERE c.status = 'active' AND {credentials} \
         ORDER BY kind, subject_id"
    );
    sqlx::query_as_with(&sql, params.args()).fetch_all(conn).await
}

/// Who can review: the active people with an enabled account, and the
/// managers among them with their team.
#[derive(Debug, Default)]
pub struct Reviewers {
    /// People who can sign in and decide.
    pub people: HashSet<i64>,
    /// Managers (holding the manager role), by the team they belong to.
    pub managers: HashMap<i64, i64>,
    /// Each team's parent.
    pub parents: HashMap<i64, Option<i64>>,
}

/// Everything that picks reviewers, in three reads.
pub async fn reviewers(conn: &mut AnyConnection) -> Result<Reviewers, sqlx::Error> {
    let people: Vec<i64> = sqlx::query_scalar(
        "SELECT a.person_id FROM account a JOIN person p ON p.id = a.person_id \
         WHERE a.disabled = 0 AND p.status = 'active'",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut managers = HashMap::new();
    // The first manager of a team (by person id) reviews its unowned items.
    for (person, team) in super::super::notify::managers(conn).await? {
        managers
            .entry(team)
            .and_modify(|m: &mut i64| *m = (*m).min(person))
            .or_insert(person);
    }
    let parents: Vec<(i64, Option<i64>)> = sqlx::query_as("SELECT id, parent_id FROM team")
        .fetch_all(&mut *conn)
        .await?;
    Ok(Reviewers {
        people: people.into_iter().collect(),
        managers,
        parents: parents.into_iter().collect(),
    })
}

/// A campaign to record.
pub struct NewCampaign<'a> {
    /// Its name.
    pub name: &'a str,
    /// Which items it reviews.
    pub scope: ReviewScope,
    /// The team, for the `team` scope.
    pub team: Option<i64>,
    /// Who starts it (an email).
    pub started_by: &'a str,
    /// When decisions are due.
    pub due_at: DateTime<Utc>,
    /// How often it repeats.
    pub cadence: Option<json::ReviewCadence>,
    /// When its next cycle starts (with a cadence).
    pub next_start_at: Option<DateTime<Utc>>,
    /// The cycle before it.
    pub follows: Option<i64>,
    /// Its place in its series (with a cadence).
    pub series: Option<super::Series>,
}

/// Records a campaign; answers its id.
pub async fn create(
    conn: &mut AnyConnection,
    new: &NewCampaign<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO review_campaign (name, scope, team_id, started_by, started_at, due_at, state, \
         cadence, next_start_at, follows, cycle, series_start_at, series_due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(new.name)
    .bind(new.scope.as_str())
    .bind(new.team)
    .bind(new.started_by)
    .bind(timestamp(now))
    .bind(timestamp(new.due_at))
    .bind(new.cadence.map(|c| c.as_str()))
    .bind(new.next_start_at.map(timestamp))
    .bind(new.follows)
    .bind(new.series.map(|s| s.cycle))
    .bind(new.series.map(|s| timestamp(s.start_at)))
    .bind(new.series.map(|s| timestamp(s.due_at)))
    .fetch_one(conn)
    .await
}

/// An item to record.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// An agent or a credential.
    pub kind: OwnedKind,
    /// Which.
    pub subject: i64,
    /// The team it counts for.
    pub team: Option<i64>,
    /// Its reviewer (none: admins).
    pub reviewer: Option<i64>,
    /// Why them.
    pub basis: ReviewerBasis,
}

/// Records a campaign's items, many rows to a statement.
pub async fn add_items(
    conn: &mut AnyConnection,
    campaign: i64,
    items: &[NewItem],
) -> Result<(), sqlx::Error> {
    for chunk in items.chunks(100) {
        let mut params = Params::default();
        let campaign = params.bind(campaign);
        let values: Vec<String> = chunk
            .iter()
            .map(|item| {
                format!(
                    "({campaign}, {}, {}, {}, {}, {})",
                    params.bind(item.kind.as_str()),
                    params.bind(item.subject),
                    params.bind(item.team),
                    params.bind(item.reviewer),
                    params.bind(item.basis.as_str()),
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO review_item (campaign_id, kind, subject_id, team_id, reviewer_id, basis) VALUES {}",
            values.join(", ")
        );
        sqlx::query_with(&sql, params.args()).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether team `team` exists.
pub async fn team_exists(conn: &mut AnyConnection, team: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM team WHERE id = $1")
        .bind(team)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}
