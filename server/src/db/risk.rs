//! Risk scores in the database: loading the facts the model reads (in a few
//! set-wise queries, not one per entity), storing what it computes on the
//! scored rows (the full recompute that [`crate::scoring`] runs), and the summary
//! behind `GET /api/v1/risk/summary`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use model::api::{self as json, AgentCategory, PersonStatus, RiskBand};
use sqlx::{AnyConnection, Row};

use super::sql::{self, Params, Scope, get_enum, get_opt_time, get_time, timestamp};
use super::{Backend, Db, coverage};
use crate::ApiError;
use crate::risk::{self, Assessment};

fn person(name: Option<String>, status: Option<String>) -> Option<risk::Person> {
    name.map(|name| risk::Person {
        name,
        departed: status.as_deref() == Some(PersonStatus::Departed.as_str()),
    })
}

/// Credentials by id, with their names, before their copies, reach, activity
/// and consumers are added.
type Credentials = BTreeMap<i64, (String, risk::CredentialFacts)>;

/// The credential rows themselves, with their owners.
async fn credential_rows(conn: &mut AnyConnection, scope: &Scope<'_>) -> Result<Credentials, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("c.id", &mut params);
    let rows = sqlx::query_with(
        &format!(
            "SELECT c.id, c.name, c.kind, c.provider, c.status, c.scopes, c.third_party, c.created_at, \
             c.expires_at, c.last_rotated_at, c.last_used_at, c.console_access, c.trusted_by, p.name AS owner_name, \
             p.status AS owner_status, g.consented_by AS tenant_consent_by, \
             CASE WHEN g.consent = 'tenant' THEN 1 ELSE 0 END AS tenant_wide \
             FROM credential c LEFT JOIN person p ON p.id = c.owner_id \
             LEFT JOIN platform_grant g ON g.credential_id = c.id WHERE {filter}"
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
            copies: risk::Copies::default(),
            reach: Vec::new(),
            has_activity: false,
            human_use: None,
            findings: Vec::new(),
            console_access: row.try_get("console_access")?,
            trusted_by: row.try_get("trusted_by")?,
            tenant_consent: (row.try_get::<i64, _>("tenant_wide")? == 1).then(|| {
                row.try_get::<Option<String>, _>("tenant_consent_by")
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| "an administrator".to_owned())
            }),
            agents: Vec::new(),
            tools: 0,
            attestation: risk::Attestation::default(),
        };
        credentials.insert(row.try_get::<i64, _>("id")?, (row.try_get("name")?, facts));
    }
    Ok(credentials)
}

// The big tables below are streamed in storage order (a sequential scan, no
// sort) and joined in memory: ordering by credential would walk an index and
// fetch each row at random, several times slower on a large inventory.

/// Present copies, by credential: summed up per kind inside the database, a
/// row per (credential, kind) instead of one per copy (the driver hands rows
/// over one by one, and a scanner's report may find a secret in thousands of
/// places).
async fn copies(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
) -> Result<HashMap<i64, risk::Copies>, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("credential_id", &mut params);
    let sql = format!(
        "SELECT credential_id, kind, COUNT(*) AS copies, MIN(locator) AS first, MAX(locator) AS last \
         FROM credential_copy WHERE status = 'present' AND {filter} GROUP BY credential_id, kind"
    );
    let mut rows = sqlx::query_with(&sql, params.args()).fetch(&mut *conn);
    let mut copies: HashMap<i64, risk::Copies> = HashMap::new();
    while let Some(row) = rows.try_next().await? {
        copies.entry(row.try_get("credential_id")?).or_default().add(
            get_enum(&row, "kind")?,
            row.try_get::<i64, _>("copies")? as usize,
            row.try_get("first")?,
            row.try_get("last")?,
        );
    }
    Ok(copies)
}

/// What activity shows: the (credential, resource) pairs acted on
/// successfully, and interactive use (a console sign-in, or a browser's user
/// agent) by credential.
#[derive(Default)]
struct Activity {
    used: HashSet<(i64, i64)>,
    human: HashMap<i64, risk::HumanUse>,
}

