//! Queries of activity imports and behaviour baselines: finding the
//! credential and resource an event names, recording events once, rolling
//! up what each credential normally does, and its behaviour findings.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use model::api::{self as json, BehaviourFindingKind, Environment};
use sqlx::{AnyConnection, Row};

use super::sql::{Params, Scope, Value, get_enum, get_required_ref, get_time, id_time_values, timestamp};
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
    "import_id",
];

/// Which of these provider ids of events are recorded already.
pub async fn recorded_events(
    conn: &mut AnyConnection,
    backend: Backend,
    event_ids: &[&str],
) -> Result<Vec<String>, sqlx::Error> {
    let mut recorded = Vec::new();
    for chunk in event_ids.chunks(2000) {
        let mut params = Params::in_order(backend);
        let list: Vec<String> = chunk.iter().map(|id| params.bind(*id)).collect();
        recorded.extend(
            sqlx::query_scalar_with::<_, String, _>(
                &format!(
                    "SELECT event_id FROM activity_event WHERE event_id IN ({})",
                    list.join(", ")
                ),
                params.args(),
            )
            .fetch_all(&mut *conn)
            .await?,
        );
    }
    Ok(recorded)
}

/// Inserts events (rows of [`EVENT_COLUMNS`]) believed new, and answers
/// how many went in: one recorded already (by a concurrent import on
/// PostgreSQL, or under another credential before the inventory changed) is
/// left as it is.
pub async fn insert_events(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Value],
) -> Result<u64, sqlx::Error> {
    bulk::insert_counting(
        conn,
        backend,
        "activity_event",
        EVENT_COLUMNS,
        rows,
        "ON CONFLICT (event_id) DO NOTHING",
    )
    .await
}

/// One value of a credential's baseline.
pub struct BaselineValue {
    /// The credential.
    pub credential: i64,
    /// The dimension (`action`, `resource`, ...).
    pub dimension: String,
    /// The value used.
    pub value: String,
    /// Its first use.
    pub first_seen: DateTime<Utc>,
    /// Its last use.
    pub last_seen: DateTime<Utc>,
}

/// What these credentials' baselines hold: each value they used.
pub async fn baselines(
    conn: &mut AnyConnection,
    backend: Backend,
    credentials: &[i64],
) -> Result<Vec<BaselineValue>, sqlx::Error> {
    let mut found = Vec::new();
    for chunk in credentials.chunks(500) {
        let mut params = Params::in_order(backend);
        let filter = Scope::Ids(chunk).condition("credential_id", &mut params);
        let rows = sqlx::query_with(
            &format!(
                "SELECT credential_id, dimension, value, first_seen, last_seen \
                 FROM behaviour_baseline WHERE {filter}"
            ),
            params.args(),
        )
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            found.push(BaselineValue {
                credential: row.try_get("credential_id")?,
                dimension: row.try_get("dimension")?,
                value: row.try_get("value")?,
                first_seen: get_time(row, "first_seen")?,
                last_seen: get_time(row, "last_seen")?,
            });
        }
    }
    Ok(found)
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

/// The last activity event's id, before an import adds its own.
pub async fn last_event_id(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM activity_event")
        .fetch_one(conn)
        .await
}

/// Adds the events import `import` recorded (all with ids above `after`)
/// to the hourly roll-up (credential × action × hour: events, failures),
/// summed up by the database itself in one statement.
pub async fn roll_up_hourly(conn: &mut AnyConnection, import: i64, after: i64) -> Result<(), sqlx::Error> {
    // `WHERE` comes before `ON CONFLICT`, which SQLite needs to tell the two apart.
    sqlx::query(
        "INSERT INTO activity_hourly (credential_id, action, hour, events, failures) \
         SELECT credential_id, action, substr(occurred_at, 1, 13) || ':00:00Z', COUNT(*), \
           SUM(CASE WHEN outcome = 'failure' THEN 1 ELSE 0 END) \
         FROM activity_event WHERE id > $1 AND import_id = $2 \
         GROUP BY credential_id, action, substr(occurred_at, 1, 13) \
         ON CONFLICT (credential_id, action, hour) DO UPDATE SET \
         events = activity_hourly.events + excluded.events, \
         failures = activity_hourly.failures + excluded.failures",
    )
    .bind(after)
    .bind(import)
    .execute(conn)
    .await?;
    Ok(())
}

/// A credential's activity per hour, as spikes are judged against it.
#[derive(Debug, Clone, Default)]
pub struct Rate {
    /// Hours in which it was active.
    pub active_hours: i64,
    /// Its events in all.
    pub events: i64,
    /// Its busy hours (`hour` as stored → events): those with at least the
    /// minimum asked for, the only ones that can be spikes.
    pub busy: HashMap<String, i64>,
}

