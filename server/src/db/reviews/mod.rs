//! Access reviews in the database: campaigns, their items, decisions, and
//! each item's last attestation. Queries only; who may see or decide what is
//! [`crate::review`]'s.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use model::api::{
    self as json, CampaignState, OwnedKind, ReviewDecision, ReviewScope, ReviewerBasis, RiskBand,
};
use sqlx::{AnyConnection, FromRow};

use super::sql::{self, Params, Scope, parse_enum, parse_time, timestamp};

mod items;
use items::ITEM;
pub use items::{ItemRow, items, items_by_id};

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
    for (person, team) in super::notify::managers(conn).await? {
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
}

/// Records a campaign; answers its id.
pub async fn create(
    conn: &mut AnyConnection,
    new: &NewCampaign<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO review_campaign (name, scope, team_id, started_by, started_at, due_at, state) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open') RETURNING id",
    )
    .bind(new.name)
    .bind(new.scope.as_str())
    .bind(new.team)
    .bind(new.started_by)
    .bind(timestamp(now))
    .bind(timestamp(new.due_at))
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

/// Who decides an item now: the manager (or, with none, admins: NULL) it was
/// escalated to, else its reviewer (NULL: admins).
const DECIDER: &str = "CASE WHEN i.basis = 'escalated' THEN i.escalated_to ELSE i.reviewer_id END";

/// Which items a reader sees: all, or those they review, were escalated to,
/// or that count for one of their teams.
#[derive(Debug, Clone, Default)]
pub struct Sight {
    /// Every item (CISOs and admins).
    pub all: bool,
    /// The reader's person.
    pub person: Option<i64>,
    /// The teams they manage.
    pub teams: Vec<i64>,
    /// Items nobody else reviews (admins).
    pub unassigned: bool,
}

impl Sight {
    fn condition(&self, params: &mut Params) -> String {
        if self.all {
            return "1 = 1".to_owned();
        }
        let mut any = Vec::new();
        if let Some(person) = self.person {
            let person = params.bind(person);
            any.push(format!("i.reviewer_id = {person} OR i.escalated_to = {person}"));
        }
        if !self.teams.is_empty() {
            any.push(Scope::Ids(&self.teams).condition("i.team_id", params));
        }
        if self.unassigned {
            any.push("(i.reviewer_id IS NULL AND i.escalated_to IS NULL)".to_owned());
        }
        if any.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("({})", any.join(" OR "))
        }
    }
}

const PROGRESS: &str = "COUNT(*) AS items, \
     SUM(CASE WHEN i.decision IS NOT NULL THEN 1 ELSE 0 END) AS decided, \
     SUM(CASE WHEN i.decision = 'keep' THEN 1 ELSE 0 END) AS kept, \
     SUM(CASE WHEN i.decision = 'reduce' THEN 1 ELSE 0 END) AS reduced, \
     SUM(CASE WHEN i.decision = 'revoke' THEN 1 ELSE 0 END) AS revoked, \
     SUM(CASE WHEN i.decision = 'reassign' THEN 1 ELSE 0 END) AS reassigned, \
     SUM(CASE WHEN i.decision IS NULL AND (i.escalated_to IS NOT NULL OR c.state <> 'open') THEN 1 ELSE 0 END) \
     AS escalated";

/// Counts of a group of items, as read.
#[derive(Debug, Clone, FromRow)]
struct ProgressRow {
    items: i64,
    decided: Option<i64>,
    kept: Option<i64>,
    reduced: Option<i64>,
    revoked: Option<i64>,
    reassigned: Option<i64>,
    escalated: Option<i64>,
}

impl From<ProgressRow> for json::ReviewProgress {
    fn from(row: ProgressRow) -> Self {
        Self {
            items: row.items,
            decided: row.decided.unwrap_or_default(),
            kept: row.kept.unwrap_or_default(),
            reduced: row.reduced.unwrap_or_default(),
            revoked: row.revoked.unwrap_or_default(),
            reassigned: row.reassigned.unwrap_or_default(),
            escalated: row.escalated.unwrap_or_default(),
        }
    }
}

/// A campaign as stored.
#[derive(Debug, Clone, FromRow)]
pub struct CampaignRow {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    scope: String,
    team_id: Option<i64>,
    team_name: Option<String>,
    /// Who started it.
    pub started_by: String,
    started_at: String,
    due_at: String,
    state: String,
}

impl CampaignRow {
    /// Where it stands.
    pub fn state(&self) -> Result<CampaignState, sqlx::Error> {
        parse_enum("state", &self.state)
    }

