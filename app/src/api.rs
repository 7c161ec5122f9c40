//! A typed client for Muster's JSON API. Every call returns the wire types of
//! the `model` crate, or an [`ApiError`] carrying the server's error code.
//! A GET is a [`Get`], sent from an event handler or held by a screen as a
//! [`Fetched`] resource; changes are sent at once.

use std::marker::PhantomData;

use gloo_net::http::{Request, RequestBuilder};
use leptos::prelude::{Get as _, LocalResource};
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
pub fn health() -> Get<json::Health> {
    Get::new("/api/health".to_owned())
}

/// `GET /api/v1/session`: who is signed in (an `unauthorized` error if nobody).
pub fn session() -> Get<json::Session> {
    Get::new("/api/v1/session".to_owned())
}

/// `GET /api/v1/session/options`: the identity provider's button, who may use a password.
pub fn sign_in_options() -> Get<json::SignInOptions> {
    Get::new("/api/v1/session/options".to_owned())
}

/// Where the browser goes to sign in with the identity provider, and comes back to `return_to`.
pub fn oidc_start_url(return_to: &str) -> String {
    format!(
        "/api/v1/session/oidc/start{}",
        query_string(&serde_json::json!({ "return_to": return_to }))
    )
}

/// `POST /api/v1/session`: signs in; the server sets the session cookie.
pub async fn sign_in(email: String, password: String) -> Result<json::Session, ApiError> {
    send(
        Request::post("/api/v1/session"),
        &json::SignIn { email, password },
    )
    .await
}

/// `DELETE /api/v1/session`: signs out (of Muster; the provider's own
/// session ends at `Session::sign_out_url`).
pub async fn sign_out() -> Result<(), ApiError> {
    let answer = delete("/api/v1/session").await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}

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

/// `GET /api/v1/credentials/{id}/revocation-plan`: what revoking it would break.
pub fn revocation_plan(credential: i64) -> Get<json::RevocationPlan> {
    Get::new(format!("/api/v1/credentials/{credential}/revocation-plan"))
}

/// `POST /api/v1/credentials/{id}/revocation` (admins, managers in their teams).
pub async fn revoke_credential(
    credential: i64,
    request: &json::NewRevocation,
) -> Result<json::Revocation, ApiError> {
    send(
        Request::post(&format!("/api/v1/credentials/{credential}/revocation")),
        request,
    )
    .await
}

/// `GET /api/v1/revocations`.
pub fn revocations(query: &json::RevocationQuery) -> Get<json::Page<json::RevocationSummary>> {
    Get::new(format!("/api/v1/revocations{}", query_string(query)))
}

/// `GET /api/v1/revocations/{id}`.
pub fn revocation(id: i64) -> Get<json::Revocation> {
    Get::new(format!("/api/v1/revocations/{id}"))
}

/// `POST /api/v1/revocations/{id}/transitions` (admins, managers in their teams).
pub async fn move_revocation(
    id: i64,
    transition: &json::RevocationTransition,
) -> Result<json::Revocation, ApiError> {
    send(
        Request::post(&format!("/api/v1/revocations/{id}/transitions")),
        transition,
    )
    .await
}

/// `POST /api/v1/revocations/{id}/checklist` (admins, managers in their teams).
pub async fn resolve_copy(id: i64, resolution: &json::CopyResolution) -> Result<json::Revocation, ApiError> {
    send(
        Request::post(&format!("/api/v1/revocations/{id}/checklist")),
        resolution,
    )
    .await
}

/// `GET /api/v1/approvals`: the inbox, or with `decided` the history.
pub fn approvals(query: &json::ApprovalQuery) -> Get<json::Page<json::ApprovalSummary>> {
    Get::new(format!("/api/v1/approvals{}", query_string(query)))
}

/// `GET /api/v1/approvals/{id}`: one request with what is needed to decide it.
pub fn approval(id: i64) -> Get<json::ApprovalDetail> {
    Get::new(format!("/api/v1/approvals/{id}"))
}

/// `POST /api/v1/approvals/{id}/decision`: approve or deny.
pub async fn decide_approval(id: i64, vote: &json::NewVote) -> Result<json::ApprovalDetail, ApiError> {
    send(Request::post(&format!("/api/v1/approvals/{id}/decision")), vote).await
}