async fn activity(conn: &mut AnyConnection, scope: &Scope<'_>) -> Result<Activity, sqlx::Error> {
    // Summed up inside the database: a row per (credential, resource) pair
    // and per credential used by a person, not a row per event (the driver
    // hands rows over one by one, and events are the largest table).
    let mut params = Params::default();
    let filter = scope.condition("credential_id", &mut params);
    let sql = format!(
        "SELECT DISTINCT credential_id, resource_id FROM activity_event \
         WHERE outcome = 'success' AND resource_id IS NOT NULL AND {filter}"
    );
    let mut rows = sqlx::query_with(&sql, params.args()).fetch(&mut *conn);
    let mut activity = Activity::default();
    while let Some(row) = rows.try_next().await? {
        activity
            .used
            .insert((row.try_get("credential_id")?, row.try_get("resource_id")?));
    }
    drop(rows);
    let mut params = Params::default();
    let filter = scope.condition("credential_id", &mut params);
    let sql = format!(
        "SELECT credential_id, COUNT(*) AS events, \
         MAX(CASE WHEN action = 'signin:ConsoleLogin' THEN 1 ELSE 0 END) AS console, MAX(occurred_at) AS last \
         FROM activity_event WHERE (action = 'signin:ConsoleLogin' OR user_agent LIKE 'Mozilla/%') AND {filter} \
         GROUP BY credential_id"
    );
    let mut rows = sqlx::query_with(&sql, params.args()).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        activity.human.insert(
            row.try_get("credential_id")?,
            risk::HumanUse {
                events: row.try_get("events")?,
                console: row.try_get::<i64, _>("console")? == 1,
                last: get_time(&row, "last")?,
            },
        );
    }
    Ok(activity)
}

/// Behaviour findings, by credential, oldest first.
async fn findings(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
) -> Result<HashMap<i64, Vec<risk::Finding>>, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("credential_id", &mut params);
    let sql = format!(
        "SELECT credential_id, kind, evidence, occurred_at FROM behaviour_finding WHERE {filter} \
         ORDER BY occurred_at, id"
    );
    let mut rows = sqlx::query_with(&sql, params.args()).fetch(&mut *conn);
    let mut findings: HashMap<i64, Vec<risk::Finding>> = HashMap::new();
    while let Some(row) = rows.try_next().await? {
        findings
            .entry(row.try_get("credential_id")?)
            .or_default()
            .push(risk::Finding {
                kind: get_enum(&row, "kind")?,
                evidence: row.try_get("evidence")?,
                occurred_at: get_time(&row, "occurred_at")?,
            });
    }
    Ok(findings)
}

/// What each credential reaches, by credential: (resource id, reach with
/// `used` still unknown).
type Reaches = HashMap<i64, Vec<(i64, risk::Reach)>>;

async fn reaches(conn: &mut AnyConnection, scope: &Scope<'_>) -> Result<Reaches, sqlx::Error> {
    let mut params = Params::default();
    let filter = scope.condition("r.credential_id", &mut params);
    let resources: HashMap<i64, (String, json::Environment, json::Sensitivity)> = sqlx::query_with(
        &format!(
            "SELECT id, name, environment, sensitivity FROM resource \
             WHERE id IN (SELECT r.resource_id FROM reach r WHERE {filter})"
        ),
        params.args(),
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("id")?,
            (
                row.try_get("name")?,
                get_enum(row, "environment")?,
                get_enum(row, "sensitivity")?,
            ),
        ))
    })
    .collect::<Result<_, sqlx::Error>>()?;
    let mut params = Params::default();
    let filter = scope.condition("credential_id", &mut params);
    let sql = format!("SELECT credential_id, resource_id, permission FROM reach WHERE {filter}");
    let mut rows = sqlx::query_with(&sql, params.args()).fetch(&mut *conn);
    let mut reaches: Reaches = HashMap::new();
    while let Some(row) = rows.try_next().await? {
        let resource: i64 = row.try_get("resource_id")?;
        if let Some((name, environment, sensitivity)) = resources.get(&resource) {
            reaches.entry(row.try_get("credential_id")?).or_default().push((
                resource,
                risk::Reach {
                    name: name.clone(),
                    environment: *environment,
                    sensitivity: *sensitivity,
                    permission: get_enum(&row, "permission")?,
                    used: false,
                },
            ));
        }
    }
    Ok(reaches)
}

