//! A campaign's items as their reviewers read them: the agent or credential
//! joined by kind, with its risk, owner, reach, copies and last use.

use model::api::{self as json, OwnedKind, ReviewDecision, ReviewerBasis};
use sqlx::{AnyConnection, FromRow};

use super::super::sql::{self, Paging, Params, Scope, Sort, parse_enum, parse_time, where_clause};
use super::{DECIDER, Sight};
use crate::ApiError;

/// An item as read for its reviewer.
#[derive(Debug, Clone, FromRow)]
pub struct ItemRow {
    /// Its id.
    pub id: i64,
    /// Its campaign.
    pub campaign_id: i64,
    kind: String,
    /// The agent's or credential's id.
    pub subject_id: i64,
    name: Option<String>,
    risk_score: Option<i64>,
    risk_factors: Option<String>,
    owner_id: Option<i64>,
    owner_name: Option<String>,
    reach: i64,
    reach_prod: i64,
    copies: i64,
    last_used: Option<String>,
    scopes: Option<String>,
    /// Its reviewer.
    pub reviewer_id: Option<i64>,
    reviewer_name: Option<String>,
    basis: String,
    /// Whom it was escalated to.
    pub escalated_to: Option<i64>,
    escalated_name: Option<String>,
    decision: Option<String>,
    reason: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<String>,
    follow_up: Option<String>,
    /// The team it counts for.
    pub team_id: Option<i64>,
}

impl ItemRow {
    /// An agent or a credential.
    pub fn kind(&self) -> Result<OwnedKind, sqlx::Error> {
        parse_enum("kind", &self.kind)
    }

    /// Why its reviewer reviews it.
    pub fn basis(&self) -> Result<ReviewerBasis, sqlx::Error> {
        parse_enum("basis", &self.basis)
    }

    /// The decision, if made.
    pub fn decision(&self) -> Result<Option<ReviewDecision>, sqlx::Error> {
        self.decision
            .as_deref()
            .map(|d| parse_enum("decision", d))
            .transpose()
    }

    /// Its name.
    pub fn name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("#{}", self.subject_id))
    }

    /// Its scopes (a credential's).
    pub fn scopes(&self) -> Vec<String> {
        self.scopes
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// Its owner, if any.
    pub fn owner(&self) -> Option<json::Ref> {
        person(self.owner_id, &self.owner_name)
    }

    /// The item on the wire.
    pub fn to_wire(&self) -> Result<json::ReviewItem, sqlx::Error> {
        let time = |column: &str, value: &Option<String>| {
            value.as_deref().map(|v| parse_time(column, v)).transpose()
        };
        Ok(json::ReviewItem {
            id: self.id,
            campaign: self.campaign_id,
            kind: self.kind()?,
            subject: json::Ref {
                id: self.subject_id,
                name: self.name(),
            },
            risk: super::super::scores::brief(
                self.risk_score.unwrap_or_default(),
                self.risk_factors.as_deref().unwrap_or("[]"),
            ),
            owner: self.owner(),
            reach: self.reach,
            reach_prod: self.reach_prod,
            copies: self.copies,
            last_used: time("last_used", &self.last_used)?,
            scopes: self.scopes(),
            reviewer: person(self.reviewer_id, &self.reviewer_name),
            basis: parse_enum("basis", &self.basis)?,
            escalated_to: person(self.escalated_to, &self.escalated_name),
            decision: self.decision()?,
            reason: self.reason.clone(),
            decided_by: self.decided_by.clone(),
            decided_at: time("decided_at", &self.decided_at)?,
            follow_up: self.follow_up.clone(),
        })
    }
}

fn person(id: Option<i64>, name: &Option<String>) -> Option<json::Ref> {
    id.map(|id| json::Ref {
        id,
        name: name.clone().unwrap_or_default(),
    })
}