    /// When decisions are due.
    pub fn due_at(&self) -> Result<DateTime<Utc>, sqlx::Error> {
        parse_time("due_at", &self.due_at)
    }

    /// The campaign on the wire, with `progress`.
    pub fn to_wire(&self, progress: json::ReviewProgress) -> Result<json::Campaign, sqlx::Error> {
        Ok(json::Campaign {
            id: self.id,
            name: self.name.clone(),
            scope: parse_enum("scope", &self.scope)?,
            team: self.team_id.map(|id| json::Ref {
                id,
                name: self.team_name.clone().unwrap_or_default(),
            }),
            started_by: self.started_by.clone(),
            started_at: parse_time("started_at", &self.started_at)?,
            due_at: self.due_at()?,
            state: self.state()?,
            progress,
        })
    }
}

const CAMPAIGN: &str = "SELECT c.id, c.name, c.scope, c.team_id, t.name AS team_name, c.started_by, c.started_at, \
     c.due_at, c.state FROM review_campaign c LEFT JOIN team t ON t.id = c.team_id";

/// One campaign.
pub async fn campaign(conn: &mut AnyConnection, id: i64) -> Result<Option<CampaignRow>, sqlx::Error> {
    sqlx::query_as(&format!("{CAMPAIGN} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Campaigns, newest first, each with its progress over the items `sight` sees.
pub async fn campaigns(conn: &mut AnyConnection, sight: &Sight) -> Result<Vec<json::Campaign>, sqlx::Error> {
    let rows: Vec<CampaignRow> = sqlx::query_as(&format!("{CAMPAIGN} ORDER BY c.id DESC LIMIT 200"))
        .fetch_all(&mut *conn)
        .await?;
    let mut campaigns = Vec::with_capacity(rows.len());
    for row in rows {
        let progress = progress_by(conn, row.id, sight, None).await?;
        let progress = progress.into_iter().next().map(|(_, p)| p).unwrap_or_default();
        campaigns.push(row.to_wire(progress)?);
    }
    Ok(campaigns)
}

/// Progress of a campaign's items `sight` sees: in all (`by` none), or by
/// `team` or `reviewer` (each group with its id and name).
pub async fn progress_by(
    conn: &mut AnyConnection,
    campaign: i64,
    sight: &Sight,
    by: Option<&str>,
) -> Result<Vec<(Option<json::Ref>, json::ReviewProgress)>, sqlx::Error> {
    let mut params = Params::default();
    let seen = sight.condition(&mut params);
    let campaign = params.bind(campaign);
    let (select, join, group) = match by {
        Some("team") => (
            "i.team_id AS who_id, t.name AS who_name, ".to_owned(),
            "LEFT JOIN team t ON t.id = i.team_id".to_owned(),
            "GROUP BY i.team_id, t.name ORDER BY t.name".to_owned(),
        ),
        Some(_) => (
            format!("{DECIDER} AS who_id, p.name AS who_name, "),
            format!("LEFT JOIN person p ON p.id = {DECIDER}"),
            format!("GROUP BY {DECIDER}, p.name ORDER BY p.name"),
        ),
        None => (
            "NULL AS who_id, NULL AS who_name, ".to_owned(),
            String::new(),
            String::new(),
        ),
    };
    let sql = format!(
        "SELECT {select}{PROGRESS} FROM review_item i JOIN review_campaign c ON c.id = i.campaign_id {join} \
         WHERE i.campaign_id = {campaign} AND {seen} {group}"
    );
    #[derive(FromRow)]
    struct Grouped {
        who_id: Option<i64>,
        who_name: Option<String>,
        #[sqlx(flatten)]
        progress: ProgressRow,
    }
    let rows: Vec<Grouped> = sqlx::query_as_with(&sql, params.args()).fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .filter(|row| row.progress.items > 0)
        .map(|row| {
            let who = row.who_id.map(|id| json::Ref {
                id,
                name: row.who_name.unwrap_or_default(),
            });
            (who, row.progress.into())
        })
        .collect())
}

/// A decision to record on one item.
pub struct Decided<'a> {
    /// The item.
    pub item: i64,
    /// The decision.
    pub decision: ReviewDecision,
    /// Why.
    pub reason: &'a str,
    /// Who (an email).
    pub by: &'a str,
    /// What it opened.
    pub follow_up: Option<&'a str>,
}

/// Records a decision unless one was made already or the campaign was
/// closed meanwhile; answers whether it was recorded.
pub async fn decide(
    conn: &mut AnyConnection,
    decided: &Decided<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE review_item SET decision = $1, reason = $2, decided_by = $3, decided_at = $4, follow_up = $5 \
         WHERE id = $6 AND decision IS NULL AND EXISTS \
         (SELECT 1 FROM review_campaign c WHERE c.id = review_item.campaign_id AND c.state <> 'closed')",
    )
    .bind(decided.decision.as_str())
    .bind(decided.reason)
    .bind(decided.by)
    .bind(timestamp(now))
    .bind(decided.follow_up)
    .bind(decided.item)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Open campaigns due by `by` (to remind) or by `now` (to escalate).
pub async fn open_due(conn: &mut AnyConnection, by: DateTime<Utc>) -> Result<Vec<CampaignRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{CAMPAIGN} WHERE c.state = 'open' AND c.due_at <= $1 ORDER BY c.id"
    ))
    .bind(timestamp(by))
    .fetch_all(conn)
    .await
}