/// Who uses each credential: how many tools, and which agents.
type Consumers = BTreeMap<i64, (BTreeSet<i64>, BTreeMap<i64, risk::Consumer>)>;

async fn consumers(conn: &mut AnyConnection, scope: &Scope<'_>) -> Result<Consumers, sqlx::Error> {
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
    let mut consumers: Consumers = BTreeMap::new();
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
    Ok(consumers)
}

/// Joins the parts into each credential's facts, in a stable order.
fn assemble(
    mut credentials: Credentials,
    mut copies: HashMap<i64, risk::Copies>,
    activity: Activity,
    mut reaches: Reaches,
    consumers: Consumers,
) -> Credentials {
    for (id, (_, facts)) in credentials.iter_mut() {
        facts.copies = copies.remove(id).unwrap_or_default();
        facts.reach = reaches
            .remove(id)
            .unwrap_or_default()
            .into_iter()
            .map(|(resource, reach)| risk::Reach {
                used: activity.used.contains(&(*id, resource)),
                ..reach
            })
            .collect();
        facts
            .reach
            .sort_by(|a, b| a.name.cmp(&b.name).then(a.permission.cmp(&b.permission)));
        facts.human_use = activity.human.get(id).cloned();
    }
    for (credential, _) in &activity.used {
        if let Some((_, facts)) = credentials.get_mut(credential) {
            facts.has_activity = true;
        }
    }
    for (credential, (tools, agents)) in consumers {
        if let Some((_, facts)) = credentials.get_mut(&credential) {
            facts.tools = tools.len() as i64;
            facts.agents = agents.into_values().collect();
        }
    }
    credentials
}

/// Facts of credentials in `scope`, read on one connection (inside a
/// change's transaction, which must see its own writes).
async fn load_credentials(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
    now: DateTime<Utc>,
) -> Result<Credentials, sqlx::Error> {
    let rows = credential_rows(conn, scope).await?;
    let copies = copies(conn, scope).await?;
    let activity = activity(conn, scope).await?;
    let reaches = reaches(conn, scope).await?;
    let consumers = consumers(conn, scope).await?;
    let mut credentials = assemble(rows, copies, activity, reaches, consumers);
    attach_findings(conn, scope, &mut credentials).await?;
    attach_attestations(conn, scope, &mut credentials, now).await?;
    Ok(credentials)
}

/// What access reviews say of these items as of `now`: each one's newest
/// attestation; for one never attested, that it was expected (it was up for
/// review in a campaign that came due) or not.
async fn attestations<'a>(
    conn: &mut AnyConnection,
    kind: json::OwnedKind,
    scope: &Scope<'_>,
    ids: impl Iterator<Item = &'a i64>,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, risk::Attestation)>, sqlx::Error> {
    let mut attested = super::reviews::attested_at(conn, kind, scope).await?;
    let expected = super::reviews::reviewed_by(conn, kind, scope, now).await?;
    Ok(ids
        .filter_map(|id| {
            let attestation = match attested.remove(id) {
                Some((at, by)) => risk::Attestation::Last { at, by },
                None if expected.contains(id) => risk::Attestation::Never,
                None => return None,
            };
            Some((*id, attestation))
        })
        .collect())
}

/// Adds what access reviews say of them to loaded credentials.
async fn attach_attestations(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
    credentials: &mut Credentials,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let attested = attestations(conn, json::OwnedKind::Credential, scope, credentials.keys(), now).await?;
    for (id, attestation) in attested {
        if let Some((_, facts)) = credentials.get_mut(&id) {
            facts.attestation = attestation;
        }
    }
    Ok(())
}

/// Adds their behaviour findings to loaded credentials (a small table, read after the rest).
async fn attach_findings(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
    credentials: &mut Credentials,
) -> Result<(), sqlx::Error> {
    for (id, found) in findings(conn, scope).await? {
        if let Some((_, facts)) = credentials.get_mut(&id) {
            facts.findings = found;
        }
    }
    Ok(())
}

