//! A typed client for Muster's JSON API. Every call returns the wire types of
//! the `model` crate, or an [`ApiError`] carrying the server's error code.

use gloo_net::http::{Request, RequestBuilder};
use model::api as json;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why an API call failed, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The server's `error.code`, or `network` when no answer came.
    pub code: String,
    /// The server's `error.message`, or what went wrong on the way.
    pub message: String,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// `GET /api/health`.
pub async fn health() -> Result<json::Health, ApiError> {
    get_json("/api/health").await
}

/// `GET /api/v1/session`: who is signed in (an `unauthorized` error if nobody).
pub async fn session() -> Result<json::Session, ApiError> {
    get_json("/api/v1/session").await
}

/// `POST /api/v1/session`: signs in; the server sets the session cookie.
pub async fn sign_in(email: String, password: String) -> Result<json::Session, ApiError> {
    send(
        Request::post("/api/v1/session"),
        &json::SignIn { email, password },
    )
    .await
}

/// `DELETE /api/v1/session`: signs out.
pub async fn sign_out() -> Result<(), ApiError> {
    let answer = exchange(
        Request::delete("/api/v1/session")
            .header(CLIENT_HEADER, "web")
            .build(),
    )
    .await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}

/// `GET /api/v1/overview`.
pub async fn overview() -> Result<json::Overview, ApiError> {
    get_json("/api/v1/overview").await
}

/// `GET /api/v1/risk/summary`.
pub async fn risk_summary() -> Result<json::RiskSummary, ApiError> {
    get_json("/api/v1/risk/summary").await
}

/// `GET /api/v1/{list}?{search}`: a page of an inventory list, with the
/// filters of the app's own URL passed through as they are.
pub async fn inventory<T: DeserializeOwned>(list: &str, search: &str) -> Result<json::Page<T>, ApiError> {
    get_json(&format!("/api/v1/{list}?{search}")).await
}

/// `GET /api/v1/credentials/{id}`.
pub async fn credential(id: i64) -> Result<json::CredentialDetail, ApiError> {
    get_json(&format!("/api/v1/credentials/{id}")).await
}

/// `GET /api/v1/agents/{id}`.
pub async fn agent(id: i64) -> Result<json::AgentDetail, ApiError> {
    get_json(&format!("/api/v1/agents/{id}")).await
}

/// `GET /api/v1/coverage`: a team's owner coverage (the organisation's without).
pub async fn coverage(team: Option<i64>) -> Result<json::Coverage, ApiError> {
    get_json(&format!(
        "/api/v1/coverage{}",
        query_string(&json::CoverageQuery { team })
    ))
    .await
}

/// `GET /api/v1/ownership/gaps`: agents and credentials without an accountable owner.
pub async fn gaps(query: &json::GapQuery) -> Result<json::Page<json::Gap>, ApiError> {
    get_json(&format!("/api/v1/ownership/gaps{}", query_string(query))).await
}

/// `GET /api/v1/people`.
pub async fn people(query: &json::PersonQuery) -> Result<json::Page<json::PersonSummary>, ApiError> {
    get_json(&format!("/api/v1/people{}", query_string(query))).await
}

/// `POST /api/v1/ownership/assign` (managers in their teams, admins).
pub async fn assign_owner(assignment: &json::OwnerAssignment) -> Result<Vec<json::OwnerChange>, ApiError> {
    send(Request::post("/api/v1/ownership/assign"), assignment).await
}

/// `POST /api/v1/people/{id}/depart` (managers in their teams, admins).
pub async fn depart_person(id: i64, departure: &json::Departure) -> Result<json::DepartureResult, ApiError> {
    send(Request::post(&format!("/api/v1/people/{id}/depart")), departure).await
}

/// `POST /api/v1/ownership/transfer` (managers in their teams, admins).
pub async fn transfer_ownership(transfer: &json::OwnerTransfer) -> Result<json::TransferResult, ApiError> {
    send(Request::post("/api/v1/ownership/transfer"), transfer).await
}

/// `GET /api/v1/graph/lineage`: the lineage `depth` hops around `node` (`<kind>:<id>`).
pub async fn lineage(node: &str, depth: u32) -> Result<json::Lineage, ApiError> {
    let query = json::LineageQuery {
        node: node.to_owned(),
        depth: Some(depth),
    };
    get_json(&format!("/api/v1/graph/lineage{}", query_string(&query))).await
}

/// `GET /api/v1/credentials/{id}/blast-radius`: everything a credential reaches.
pub async fn blast_radius(id: i64) -> Result<json::BlastRadius, ApiError> {
    get_json(&format!("/api/v1/credentials/{id}/blast-radius")).await
}

/// `GET /api/v1/tools/{id}`.
pub async fn tool(id: i64) -> Result<json::ToolDetail, ApiError> {
    get_json(&format!("/api/v1/tools/{id}")).await
}

/// `GET /api/v1/copies/{id}`.
pub async fn copy(id: i64) -> Result<json::CopySummary, ApiError> {
    get_json(&format!("/api/v1/copies/{id}")).await
}

