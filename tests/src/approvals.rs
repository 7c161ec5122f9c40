//! What a tool does with an agent's signed decision before it acts: checks
//! the signature against Muster's published keys (offline, once the keys are
//! fetched), the issuer, the expiry, and that the decision names the exact
//! parameters it is about to use. Shared by the API and browser tests.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use model::api as json;
use sha2::{Digest, Sha256};

use crate::webhook::Received;

/// The SHA-256 (hex) of the RFC 8785 canonical form of `parameters`.
pub fn parameters_hash(parameters: &serde_json::Value) -> String {
    hex_encode(&Sha256::digest(
        serde_jcs::to_string(parameters).unwrap().as_bytes(),
    ))
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Verifies a decision for `parameters`: the claims, or why it is refused.
/// `check_expiry` is off for tests that run on a clock set in the past.
pub fn verify_decision(
    token: &str,
    keys: &json::KeySet,
    parameters: &serde_json::Value,
    check_expiry: bool,
) -> Result<json::DecisionClaims, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let key = keys
        .keys
        .iter()
        .find(|k| Some(&k.kid) == header.kid.as_ref())
        .ok_or("no published key has the decision's kid")?;
    let decoding = jsonwebtoken::DecodingKey::from_ed_components(&key.x).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
    validation.set_issuer(&["muster"]);
    validation.validate_exp = check_expiry;
    let claims = jsonwebtoken::decode::<json::DecisionClaims>(token, &decoding, &validation)
        .map_err(|e| e.to_string())?
        .claims;
    if claims.parameters_sha256 != parameters_hash(parameters) {
        return Err("the parameters are not the ones approved".into());
    }
    Ok(claims)
}

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