/// The item columns: the subject (an agent or a credential) joined by kind;
/// reach and copies counted for the one item each row is.
pub(super) const ITEM: &str = "SELECT i.id, i.campaign_id, i.kind, i.subject_id, i.team_id, \
     COALESCE(a.name, cr.name) AS name, COALESCE(a.risk_score, cr.risk_score) AS risk_score, \
     COALESCE(a.risk_factors, cr.risk_factors) AS risk_factors, o.id AS owner_id, o.name AS owner_name, \
     CASE WHEN i.kind = 'credential' THEN (SELECT COUNT(*) FROM reach r WHERE r.credential_id = i.subject_id) \
      ELSE (SELECT COUNT(DISTINCT r.resource_id) FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
      JOIN reach r ON r.credential_id = tc.credential_id WHERE at.agent_id = i.subject_id) END AS reach, \
     CASE WHEN i.kind = 'credential' THEN (SELECT COUNT(*) FROM reach r JOIN resource rs ON rs.id = r.resource_id \
      WHERE r.credential_id = i.subject_id AND rs.environment = 'prod') \
      ELSE (SELECT COUNT(DISTINCT r.resource_id) FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
      JOIN reach r ON r.credential_id = tc.credential_id JOIN resource rs ON rs.id = r.resource_id \
      WHERE at.agent_id = i.subject_id AND rs.environment = 'prod') END AS reach_prod, \
     CASE WHEN i.kind = 'credential' THEN (SELECT COUNT(*) FROM credential_copy cc \
      WHERE cc.credential_id = i.subject_id AND cc.status = 'present') \
      ELSE (SELECT COUNT(*) FROM credential_copy cc WHERE cc.status = 'present' AND cc.credential_id IN \
      (SELECT tc.credential_id FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
      WHERE at.agent_id = i.subject_id)) END AS copies, \
     COALESCE(a.last_seen, cr.last_used_at) AS last_used, cr.scopes, \
     i.reviewer_id, rv.name AS reviewer_name, i.basis, i.escalated_to, es.name AS escalated_name, \
     i.decision, i.reason, i.decided_by, i.decided_at, i.follow_up \
     FROM review_item i JOIN review_campaign c ON c.id = i.campaign_id \
     LEFT JOIN agent a ON i.kind = 'agent' AND a.id = i.subject_id \
     LEFT JOIN credential cr ON i.kind = 'credential' AND cr.id = i.subject_id \
     LEFT JOIN person o ON o.id = COALESCE(a.owner_id, cr.owner_id) \
     LEFT JOIN person rv ON rv.id = i.reviewer_id LEFT JOIN person es ON es.id = i.escalated_to";

/// The sorts of a campaign's items: riskiest first by default.
const ITEM_SORTS: &[Sort] = &[
    Sort::by("-risk", "COALESCE(a.risk_score, cr.risk_score, 0)"),
    Sort::by("name", "COALESCE(a.name, cr.name, '')"),
    Sort::nullable("last_used", "COALESCE(a.last_seen, cr.last_used_at)"),
    Sort::nullable("decided_at", "i.decided_at"),
];

/// A page of a campaign's items that `sight` sees, filtered.
pub async fn items(
    conn: &mut AnyConnection,
    campaign: i64,
    sight: &Sight,
    me: Option<i64>,
    query: &json::ReviewItemQuery,
) -> Result<json::Page<json::ReviewItem>, ApiError> {
    let paging = Paging::new(query.page, query.limit, query.sort.as_deref(), ITEM_SORTS, "i.id")?;
    let mut params = Params::default();
    let mut conditions = vec![
        format!("i.campaign_id = {}", params.bind(campaign)),
        sight.condition(&mut params),
    ];
    if let Some(open) = query.open {
        conditions.push(format!("i.decision IS {}NULL", if open { "" } else { "NOT " }));
    }
    if let Some(reviewer) = query.reviewer {
        let reviewer = params.bind(reviewer);
        conditions.push(format!("{DECIDER} = {reviewer}"));
    }
    if query.mine == Some(true) {
        match me {
            Some(me) => {
                let me = params.bind(me);
                conditions.push(format!("(i.reviewer_id = {me} OR i.escalated_to = {me})"));
            }
            None => conditions.push("1 = 0".to_owned()),
        }
    }
    if let Some(kind) = query.kind {
        conditions.push(format!("i.kind = {}", params.bind(kind.as_str())));
    }
    if let Some(band) = query.band {
        conditions.push(super::super::scores::band_condition(
            "COALESCE(a.risk_score, cr.risk_score, 0)",
            band,
        ));
    }
    if let Some(decision) = query.decision {
        conditions.push(format!("i.decision = {}", params.bind(decision.as_str())));
    }
    if let Some(q) = sql::search_text(&query.q) {
        let like = params.bind(format!("%{}%", sql::escape_like(&q.to_lowercase())));
        conditions.push(format!(
            "LOWER(COALESCE(a.name, cr.name, '')) LIKE {like} ESCAPE '\\'"
        ));
    }
    let filter = where_clause(&conditions);
    let total: i64 = sqlx::query_scalar_with(
        &format!(
            "SELECT COUNT(*) FROM review_item i JOIN review_campaign c ON c.id = i.campaign_id \
             LEFT JOIN agent a ON i.kind = 'agent' AND a.id = i.subject_id \
             LEFT JOIN credential cr ON i.kind = 'credential' AND cr.id = i.subject_id {filter}"
        ),
        params.args(),
    )
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<ItemRow> =
        sqlx::query_as_with(&format!("{ITEM} {filter} {}", paging.tail()), params.args())
            .fetch_all(&mut *conn)
            .await?;
    let items = rows.iter().map(ItemRow::to_wire).collect::<Result<_, _>>()?;
    Ok(paging.page(items, total))
}

/// These items of a campaign (those that exist), by id.
pub async fn items_by_id(
    conn: &mut AnyConnection,
    campaign: i64,
    ids: &[i64],
) -> Result<Vec<ItemRow>, sqlx::Error> {
    let mut params = Params::default();
    let campaign = params.bind(campaign);
    let ids = Scope::Ids(ids).condition("i.id", &mut params);
    sqlx::query_as_with(
        &format!("{ITEM} WHERE i.campaign_id = {campaign} AND {ids} ORDER BY i.id"),
        params.args(),
    )
    .fetch_all(conn)
    .await
}
