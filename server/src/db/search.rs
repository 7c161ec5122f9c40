//! The global search: one box that finds any entity by name, email, key id,
//! ARN or fingerprint — the incident responder's way in.

use model::api::{self as json, NodeKind};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::{Params, TextIndex, indexed_text_match, text_match};
use super::{Backend, Db};
use crate::ApiError;

/// One probe of the search: `select ... WHERE condition`, returning `id, label, detail`.
struct Probe {
    kind: NodeKind,
    matched: &'static str,
    select: &'static str,
    /// `{exact}`, `{exact_lower}`, `{prefix:column}` or `{like:columns}` stand
    /// for the query text: identifiers matched whole or by prefix (by index),
    /// or names by case-insensitive substring.
    condition: &'static str,
    /// The substring index of a `{like:...}` probe's table, and its key.
    index: Option<(TextIndex, &'static str)>,
}

const CREDENTIAL_HIT: &str = "SELECT c.id, c.name AS label, c.provider || ' ' || c.kind || ' · ' || \
     c.external_id || COALESCE(' · owner ' || o.name, ' · no owner') AS detail \
     FROM credential c LEFT JOIN person o ON o.id = c.owner_id";
const PERSON_HIT: &str =
    "SELECT pe.id, pe.name AS label, pe.email || ' · ' || pe.status AS detail FROM person pe";
const AGENT_HIT: &str =
    "SELECT a.id, a.name AS label, a.platform || ' · ' || a.environment AS detail FROM agent a";
const RESOURCE_HIT: &str = "SELECT res.id, res.name AS label, res.provider || ' · ' || res.environment || ' · ' || \
     res.sensitivity AS detail FROM resource res";
const TOOL_HIT: &str = "SELECT t.id, t.name AS label, t.kind AS detail FROM tool t";
const TEAM_HIT: &str = "SELECT t.id, t.name AS label, 'team' AS detail FROM team t";

const fn probe(
    kind: NodeKind,
    matched: &'static str,
    select: &'static str,
    condition: &'static str,
) -> Probe {
    Probe {
        kind,
        matched,
        select,
        condition,
        index: None,
    }
}

/// A probe of names by substring, narrowed by `index` (keyed by `id`).
const fn by_name(
    kind: NodeKind,
    select: &'static str,
    condition: &'static str,
    index: TextIndex,
    id: &'static str,
) -> Probe {
    Probe {
        index: Some((index, id)),
        ..probe(kind, "name", select, condition)
    }
}

/// In order: identifiers whole, identifiers by prefix, then names.
const PROBES: &[Probe] = &[
    probe(
        NodeKind::Credential,
        "external_id",
        CREDENTIAL_HIT,
        "c.external_id = {exact}",
    ),
    probe(
        NodeKind::Credential,
        "fingerprint",
        CREDENTIAL_HIT,
        "c.fingerprint = {exact}",
    ),
    probe(
        NodeKind::Credential,
        "external_id",
        CREDENTIAL_HIT,
        "{prefix:c.external_id}",
    ),
    probe(
        NodeKind::Credential,
        "fingerprint",
        CREDENTIAL_HIT,
        "{prefix:c.fingerprint}",
    ),
    probe(NodeKind::Person, "email", PERSON_HIT, "pe.email = {exact_lower}"),
    by_name(
        NodeKind::Person,
        PERSON_HIT,
        "{like:pe.name,pe.email}",
        TextIndex::PERSON,
        "pe.id",
    ),
    by_name(
        NodeKind::Agent,
        AGENT_HIT,
        "{like:a.name}",
        TextIndex::AGENT,
        "a.id",
    ),
    by_name(
        NodeKind::Credential,
        CREDENTIAL_HIT,
        "{like:c.name}",
        TextIndex::CREDENTIAL,
        "c.id",
    ),
    by_name(
        NodeKind::Resource,
        RESOURCE_HIT,
        "{like:res.name}",
        TextIndex::RESOURCE,
        "res.id",
    ),
    probe(NodeKind::Tool, "name", TOOL_HIT, "{like:t.name}"),
    probe(NodeKind::Team, "name", TEAM_HIT, "{like:t.name}"),
];

/// `GET /api/v1/search`: identifiers (key id, ARN, fingerprint, email)
/// first; names only when no identifier matched, since a pasted identifier
/// names one thing and a substring scan of every name would only add noise.
pub async fn search(db: &Db, text: &str, limit: usize) -> Result<json::SearchResults, ApiError> {
    let (identifiers, names): (Vec<&Probe>, Vec<&Probe>) = PROBES.iter().partition(|p| p.matched != "name");
    let mut hits: Vec<json::SearchHit> = Vec::new();
    for probe in identifiers {
        if hits.len() >= limit {
            break;
        }
        let rows = run(db, probe, text, limit - hits.len()).await?;
        add_hits(&mut hits, probe, &rows)?;
    }
    if hits.is_empty() {
        // Each name probe may scan a table: run them all at once (SQLite
        // serves concurrent readers under WAL), then keep their order.
        let results =
            futures::future::try_join_all(names.iter().map(|probe| run(db, probe, text, limit))).await?;
        for (probe, rows) in names.iter().zip(&results) {
            add_hits(&mut hits, probe, rows)?;
        }
        hits.truncate(limit);
    }
    Ok(json::SearchResults {
        query: text.to_owned(),
        hits,
    })
}

async fn run(db: &Db, probe: &Probe, text: &str, limit: usize) -> Result<Vec<AnyRow>, sqlx::Error> {
    let mut params = Params::default();
    let condition = render(probe, db.backend(), &mut params, text);
    let sql = format!("{} WHERE {condition} ORDER BY 2, 1 LIMIT {limit}", probe.select);
    sqlx::query_with(&sql, params.args()).fetch_all(db.pool()).await
}

fn add_hits(hits: &mut Vec<json::SearchHit>, probe: &Probe, rows: &[AnyRow]) -> Result<(), sqlx::Error> {
    for row in rows {
        let id: i64 = row.try_get("id")?;
        if hits.iter().any(|hit| hit.kind == probe.kind && hit.id == id) {
            continue;
        }
        hits.push(json::SearchHit {
            kind: probe.kind,
            id,
            label: row.try_get("label")?,
            detail: row.try_get("detail")?,
            matched: probe.matched.to_owned(),
        });
    }
    Ok(())
}

/// Fills a probe's `{exact}`, `{exact_lower}`, `{prefix:col}` and `{like:col,...}` slots.
fn render(probe: &Probe, backend: Backend, params: &mut Params, text: &str) -> String {
    let mut sql = probe.condition.to_owned();
    if sql.contains("{exact}") {
        sql = sql.replace("{exact}", &params.bind(text));
    }
    if sql.contains("{exact_lower}") {
        sql = sql.replace("{exact_lower}", &params.bind(text.to_lowercase()));
    }
    if let Some(start) = sql.find("{prefix:") {
        // An index range scan, then an exact check: portable across engines and
        // case-sensitive, as identifiers are.
        let end = start + sql[start..].find('}').expect("a closed slot");
        let column = sql[start + 8..end].to_owned();
        let low = params.bind(text);
        let high = params.bind(format!("{text}\u{10FFFF}"));
        let length = text.chars().count();
        let exact = params.bind(text);
        let condition =
            format!("({column} >= {low} AND {column} < {high} AND SUBSTR({column}, 1, {length}) = {exact})");
        sql.replace_range(start..=end, &condition);
    }
    if let Some(start) = sql.find("{like:") {
        let end = start + sql[start..].find('}').expect("a closed slot");
        let columns: Vec<&str> = sql[start + 6..end].split(',').collect();
        let condition = match probe.index {
            Some((index, id)) => indexed_text_match(params, backend, index, id, &columns, text),
            None => text_match(params, backend, &columns, text),
        };
        sql.replace_range(start..=end, &condition);
    }
    sql
}