/// `POST /api/v1/change-requests` (managers, admins): a new tool, credential
/// or scope for an agent, through the approvals. Each submission is a new
/// request: its idempotency key is the moment it was sent.
pub async fn request_change(request: &json::NewChangeRequest) -> Result<json::ApprovalStatus, ApiError> {
    let key = format!("web-{}", chrono::Utc::now().timestamp_micros());
    send(
        Request::post("/api/v1/change-requests").header("idempotency-key", &key),
        request,
    )
    .await
}

/// `GET /api/v1/approval-rules`: the policy, in order.
pub fn approval_rules() -> Get<Vec<json::ApprovalRule>> {
    Get::new("/api/v1/approval-rules".to_owned())
}

/// `POST /api/v1/approval-rules` (admins).
pub async fn create_approval_rule(rule: &json::NewApprovalRule) -> Result<json::ApprovalRule, ApiError> {
    send(Request::post("/api/v1/approval-rules"), rule).await
}

/// `DELETE /api/v1/approval-rules/{id}` (admins).
pub async fn delete_approval_rule(id: i64) -> Result<(), ApiError> {
    let answer = delete(&format!("/api/v1/approval-rules/{id}")).await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}

/// `GET /api/v1/notifications/preferences`: what the signed-in person hears, by email.
pub fn notification_preferences() -> Get<json::Preferences> {
    Get::new("/api/v1/notifications/preferences".to_owned())
}

/// `PUT /api/v1/notifications/preferences`: the events given change, the others stay.
pub async fn save_notification_preferences(
    update: &json::PreferencesUpdate,
) -> Result<json::Preferences, ApiError> {
    send(Request::put("/api/v1/notifications/preferences"), update).await
}

/// `GET /api/v1/notification-channels` (admins): the organisation's channels,
/// without their URLs or secrets.
pub fn notification_channels() -> Get<Vec<json::NotificationChannel>> {
    Get::new("/api/v1/notification-channels".to_owned())
}

/// `POST /api/v1/notification-channels` (admins): the answer holds an event
/// stream's signing secret, once, when Muster made it.
pub async fn create_notification_channel(
    channel: &json::NewNotificationChannel,
) -> Result<json::CreatedChannel, ApiError> {
    send(Request::post("/api/v1/notification-channels"), channel).await
}

/// `DELETE /api/v1/notification-channels/{id}` (admins).
pub async fn delete_notification_channel(id: i64) -> Result<(), ApiError> {
    let answer = delete(&format!("/api/v1/notification-channels/{id}")).await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}

/// `POST /api/v1/notification-channels/{id}/test` (admins): queues a test
/// message (the server answers 202 at once; the outbox tells how it went).
pub async fn test_notification_channel(id: i64) -> Result<(), ApiError> {
    let answer = post_empty(&format!("/api/v1/notification-channels/{id}/test")).await?;
    if answer.ok { Ok(()) } else { Err(refusal(&answer)) }
}

/// `GET /api/v1/outbox` (admins): counts by state and the newest messages.
pub fn outbox(query: &json::OutboxQuery) -> Get<json::OutboxStatus> {
    Get::new(format!("/api/v1/outbox{}", query_string(query)))
}

/// `POST /api/v1/outbox/{id}/retry` (admins): a dead letter is tried again.
pub async fn retry_outbox_message(id: i64) -> Result<json::OutboxMessage, ApiError> {
    decode(post_empty(&format!("/api/v1/outbox/{id}/retry")).await?)
}

/// `GET /api/v1/teams`: a page of teams.
pub fn teams(query: &json::TeamQuery) -> Get<json::Page<json::TeamSummary>> {
    Get::new(format!("/api/v1/teams{}", query_string(query)))
}

/// `GET /api/v1/reviews`: the access reviews, newest first, each with the
/// progress of the items the signed-in person sees.
pub fn reviews() -> Get<Vec<json::Campaign>> {
    Get::new("/api/v1/reviews".to_owned())
}

/// `POST /api/v1/reviews` (CISOs and admins): starts an access review.
pub async fn start_review(campaign: &json::NewCampaign) -> Result<json::Campaign, ApiError> {
    send(Request::post("/api/v1/reviews"), campaign).await
}

/// `GET /api/v1/reviews/{id}`: one review, with its progress by team and by reviewer.
pub fn review(id: i64) -> Get<json::CampaignDetail> {
    Get::new(format!("/api/v1/reviews/{id}"))
}

