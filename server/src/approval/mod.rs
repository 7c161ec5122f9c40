//! The approval workflow's rules, apart from storage and HTTP: what exactly
//! an approval binds to (the SHA-256 of the RFC 8785 canonical parameters),
//! which policy rule applies, and the Ed25519 key that signs decisions and
//! callbacks.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::{Signer as _, SigningKey};
use model::api::{self as json, AgentCategory, Environment, Role, RuleDecision, Sensitivity};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The longest accepted canonical parameters (bytes): approvers must be able
/// to read what they approve.
pub const MAX_PARAMETERS_BYTES: usize = 64 * 1024;

/// When no rule matches: one approver, within an hour.
pub const DEFAULT_EXPIRES_IN: i64 = 3600;

/// The RFC 8785 canonical form of `parameters` and its SHA-256 (hex).
pub fn canonical(parameters: &serde_json::Value) -> Result<(String, String), String> {
    let text =
        serde_jcs::to_string(parameters).map_err(|e| format!("parameters cannot be canonicalised: {e}"))?;
    if text.len() > MAX_PARAMETERS_BYTES {
        return Err(format!(
            "parameters are {} bytes in canonical form; at most {MAX_PARAMETERS_BYTES} are accepted",
            text.len()
        ));
    }
    let hash = hex::encode(Sha256::digest(text.as_bytes()));
    Ok((text, hash))
}

/// Whether `operation` matches a rule's pattern: case-insensitive, `*`
/// standing for any text.
pub fn operation_matches(pattern: &str, operation: &str) -> bool {
    wildmatch::WildMatchPattern::<'*', '\u{0}'>::new_case_insensitive(pattern).matches(operation)
}

/// What the policy looks at.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The operation asked for.
    pub operation: &'a str,
    /// The target's sensitivity, when the target is in the inventory.
    pub sensitivity: Option<Sensitivity>,
    /// The target's environment, else the agent's.
    pub environment: Environment,
    /// The agent's category.
    pub category: AgentCategory,
}

/// What the policy decided for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruling {
    /// The rule that matched, if one did.
    pub rule: Option<i64>,
    /// Its name, or the default's.
    pub name: String,
    /// What it decides.
    pub decision: RuleDecision,
    /// Approvals needed (0 when decided automatically).
    pub approvals: i64,
    /// The approvers' role.
    pub role: Role,
    /// Seconds to decide and use.
    pub expires_in: i64,
}

/// The name of the ruling when no rule matches.
pub const DEFAULT_RULE: &str = "Default: one approver";

/// The first rule (in order) whose every condition matches, or the default.
pub fn evaluate(rules: &[json::ApprovalRule], facts: &Facts<'_>) -> Ruling {
    let matching = rules.iter().find(|rule| {
        operation_matches(&rule.operation, facts.operation)
            && (rule.sensitivities.is_empty()
                || facts.sensitivity.is_some_and(|s| rule.sensitivities.contains(&s)))
            && (rule.environments.is_empty() || rule.environments.contains(&facts.environment))
            && (rule.categories.is_empty() || rule.categories.contains(&facts.category))
    });
    match matching {
        Some(rule) => Ruling {
            rule: Some(rule.id),
            name: rule.name.clone(),
            decision: rule.decision,
            approvals: if rule.decision == RuleDecision::Require {
                rule.approvals
            } else {
                0
            },
            role: rule.approver_role,
            expires_in: rule.expires_in,
        },
        None => Ruling {
            rule: None,
            name: DEFAULT_RULE.to_owned(),
            decision: RuleDecision::Require,
            approvals: 1,
            role: Role::Approver,
            expires_in: DEFAULT_EXPIRES_IN,
        },
    }
}

/// A change to an agent's capabilities, parsed from a change operation's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Give the agent a tool.
    Tool { tool: i64 },
    /// Let one of the agent's tools authenticate with a credential.
    Credential { tool: i64, credential: i64 },
    /// Add a scope to a credential the agent uses.
    Scope { credential: i64, scope: String },
    /// Remove a scope from a credential the agent uses (an access review's "reduce").
    RemoveScope { credential: i64, scope: String },
}

impl Change {
    /// Whether it takes access away: asking for that needs no right to grant,
    /// so it is not re-checked against the requester's roles when decided.
    pub fn reduces(&self) -> bool {
        matches!(self, Self::RemoveScope { .. })
    }

