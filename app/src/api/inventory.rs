//! Reading the inventory: lists, detail pages, coverage, the graph, search
//! and behaviour.

use model::api as json;
use serde::de::DeserializeOwned;

use super::{Get, query_string};

/// `GET /api/v1/overview`.
pub fn overview() -> Get<json::Overview> {
    Get::new("/api/v1/overview".to_owned())
}

/// `GET /api/v1/risk/summary`.
pub fn risk_summary() -> Get<json::RiskSummary> {
    Get::new("/api/v1/risk/summary".to_owned())
}

/// `GET /api/v1/{list}?{search}`: a page of an inventory list, with the
/// filters of the app's own URL passed through as they are.
pub fn inventory<T: DeserializeOwned>(list: &str, search: &str) -> Get<json::Page<T>> {
    Get::new(format!("/api/v1/{list}?{search}"))
}

/// `GET /api/v1/credentials/{id}`.
pub fn credential(id: i64) -> Get<json::CredentialDetail> {
    Get::new(format!("/api/v1/credentials/{id}"))
}

/// `GET /api/v1/agents/{id}`.
pub fn agent(id: i64) -> Get<json::AgentDetail> {
    Get::new(format!("/api/v1/agents/{id}"))
}

/// `GET /api/v1/coverage`: a team's owner coverage (the organisation's without).
pub fn coverage(team: Option<i64>) -> Get<json::Coverage> {
    Get::new(format!(
        "/api/v1/coverage{}",
        query_string(&json::CoverageQuery { team })
    ))
}

/// `GET /api/v1/ownership/gaps`: agents and credentials without an accountable owner.
pub fn gaps(query: &json::GapQuery) -> Get<json::Page<json::Gap>> {
    Get::new(format!("/api/v1/ownership/gaps{}", query_string(query)))
}

/// `GET /api/v1/people`.
pub fn people(query: &json::PersonQuery) -> Get<json::Page<json::PersonSummary>> {
    Get::new(format!("/api/v1/people{}", query_string(query)))
}

/// `GET /api/v1/graph/lineage`: the lineage `depth` hops around `node` (`<kind>:<id>`).
pub fn lineage(node: &str, depth: u32) -> Get<json::Lineage> {
    let query = json::LineageQuery {
        node: node.to_owned(),
        depth: Some(depth),
    };
    Get::new(format!("/api/v1/graph/lineage{}", query_string(&query)))
}

/// `GET /api/v1/graph/paths`: who can reach a node, shortest first.
pub fn paths(to: &str, from: Option<&str>, limit: u32) -> Get<json::Paths> {
    let query = json::PathsQuery {
        to: to.to_owned(),
        from: from.map(str::to_owned),
        limit: Some(limit),
    };
    Get::new(format!("/api/v1/graph/paths{}", query_string(&query)))
}

/// `GET /api/v1/credentials/{id}/blast-radius`: everything a credential reaches.
pub fn blast_radius(id: i64) -> Get<json::BlastRadius> {
    Get::new(format!("/api/v1/credentials/{id}/blast-radius"))
}

/// `GET /api/v1/tools/{id}`.
pub fn tool(id: i64) -> Get<json::ToolDetail> {
    Get::new(format!("/api/v1/tools/{id}"))
}

/// `GET /api/v1/copies/{id}`.
pub fn copy(id: i64) -> Get<json::CopySummary> {
    Get::new(format!("/api/v1/copies/{id}"))
}

/// `GET /api/v1/search`: anything by name, email, key id, ARN or fingerprint.
pub fn search(query: &json::SearchQuery) -> Get<json::SearchResults> {
    Get::new(format!("/api/v1/search{}", query_string(query)))
}

/// `GET /api/v1/people/{id}`.
pub fn person(id: i64) -> Get<json::PersonDetail> {
    Get::new(format!("/api/v1/people/{id}"))
}

/// `GET /api/v1/teams/{id}`.
pub fn team(id: i64) -> Get<json::TeamDetail> {
    Get::new(format!("/api/v1/teams/{id}"))
}

/// `GET /api/v1/resources/{id}`.
pub fn resource(id: i64) -> Get<json::ResourceDetail> {
    Get::new(format!("/api/v1/resources/{id}"))
}

/// `GET /api/v1/teams`: a page of teams.
pub fn teams(query: &json::TeamQuery) -> Get<json::Page<json::TeamSummary>> {
    Get::new(format!("/api/v1/teams{}", query_string(query)))
}

/// `GET /api/v1/credentials/{id}/behaviour`: its baseline and behaviour findings.
pub fn behaviour(credential: i64) -> Get<json::Behaviour> {
    Get::new(format!("/api/v1/credentials/{credential}/behaviour"))
}

/// `GET /api/v1/behaviour/findings`: the last 30 days' behaviour findings.
pub fn recent_findings() -> Get<json::RecentFindings> {
    Get::new("/api/v1/behaviour/findings".to_owned())
}
