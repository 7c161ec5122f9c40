//! Scoring and storing: every credential and agent scored and the scores
//! that changed written in steps (the full recompute that
//! [`crate::scoring`] runs), what a change touched rescored inside its
//! transaction, and the settings that record when scores were computed or
//! changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use model::api::{self as json, RiskBand};
use sqlx::AnyConnection;

use super::super::sql::{self, Params, Scope, timestamp};
use super::super::{Backend, Db, Pace, coverage};
use super::facts::{
    activity, assemble, attach_attestations, attach_findings, consumers, copies, credential_rows,
    load_agents, load_credentials, reaches,
};
use crate::risk::{self, Assessment};

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
/// written (those whose score, factors or blast radius differ). An active
/// credential whose score crosses into critical raises `risk.critical` in
/// the same transaction, whichever rescoring moved it (a change's, or the
/// daily recompute's, where time alone ages a secret past the line).
async fn store(conn: &mut AnyConnection, changes: &[Change], now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let critical: Vec<i64> = changes
        .iter()
        .filter(|c| c.kind == "credential" && RiskBand::of(c.score) == RiskBand::Critical)
        .map(|c| c.id)
        .collect();
    let turning = turning_critical(conn, &critical).await?;
    let (credentials, agents): (Vec<&Change>, Vec<&Change>) =
        changes.iter().partition(|change| change.kind == "credential");
    let written = write_changes(conn, "credential", &credentials).await?
        + write_changes(conn, "agent", &agents).await?;
    // Once a day at most for each credential: a score that wavers about the
    // line is not news each time.
    let day = now.format("%Y-%m-%d");
    for id in turning {
        let facts = serde_json::json!({ "credential": id });
        super::super::outbox::raise(
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

/// Compares `scores` with what their rows hold and writes those that
/// differ, in steps ([`Db::in_steps`]), so that decisions and sign-ins are
/// not held up for the seconds a whole store takes on `large` (`make
/// bench-load`, phase C); answers how many were written. Each row's score
/// is written whole; stopped part-way, the next recompute finishes the job.
pub async fn store_in_steps(db: &Db, scores: &Scores, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let changes = changes(db, scores).await?;
    db.in_steps(&changes, Pace::new(1_000, 100, 20_000), |conn, step| {
        Box::pin(store(conn, step, now))
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
    store(conn, &changes, now).await
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