    /// The change a `muster:grant_*` or `muster:remove_scope` operation asks
    /// for; `None` for any other operation.
    pub fn parse(operation: &str, parameters: &serde_json::Value) -> Option<Result<Self, String>> {
        let id = |name: &str| {
            parameters
                .get(name)
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| format!("{operation} needs the parameter {name:?}: an id"))
        };
        Some(match operation {
            "muster:grant_tool" => id("tool").map(|tool| Self::Tool { tool }),
            "muster:grant_credential" => id("tool")
                .and_then(|tool| id("credential").map(|credential| Self::Credential { tool, credential })),
            "muster:grant_scope" | "muster:remove_scope" => id("credential").and_then(|credential| {
                match parameters
                    .get("scope")
                    .and_then(serde_json::Value::as_str)
                    .map(str::trim)
                {
                    Some(scope)
                        if !scope.is_empty()
                            && scope.len() <= 200
                            && !scope.contains(char::is_whitespace) =>
                    {
                        let scope = scope.to_owned();
                        Ok(if operation == "muster:grant_scope" {
                            Self::Scope { credential, scope }
                        } else {
                            Self::RemoveScope { credential, scope }
                        })
                    }
                    _ => Err(format!(
                        "{operation} needs the parameter \"scope\": 1 to 200 characters, without spaces"
                    )),
                }
            }),
            other if other.starts_with("muster:") => Err(format!(
                "unknown change operation {other:?}; expected one of: {}",
                json::CHANGE_OPERATIONS.join(", ")
            )),
            _ => return None,
        })
    }
}

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

/// How long one callback attempt may take.
pub const CALLBACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Decision callbacks' courier in the one outbox ([`crate::outbox`]): each
/// sent only to a destination still allowed, through the client its
/// `allow_private` calls for, signed with the approvals key.
pub struct Callbacks {
    db: crate::db::Db,
    key: DecisionKey,
    clients: crate::outbound::Clients,
    policy: crate::outbox::Policy,
}

impl Callbacks {
    /// The courier: 8 attempts, 5 s doubling to 10 minutes, 16 at once and 2
    /// per host and port (a slow destination holds these, not everyone's).
    pub fn new(db: crate::db::Db, key: DecisionKey) -> Result<Self, reqwest::Error> {
        Ok(Self {
            db,
            key,
            clients: crate::outbound::Clients::new(CALLBACK_TIMEOUT)?,
            policy: crate::outbox::Policy {
                attempts: 8,
                first_retry: std::time::Duration::from_secs(5),
                longest_wait: std::time::Duration::from_secs(600),
                timeout: CALLBACK_TIMEOUT,
                slots: 16,
                slots_per_lane: 2,
            },
        })
    }

    /// Where the callbacks of this request's agent may go: its own and the
    /// organisation's destinations, as they are now.
    async fn allowed(&self, request: i64) -> Result<Vec<json::CallbackDestination>, crate::ApiError> {
        let mut conn = self.db.pool().acquire().await?;
        let Some(agent) = crate::db::approvals::agent_of(&mut conn, request).await? else {
            return Ok(Vec::new());
        };
        Ok(crate::db::destinations::for_agent(&mut conn, agent).await?)
    }
}

impl crate::outbox::Courier for Callbacks {
    const TOPIC: json::OutboxTopic = json::OutboxTopic::Callback;

    fn policy(&self) -> &crate::outbox::Policy {
        &self.policy
    }

    /// Host and port: two services on one host are two destinations.
    fn lane(&self, due: &crate::db::outbox::Message) -> String {
        reqwest::Url::parse(&due.destination)
            .ok()
            .and_then(|url| Some((crate::outbound::url_host(&url)?.0, url.port_or_known_default())))
            .map(|(host, port)| format!("{host}:{}", port.unwrap_or_default()))
            .unwrap_or_default()
    }

    async fn send(&self, due: &crate::db::outbox::Message) -> crate::outbox::Attempt {
        use crate::outbox::Attempt;
        let allowed = match self.allowed(due.subject.unwrap_or_default()).await {
            Ok(allowed) => allowed,
            Err(error) => {
                return Attempt::failed(None, format!("cannot read the allowed destinations: {error}"));
            }
        };
        let checked = reqwest::Url::parse(&due.destination)
            .map_err(|e| e.to_string())
            .and_then(|url| crate::outbound::destination(&allowed, &url).map(|d| d.allow_private));
        // No longer allowed: never sent, and not retried.
        let allow_private = match checked {
            Ok(allow_private) => allow_private,
            Err(why) => return Attempt::refused(why),
        };
        let client = if allow_private {
            &self.clients.private
        } else {
            &self.clients.public
        };
        let id = due.message_id();
        let timestamp = chrono::Utc::now().timestamp();
        let sent = client
            .post(&due.destination)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                self.key.webhook_signature(&id, timestamp, &due.body),
            )
            .body(due.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                Attempt::delivered(Some(response.status().as_u16()))
            }
            Ok(response) => Attempt::failed(
                Some(response.status().as_u16()),
                format!("the callback answered {}", response.status()),
            ),
            Err(error) => Attempt::failed(None, crate::outbox::error_text(&error)),
        }
    }
}

