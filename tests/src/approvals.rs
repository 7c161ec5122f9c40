//! What a tool does with an agent's signed decision before it acts (checks
//! the signature against Muster's published keys offline, the issuer, the
//! expiry, and that the decision names the exact parameters it is about to
//! use), and what a callback's receiver checks. Shared by the API and
//! browser tests.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use model::api as json;

use crate::TestApp;
use crate::webhook::Received;

/// The tool's check is the example agent's own: the tests use what
/// `examples/approval-agent` documents.
pub use approval_agent::{parameters_hash, verify as verify_decision};

/// Whether a callback carries a valid Standard Webhooks asymmetric signature
/// (`v1a,<Base64 Ed25519>` over `id.timestamp.body`) by a published key.
pub fn verify_callback(received: &Received, keys: &json::KeySet) -> bool {
    let message = format!("{}.{}.{}", received.id, received.timestamp, received.body);
    received
        .signature
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1a,"))
        .any(|signature| {
            let Ok(bytes) = BASE64.decode(signature) else {
                return false;
            };
            let Ok(signature) = Signature::from_slice(&bytes) else {
                return false;
            };
            keys.keys.iter().any(|key| {
                BASE64URL
                    .decode(&key.x)
                    .ok()
                    .and_then(|x| <[u8; 32]>::try_from(x).ok())
                    .and_then(|x| VerifyingKey::from_bytes(&x).ok())
                    .is_some_and(|key| key.verify(message.as_bytes(), &signature).is_ok())
            })
        })
}

/// `GET /api/v1/approvals/keys`, without signing in.
pub async fn keys(app: &TestApp) -> json::KeySet {
    let response = app
        .anonymous
        .get(app.url("/api/v1/approvals/keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the keys are public");
    response.json().await.unwrap()
}