/// These credentials' rates, with their hours of at least `busy` events,
/// summed up inside the database (only a row a credential and a row a busy
/// hour come out).
pub async fn rates(
    conn: &mut AnyConnection,
    backend: Backend,
    credentials: &[i64],
    busy: i64,
) -> Result<HashMap<i64, Rate>, sqlx::Error> {
    let mut rates: HashMap<i64, Rate> = HashMap::new();
    for chunk in credentials.chunks(500) {
        let mut params = Params::in_order(backend);
        let filter = Scope::Ids(chunk).condition("credential_id", &mut params);
        let totals = sqlx::query_with(
            &format!(
                "SELECT credential_id, COUNT(*) AS hours, CAST(SUM(events) AS BIGINT) AS events FROM \
                 (SELECT credential_id, hour, SUM(events) AS events FROM activity_hourly \
                  WHERE {filter} GROUP BY credential_id, hour) h GROUP BY credential_id"
            ),
            params.args(),
        )
        .fetch_all(&mut *conn)
        .await?;
        for row in &totals {
            let rate = rates.entry(row.try_get("credential_id")?).or_default();
            rate.active_hours = row.try_get("hours")?;
            rate.events = row.try_get("events")?;
        }
        let mut params = Params::in_order(backend);
        let filter = Scope::Ids(chunk).condition("credential_id", &mut params);
        let minimum = params.bind(busy);
        let hours = sqlx::query_with(
            &format!(
                "SELECT credential_id, hour, CAST(SUM(events) AS BIGINT) AS events FROM activity_hourly \
                 WHERE {filter} GROUP BY credential_id, hour HAVING SUM(events) >= {minimum}"
            ),
            params.args(),
        )
        .fetch_all(&mut *conn)
        .await?;
        for row in &hours {
            rates
                .entry(row.try_get("credential_id")?)
                .or_default()
                .busy
                .insert(row.try_get("hour")?, row.try_get("events")?);
        }
    }
    Ok(rates)
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

/// Records findings not raised before; answers how many were new. Owners
/// and channels hear of new findings on production credentials (those that
/// reach, or acted on, a production resource), once a day per credential.
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
    let new = bulk::insert_returning(
        &mut *conn,
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
    .iter()
    .map(|row| row.try_get::<i64, _>("id"))
    .collect::<Result<Vec<i64>, _>>()?;
    if !new.is_empty() {
        tell_of_findings(conn, &new, now).await?;
    }
    Ok(new.len() as i64)
}

/// Raises `behaviour.finding` for the production credentials among these new findings.
async fn tell_of_findings(
    conn: &mut AnyConnection,
    findings: &[i64],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut params = Params::default();
    let filter = Scope::Ids(findings).condition("f.id", &mut params);
    let production: Vec<(i64, i64, String, String)> = sqlx::query_as_with(
        &format!(
            "SELECT f.credential_id, COUNT(*), MIN(f.kind), MIN(f.value) FROM behaviour_finding f WHERE {filter} \
             AND (EXISTS (SELECT 1 FROM reach r JOIN resource s ON s.id = r.resource_id \
             WHERE r.credential_id = f.credential_id AND s.environment = 'prod') \
             OR EXISTS (SELECT 1 FROM activity_event e JOIN resource s ON s.id = e.resource_id \
             WHERE e.credential_id = f.credential_id AND s.environment = 'prod')) GROUP BY f.credential_id"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for (credential, count, kind, value) in production {
        let what = kind
            .parse::<BehaviourFindingKind>()
            .map_or(kind.clone(), |k| k.label().to_owned());
        let finding = if count > 1 {
            format!("{what}: {value}, and {} more new findings", count - 1)
        } else {
            format!("{what}: {value}")
        };
        let facts = serde_json::json!({ "credential": credential, "finding": finding });
        let key = format!("credential:{credential}:{}", now.format("%Y-%m-%d"));
        super::outbox::raise(conn, json::NotifyEvent::BehaviourFinding, &key, facts, now).await?;
    }
    Ok(())
}

/// Moves credentials' last use forward (never back): (credential, used).
pub async fn mark_used(
    conn: &mut AnyConnection,
    backend: Backend,
    used: &[(i64, DateTime<Utc>)],
) -> Result<(), sqlx::Error> {
    for chunk in used.chunks(2000) {
        let mut params = Params::in_order(backend);
        let values = id_time_values(&mut params, chunk);
        sqlx::query_with(
            &format!(
                "UPDATE credential SET last_used_at = v.column2 FROM (VALUES {values}) AS v \
                 WHERE credential.id = v.column1 \
                 AND (credential.last_used_at IS NULL OR credential.last_used_at < v.column2)"
            ),
            params.args(),
        )
        .execute(&mut *conn)
        .await?;
    }
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