/// Marks a campaign reminded; answers whether this call did (once across replicas).
pub async fn mark_reminded(
    conn: &mut AnyConnection,
    campaign: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sql::stamp_once(conn, "review_campaign", "reminded_at", campaign, now).await
}

/// Moves a campaign from `from` to `to`; answers whether this call did.
pub async fn set_state(
    conn: &mut AnyConnection,
    campaign: i64,
    from: &[CampaignState],
    to: CampaignState,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut params = Params::default();
    let to_state = params.bind(to.as_str());
    let at = params.bind(timestamp(now));
    let id = params.bind(campaign);
    let from: Vec<String> = from.iter().map(|s| params.bind(s.as_str())).collect();
    let column = if to == CampaignState::Closed {
        "closed_at"
    } else {
        "escalated_at"
    };
    let done = sqlx::query_with(
        &format!(
            "UPDATE review_campaign SET state = {to_state}, {column} = {at} WHERE id = {id} AND state IN ({})",
            from.join(", ")
        ),
        params.args(),
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Each reviewer (or, for items nobody reviews, `None`) with their undecided items in a campaign.
pub async fn open_by_reviewer(
    conn: &mut AnyConnection,
    campaign: i64,
) -> Result<Vec<(Option<i64>, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {DECIDER} AS reviewer, COUNT(*) FROM review_item i \
         WHERE i.campaign_id = $1 AND i.decision IS NULL GROUP BY {DECIDER} ORDER BY reviewer"
    ))
    .bind(campaign)
    .fetch_all(conn)
    .await
}

/// Undecided items of a campaign with their reviewer's manager (when they
/// have one who can sign in), for escalation.
pub async fn undecided_with_manager(
    conn: &mut AnyConnection,
    campaign: i64,
) -> Result<Vec<(i64, OwnedKind, i64, Option<i64>)>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT i.id, i.kind, i.subject_id, m.id FROM review_item i LEFT JOIN person p ON p.id = i.reviewer_id \
         LEFT JOIN person m ON m.id = p.manager_id AND m.status = 'active' \
         AND EXISTS (SELECT 1 FROM account ac WHERE ac.person_id = m.id AND ac.disabled = 0) \
         WHERE i.campaign_id = $1 AND i.decision IS NULL ORDER BY i.id",
    )
    .bind(campaign)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, kind, subject, manager)| Ok((id, parse_enum("kind", &kind)?, subject, manager)))
        .collect()
}

/// Sends an undecided item to `manager` (or, with none, to admins).
pub async fn escalate(conn: &mut AnyConnection, item: i64, manager: Option<i64>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE review_item SET escalated_to = $1, basis = 'escalated' WHERE id = $2 AND decision IS NULL",
    )
    .bind(manager)
    .bind(item)
    .execute(conn)
    .await?;
    Ok(())
}

/// An attestation as read.
#[derive(Debug, Clone, FromRow)]
struct AttestationRow {
    campaign_id: i64,
    campaign_name: String,
    decision: String,
    reason: String,
    decided_by: String,
    decided_at: String,
}

/// The newest attestation (kept or reduced) of an agent or credential.
pub async fn last_attested(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    subject: i64,
) -> Result<Option<json::Attestation>, sqlx::Error> {
    let row: Option<AttestationRow> = sqlx::query_as(
        "SELECT i.campaign_id, c.name AS campaign_name, i.decision, i.reason, i.decided_by, i.decided_at \
         FROM review_item i JOIN review_campaign c ON c.id = i.campaign_id \
         WHERE i.kind = $1 AND i.subject_id = $2 AND i.decision IN ('keep', 'reduce') \
         ORDER BY i.decided_at DESC LIMIT 1",
    )
    .bind(kind.as_str())
    .bind(subject)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(json::Attestation {
            campaign: json::Ref {
                id: row.campaign_id,
                name: row.campaign_name,
            },
            decision: parse_enum("decision", &row.decision)?,
            reason: row.reason,
            by: row.decided_by,
            at: parse_time("decided_at", &row.decided_at)?,
        })
    })
    .transpose()
}