/// `GET /api/v1/reviews/{id}/items`: a page of its items, riskiest first.
pub fn review_items(id: i64, query: &json::ReviewItemQuery) -> Get<json::Page<json::ReviewItem>> {
    Get::new(format!("/api/v1/reviews/{id}/items{}", query_string(query)))
}

/// `POST /api/v1/reviews/{id}/decisions`: one decision for one or more
/// items, all or none (each item's reviewer).
pub async fn decide_review_items(
    id: i64,
    decisions: &json::ReviewDecisions,
) -> Result<json::ReviewDecided, ApiError> {
    send(
        Request::post(&format!("/api/v1/reviews/{id}/decisions")),
        decisions,
    )
    .await
}

/// `POST /api/v1/reviews/{id}/close` (CISOs and admins): no more decisions.
pub async fn close_review(id: i64) -> Result<json::Campaign, ApiError> {
    decode(post_empty(&format!("/api/v1/reviews/{id}/close")).await?)
}

/// The address of the signed evidence pack of the days `from` to `to`
/// (`YYYY-MM-DD`, CISOs and admins): a link with `download` fetches it
/// with the session cookie, so the zip never passes through the app.
pub fn evidence_url(from: &str, to: &str) -> String {
    let query = json::EvidenceQuery {
        from: from.to_owned(),
        to: to.to_owned(),
    };
    format!("/api/v1/evidence{}", query_string(&query))
}

/// `GET /api/v1/evidence/key`: the public key evidence packs are signed with.
pub fn evidence_key() -> Get<json::EvidenceKey> {
    Get::new("/api/v1/evidence/key".to_owned())
}

/// `GET /api/v1/audit` (CISOs and admins).
pub fn audit(query: &json::AuditQuery) -> Get<json::Page<json::AuditEntry>> {
    Get::new(format!("/api/v1/audit{}", query_string(query)))
}

/// `GET /api/v1/audit/chain` (CISOs and admins): the last verification.
pub fn audit_chain() -> Get<json::AuditChain> {
    Get::new("/api/v1/audit/chain".to_owned())
}

/// `POST /api/v1/audit/chain` (CISOs and admins): walks the chain now.
pub async fn verify_audit_chain() -> Result<json::AuditChain, ApiError> {
    send(Request::post("/api/v1/audit/chain"), &serde_json::json!({})).await
}

/// `GET /api/v1/imports`: the last imports, newest first (admins).
pub fn imports() -> Get<Vec<json::ImportSummary>> {
    Get::new("/api/v1/imports".to_owned())
}

/// `GET /api/v1/credentials/{id}/behaviour`: its baseline and behaviour findings.
pub fn behaviour(credential: i64) -> Get<json::Behaviour> {
    Get::new(format!("/api/v1/credentials/{credential}/behaviour"))
}

/// `GET /api/v1/behaviour/findings`: the last 30 days' behaviour findings.
pub fn recent_findings() -> Get<json::RecentFindings> {
    Get::new("/api/v1/behaviour/findings".to_owned())
}

/// `POST /api/v1/imports/{kind}` with `files` (admins): one file as the
/// body, several as `multipart/form-data` (a platform's pages, joined in
/// one import). An XMLHttpRequest rather than `fetch`, since only it
/// reports how much of a large upload has gone: `progress(sent, total)` is
/// called as it goes, `done` once with the server's answer.
pub fn upload_report(
    kind: json::ImportKind,
    query: &json::ImportQuery,
    files: Vec<web_sys::File>,
    progress: impl Fn(f64, f64) + 'static,
    done: impl FnOnce(Result<json::ImportSummary, ApiError>) + 'static,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let failed = |message: String| ApiError {
        code: "network".into(),
        message,
    };
    let request = match web_sys::XmlHttpRequest::new() {
        Ok(request) => request,
        Err(_) => return done(Err(failed("this browser cannot upload files".into()))),
    };
    let url = format!("/api/v1/imports/{}{}", kind.as_str(), query_string(query));
    if request.open("POST", &url).is_err() || request.set_request_header(CLIENT_HEADER, "web").is_err() {
        return done(Err(failed("the upload could not start".into())));
    }
    if let Ok(upload) = request.upload() {
        let on_progress =
            Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |event: web_sys::ProgressEvent| {
                progress(event.loaded(), event.total());
            });
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        // The upload owns its handler from here on: it is dropped with the request.
        on_progress.forget();
    }
    let answered = request.clone();
    let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
    let finish = {
        let done = done.clone();
        move |result: Result<Answer, ApiError>| {
            if let Some(done) = done.borrow_mut().take() {
                done(result.and_then(decode));
            }
        }
    };
    let on_load = Closure::once_into_js({
        let finish = finish.clone();
        move || {
            let status = answered.status().unwrap_or(0);
            finish(Ok(Answer {
                ok: (200..300).contains(&status),
                status,
                body: answered.response_text().ok().flatten().unwrap_or_default(),
            }));
        }
    });
    let on_error = Closure::once_into_js(move || {
        finish(Err(failed(
            "the upload broke off before the server answered".into(),
        )));
    });
    request.set_onload(Some(on_load.unchecked_ref()));
    request.set_onerror(Some(on_error.unchecked_ref()));
    // A platform's pages go as files with their names (a name can say whose
    // page it is: tokens/alice@example.com.json); one report, as the body.
    let sent = match &files[..] {
        [file] if !is_platform(kind) => request.send_with_opt_blob(Some(file)),
        several => web_sys::FormData::new().and_then(|form| {
            for file in several {
                form.append_with_blob_and_filename("file", file, &file.name())?;
            }
            request.send_with_opt_form_data(Some(&form))
        }),
    };
    if sent.is_err()
        && let Some(done) = done.borrow_mut().take()
    {
        done(Err(failed("the upload could not start".into())));
    }
}

