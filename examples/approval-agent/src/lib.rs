//! The agent side of Muster's approvals, as a small client: ask before a
//! sensitive operation, wait for the decision (long-poll), check the signed
//! decision as the executing tool would, and mark it used. See
//! `docs/approvals.md` for the protocol; `main.rs` runs the whole loop.
#![forbid(unsafe_code)]

use std::time::Duration;

use anyhow::{Context, bail};
use model::api as json;
use sha2::{Digest, Sha256};

/// An agent talking to Muster with its own token.
#[derive(Debug, Clone)]
pub struct Agent {
    base: String,
    client: reqwest::Client,
}

impl Agent {
    /// An agent of the Muster at `base` (e.g. `http://127.0.0.1:8080`) with `token`.
    pub fn new(base: &str, token: &str) -> anyhow::Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse()?);
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            client: reqwest::Client::builder()
                .default_headers(headers)
                .timeout(Duration::from_secs(90))
                .build()?,
        })
    }

    /// Asks for approval. The same `key` with the same request is answered
    /// with the same request, so a retry after a lost answer is safe.
    pub async fn ask(
        &self,
        key: &str,
        request: &json::NewApprovalRequest,
    ) -> anyhow::Result<json::ApprovalStatus> {
        let response = self
            .client
            .post(format!("{}/api/v1/approval-requests", self.base))
            .header("idempotency-key", key)
            .json(request)
            .send()
            .await?;
        answer(response).await
    }

    /// Waits until the request is decided (or expires): long-polls of 30 s,
    /// waiting as long as `Retry-After` says when told to slow down.
    pub async fn wait(&self, id: i64) -> anyhow::Result<json::ApprovalStatus> {
        loop {
            let response = self
                .client
                .get(format!("{}/api/v1/approval-requests/{id}?wait=30s", self.base))
                .send()
                .await?;
            if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS {
                let seconds = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()?.parse().ok())
                    .unwrap_or(1);
                tokio::time::sleep(Duration::from_secs(seconds)).await;
                continue;
            }
            let status: json::ApprovalStatus = answer(response).await?;
            if status.state != json::ApprovalState::Pending {
                return Ok(status);
            }
        }
    }

    /// The public keys that sign decisions (fetch once; verify offline after).
    pub async fn keys(&self) -> anyhow::Result<json::KeySet> {
        answer(
            self.client
                .get(format!("{}/api/v1/approvals/keys", self.base))
                .send()
                .await?,
        )
        .await
    }

    /// Marks the approval used; a second use is refused.
    pub async fn consume(&self, id: i64) -> anyhow::Result<json::ApprovalStatus> {
        let response = self
            .client
            .post(format!("{}/api/v1/approval-requests/{id}/consume", self.base))
            .send()
            .await?;
        answer(response).await
    }
}

async fn answer<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> anyhow::Result<T> {
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        bail!("Muster answered {status}: {body}");
    }
    serde_json::from_str(&body).with_context(|| format!("reading {body}"))
}

/// The SHA-256 (hex) of the RFC 8785 canonical form of `parameters`: what a
/// decision's `parameters_sha256` names.
pub fn parameters_hash(parameters: &serde_json::Value) -> anyhow::Result<String> {
    let canonical = serde_jcs::to_string(parameters)?;
    Ok(Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// What the executing tool checks before it acts, offline: the decision is
/// signed by one of Muster's keys, issued by Muster, not expired, and names
/// exactly the `parameters` about to be used. Returns what was approved.
pub fn verify(
    token: &str,
    keys: &json::KeySet,
    parameters: &serde_json::Value,
) -> anyhow::Result<json::DecisionClaims> {
    let header = jsonwebtoken::decode_header(token)?;
    let key = keys
        .keys
        .iter()
        .find(|k| Some(&k.kid) == header.kid.as_ref())
        .context("no published key has the decision's key id")?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&["muster"]);
    let claims = jsonwebtoken::decode::<json::DecisionClaims>(
        token,
        &jsonwebtoken::DecodingKey::from_ed_components(&key.x)?,
        &validation,
    )?
    .claims;
    if claims.parameters_sha256 != parameters_hash(parameters)? {
        bail!("the decision approves other parameters than these");
    }
    Ok(claims)
}
