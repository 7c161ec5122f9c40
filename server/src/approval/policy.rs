//! The approval policy, apart from storage and HTTP: what exactly an
//! approval binds to (the SHA-256 of the RFC 8785 canonical parameters),
//! which rule applies, and the changes to an agent a request may ask for.

use model::api::{self as json, AgentCategory, Environment, Role, RuleDecision, Sensitivity};
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
}
