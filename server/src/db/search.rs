//! The global search: one box that finds any entity by name, email, key id,
//! ARN or fingerprint — the incident responder's way in.

use model::api::{self as json, NodeKind};
use sqlx::Row;

use super::Db;
use super::sql::{Params, text_match};
use crate::ApiError;

/// One probe of the search: an SQL query returning `id, label, detail`.
struct Probe {
    kind: NodeKind,
    matched: &'static str,
    /// `{exact}`, `{exact_lower}`, `{prefix:column}` or `{like:columns}` stand
    /// for the query text: identifiers matched whole or by prefix (by index),
    /// or names by case-insensitive substring.
    sql: &'static str,
}

const PROBES: &[Probe] = &[
    Probe {
        kind: NodeKind::Credential,
        matched: "external_id",
        sql: "SELECT c.id, c.name AS label, c.provider || ' ' || c.kind || ' · ' || c.external_id || \
              COALESCE(' · owner ' || o.name, ' · no owner') AS detail \
              FROM credential c LEFT JOIN person o ON o.id = c.owner_id WHERE c.external_id = {exact}",
    },
    Probe {
        kind: NodeKind::Credential,
        matched: "fingerprint",
        sql: "SELECT c.id, c.name AS label, c.provider || ' ' || c.kind || ' · ' || c.external_id || \
              COALESCE(' · owner ' || o.name, ' · no owner') AS detail \
              FROM credential c LEFT JOIN person o ON o.id = c.owner_id WHERE c.fingerprint = {exact}",
    },
    Probe {
        kind: NodeKind::Credential,
        matched: "external_id",
        sql: "SELECT c.id, c.name AS label, c.provider || ' ' || c.kind || ' · ' || c.external_id || \
              COALESCE(' · owner ' || o.name, ' · no owner') AS detail \
              FROM credential c LEFT JOIN person o ON o.id = c.owner_id WHERE {prefix:c.external_id}",
    },
    Probe {
        kind: NodeKind::Credential,
        matched: "fingerprint",
        sql: "SELECT c.id, c.name AS label, c.provider || ' ' || c.kind || ' · ' || c.external_id || \
              COALESCE(' · owner ' || o.name, ' · no owner') AS detail \
              FROM credential c LEFT JOIN person o ON o.id = c.owner_id WHERE {prefix:c.fingerprint}",
    },
    Probe {
        kind: NodeKind::Person,
        matched: "email",
        sql: "SELECT pe.id, pe.name AS label, pe.email || ' · ' || pe.status AS detail \
              FROM person pe WHERE pe.email = {exact_lower}",
    },
    Probe {
        kind: NodeKind::Person,
        matched: "name",
        sql: "SELECT pe.id, pe.name AS label, pe.email || ' · ' || pe.status AS detail \
              FROM person pe WHERE {like:pe.name,pe.email}",
    },
    Probe {
        kind: NodeKind::Agent,
        matched: "name",
        sql: "SELECT a.id, a.name AS label, a.platform || ' · ' || a.environment AS detail \
              FROM agent a WHERE {like:a.name}",
    },
    Probe {
        kind: NodeKind::Credential,
        matched: "name",
        sql: "SELECT c.id, c.name AS label, c.provider || ' ' || c.kind || ' · ' || c.external_id AS detail \
              FROM credential c WHERE {like:c.name}",
    },
    Probe {
        kind: NodeKind::Resource,
        matched: "name",
        sql: "SELECT res.id, res.name AS label, res.provider || ' · ' || res.environment || ' · ' || \
              res.sensitivity AS detail FROM resource res WHERE {like:res.name}",
    },
    Probe {
        kind: NodeKind::Tool,
        matched: "name",
        sql: "SELECT t.id, t.name AS label, t.kind AS detail FROM tool t WHERE {like:t.name}",
    },
    Probe {
        kind: NodeKind::Team,
        matched: "name",
        sql: "SELECT t.id, t.name AS label, 'team' AS detail FROM team t WHERE {like:t.name}",
    },
];

/// `GET /api/v1/search`: exact identifier matches first, then names.
pub async fn search(db: &Db, text: &str, limit: usize) -> Result<json::SearchResults, ApiError> {
    let mut hits: Vec<json::SearchHit> = Vec::new();
    for probe in PROBES {
        if hits.len() >= limit {
            break;
        }
        let mut params = Params::default();
        let sql = render(probe.sql, &mut params, text);
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
