//! Queries of activity imports and behaviour baselines: finding the
//! credential and resource an event names, recording events once, rolling
//! up what each credential normally does, and its behaviour findings.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use model::api::{self as json, BehaviourFindingKind, Environment};
use sqlx::{AnyConnection, Row};

use super::sql::{Value, get_enum, get_required_ref, get_time, timestamp};
use super::{Backend, Db, bulk};

/// The AWS credential whose provider id (an access key id or a role ARN) is `external_id`.
pub async fn aws_credential(conn: &mut AnyConnection, external_id: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM credential WHERE provider = 'aws' AND external_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(external_id)
    .fetch_optional(conn)
    .await
}

/// A resource of the inventory, as an event names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedResource {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its environment.
    pub environment: Environment,
}

/// The first resource called by one of `names` (tried in order).
pub async fn resource_named(
    conn: &mut AnyConnection,
    names: &[String],
) -> Result<Option<NamedResource>, sqlx::Error> {
    for name in names {
        let row =
            sqlx::query("SELECT id, name, environment FROM resource WHERE name = $1 ORDER BY id LIMIT 1")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(row) = row {
            return Ok(Some(NamedResource {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                environment: get_enum(&row, "environment")?,
            }));
        }
    }
    Ok(None)
}

/// The columns of an imported event, in the order [`insert_events`] wants its values.
pub const EVENT_COLUMNS: &[&str] = &[
    "credential_id",
    "occurred_at",
    "action",
    "resource_id",
    "source_address",
    "user_agent",
    "outcome",
    "event_id",
];

/// Inserts events (rows of [`EVENT_COLUMNS`]) not recorded before, and
/// answers the provider ids of those it inserted.
pub async fn insert_events(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Value],
) -> Result<Vec<String>, sqlx::Error> {
    bulk::insert_returning(
        conn,
        backend,
        "activity_event",
        EVENT_COLUMNS,
        rows,
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
    )
    .await?
    .iter()
    .map(|row| row.try_get("event_id"))
    .collect()
}

/// What a credential's baseline holds: the values it used, by dimension,
/// and when it was first seen at all.
pub async fn baseline(
    conn: &mut AnyConnection,
    credential: i64,
) -> Result<Vec<(String, String, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query("SELECT dimension, value, first_seen FROM behaviour_baseline WHERE credential_id = $1")
        .bind(credential)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("dimension")?,
                row.try_get("value")?,
                get_time(row, "first_seen")?,
            ))
        })
        .collect()
}

/// One value a credential used, rolled up over an import.
#[derive(Debug, Clone)]
pub struct Observed {
    /// First use in the import.
    pub first: DateTime<Utc>,
    /// Last use in the import.
    pub last: DateTime<Utc>,
    /// Events.
    pub events: i64,
}

/// Adds what an import saw to the baselines.
pub async fn add_to_baselines(
    conn: &mut AnyConnection,
    backend: Backend,
    seen: &HashMap<(i64, &'static str, String), Observed>,
) -> Result<(), sqlx::Error> {
    let mut rows = Vec::with_capacity(seen.len() * 6);
    for ((credential, dimension, value), observed) in seen {
        rows.extend([
            Value::Int(*credential),
            (*dimension).into(),
            value.clone().into(),
            timestamp(observed.first).into(),
            timestamp(observed.last).into(),
            Value::Int(observed.events),
        ]);
    }
    bulk::insert_returning(
        conn,
        backend,
        "behaviour_baseline",
        &[
            "credential_id",
            "dimension",
            "value",
            "first_seen",
            "last_seen",
            "events",
        ],
        &rows,
        "ON CONFLICT (credential_id, dimension, value) DO UPDATE SET \
         first_seen = CASE WHEN excluded.first_seen < behaviour_baseline.first_seen \
           THEN excluded.first_seen ELSE behaviour_baseline.first_seen END, \
         last_seen = CASE WHEN excluded.last_seen > behaviour_baseline.last_seen \
           THEN excluded.last_seen ELSE behaviour_baseline.last_seen END, \
         events = behaviour_baseline.events + excluded.events",
    )
    .await?;
    Ok(())
}

/// Adds an import's events to the hourly roll-up: (credential, action,
/// hour) → (events, failures).
pub async fn add_to_hourly(
    conn: &mut AnyConnection,
    backend: Backend,
    hourly: &HashMap<(i64, String, String), (i64, i64)>,
) -> Result<(), sqlx::Error> {
    let mut rows = Vec::with_capacity(hourly.len() * 5);
    for ((credential, action, hour), (events, failures)) in hourly {
        rows.extend([
            Value::Int(*credential),
            action.clone().into(),
            hour.clone().into(),
            Value::Int(*events),
            Value::Int(*failures),
        ]);
    }
    bulk::insert_returning(
        conn,
        backend,
        "activity_hourly",
        &["credential_id", "action", "hour", "events", "failures"],
        &rows,
        "ON CONFLICT (credential_id, action, hour) DO UPDATE SET \
         events = activity_hourly.events + excluded.events, \
         failures = activity_hourly.failures + excluded.failures",
    )
    .await?;
    Ok(())
}

/// A credential's events per active hour (`hour` as stored → events).
pub async fn hours(conn: &mut AnyConnection, credential: i64) -> Result<HashMap<String, i64>, sqlx::Error> {
    sqlx::query(
        "SELECT hour, CAST(SUM(events) AS BIGINT) AS events FROM activity_hourly WHERE credential_id = $1 GROUP BY hour",
    )
    .bind(credential)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("hour")?, row.try_get("events")?)))
    .collect()
}