/// Whether `kind` is a platform's pages (SaaS and cloud discovery).
pub fn is_platform(kind: json::ImportKind) -> bool {
    use json::ImportKind::*;
    matches!(kind, GoogleWorkspace | Entra | Okta | Github | Bedrock | Vertex)
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
#[derive(Debug, Clone)]
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

/// `DELETE path` with the app's header, read to its end.
async fn delete(path: &str) -> Result<Answer, ApiError> {
    exchange(Request::delete(path).header(CLIENT_HEADER, "web").build()).await
}

/// `POST path` without a body, with the app's header, read to its end (an
/// action the path names in full, such as a test message or a retry).
async fn post_empty(path: &str) -> Result<Answer, ApiError> {
    exchange(Request::post(path).header(CLIENT_HEADER, "web").build()).await
}

/// `GET path`, read to its end.
async fn fetch(path: String) -> Result<Answer, ApiError> {
    exchange(Request::get(&path).build()).await
}

/// `GET path` when there is one; otherwise an answer that never comes.
async fn fetch_some(path: Option<String>) -> Result<Answer, ApiError> {
    match path {
        Some(path) => fetch(path).await,
        None => std::future::pending().await,
    }
}

/// A GET request of the API, and the type its answer decodes to.
#[derive(Debug, Clone)]
pub struct Get<T> {
    path: String,
    answer: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Get<T> {
    fn new(path: String) -> Self {
        Get {
            path,
            answer: PhantomData,
        }
    }

    /// Sends it now (from an event handler).
    pub async fn send(self) -> Result<T, ApiError> {
        decode(fetch(self.path).await?)
    }
}

/// A resource holding an API answer, for a screen to read reactively. The
/// answer is fetched as text by one future type shared by every resource and
/// decoded when read: Leptos's async machinery is then compiled once rather
/// than once per answer type, which keeps the WebAssembly bundle small.
pub struct Fetched<T> {
    answer: LocalResource<Result<Answer, ApiError>>,
    decoded: PhantomData<fn() -> T>,
}

impl<T> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Fetched<T> {}

impl<T: DeserializeOwned> Fetched<T> {
    /// Sends `request()` now, and again whenever the signals it reads change.
    pub fn new(request: impl Fn() -> Get<T> + 'static) -> Self {
        Fetched {
            answer: LocalResource::new(move || fetch(request().path)),
            decoded: PhantomData,
        }
    }

    /// Like [`Fetched::new`], but while `request()` is `None` nothing is
    /// sent and the resource stays as it was.
    pub fn when(request: impl Fn() -> Option<Get<T>> + 'static) -> Self {
        Fetched {
            answer: LocalResource::new(move || fetch_some(request().map(|get| get.path))),
            decoded: PhantomData,
        }
    }

    /// Nothing while loading, then the value or why there is none; a
    /// reactive read, like a resource's `get`.
    pub fn get(&self) -> Option<Result<T, ApiError>> {
        self.answer.get().map(|answer| decode(answer?))
    }

    /// Sends the request again.
    pub fn refetch(&self) {
        self.answer.refetch();
    }
}
