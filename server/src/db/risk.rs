//! Risk scores in the database: loading the facts the model reads (in a few
//! set-wise queries, not one per entity), storing what it computes on the
//! scored rows, and the summary behind `GET /api/v1/risk/summary`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use model::api::{self as json, AgentCategory, PersonStatus, RiskBand};
use sqlx::{AnyConnection, Row};

use super::sql::{Params, Value, get_enum, get_opt_time, get_time, timestamp};
use super::{Backend, Db, bulk};
use crate::ApiError;
use crate::risk::{self, Assessment, Fired};

/// Which rows a load covers.
enum Scope<'a> {
    All,
    Ids(&'a [i64]),
}

impl Scope<'_> {
    /// `column IN (...)`, or a condition that always holds.
    fn condition(&self, column: &str, params: &mut Params) -> String {
        match self {
            Scope::All => "1 = 1".to_owned(),
            Scope::Ids([]) => "1 = 0".to_owned(),
            Scope::Ids(ids) => {
                let list: Vec<String> = ids.iter().map(|id| params.bind(*id)).collect();
                format!("{column} IN ({})", list.join(", "))
            }
        }
    }
}

fn person(name: Option<String>, status: Option<String>) -> Option<risk::Person> {
    name.map(|name| risk::Person {
        name,
        departed: status.as_deref() == Some(PersonStatus::Departed.as_str()),
    })
}

