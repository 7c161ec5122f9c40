//! The global search: one box that finds any entity by name, email, key id,
//! ARN or fingerprint — the incident responder's way in.

use model::api::{self as json, NodeKind};
use sqlx::Row;

use super::Db;
use super::sql::{Params, text_match};
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
    probe(NodeKind::Person, "name", PERSON_HIT, "{like:pe.name,pe.email}"),
    probe(NodeKind::Agent, "name", AGENT_HIT, "{like:a.name}"),
    probe(NodeKind::Credential, "name", CREDENTIAL_HIT, "{like:c.name}"),
    probe(NodeKind::Resource, "name", RESOURCE_HIT, "{like:res.name}"),
    probe(NodeKind::Tool, "name", TOOL_HIT, "{like:t.name}"),
    probe(NodeKind::Team, "name", TEAM_HIT, "{like:t.name}"),
];

/// `GET /api/v1/search`: identifiers (key id, ARN, fingerprint, email)
/// first; names only when no identifier matched, since a pasted identifier
/// names one thing and a substring scan of every name would only add noise.
pub async fn search(db: &Db, text: &str, limit: usize) -> Result<json::SearchResults, ApiError> {
    let mut hits: Vec<json::SearchHit> = Vec::new();
    for probe in PROBES {
        let by_name = probe.matched == "name";
        let identified = hits.iter().any(|hit| hit.matched != "name");
        if hits.len() >= limit || (by_name && identified) {
            break;
        }
        let mut params = Params::default();
        let condition = render(probe.condition, &mut params, text);
        let sql = format!("{} WHERE {condition}", probe.select);
        let rows = sqlx::query_with(
            &format!("{sql} ORDER BY 2, 1 LIMIT {}", limit - hits.len()),
            params.args(),
        )
        .fetch_all(db.pool())
        .await?;
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
    }
    Ok(json::SearchResults {
        query: text.to_owned(),
        hits,
    })
}

/// Fills a probe's `{exact}`, `{exact_lower}`, `{prefix:col}` and `{like:col,...}` slots.
fn render(template: &str, params: &mut Params, text: &str) -> String {
    let mut sql = template.to_owned();
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
        let condition = text_match(params, &columns, text);
        sql.replace_range(start..=end, &condition);
    }
    sql
}
