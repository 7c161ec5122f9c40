//! Evidence packs and the audit log.

use gloo_net::http::Request;
use model::api as json;

use super::{ApiError, Get, query_string, send};

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