/// Which agents or credentials of `kind` in `scope` were up for review in
/// a campaign whose due date has passed by `now`: an attestation was
/// expected of them.
pub async fn reviewed_by(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    scope: &Scope<'_>,
    now: DateTime<Utc>,
) -> Result<HashSet<i64>, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("i.subject_id", &mut params);
    let kind = params.bind(kind.as_str());
    let now = params.bind(timestamp(now));
    let ids: Vec<i64> = sqlx::query_scalar_with(
        &format!(
            "SELECT DISTINCT i.subject_id FROM review_item i JOIN review_campaign c ON c.id = i.campaign_id \
             WHERE i.kind = {kind} AND c.due_at <= {now} AND {filter}"
        ),
        params.args(),
    )
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().collect())
}

/// The newest attestation time of each agent or credential of `kind` in `scope`.
pub async fn attested_at(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    scope: &Scope<'_>,
) -> Result<HashMap<i64, (DateTime<Utc>, String)>, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("subject_id", &mut params);
    let kind = params.bind(kind.as_str());
    let rows: Vec<(i64, String, String)> = sqlx::query_as_with(
        &format!(
            "SELECT subject_id, decided_at, decided_by FROM review_item \
             WHERE kind = {kind} AND decision IN ('keep', 'reduce') AND {filter}"
        ),
        params.args(),
    )
    .fetch_all(conn)
    .await?;
    let mut newest: HashMap<i64, (DateTime<Utc>, String)> = HashMap::new();
    for (id, at, by) in rows {
        let at = parse_time("decided_at", &at)?;
        if newest.get(&id).is_none_or(|(seen, _)| *seen < at) {
            newest.insert(id, (at, by));
        }
    }
    Ok(newest)
}

/// Every campaign touching the period, with its items' decisions (the evidence pack's records).
pub async fn campaigns_between(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> Result<Vec<(json::Campaign, Vec<json::ReviewItem>)>, sqlx::Error> {
    let rows: Vec<CampaignRow> = sqlx::query_as(&format!(
        "{CAMPAIGN} WHERE c.started_at <= $2 AND (c.closed_at IS NULL OR c.closed_at >= $1) ORDER BY c.id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let all = Sight {
        all: true,
        ..Sight::default()
    };
    let mut campaigns = Vec::new();
    for row in rows {
        let progress = progress_by(conn, row.id, &all, None).await?;
        let progress = progress.into_iter().next().map(|(_, p)| p).unwrap_or_default();
        let items: Vec<ItemRow> = sqlx::query_as(&format!("{ITEM} WHERE i.campaign_id = $1 ORDER BY i.id"))
            .bind(row.id)
            .fetch_all(&mut *conn)
            .await?;
        let items = items.iter().map(ItemRow::to_wire).collect::<Result<_, _>>()?;
        campaigns.push((row.to_wire(progress)?, items));
    }
    Ok(campaigns)
}

/// Whether team `team` exists.
pub async fn team_exists(conn: &mut AnyConnection, team: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM team WHERE id = $1")
        .bind(team)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// An agent that uses credential `credential` (the lowest id), if any: a
/// reduction's change request is about an agent.
pub async fn an_agent_using(conn: &mut AnyConnection, credential: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MIN(at.agent_id) FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         WHERE tc.credential_id = $1",
    )
    .bind(credential)
    .fetch_one(conn)
    .await
}

/// The active credentials agent `agent` uses that no other agent uses.
pub async fn credentials_only_used_by(conn: &mut AnyConnection, agent: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT c.id FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         JOIN credential c ON c.id = tc.credential_id WHERE at.agent_id = $1 AND c.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM agent_tool o JOIN tool_credential otc ON otc.tool_id = o.tool_id \
         WHERE otc.credential_id = c.id AND o.agent_id <> at.agent_id) ORDER BY c.id",
    )
    .bind(agent)
    .fetch_all(conn)
    .await
}

/// The agents using credential `credential` that another owner answers for
/// (or nobody), by name.
pub async fn agents_of_other_owners(
    conn: &mut AnyConnection,
    credential: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT a.name FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         JOIN agent a ON a.id = at.agent_id JOIN credential c ON c.id = tc.credential_id \
         WHERE tc.credential_id = $1 AND (a.owner_id IS NULL OR c.owner_id IS NULL \
         OR a.owner_id <> c.owner_id) ORDER BY a.name",
    )
    .bind(credential)
    .fetch_all(conn)
    .await
}
