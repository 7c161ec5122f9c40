//! Access reviews in the database: campaigns, their items, decisions, and
//! each item's last attestation. Queries only; who may see or decide what is
//! [`crate::review`]'s.

use chrono::{DateTime, Utc};
use model::api::{self as json, CampaignState, ReviewDecision};
use sqlx::{AnyConnection, FromRow};

use super::sql::{Params, Scope, parse_enum, parse_time, timestamp};

mod attestations;
mod deadlines;
mod follow_up;
mod items;
mod start;
pub use attestations::{attested_at, attested_items, last_attested, repeating_cycles, reviewed_by};
pub use deadlines::{
    claim_next_cycle, cycles_due, escalate, mark_reminded, open_by_reviewer, open_due, set_state,
    stop_repeating, undecided_with_manager,
};
pub use follow_up::{agents_of_other_owners, an_agent_using, credentials_only_used_by};
use items::ITEM;
pub use items::{ItemRow, items, items_by_id};
pub use start::{
    Candidate, NewCampaign, NewItem, Reviewers, add_items, candidates, create, reviewers, team_exists,
};

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

/// Where a cycle of a repeating campaign stands in its series: its number
/// (the first is 0), and the first cycle's start and due date, from which
/// every cycle's dates are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Series {
    /// Which cycle (0: the first).
    pub cycle: i64,
    /// When the first cycle started.
    pub start_at: DateTime<Utc>,
    /// When the first cycle's decisions were due.
    pub due_at: DateTime<Utc>,
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
    cadence: Option<String>,
    next_start_at: Option<String>,
    /// The cycle before it, for a repeating campaign's later cycles.
    pub follows: Option<i64>,
    cycle: Option<i64>,
    series_start_at: Option<String>,
    series_due_at: Option<String>,
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

    /// When it started.
    pub fn started_at(&self) -> Result<DateTime<Utc>, sqlx::Error> {
        parse_time("started_at", &self.started_at)
    }

    /// Which items it reviews.
    pub fn scope(&self) -> Result<json::ReviewScope, sqlx::Error> {
        parse_enum("scope", &self.scope)
    }

    /// The team, for the `team` scope.
    pub fn team(&self) -> Option<i64> {
        self.team_id
    }

    /// How often it was set to repeat.
    pub fn cadence(&self) -> Result<Option<json::ReviewCadence>, sqlx::Error> {
        self.cadence
            .as_deref()
            .map(|c| parse_enum("cadence", c))
            .transpose()
    }

    /// When its next cycle starts, while it repeats.
    pub fn next_start_at(&self) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        self.next_start_at
            .as_deref()
            .map(|t| parse_time("next_start_at", t))
            .transpose()
    }

    /// A repeating campaign's place in its series.
    pub fn series(&self) -> Result<Option<Series>, sqlx::Error> {
        let (Some(cycle), Some(start), Some(due)) = (self.cycle, &self.series_start_at, &self.series_due_at)
        else {
            return Ok(None);
        };
        Ok(Some(Series {
            cycle,
            start_at: parse_time("series_start_at", start)?,
            due_at: parse_time("series_due_at", due)?,
        }))
    }

    /// The campaign on the wire, with `progress`.
    pub fn to_wire(&self, progress: json::ReviewProgress) -> Result<json::Campaign, sqlx::Error> {
        Ok(json::Campaign {
            id: self.id,
            name: self.name.clone(),
            scope: self.scope()?,
            team: self.team_id.map(|id| json::Ref {
                id,
                name: self.team_name.clone().unwrap_or_default(),
            }),
            started_by: self.started_by.clone(),
            started_at: parse_time("started_at", &self.started_at)?,
            due_at: self.due_at()?,
            state: self.state()?,
            repeat: self.cadence()?,
            next_start: self.next_start_at()?,
            follows: self.follows,
            progress,
        })
    }
}

const CAMPAIGN: &str = "SELECT c.id, c.name, c.scope, c.team_id, t.name AS team_name, c.started_by, c.started_at, \
     c.due_at, c.state, c.cadence, c.next_start_at, c.follows, c.cycle, c.series_start_at, c.series_due_at \
     FROM review_campaign c \
     LEFT JOIN team t ON t.id = c.team_id";

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