/// A behaviour finding to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    /// The credential.
    pub credential: i64,
    /// What is unusual.
    pub kind: BehaviourFindingKind,
    /// The new value (network, resource, hour, client): raised once per credential and kind.
    pub value: String,
    /// In words.
    pub evidence: String,
    /// When the event happened.
    pub occurred_at: DateTime<Utc>,
}

/// Records findings not raised before; answers how many were new.
pub async fn insert_findings(
    conn: &mut AnyConnection,
    backend: Backend,
    findings: &[NewFinding],
    import: i64,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let mut rows = Vec::with_capacity(findings.len() * 7);
    for finding in findings {
        rows.extend([
            Value::Int(finding.credential),
            finding.kind.as_str().into(),
            finding.value.clone().into(),
            finding.evidence.clone().into(),
            timestamp(finding.occurred_at).into(),
            timestamp(now).into(),
            Value::Int(import),
        ]);
    }
    Ok(bulk::insert_returning(
        conn,
        backend,
        "behaviour_finding",
        &[
            "credential_id",
            "kind",
            "value",
            "evidence",
            "occurred_at",
            "raised_at",
            "import_id",
        ],
        &rows,
        "ON CONFLICT (credential_id, kind, value) DO NOTHING RETURNING id",
    )
    .await?
    .len() as i64)
}

/// Moves a credential's last use forward to `used` (never back).
pub async fn mark_used(
    conn: &mut AnyConnection,
    credential: i64,
    used: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE credential SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
    )
    .bind(timestamp(used))
    .bind(credential)
    .execute(conn)
    .await?;
    Ok(())
}

/// A credential's behaviour: its baseline, its usual rate and its findings.
pub async fn of_credential(db: &Db, credential: i64) -> Result<json::Behaviour, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let rows = sqlx::query(
        "SELECT dimension, value, first_seen, last_seen, events FROM behaviour_baseline \
         WHERE credential_id = $1 ORDER BY dimension, events DESC, value",
    )
    .bind(credential)
    .fetch_all(&mut *conn)
    .await?;
    let mut baseline = Vec::with_capacity(rows.len());
    for row in &rows {
        baseline.push(json::BaselineEntry {
            dimension: get_enum(row, "dimension")?,
            value: row.try_get("value")?,
            first_seen: get_time(row, "first_seen")?,
            last_seen: get_time(row, "last_seen")?,
            events: row.try_get("events")?,
        });
    }
    let (hours, events): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(events) AS BIGINT) FROM \
         (SELECT hour, CAST(SUM(events) AS BIGINT) AS events FROM activity_hourly WHERE credential_id = $1 GROUP BY hour) h",
    )
    .bind(credential)
    .fetch_one(&mut *conn)
    .await?;
    let findings = sqlx::query(&format!(
        "{FINDING_SELECT} WHERE f.credential_id = $1 ORDER BY f.occurred_at DESC, f.id DESC LIMIT 100"
    ))
    .bind(credential)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(finding)
    .collect::<Result<_, _>>()?;
    Ok(json::Behaviour {
        baseline,
        active_hours: hours,
        usual_hourly_rate: if hours > 0 {
            events.unwrap_or(0) as f64 / hours as f64
        } else {
            0.0
        },
        findings,
    })
}

const FINDING_SELECT: &str = "SELECT f.id, f.credential_id, c.name AS credential_name, f.kind, f.value, \
     f.evidence, f.occurred_at, f.raised_at FROM behaviour_finding f JOIN credential c ON c.id = f.credential_id";

fn finding(row: &sqlx::any::AnyRow) -> Result<json::BehaviourFinding, sqlx::Error> {
    Ok(json::BehaviourFinding {
        id: row.try_get("id")?,
        credential: get_required_ref(row, "credential_id", "credential_name")?,
        kind: get_enum(row, "kind")?,
        value: row.try_get("value")?,
        evidence: row.try_get("evidence")?,
        occurred_at: get_time(row, "occurred_at")?,
        raised_at: get_time(row, "raised_at")?,
    })
}

/// The most recent findings since `since`, newest first, and how many there are by kind.
pub async fn recent(db: &Db, since: DateTime<Utc>, limit: i64) -> Result<json::RecentFindings, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let findings = sqlx::query(&format!(
        "{FINDING_SELECT} WHERE f.occurred_at >= $1 ORDER BY f.occurred_at DESC, f.id DESC LIMIT $2"
    ))
    .bind(timestamp(since))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(finding)
    .collect::<Result<_, _>>()?;
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, COUNT(*) FROM behaviour_finding WHERE occurred_at >= $1 GROUP BY kind ORDER BY kind",
    )
    .bind(timestamp(since))
    .fetch_all(&mut *conn)
    .await?;
    let mut by_kind = Vec::new();
    for (kind, count) in counts {
        by_kind.push(json::FindingCount {
            kind: kind
                .parse()
                .map_err(|e: json::UnknownValue| sqlx::Error::Decode(e.to_string().into()))?,
            count,
        });
    }
    Ok(json::RecentFindings {
        since,
        by_kind,
        findings,
    })
}
