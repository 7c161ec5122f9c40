//! The Ed25519 key that signs decisions and callbacks, and the signed
//! decision an approved request's agent receives.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::{Signer as _, SigningKey};
use model::api as json;
use rand::RngCore;
use sha2::{Digest, Sha256};
/// The signed decision of an approved request, exactly as its agent receives
/// it: Ed25519 signatures are deterministic and the claims' times are the
/// request's own, so the evidence pack can show the very token.
pub fn decision_token(
    key: &DecisionKey,
    stored: &crate::db::approvals::Stored,
    votes: &[json::Vote],
) -> String {
    let approvers = if votes.is_empty() {
        vec![format!("policy:{}", stored.rule)]
    } else {
        votes
            .iter()
            .filter(|v| v.verdict == json::Verdict::Approve)
            .map(|v| v.approver.clone())
            .collect()
    };
    key.sign(&json::DecisionClaims {
        iss: "muster".into(),
        sub: format!("agent:{}", stored.agent),
        jti: format!("approval:{}", stored.id),
        iat: stored.decided_at.unwrap_or(stored.created_at).timestamp(),
        exp: stored.expires_at.timestamp(),
        request: stored.id,
        agent: stored.agent_name.clone(),
        operation: stored.operation.clone(),
        resource: stored.resource_name.clone(),
        parameters_sha256: stored.parameters_hash.clone(),
        approvers,
    })
}

/// The Ed25519 key that signs decisions and callbacks.
#[derive(Clone)]
pub struct DecisionKey {
    key: SigningKey,
    /// The key id: the first 16 hex digits of the public key's SHA-256.
    pub kid: String,
}

impl std::fmt::Debug for DecisionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DecisionKey {{ kid: {}, key: <hidden> }}", self.kid)
    }
}

impl Default for DecisionKey {
    /// A new random key (tests, and a first start).
    fn default() -> Self {
        let mut seed = [0_u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Self::from_seed(seed)
    }
}

/// Why the approvals key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file does not hold 64 hexadecimal digits.
    #[error("the approvals key file {0} must hold 64 hexadecimal digits (an Ed25519 seed)")]
    Malformed(String),
    /// The file could not be read or written.
    #[error("cannot read or create the approvals key file {0}: {1}")]
    File(String, #[source] std::io::Error),
}

impl DecisionKey {
    /// The key with this 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let kid = hex::encode(&Sha256::digest(key.verifying_key().as_bytes())[..8]);
        Self { key, kid }
    }

    /// Reads the key from `path`, creating it (owner-only) on first use.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let seed: [u8; 32] = hex::decode(text.trim())
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or(KeyError::Malformed(name))?;
                Ok(Self::from_seed(seed))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::default();
                crate::fingerprint::write_private(path, &hex::encode(key.key.to_bytes()))
                    .map_err(|e| KeyError::File(name, e))?;
                Ok(key)
            }
            Err(error) => Err(KeyError::File(name, error)),
        }
    }

    /// The public key as a JSON Web Key Set.
    pub fn key_set(&self) -> json::KeySet {
        json::KeySet {
            keys: vec![json::PublicKey {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                alg: "EdDSA".into(),
                use_: "sig".into(),
                kid: self.kid.clone(),
                x: BASE64URL.encode(self.key.verifying_key().as_bytes()),
            }],
        }
    }

    /// The public key's 32 bytes.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// An Ed25519 signature of `message` (the evidence pack's manifest,
    /// behind a prefix of its own that no JWT's signing input starts with).
    pub fn sign_bytes(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }

    /// A signed decision: a compact JWT (`EdDSA`) with these claims.
    pub fn sign(&self, claims: &json::DecisionClaims) -> String {
        let der = self.key.to_pkcs8_der().expect("an Ed25519 key encodes as PKCS#8");
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(
            &header,
            claims,
            &jsonwebtoken::EncodingKey::from_ed_der(der.as_bytes()),
        )
        .expect("claims always serialise")
    }

    /// The Standard Webhooks asymmetric signature of a callback:
    /// `v1a,<Base64 Ed25519 signature of "<id>.<timestamp>.<body>">`.
    pub fn webhook_signature(&self, id: &str, timestamp: i64, body: &str) -> String {
        let signature = self.key.sign(format!("{id}.{timestamp}.{body}").as_bytes());
        format!("v1a,{}", BASE64.encode(signature.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_verifies_with_the_published_key_and_a_key_survives_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("approvals.key");
        let key = DecisionKey::load_or_create(&path).unwrap();
        let again = DecisionKey::load_or_create(&path).unwrap();
        assert_eq!(key.key_set(), again.key_set());
        let claims = json::DecisionClaims {
            iss: "muster".into(),
            sub: "agent:1".into(),
            jti: "approval:9".into(),
            iat: 1_900_000_000,
            exp: 4_000_000_000,
            request: 9,
            agent: "a".into(),
            operation: "db:export".into(),
            resource: None,
            parameters_sha256: "00".into(),
            approvers: vec!["x@y".into()],
        };
        let token = key.sign(&claims);
        let jwk = &again.key_set().keys[0];
        let decoding = jsonwebtoken::DecodingKey::from_ed_components(&jwk.x).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.set_issuer(&["muster"]);
        let decoded = jsonwebtoken::decode::<json::DecisionClaims>(&token, &decoding, &validation).unwrap();
        assert_eq!(decoded.claims, claims);
        assert_eq!(decoded.header.kid.as_deref(), Some(jwk.kid.as_str()));
        let other = DecisionKey::default().key_set().keys[0].x.clone();
        let wrong = jsonwebtoken::DecodingKey::from_ed_components(&other).unwrap();
        assert!(jsonwebtoken::decode::<json::DecisionClaims>(&token, &wrong, &validation).is_err());
    }
}
