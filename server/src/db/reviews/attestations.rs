//! Attestations: the kept or reduced decisions that vouch for an agent or
//! credential, and which of them a review expected.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use model::api::{self as json, OwnedKind};
use sqlx::{AnyConnection, FromRow};

use super::super::sql::{Params, Scope, parse_enum, parse_time, timestamp};

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
/// repeating holds (its newest cycle, which keeps the next start), how often
/// that review comes round: the shortest, if several do. Stopped series and
/// one-off campaigns say nothing.
pub async fn repeating_cycles(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    scope: &Scope<'_>,
) -> Result<HashMap<i64, json::ReviewCadence>, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("i.subject_id", &mut params);
    let kind = params.bind(kind.as_str());
    let rows: Vec<(i64, String)> = sqlx::query_as_with(
        &format!(
            "SELECT DISTINCT i.subject_id, c.cadence FROM review_item i \
             JOIN review_campaign c ON c.id = i.campaign_id \
             WHERE i.kind = {kind} AND c.cadence IS NOT NULL AND c.next_start_at IS NOT NULL AND {filter}"
        ),
        params.args(),
    )
    .fetch_all(conn)
    .await?;
    let mut shortest: HashMap<i64, json::ReviewCadence> = HashMap::new();
    for (id, cadence) in rows {
        let cadence: json::ReviewCadence = parse_enum("cadence", &cadence)?;
        if shortest
            .get(&id)
            .is_none_or(|seen| seen.months() > cadence.months())
        {
            shortest.insert(id, cadence);
        }
    }
    Ok(shortest)
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
