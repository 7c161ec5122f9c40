//! What admins manage: accounts, tokens, the sanctioned list and the AI
//! application catalogue.

use gloo_net::http::Request;
use model::api as json;

use super::{ApiError, Get, decode, delete, refusal, send};

/// `GET /api/v1/accounts` (admins).
pub fn accounts() -> Get<Vec<json::Account>> {
    Get::new("/api/v1/accounts".to_owned())
}

/// `POST /api/v1/accounts` (admins).
pub async fn create_account(account: &json::NewAccount) -> Result<json::Account, ApiError> {
    send(Request::post("/api/v1/accounts"), account).await
}

/// `PATCH /api/v1/accounts/{id}` (admins).
pub async fn update_account(id: i64, change: &json::AccountChange) -> Result<json::Account, ApiError> {
    send(Request::patch(&format!("/api/v1/accounts/{id}")), change).await
}

/// `GET /api/v1/agents/{id}/tokens` (admins): an agent's tokens, without secrets.
pub fn agent_tokens(agent: i64) -> Get<Vec<json::AgentToken>> {
    Get::new(format!("/api/v1/agents/{agent}/tokens"))
}

/// `POST /api/v1/agents/{id}/tokens` (admins): the answer holds the secret, once.
pub async fn create_agent_token(
    agent: i64,
    token: &json::NewAgentToken,
) -> Result<json::CreatedAgentToken, ApiError> {
    send(Request::post(&format!("/api/v1/agents/{agent}/tokens")), token).await
}

/// `DELETE /api/v1/agent-tokens/{id}` (admins).
pub async fn revoke_agent_token(id: i64) -> Result<json::AgentToken, ApiError> {
    decode(delete(&format!("/api/v1/agent-tokens/{id}")).await?)
}

/// The kinds of token admins issue to machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// `muster scan --server` submits with these.
    Enrolment,
    /// The identity provider's SCIM client calls `/scim/v2` with these.
    Scim,
}

impl Issued {
    /// The API's collection of this kind.
    fn path(self) -> &'static str {
        match self {
            Self::Enrolment => "/api/v1/enrolment-tokens",
            Self::Scim => "/api/v1/scim-tokens",
        }
    }
}

/// `GET /api/v1/enrolment-tokens`, `/api/v1/scim-tokens` (admins): the
/// tokens issued to machines, without secrets.
pub fn issued_tokens(kind: Issued) -> Get<Vec<json::IssuedToken>> {
    Get::new(kind.path().to_owned())
}

/// `POST` to the same (admins): the answer holds the secret, once.
pub async fn issue_token(
    kind: Issued,
    token: &json::NewIssuedToken,
) -> Result<json::CreatedIssuedToken, ApiError> {
    send(Request::post(kind.path()), token).await
}

/// `DELETE …/{id}` of the same (admins).
pub async fn revoke_issued_token(kind: Issued, id: i64) -> Result<json::IssuedToken, ApiError> {
    decode(delete(&format!("{}/{id}", kind.path())).await?)
}

/// `GET /api/v1/sanction-rules` (admins): the sanctioned list.
pub fn sanction_rules() -> Get<Vec<json::SanctionRule>> {
    Get::new("/api/v1/sanction-rules".to_owned())
}

/// `POST /api/v1/sanction-rules` (admins).
pub async fn create_sanction_rule(rule: &json::NewSanctionRule) -> Result<json::SanctionRule, ApiError> {
    send(Request::post("/api/v1/sanction-rules"), rule).await
}

/// `DELETE /api/v1/sanction-rules/{id}` (admins).
pub async fn delete_sanction_rule(id: i64) -> Result<json::SanctionRule, ApiError> {
    decode(delete(&format!("/api/v1/sanction-rules/{id}")).await?)
}

/// `GET /api/v1/ai-apps` (admins): the catalogue of AI applications.
pub fn ai_apps() -> Get<Vec<json::AiApp>> {
    Get::new("/api/v1/ai-apps".to_owned())
}

/// `POST /api/v1/ai-apps` (admins).
pub async fn create_ai_app(app: &json::NewAiApp) -> Result<json::AiApp, ApiError> {
    send(Request::post("/api/v1/ai-apps"), app).await
}

/// `DELETE /api/v1/ai-apps/{key}` (admins): an admin's entry.
pub async fn delete_ai_app(key: &str) -> Result<(), ApiError> {
    let answer = delete(&format!("/api/v1/ai-apps/{key}")).await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}

/// `POST /api/v1/credentials/{id}/promote` (admins): a grant made an agent.
pub async fn promote_credential(id: i64) -> Result<json::AgentDetail, ApiError> {
    send(
        Request::post(&format!("/api/v1/credentials/{id}/promote")),
        &serde_json::json!({}),
    )
    .await
}

/// `PUT /api/v1/agents/{id}/sanctioned` (admins).
pub async fn sanction_agent(id: i64, sanction: &json::Sanction) -> Result<json::AgentDetail, ApiError> {
    send(Request::put(&format!("/api/v1/agents/{id}/sanctioned")), sanction).await
}

/// `PUT /api/v1/tools/{id}/sanctioned` (admins): an MCP server a scan found.
pub async fn sanction_tool(id: i64, sanction: &json::Sanction) -> Result<json::ToolDetail, ApiError> {
    send(Request::put(&format!("/api/v1/tools/{id}/sanctioned")), sanction).await
}
