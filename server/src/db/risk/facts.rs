//! Loading the facts the risk model reads, in a few set-wise queries rather
//! than one per entity: credentials with their copies, activity, reach,
//! consumers, findings and attestations, and agents with the credentials
//! they use.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use model::api::{self as json, PersonStatus};
use sqlx::{AnyConnection, Row};

use super::super::sql::{Params, Scope, get_enum, get_opt_time, get_time};
use crate::risk;

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
pub(super) async fn credential_rows(
    conn: &mut AnyConnection,
    scope: &Scope<'_>,
) -> Result<Credentials, sqlx::Error> {
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
pub(super) async fn copies(
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
pub(super) struct Activity {
    used: HashSet<(i64, i64)>,
    human: HashMap<i64, risk::HumanUse>,
}

/// What activity shows of the credentials in `scope` (see [`Activity`]).
pub(super) async fn activity(conn: &mut AnyConnection, scope: &Scope<'_>) -> Result<Activity, sqlx::Error> {
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

/// What the credentials in `scope` reach (see [`Reaches`]).
pub(super) async fn reaches(conn: &mut AnyConnection, scope: &Scope<'_>) -> Result<Reaches, sqlx::Error> {
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

/// Who uses the credentials in `scope` (see [`Consumers`]).
pub(super) async fn consumers(conn: &mut AnyConnection, scope: &Scope<'_>) -> Result<Consumers, sqlx::Error> {
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
pub(super) fn assemble(
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
pub(super) async fn load_credentials(
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
/// attestation, with the cycle of the reviews still repeating over it; for
/// one never attested, that it was expected (it was up for
/// review in a campaign that came due) or not.
async fn attestations<'a>(
    conn: &mut AnyConnection,
    kind: json::OwnedKind,
    scope: &Scope<'_>,
    ids: impl Iterator<Item = &'a i64>,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, risk::Attestation)>, sqlx::Error> {
    let mut attested = super::super::reviews::attested_at(conn, kind, scope).await?;
    let expected = super::super::reviews::reviewed_by(conn, kind, scope, now).await?;
    let cycles = super::super::reviews::repeating_cycles(conn, kind, scope).await?;
    Ok(ids
        .filter_map(|id| {
            let attestation = match attested.remove(id) {
                Some((at, by)) => risk::Attestation::Last {
                    at,
                    by,
                    cycle: cycles.get(id).copied(),
                },
                None if expected.contains(id) => risk::Attestation::Never,
                None => return None,
            };
            Some((*id, attestation))
        })
        .collect())
}

/// Adds what access reviews say of them to loaded credentials.
pub(super) async fn attach_attestations(
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
pub(super) async fn attach_findings(
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
pub(super) async fn load_agents(
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