/// Facts of credentials in `scope`, with their names, by id.
async fn load_credentials(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
) -> Result<BTreeMap<i64, (String, risk::CredentialFacts)>, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("c.id", &mut params);
    let rows = sqlx::query_with(
        &format!(
            "SELECT c.id, c.name, c.kind, c.provider, c.status, c.scopes, c.third_party, c.created_at, \
             c.expires_at, c.last_rotated_at, c.last_used_at, p.name AS owner_name, p.status AS owner_status \
             FROM credential c LEFT JOIN person p ON p.id = c.owner_id WHERE {filter}"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut credentials = BTreeMap::new();
    for row in &rows {
        let facts = risk::CredentialFacts {
            kind: get_enum(row, "kind")?,
            provider: row.try_get("provider")?,
            status: get_enum(row, "status")?,
            scopes: row.try_get("scopes")?,
            third_party: row.try_get("third_party")?,
            created_at: get_time(row, "created_at")?,
            expires_at: get_opt_time(row, "expires_at")?,
            last_rotated_at: get_opt_time(row, "last_rotated_at")?,
            last_used_at: get_opt_time(row, "last_used_at")?,
            owner: person(row.try_get("owner_name")?, row.try_get("owner_status")?),
            copies: Vec::new(),
            reach: Vec::new(),
            has_activity: false,
            human_use: None,
            agents: Vec::new(),
            tools: 0,
        };
        credentials.insert(row.try_get::<i64, _>("id")?, (row.try_get("name")?, facts));
    }

    let mut params = Params::default();
    let filter = scope.condition("credential_id", &mut params);
    let rows = sqlx::query_with(
        &format!(
            "SELECT credential_id, kind, locator FROM credential_copy WHERE status = 'present' AND {filter} \
             ORDER BY credential_id, id"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        if let Some((_, facts)) = credentials.get_mut(&row.try_get::<i64, _>("credential_id")?) {
            facts.copies.push(risk::Copy {
                kind: get_enum(row, "kind")?,
                locator: row.try_get("locator")?,
            });
        }
    }

    // What activity shows each credential acting on.
    let mut params = Params::default();
    let filter = scope.condition("credential_id", &mut params);
    let used: HashSet<(i64, i64)> = sqlx::query_with(
        &format!(
            "SELECT DISTINCT credential_id, resource_id FROM activity_event \
             WHERE outcome = 'success' AND resource_id IS NOT NULL AND {filter}"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("credential_id")?, row.try_get("resource_id")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    for (credential, _) in &used {
        if let Some((_, facts)) = credentials.get_mut(credential) {
            facts.has_activity = true;
        }
    }

    let mut params = Params::default();
    let filter = scope.condition("r.credential_id", &mut params);
    let rows = sqlx::query_with(
        &format!(
            "SELECT r.credential_id, r.resource_id, r.permission, res.name, res.environment, res.sensitivity \
             FROM reach r JOIN resource res ON res.id = r.resource_id WHERE {filter} \
             ORDER BY r.credential_id, res.name, res.id"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let credential: i64 = row.try_get("credential_id")?;
        if let Some((_, facts)) = credentials.get_mut(&credential) {
            facts.reach.push(risk::Reach {
                name: row.try_get("name")?,
                environment: get_enum(row, "environment")?,
                sensitivity: get_enum(row, "sensitivity")?,
                permission: get_enum(row, "permission")?,
                used: used.contains(&(credential, row.try_get("resource_id")?)),
            });
        }
    }

    // Interactive use: a console sign-in, or a browser's user agent.
    let mut params = Params::default();
    let filter = scope.condition("credential_id", &mut params);
    let rows = sqlx::query_with(
        &format!(
            "SELECT credential_id, COUNT(*) AS events, MAX(occurred_at) AS last, \
             MAX(CASE WHEN action = 'signin:ConsoleLogin' THEN 1 ELSE 0 END) AS console \
             FROM activity_event WHERE (action = 'signin:ConsoleLogin' OR user_agent LIKE 'Mozilla/%') \
             AND {filter} GROUP BY credential_id"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        if let Some((_, facts)) = credentials.get_mut(&row.try_get::<i64, _>("credential_id")?) {
            facts.human_use = Some(risk::HumanUse {
                events: row.try_get("events")?,
                console: row.try_get::<i64, _>("console")? != 0,
                last: get_time(row, "last")?,
            });
        }
    }

    // Who uses each credential: its tools and their agents.
    let mut params = Params::default();
    let filter = scope.condition("tc.credential_id", &mut params);
    let rows = sqlx::query_with(
        &format!(
            "SELECT tc.credential_id, tc.tool_id, a.id AS agent_id, a.name AS agent_name, a.category \
             FROM tool_credential tc LEFT JOIN agent_tool at ON at.tool_id = tc.tool_id \
             LEFT JOIN agent a ON a.id = at.agent_id WHERE {filter}"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut consumers: BTreeMap<i64, (BTreeSet<i64>, BTreeMap<i64, risk::Consumer>)> = BTreeMap::new();
    for row in &rows {
        let entry = consumers.entry(row.try_get("credential_id")?).or_default();
        entry.0.insert(row.try_get("tool_id")?);
        if let Some(agent) = row.try_get::<Option<i64>, _>("agent_id")? {
            entry.1.insert(
                agent,
                risk::Consumer {
                    name: row.try_get("agent_name")?,
                    category: get_enum(row, "category")?,
                },
            );
        }
    }
    for (credential, (tools, agents)) in consumers {
        if let Some((_, facts)) = credentials.get_mut(&credential) {
            facts.tools = tools.len() as i64;
            facts.agents = agents.into_values().collect();
        }
    }
    Ok(credentials)
}

/// Facts of agents in `scope` but their credentials, with their names, and
/// the ids of the credentials each uses.
#[allow(clippy::type_complexity)]
async fn load_agents(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
) -> Result<BTreeMap<i64, (String, risk::AgentFacts, Vec<i64>)>, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("a.id", &mut params);
    let rows = sqlx::query_with(
        &format!(
            "SELECT a.id, a.name, a.category, a.sanctioned, a.first_seen, a.last_seen, \
             p.name AS owner_name, p.status AS owner_status \
             FROM agent a LEFT JOIN person p ON p.id = a.owner_id WHERE {filter}"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut agents = BTreeMap::new();
    for row in &rows {
        let facts = risk::AgentFacts {
            category: get_enum(row, "category")?,
            sanctioned: row.try_get::<i64, _>("sanctioned")? != 0,
            first_seen: get_time(row, "first_seen")?,
            last_seen: get_opt_time(row, "last_seen")?,
            owner: person(row.try_get("owner_name")?, row.try_get("owner_status")?),
            credentials: Vec::new(),
        };
        agents.insert(
            row.try_get::<i64, _>("id")?,
            (row.try_get("name")?, facts, Vec::new()),
        );
    }
    let mut params = Params::default();
    let filter = scope.condition("at.agent_id", &mut params);
    let rows = sqlx::query_with(
        &format!(
            "SELECT DISTINCT at.agent_id, tc.credential_id FROM agent_tool at \
             JOIN tool_credential tc ON tc.tool_id = at.tool_id WHERE {filter} ORDER BY at.agent_id, tc.credential_id"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        if let Some((_, _, credentials)) = agents.get_mut(&row.try_get::<i64, _>("agent_id")?) {
            credentials.push(row.try_get("credential_id")?);
        }
    }
    Ok(agents)
}

/// A scored entity, ready to store.
struct Scored {
    id: i64,
    assessment: Assessment,
}

/// Scores the loaded credentials, then the agents (from their credentials'
/// assessments).
fn score(
    credentials: BTreeMap<i64, (String, risk::CredentialFacts)>,
    agents: BTreeMap<i64, (String, risk::AgentFacts, Vec<i64>)>,
    now: DateTime<Utc>,
) -> (Vec<Scored>, Vec<Scored>) {
    let held: BTreeMap<i64, risk::HeldCredential> = credentials
        .into_iter()
        .map(|(id, (name, facts))| {
            let assessment = risk::assess_credential(&facts, now);
            (
                id,
                risk::HeldCredential {
                    name,
                    kind: facts.kind,
                    status: facts.status,
                    assessment,
                },
            )
        })
        .collect();
    let agents = agents
        .into_iter()
        .map(|(id, (_, mut facts, credential_ids))| {
            facts.credentials = credential_ids
                .iter()
                .filter_map(|c| held.get(c).cloned())
                .collect();
            Scored {
                id,
                assessment: risk::assess_agent(&facts, now),
            }
        })
        .collect();
    let credentials = held
        .into_iter()
        .map(|(id, held)| Scored {
            id,
            assessment: held.assessment,
        })
        .collect();
    (credentials, agents)
}

fn factors_json(assessment: &Assessment) -> String {
    serde_json::to_string(&assessment.factors).expect("factors serialise")
}

/// How long a full recompute took, and what it scored.
#[derive(Debug, Clone, Copy)]
pub struct Recompute {
    /// Credentials scored.
    pub credentials: usize,
    /// Agents scored.
    pub agents: usize,
    /// Reading the facts.
    pub load: Duration,
    /// Running the model.
    pub score: Duration,
    /// Writing the scores.
    pub store: Duration,
}

/// Scores every credential and agent as of `now`, inside the caller's
/// transaction, and records the model version and time.
pub async fn recompute_all(
    conn: &mut AnyConnection,
    backend: Backend,
    now: DateTime<Utc>,
) -> Result<Recompute, sqlx::Error> {
    let started = Instant::now();
    let credentials = load_credentials(conn, &Scope::All).await?;
    let agents = load_agents(conn, &Scope::All).await?;
    let load = started.elapsed();
    let started = Instant::now();
    let (credentials, agents) = score(credentials, agents, now);
    let score_time = started.elapsed();
    let started = Instant::now();
    sqlx::query("DELETE FROM risk_staging")
        .execute(&mut *conn)
        .await?;
    let mut rows = Vec::with_capacity((credentials.len() + agents.len()) * 6);
    for (kind, scored) in [("credential", &credentials), ("agent", &agents)] {
        for entity in scored {
            rows.extend([
                Value::Text(kind.to_owned()),
                Value::Int(entity.id),
                Value::Int(entity.assessment.score),
                Value::Int(entity.assessment.reference_mask()),
                Value::Text(factors_json(&entity.assessment)),
                Value::Int(entity.assessment.blast_radius),
            ]);
        }
    }
    bulk::insert(
        conn,
        backend,
        "risk_staging",
        &[
            "entity_kind",
            "entity_id",
            "score",
            "risk_references",
            "factors",
            "blast_radius",
        ],
        &rows,
    )
    .await?;
    sqlx::query(
        "UPDATE credential SET risk_score = s.score, risk_references = s.risk_references, \
         risk_factors = s.factors, blast_radius = s.blast_radius \
         FROM risk_staging s WHERE s.entity_kind = 'credential' AND s.entity_id = credential.id",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE agent SET risk_score = s.score, risk_references = s.risk_references, risk_factors = s.factors \
         FROM risk_staging s WHERE s.entity_kind = 'agent' AND s.entity_id = agent.id",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM risk_staging")
        .execute(&mut *conn)
        .await?;
    for (name, value) in [
        ("risk_model_version", risk::MODEL_VERSION.to_owned()),
        ("risk_computed_at", timestamp(now)),
    ] {
        sqlx::query(
            "INSERT INTO setting (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(value)
        .bind(timestamp(Utc::now()))
        .execute(&mut *conn)
        .await?;
    }
    Ok(Recompute {
        credentials: credentials.len(),
        agents: agents.len(),
        load,
        score: score_time,
        store: started.elapsed(),
    })
}

/// Rescores what a change touched, inside the change's transaction: these
/// credentials and agents, the agents using those credentials, and (to score
/// those agents) the credentials they use.
pub async fn refresh(
    conn: &mut AnyConnection,
    credentials: &[i64],
    agents: &[i64],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut agent_ids: BTreeSet<i64> = agents.iter().copied().collect();
    let mut params = Params::default();
    let filter = Scope::Ids(credentials).condition("tc.credential_id", &mut params);
    let users: Vec<i64> = sqlx::query_scalar_with(
        &format!(
            "SELECT DISTINCT at.agent_id FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
             WHERE {filter}"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?;
    agent_ids.extend(users);
    let agent_ids: Vec<i64> = agent_ids.into_iter().collect();
    let agents = load_agents(conn, &Scope::Ids(&agent_ids)).await?;
    let mut credential_ids: BTreeSet<i64> = credentials.iter().copied().collect();
    credential_ids.extend(agents.values().flat_map(|(_, _, ids)| ids.iter().copied()));
    let credential_ids: Vec<i64> = credential_ids.into_iter().collect();
    let credentials = load_credentials(conn, &Scope::Ids(&credential_ids)).await?;
    let (credentials, agents) = score(credentials, agents, now);
    for entity in &credentials {
        sqlx::query(
            "UPDATE credential SET risk_score = $1, risk_references = $2, risk_factors = $3, blast_radius = $4 \
             WHERE id = $5",
        )
        .bind(entity.assessment.score)
        .bind(entity.assessment.reference_mask())
        .bind(factors_json(&entity.assessment))
        .bind(entity.assessment.blast_radius)
        .bind(entity.id)
        .execute(&mut *conn)
        .await?;
    }
    for entity in &agents {
        sqlx::query(
            "UPDATE agent SET risk_score = $1, risk_references = $2, risk_factors = $3 WHERE id = $4",
        )
        .bind(entity.assessment.score)
        .bind(entity.assessment.reference_mask())
        .bind(factors_json(&entity.assessment))
        .bind(entity.id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The stored factors (heaviest first); an unreadable value reads as none.
fn stored_factors(text: &str) -> Vec<Fired> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A stored score and factors as the detail responses show them.
pub fn detail(score: i64, factors: &str) -> json::Risk {
    json::Risk {
        score,
        band: RiskBand::of(score),
        factors: stored_factors(factors).iter().map(risk::to_wire).collect(),
        risk_model_version: risk::MODEL_VERSION.to_owned(),
    }
}

/// A stored score and factors as list rows show them.
pub fn brief(score: i64, factors: &str) -> json::RiskBrief {
    json::RiskBrief {
        score,
        band: RiskBand::of(score),
        leading: stored_factors(factors).first().map(risk::headline),
        risk_model_version: risk::MODEL_VERSION.to_owned(),
    }
}

/// The stored model version, if scores were ever computed.
pub async fn stored_version(db: &Db) -> Result<Option<String>, sqlx::Error> {
    setting(db, "risk_model_version").await
}

async fn setting(db: &Db, name: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT value FROM setting WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await
}

/// `SUM(CASE ...)` columns counting rows per band, named like the bands.
fn band_sums() -> String {
    RiskBand::ALL
        .iter()
        .map(|band| {
            let (low, high) = band.range();
            format!(
                "COALESCE(SUM(CASE WHEN risk_score BETWEEN {low} AND {high} THEN 1 ELSE 0 END), 0) AS {}",
                band.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn band_counts(row: &sqlx::any::AnyRow) -> Result<json::BandCounts, sqlx::Error> {
    Ok(json::BandCounts {
        low: row.try_get("low")?,
        medium: row.try_get("medium")?,
        high: row.try_get("high")?,
        critical: row.try_get("critical")?,
    })
}

/// A band's condition on `column`, for list filters.
pub fn band_condition(column: &str, band: RiskBand) -> String {
    let (low, high) = band.range();
    format!("{column} BETWEEN {low} AND {high}")
}

/// `GET /api/v1/risk/summary`. Credentials count while active (a revoked
/// key is no exposure); agents always.
pub async fn summary(db: &Db) -> Result<json::RiskSummary, ApiError> {
    let sums = band_sums();
    let row = sqlx::query(&format!("SELECT {sums} FROM credential WHERE status = 'active'"))
        .fetch_one(db.pool())
        .await?;
    let credentials = band_counts(&row)?;
    let row = sqlx::query(&format!("SELECT {sums} FROM agent"))
        .fetch_one(db.pool())
        .await?;
    let agents = band_counts(&row)?;

    let references: Vec<String> = (0..10)
        .map(|bit| {
            format!(
                "COALESCE(SUM(CASE WHEN (risk_references & {}) <> 0 THEN 1 ELSE 0 END), 0) AS nhi{}",
                1 << bit,
                bit + 1
            )
        })
        .collect();
    let references = references.join(", ");
    let per_credential = sqlx::query(&format!(
        "SELECT {references} FROM credential WHERE status = 'active'"
    ))
    .fetch_one(db.pool())
    .await?;
    let per_agent = sqlx::query(&format!("SELECT {references} FROM agent"))
        .fetch_one(db.pool())
        .await?;
    let by_reference = (1..=10)
        .map(|n| {
            let column = format!("nhi{n}");
            Ok(json::ReferenceCount {
                reference: format!("NHI{n}"),
                title: risk::REFERENCES[n - 1].to_owned(),
                credentials: per_credential.try_get(column.as_str())?,
                agents: per_agent.try_get(column.as_str())?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;

    let rows = sqlx::query(&format!(
        "SELECT category, {sums} FROM agent GROUP BY category ORDER BY category"
    ))
    .fetch_all(db.pool())
    .await?;
    let mut by_category = Vec::new();
    for row in &rows {
        by_category.push(json::CategoryBands {
            category: get_enum::<AgentCategory>(row, "category")?,
            bands: band_counts(row)?,
        });
    }

    let top = |table: &str, filter: &str| {
        format!(
            "SELECT id, name, risk_score, risk_factors FROM {table} {filter} \
             ORDER BY risk_score DESC, id LIMIT 20"
        )
    };
    let ranked = |rows: Vec<sqlx::any::AnyRow>| {
        rows.iter()
            .map(|row| {
                Ok(json::RankedRisk {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    risk: brief(
                        row.try_get("risk_score")?,
                        &row.try_get::<String, _>("risk_factors")?,
                    ),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    };
    let top_credentials = ranked(
        sqlx::query(&top("credential", "WHERE status = 'active'"))
            .fetch_all(db.pool())
            .await?,
    )?;
    let top_agents = ranked(sqlx::query(&top("agent", "")).fetch_all(db.pool()).await?)?;
    Ok(json::RiskSummary {
        risk_model_version: risk::MODEL_VERSION.to_owned(),
        computed_at: setting(db, "risk_computed_at").await?,
        credentials,
        agents,
        by_reference,
        by_category,
        top_credentials,
        top_agents,
    })
}