/// `GET /api/v1/search`: anything by name, email, key id, ARN or fingerprint.
pub async fn search(query: &json::SearchQuery) -> Result<json::SearchResults, ApiError> {
    get_json(&format!("/api/v1/search{}", query_string(query))).await
}

/// `GET /api/v1/people/{id}`.
pub async fn person(id: i64) -> Result<json::PersonDetail, ApiError> {
    get_json(&format!("/api/v1/people/{id}")).await
}

/// `GET /api/v1/teams/{id}`.
pub async fn team(id: i64) -> Result<json::TeamDetail, ApiError> {
    get_json(&format!("/api/v1/teams/{id}")).await
}

/// `GET /api/v1/resources/{id}`.
pub async fn resource(id: i64) -> Result<json::ResourceDetail, ApiError> {
    get_json(&format!("/api/v1/resources/{id}")).await
}

/// `GET /api/v1/accounts` (admins).
pub async fn accounts() -> Result<Vec<json::Account>, ApiError> {
    get_json("/api/v1/accounts").await
}

/// `POST /api/v1/accounts` (admins).
pub async fn create_account(account: &json::NewAccount) -> Result<json::Account, ApiError> {
    send(Request::post("/api/v1/accounts"), account).await
}

/// `PATCH /api/v1/accounts/{id}` (admins).
pub async fn update_account(id: i64, change: &json::AccountChange) -> Result<json::Account, ApiError> {
    send(Request::patch(&format!("/api/v1/accounts/{id}")), change).await
}

/// `GET /api/v1/audit` (CISOs and admins).
pub async fn audit(query: &json::AuditQuery) -> Result<json::Page<json::AuditEntry>, ApiError> {
    get_json(&format!("/api/v1/audit{}", query_string(query))).await
}

/// `GET /api/v1/audit/chain` (CISOs and admins).
pub async fn audit_chain() -> Result<json::AuditChain, ApiError> {
    get_json("/api/v1/audit/chain").await
}

/// `?a=1&b=x` from a query struct's fields that are set (its serde form).
pub fn query_string<T: Serialize>(query: &T) -> String {
    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(query) else {
        return String::new();
    };
    let params = web_sys::UrlSearchParams::new().expect("URLSearchParams exists in every browser");
    for (name, value) in fields {
        match value {
            serde_json::Value::String(text) => params.append(&name, &text),
            serde_json::Value::Null => {}
            other => params.append(&name, &other.to_string()),
        }
    }
    let text: String = params.to_string().into();
    if text.is_empty() { text } else { format!("?{text}") }
}

/// The header that marks a state-changing request as coming from this app
/// (the server refuses such requests without it: a CSRF defence).
const CLIENT_HEADER: &str = "X-Muster-Client";

fn network(error: gloo_net::Error) -> ApiError {
    ApiError {
        code: "network".into(),
        message: format!("the server did not answer ({error})"),
    }
}

/// An answer read to its end.
struct Answer {
    /// Whether the status was 2xx.
    ok: bool,
    status: u16,
    body: String,
}

/// Sends a request and reads its whole answer. Nothing here depends on the
/// types sent or read, so it is compiled once for every call (keeping the
/// WebAssembly bundle small); only [`decode`] is per type.
async fn exchange(request: Result<Request, gloo_net::Error>) -> Result<Answer, ApiError> {
    let response = request
        .map_err(|e| ApiError {
            code: "encode".into(),
            message: e.to_string(),
        })?
        .send()
        .await
        .map_err(network)?;
    let body = response.text().await.map_err(network)?;
    Ok(Answer {
        ok: response.ok(),
        status: response.status(),
        body,
    })
}

/// The typed value of a 2xx answer, or the server's error.
fn decode<T: DeserializeOwned>(answer: Answer) -> Result<T, ApiError> {
    if !answer.ok {
        return Err(refusal(&answer));
    }
    serde_json::from_str(&answer.body).map_err(|e| ApiError {
        code: "decode".into(),
        message: format!("unexpected answer from the server ({e})"),
    })
}

/// The API's `{"error": {"code", "message"}}`, or the bare status without one.
fn refusal(answer: &Answer) -> ApiError {
    match serde_json::from_str::<json::ErrorBody>(&answer.body) {
        Ok(body) => ApiError {
            code: body.error.code,
            message: body.error.message,
        },
        Err(_) => ApiError {
            code: "http".into(),
            message: format!("the server answered {}", answer.status),
        },
    }
}

/// Sends `body` as JSON with the app's header (which state-changing requests need).
async fn send<B: Serialize, T: DeserializeOwned>(request: RequestBuilder, body: &B) -> Result<T, ApiError> {
    let body = serde_json::to_string(body).map_err(|e| ApiError {
        code: "encode".into(),
        message: e.to_string(),
    })?;
    let request = request
        .header(CLIENT_HEADER, "web")
        .header("content-type", "application/json")
        .body(body);
    decode(exchange(request).await?)
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    decode(exchange(Request::get(path).build()).await?)
}
