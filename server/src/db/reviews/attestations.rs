//! Attestations: the kept or reduced decisions that vouch for an agent or
//! credential, and which of them a review expected.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use model::api::{self as json, OwnedKind};
use sqlx::{AnyConnection, FromRow};

use super::super::sql::{Params, Scope, parse_enum, parse_time, timestamp};
use crate::risk;

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

/// For each agent or credential of `kind` in `scope` that a review still
/// repeating holds (its newest cycle, which keeps the next start), how that
/// review comes round: the one that asks again soonest, if several do.
/// Stopped series and one-off campaigns say nothing.
pub async fn repeating_cycles(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    scope: &Scope<'_>,
) -> Result<HashMap<i64, risk::ReviewCycle>, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("i.subject_id", &mut params);
    let kind = params.bind(kind.as_str());
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as_with(
        &format!(
            "SELECT DISTINCT i.subject_id, c.cadence, c.series_start_at, c.series_due_at FROM review_item i \
             JOIN review_campaign c ON c.id = i.campaign_id \
             WHERE i.kind = {kind} AND c.cadence IS NOT NULL AND c.next_start_at IS NOT NULL \
             AND c.series_start_at IS NOT NULL AND c.series_due_at IS NOT NULL AND {filter}"
        ),
        params.args(),
    )
    .fetch_all(conn)
    .await?;
    let mut soonest: HashMap<i64, risk::ReviewCycle> = HashMap::new();
    for (id, cadence, start, due) in rows {
        let cycle = risk::ReviewCycle {
            cadence: parse_enum("cadence", &cadence)?,
            window: parse_time("series_due_at", &due)? - parse_time("series_start_at", &start)?,
        };
        let key = |c: &risk::ReviewCycle| (c.cadence.months(), c.window);
        if soonest.get(&id).is_none_or(|seen| key(seen) > key(&cycle)) {
            soonest.insert(id, cycle);
        }
    }
    Ok(soonest)
}

/// The agents and credentials campaigns `campaigns` hold that a reviewer
/// has ever kept or reduced (in any campaign): those whose attestation a
/// change to the repeating review over them ages differently.
pub async fn attested_items(
    conn: &mut AnyConnection,
    campaigns: &[i64],
) -> Result<(Vec<i64>, Vec<i64>), sqlx::Error> {
    let mut params = Params::default();
    let filter = Scope::Ids(campaigns).condition("i.campaign_id", &mut params);
    let rows: Vec<(String, i64)> = sqlx::query_as_with(
        &format!(
            "SELECT DISTINCT i.kind, i.subject_id FROM review_item i WHERE {filter} AND EXISTS \
             (SELECT 1 FROM review_item j WHERE j.kind = i.kind AND j.subject_id = i.subject_id \
              AND j.decision IN ('keep', 'reduce'))"
        ),
        params.args(),
    )
    .fetch_all(conn)
    .await?;
    let (mut agents, mut credentials) = (Vec::new(), Vec::new());
    for (kind, id) in rows {
        match parse_enum::<OwnedKind>("kind", &kind)? {
            OwnedKind::Agent => agents.push(id),
            OwnedKind::Credential => credentials.push(id),
        }
    }
    Ok((agents, credentials))
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