/// Facts of agents in `scope` but their credentials, with their names, and
/// the ids of the credentials each uses.
#[allow(clippy::type_complexity)]
async fn load_agents(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
    now: DateTime<Utc>,
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
            attestation: risk::Attestation::default(),
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
    let attested = attestations(conn, json::OwnedKind::Agent, scope, agents.keys(), now).await?;
    for (id, attestation) in attested {
        if let Some((_, facts, _)) = agents.get_mut(&id) {
            facts.attestation = attestation;
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

/// Every credential and agent scored, ready to store.
pub struct Scores {
    credentials: Vec<Scored>,
    agents: Vec<Scored>,
    /// Reading the facts.
    pub load: Duration,
    /// Running the model.
    pub score: Duration,
}

impl Scores {
    /// Credentials scored.
    pub fn credentials(&self) -> usize {
        self.credentials.len()
    }

    /// Agents scored.
    pub fn agents(&self) -> usize {
        self.agents.len()
    }
}

/// Scores every credential and agent as of `now`. The facts are read in
/// parallel, each part on its own connection (committed data only): on a
/// large inventory, reading is most of the work.
pub async fn score_all(db: &Db, now: DateTime<Utc>) -> Result<Scores, sqlx::Error> {
    let started = Instant::now();
    let all = Scope::All;
    let mut connections = Vec::new();
    for _ in 0..6 {
        connections.push(db.pool().acquire().await?);
    }
    let [c1, c2, c3, c4, c5, c6] = &mut connections[..] else {
        unreachable!("six connections")
    };
    let (rows, copies, activity, reaches, consumers, agents) = futures::try_join!(
        credential_rows(c1, &all),
        copies(c2, &all),
        activity(c3, &all),
        reaches(c4, &all),
        consumers(c5, &all),
        load_agents(c6, &all, now),
    )?;
    let mut credentials = assemble(rows, copies, activity, reaches, consumers);
    attach_findings(c1, &all, &mut credentials).await?;
    attach_attestations(c1, &all, &mut credentials, now).await?;
    drop(connections);
    let load = started.elapsed();
    let started = Instant::now();
    let (credentials, agents) = score(credentials, agents, now);
    Ok(Scores {
        credentials,
        agents,
        load,
        score: started.elapsed(),
    })
}

/// A score as stored on its row: what a recompute compares with.
#[derive(Debug, sqlx::FromRow)]
struct StoredScore {
    id: i64,
    risk_score: i64,
    risk_references: i64,
    risk_factors: String,
    blast_radius: i64,
}

/// A score to write, as its row holds it.
struct Change {
    kind: &'static str,
    id: i64,
    score: i64,
    references: i64,
    factors: String,
    blast_radius: i64,
}

impl Change {
    /// The row of `entity`, a `credential` or an `agent` (`kind`).
    fn of(kind: &'static str, entity: &Scored) -> Self {
        Self {
            kind,
            id: entity.id,
            score: entity.assessment.score,
            references: entity.assessment.reference_mask(),
            factors: factors_json(&entity.assessment),
            // Agents have no blast radius of their own: read as 0, written never.
            blast_radius: if kind == "agent" {
                0
            } else {
                entity.assessment.blast_radius
            },
        }
    }
}

/// The scores of [`score_all`] that differ from what their rows hold (read
/// outside any transaction: on a settled inventory, most do not, and the
/// writing that follows holds the write lock only for those that do).
async fn changes(db: &Db, scores: &Scores) -> Result<Vec<Change>, sqlx::Error> {
    let mut changes = Vec::new();
    for (kind, table, scored) in [
        ("credential", "credential", &scores.credentials),
        ("agent", "agent", &scores.agents),
    ] {
        // Agents have no blast radius of their own: read as 0, written never.
        let blast = if kind == "agent" { "0" } else { "blast_radius" };
        let stored: HashMap<i64, StoredScore> = sqlx::query_as::<_, StoredScore>(&format!(
            "SELECT id, risk_score, risk_references, risk_factors, {blast} AS blast_radius FROM {table}"
        ))
        .fetch(db.pool())
        .map_ok(|row| (row.id, row))
        .try_collect()
        .await?;
        for entity in scored {
            let change = Change::of(kind, entity);
            let same = stored.get(&entity.id).is_some_and(|row| {
                row.risk_score == change.score
                    && row.risk_references == change.references
                    && row.blast_radius == change.blast_radius
                    && row.risk_factors == change.factors
            });
            if !same {
                changes.push(change);
            }
        }
    }
    Ok(changes)
}

/// Stores `changes` inside the caller's transaction; answers the rows
/// written (those whose score, factors or blast radius differ).
async fn store(conn: &mut AnyConnection, changes: &[Change]) -> Result<u64, sqlx::Error> {
    let (credentials, agents): (Vec<&Change>, Vec<&Change>) =
        changes.iter().partition(|change| change.kind == "credential");
    Ok(
        write_changes(conn, "credential", &credentials).await?
            + write_changes(conn, "agent", &agents).await?,
    )
}

/// Compares `scores` with what their rows hold and writes those that
/// differ, in steps ([`Db::in_steps`]), so that decisions and sign-ins are
/// not held up for the seconds a whole store takes on `large` (`make
/// bench-load`, phase C); answers how many were written. Each row's score
/// is written whole; stopped part-way, the next recompute finishes the job.
pub async fn store_in_steps(db: &Db, scores: &Scores) -> Result<usize, sqlx::Error> {
    let changes = changes(db, scores).await?;
    db.in_steps(&changes, super::Pace::new(1_000, 100, 20_000), |conn, step| {
        Box::pin(store(conn, step))
    })
    .await?;
    Ok(changes.len())
}

/// Records that the stored scores are the current model's, as of `now`.
pub async fn mark_computed(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sql::put_setting(&mut *conn, "risk_model_version", risk::MODEL_VERSION).await?;
    sql::put_setting(conn, "risk_computed_at", &timestamp(now)).await
}

/// Rescores what a change touched, inside the change's transaction: these
/// credentials and agents, the agents using those credentials, and (to score
/// those agents) the credentials they use. Answers the rows whose score
/// changed, and were written.
pub async fn refresh(
    conn: &mut AnyConnection,
    credentials: &[i64],
    agents: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
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
    let agents = load_agents(conn, &Scope::Ids(&agent_ids), now).await?;
    let mut credential_ids: BTreeSet<i64> = credentials.iter().copied().collect();
    credential_ids.extend(agents.values().flat_map(|(_, _, ids)| ids.iter().copied()));
    let credential_ids: Vec<i64> = credential_ids.into_iter().collect();
    let credentials = load_credentials(conn, &Scope::Ids(&credential_ids), now).await?;
    // The same change may move what these count against for owner coverage
    // (an agent's new owner re-homes the unowned credentials it uses).
    coverage::rehome(conn, Scope::Ids(&credential_ids), Scope::Ids(&agent_ids)).await?;
    let (credentials, agents) = score(credentials, agents, now);
    let changes: Vec<Change> = (credentials.iter().map(|c| Change::of("credential", c)))
        .chain(agents.iter().map(|a| Change::of("agent", a)))
        .collect();
    let critical: Vec<i64> = changes
        .iter()
        .filter(|c| c.kind == "credential" && RiskBand::of(c.score) == RiskBand::Critical)
        .map(|c| c.id)
        .collect();
    let turning = turning_critical(conn, &critical).await?;
    let written = store(conn, &changes).await?;
    // Once a day at most for each credential: a score that wavers about the
    // line is not news each time.
    let day = now.format("%Y-%m-%d");
    for id in turning {
        let facts = serde_json::json!({ "credential": id });
        super::outbox::raise(
            conn,
            json::NotifyEvent::RiskCritical,
            &format!("credential:{id}:{day}"),
            facts,
            now,
        )
        .await?;
    }
    Ok(written)
}

/// Which of these credentials (about to be scored critical) are not critical yet.
async fn turning_critical(conn: &mut AnyConnection, critical: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    if critical.is_empty() {
        return Ok(Vec::new());
    }
    let mut params = Params::default();
    let filter = Scope::Ids(critical).condition("id", &mut params);
    let lowest = RiskBand::Critical.range().0;
    sqlx::query_scalar_with(
        &format!("SELECT id FROM credential WHERE risk_score < {lowest} AND status = 'active' AND {filter}"),
        params.args(),
    )
    .fetch_all(conn)
    .await
}

/// The setting whose change tells the kept figures ([`crate::aggregates`])
/// that scores changed with no audit entry of their own (a stepped
/// rescoring's end, an agent's check-in that moved its dormancy).
pub const SCORES_CHANGED: &str = "scores_changed_at";

/// Records, in the caller's transaction, that scores changed unaudited.
pub async fn mark_scores_changed(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sql::put_setting(conn, SCORES_CHANGED, &now.to_rfc3339()).await
}

/// Records, in a transaction of its own, that scores changed unaudited
/// (after steps of their own, [`Db::in_steps`]).
pub async fn scores_changed(db: &Db) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    mark_scores_changed(&mut tx, Utc::now()).await?;
    tx.commit().await
}

/// Writes these scores onto their rows in `table` (`credential` or
/// `agent`), a thousand rows a statement (the values inline, which both
/// engines join to the rows by their key); rows whose score, factors and
/// blast radius are unchanged are not written (nor, on PostgreSQL, copied).
async fn write_changes(
    conn: &mut AnyConnection,
    table: &'static str,
    changes: &[&Change],
) -> Result<u64, sqlx::Error> {
    let credentials = table == "credential";
    let mut written = 0;
    let backend = if conn.backend_name() == "SQLite" {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    let (set_blast, blast_differs) = if credentials {
        (", blast_radius = v.column5", " OR t.blast_radius <> v.column5")
    } else {
        ("", "")
    };
    for chunk in changes.chunks(1000) {
        let mut params = Params::in_order(backend);
        let rows: Vec<String> = chunk
            .iter()
            .map(|change| {
                let mut values = vec![
                    params.bind(change.id),
                    params.bind(change.score),
                    params.bind(change.references),
                    params.bind(change.factors.clone()),
                ];
                if credentials {
                    values.push(params.bind(change.blast_radius));
                }
                format!("({})", values.join(", "))
            })
            .collect();
        written += sqlx::query_with(
            &format!(
                "UPDATE {table} AS t SET risk_score = v.column2, risk_references = v.column3, \
                 risk_factors = v.column4{set_blast} FROM (VALUES {}) AS v WHERE t.id = v.column1 \
                 AND (t.risk_score <> v.column2 OR t.risk_references <> v.column3 OR t.risk_factors <> v.column4\
                 {blast_differs})",
                rows.join(", ")
            ),
            params.args(),
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(written)
}

/// The stored model version, if scores were ever computed.
pub async fn stored_version(db: &Db) -> Result<Option<String>, sqlx::Error> {
    setting(db, "risk_model_version").await
}

/// When the stored scores were computed as of, if ever.
pub async fn stored_at(db: &Db) -> Result<Option<String>, sqlx::Error> {
    setting(db, "risk_computed_at").await
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

    // Twenty bins of five points, so that band edges (25, 50, 75) fall
    // between bins; a score of 100 joins the last.
    let mut histogram = vec![0i64; 20];
    for row in sqlx::query(
        "SELECT risk_score / 5 AS bin, COUNT(*) AS n FROM credential WHERE status = 'active' GROUP BY risk_score / 5",
    )
    .fetch_all(db.pool())
    .await?
    {
        let bin: i64 = row.try_get("bin")?;
        histogram[bin.clamp(0, 19) as usize] += row.try_get::<i64, _>("n")?;
    }

    // Ties broken as the lists' `?sort=-risk` breaks them, so that the top 20
    // are the first rows of that list.
    let top = |table: &str, filter: &str| {
        format!(
            "SELECT id, name, risk_score, risk_factors FROM {table} {filter} \
             ORDER BY risk_score DESC, id DESC LIMIT 20"
        )
    };
    let ranked = |rows: Vec<sqlx::any::AnyRow>| {
        rows.iter()
            .map(|row| {
                Ok(json::RankedRisk {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    risk: super::scores::brief(
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
        histogram,
    })
}