/// Starts the approvals worker of `muster serve`: it records requests that
/// expired undecided (audited, with their callback) and reminds approvers of
/// requests about to expire. Expiry does not wait for it: every decision
/// checks the time itself.
pub fn spawn_worker(state: crate::AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(error) = sweep(&state).await {
                tracing::error!(error = ?error, "recording expired approval requests failed");
            }
            if let Err(error) = crate::notify::remind_approvers(&state.db, state.settings.clock.now()).await {
                tracing::error!(error = ?error, "reminding approvers failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    })
}

async fn sweep(state: &crate::AppState) -> Result<(), crate::ApiError> {
    let now = state.settings.clock.now();
    let overdue = crate::db::approvals::overdue(&mut *state.db.pool().acquire().await?, now, 100).await?;
    for id in &overdue {
        let mut tx = state.db.begin().await?;
        if let Some(stored) = crate::db::approvals::stored(&mut tx, *id).await? {
            crate::http::approvals::expire_in(state, &mut tx, &stored, now).await?;
        }
        tx.commit().await?;
    }
    if !overdue.is_empty() {
        state.decided.notify_waiters();
        state.callbacks.notify_one();
        state.events.notify_one();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_parameters_ignore_key_order_and_whitespace_but_not_values() {
        let (a, hash_a) = canonical(&json!({"b": [1, 2.50, "x"], "a": {"y": null, "x": true}})).unwrap();
        let (_, hash_b) =
            canonical(&serde_json::from_str(r#"{ "a":{"x":true,"y":null},"b":[1,2.5,"x"] }"#).unwrap())
                .unwrap();
        assert_eq!(a, r#"{"a":{"x":true,"y":null},"b":[1,2.5,"x"]}"#);
        assert_eq!(hash_a, hash_b);
        let (_, other) = canonical(&json!({"b": [1, 2.51, "x"], "a": {"y": null, "x": true}})).unwrap();
        assert_ne!(hash_a, other);
    }

    #[test]
    fn operation_patterns_are_case_insensitive_globs() {
        assert!(operation_matches("*delete*", "s3:DeleteBucket"));
        assert!(operation_matches("deploy:*", "deploy:production"));
        assert!(operation_matches("s3:DeleteBucket", "S3:deletebucket"));
        assert!(!operation_matches("deploy:*", "s3:deploy"));
        assert!(!operation_matches("db:export", "db:export2"));
        assert!(operation_matches("*", ""));
    }

    fn rule(
        id: i64,
        operation: &str,
        environments: Vec<Environment>,
        decision: RuleDecision,
    ) -> json::ApprovalRule {
        json::ApprovalRule {
            id,
            position: id,
            name: format!("rule {id}"),
            operation: operation.into(),
            sensitivities: vec![],
            environments,
            categories: vec![],
            decision,
            approvals: 2,
            approver_role: Role::Approver,
            expires_in: 600,
            channel: None,
            updated_by: "t".into(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_first_matching_rule_decides_and_the_default_needs_one_approver() {
        let rules = [
            rule(1, "*delete*", vec![Environment::Prod], RuleDecision::Require),
            rule(2, "*", vec![Environment::Dev], RuleDecision::AutoApprove),
        ];
        let facts = |operation, environment| Facts {
            operation,
            sensitivity: None,
            environment,
            category: AgentCategory::Cloud,
        };
        let prod_delete = evaluate(&rules, &facts("s3:DeleteBucket", Environment::Prod));
        assert_eq!((prod_delete.rule, prod_delete.approvals), (Some(1), 2));
        let dev_delete = evaluate(&rules, &facts("s3:DeleteBucket", Environment::Dev));
        assert_eq!(
            (dev_delete.rule, dev_delete.decision, dev_delete.approvals),
            (Some(2), RuleDecision::AutoApprove, 0)
        );
        let staging = evaluate(&rules, &facts("s3:DeleteBucket", Environment::Staging));
        assert_eq!(
            (staging.rule, staging.approvals, staging.expires_in),
            (None, 1, 3600)
        );
    }

    #[test]
    fn a_sensitivity_condition_never_matches_an_unknown_target() {
        let mut restricted = rule(1, "*", vec![], RuleDecision::AutoDeny);
        restricted.sensitivities = vec![Sensitivity::Restricted];
        let facts = Facts {
            operation: "x",
            sensitivity: None,
            environment: Environment::Prod,
            category: AgentCategory::Cloud,
        };
        assert_eq!(evaluate(std::slice::from_ref(&restricted), &facts).rule, None);
        let known = Facts {
            sensitivity: Some(Sensitivity::Restricted),
            ..facts
        };
        assert_eq!(evaluate(&[restricted], &known).rule, Some(1));
    }

    #[test]
    fn change_operations_are_parsed_and_others_are_left_alone() {
        assert_eq!(Change::parse("s3:PutObject", &json!({})), None);
        assert_eq!(
            Change::parse("muster:grant_tool", &json!({"tool": 4})),
            Some(Ok(Change::Tool { tool: 4 }))
        );
        assert!(matches!(
            Change::parse("muster:grant_tool", &json!({})),
            Some(Err(_))
        ));
        assert!(matches!(
            Change::parse("muster:grant_scope", &json!({"credential": 1, "scope": "a b"})),
            Some(Err(_))
        ));
        assert!(matches!(
            Change::parse("muster:drop_table", &json!({})),
            Some(Err(_))
        ));
    }

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
