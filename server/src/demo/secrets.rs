//! The demo organisation's credentials, the tools holding them, and the
//! copies of their secrets found around the company.

use std::collections::HashSet;

use chrono::Duration;
use model::api::{CopyKind, CredentialKind};
use rand::Rng;

use crate::db::sql::{Value, timestamp};

use super::{Generator, PURPOSES};

impl Generator<'_> {
    /// The kind of credential `id`.
    pub(super) fn credential_kind(id: i64) -> CredentialKind {
        // Fixed by id so later tables know which credentials hold a secret.
        const MIX: &[CredentialKind] = &[
            CredentialKind::AccessKey,
            CredentialKind::AccessKey,
            CredentialKind::AccessKey,
            CredentialKind::PersonalAccessToken,
            CredentialKind::PersonalAccessToken,
            CredentialKind::ApiKey,
            CredentialKind::ApiKey,
            CredentialKind::ApiKey,
            CredentialKind::ServiceAccountKey,
            CredentialKind::OauthGrant,
            CredentialKind::IamRole,
            CredentialKind::IamRole,
            CredentialKind::WorkloadIdentityFederation,
            CredentialKind::Certificate,
            CredentialKind::SshKey,
        ];
        MIX[((id * 2_654_435_761) % MIX.len() as i64) as usize]
    }

    fn random_string(&mut self, alphabet: &[u8], length: usize) -> String {
        (0..length).map(|_| *self.pick(alphabet) as char).collect()
    }

    /// The rows of `credential`: invented secrets, fingerprinted and dropped.
    pub(super) fn credentials(&mut self) -> Vec<Value> {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        const HEX: &[u8] = b"0123456789abcdef";
        let mut rows = Vec::new();
        for id in 1..=self.scale.credentials as i64 {
            let kind = Self::credential_kind(id);
            let account = 100_000_000_000 + (id % 37) * 7_777_777;
            let (provider, external_id, secret, scopes, third_party): (
                &str,
                String,
                String,
                &str,
                Option<&str>,
            ) = match kind {
                CredentialKind::AccessKey => {
                    let key_id = format!("AKIA{}", self.random_string(UPPER, 16));
                    let secret = self.random_string(ALNUM, 40);
                    (
                        "aws",
                        key_id,
                        secret,
                        *self.pick(&[
                            "s3:* dynamodb:Query",
                            "ec2:Describe* s3:GetObject",
                            "*:*",
                            "rds-data:ExecuteStatement",
                        ]),
                        None,
                    )
                }
                CredentialKind::PersonalAccessToken => {
                    let token = format!("ghp_{}", self.random_string(ALNUM, 36));
                    (
                        "github",
                        format!("github-pat-{}", 9_000_000 + id),
                        token,
                        *self.pick(&["repo", "repo workflow", "read:org repo admin:org", "public_repo"]),
                        None,
                    )
                }
                CredentialKind::ApiKey => {
                    let provider = *self.pick(&["openai", "anthropic", "stripe", "datadog", "slack"]);
                    let secret = format!("sk-{}", self.random_string(ALNUM, 48));
                    (
                        provider,
                        format!("{provider}-key-{}", self.random_string(HEX, 8)),
                        secret,
                        "api",
                        None,
                    )
                }
                CredentialKind::ServiceAccountKey => {
                    let key_id = self.random_string(HEX, 40);
                    let secret = self.random_string(ALNUM, 64);
                    (
                        "gcp",
                        key_id,
                        secret,
                        *self.pick(&["roles/storage.admin", "roles/bigquery.dataViewer", "roles/owner"]),
                        None,
                    )
                }
                CredentialKind::OauthGrant => {
                    let client = format!("{}.apps.example", self.random_string(HEX, 12));
                    let secret = self.random_string(ALNUM, 48);
                    let app = *self.pick(&["Zapier", "Notion AI", "OpenAI connector", "Glean", "Internal"]);
                    let provider = *self.pick(&["google_workspace", "salesforce", "microsoft", "slack"]);
                    (
                        provider,
                        client,
                        secret,
                        "offline_access read write",
                        (app != "Internal").then_some(app),
                    )
                }
                CredentialKind::IamRole => {
                    let name = *self.pick(PURPOSES);
                    (
                        "aws",
                        format!("arn:aws:iam::{account}:role/{name}-{id}"),
                        String::new(),
                        "sts:AssumeRole",
                        None,
                    )
                }
                CredentialKind::WorkloadIdentityFederation => {
                    let pool = self.random_string(HEX, 6);
                    (
                        "gcp",
                        format!(
                            "projects/{account}/locations/global/workloadIdentityPools/ci-{pool}/providers/github"
                        ),
                        String::new(),
                        "iam.workloadIdentityUser",
                        None,
                    )
                }
                CredentialKind::Certificate => {
                    let serial = self.random_string(HEX, 32);
                    let secret = self.random_string(ALNUM, 64);
                    ("internal-pki", serial, secret, "clientAuth", None)
                }
                CredentialKind::SshKey => {
                    let fingerprint = format!("SHA256:{}", self.random_string(ALNUM, 43));
                    let secret = self.random_string(ALNUM, 64);
                    ("github", fingerprint, secret, "deploy-key", None)
                }
            };
            let short_lived = !kind.is_static();
            let created = self.days_ago(5, 1_200);
            let expires = if short_lived || self.chance(0.3) {
                Some(timestamp(
                    created + Duration::days(self.rng.random_range(30..800)),
                ))
            } else {
                None
            };
            let rotated = (!short_lived && self.chance(0.45)).then(|| {
                let since = (self.anchor - created).num_days().max(1);
                timestamp(self.anchor - Duration::days(self.rng.random_range(0..since)))
            });
            let used = (!self.chance(0.1)).then(|| timestamp(self.days_ago(0, 120)));
            let status = *self.pick(&[
                "active", "active", "active", "active", "active", "active", "active", "active", "disabled",
                "revoked", "expired",
            ]);
            let owner = (!self.chance(0.2)).then(|| self.id(self.scale.people));
            // Secretless kinds are fingerprinted by their identifier.
            let material = if secret.is_empty() {
                external_id.clone()
            } else {
                secret
            };
            let fingerprint = self.fingerprinter.fingerprint(material.as_bytes());
            let purpose = *self.pick(PURPOSES);
            rows.extend([
                Value::Int(id),
                format!("{provider}-{purpose}-{id}").into(),
                kind.as_str().into(),
                provider.into(),
                external_id.into(),
                scopes.into(),
                third_party.into(),
                timestamp(created).into(),
                expires.into(),
                rotated.into(),
                used.into(),
                status.into(),
                owner.into(),
                fingerprint.into(),
            ]);
        }
        rows
    }

    /// The rows of `tool_credential`.
    pub(super) fn tool_credentials(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        let credentials = self.scale.credentials as i64;
        // A small set of credentials is shared by many tools (NHI reuse).
        let shared = (credentials / 50).max(5);
        for tool in 1..=self.scale.tools as i64 {
            let mut chosen = HashSet::new();
            for _ in 0..self.rng.random_range(1..=2) {
                let credential = if self.chance(0.25) {
                    self.rng.random_range(1..=shared)
                } else {
                    self.rng.random_range(1..=credentials)
                };
                if chosen.insert(credential) {
                    rows.extend([Value::Int(tool), Value::Int(credential)]);
                }
            }
        }
        rows
    }

    /// The rows of `credential_copy`: copies of the secrets of static credentials.
    pub(super) fn copies(&mut self) -> Vec<Value> {
        let credentials = self.scale.credentials as i64;
        let static_ids: Vec<i64> = (1..=credentials)
            .filter(|id| Self::credential_kind(*id).is_static())
            .collect();
        // One secret in five has leaked into several places.
        let leaky: Vec<i64> = static_ids.iter().copied().filter(|id| id % 5 == 0).collect();
        let mut rows = Vec::new();
        for id in 1..=self.scale.copies as i64 {
            let credential = if self.chance(0.55) {
                *self.pick(&leaky)
            } else {
                *self.pick(&static_ids)
            };
            let kind = *self.pick(&[
                CopyKind::SecretsManager,
                CopyKind::SecretsManager,
                CopyKind::EnvFile,
                CopyKind::CiConfig,
                CopyKind::ChatMessage,
                CopyKind::RepositoryFile,
                CopyKind::EndpointDisk,
            ]);
            let person = self.id(self.scale.people);
            let (_, email) = Self::person_name(person);
            let host = self.rng.random_range(1..=900);
            let repo = *self.pick(&[
                "payments-api",
                "web-frontend",
                "data-pipelines",
                "infra-live",
                "ml-models",
                "mobile-app",
            ]);
            let (locator, found_by) = match kind {
                CopyKind::SecretsManager => (
                    format!("vault://kv/agents/{repo}/credential-{credential}"),
                    "vault inventory",
                ),
                CopyKind::EnvFile => (
                    format!("laptop-{host}:/Users/dev/src/{repo}/.env"),
                    "endpoint scan",
                ),
                CopyKind::CiConfig => (
                    format!("github-actions://acme/{repo}/secrets/KEY_{credential}"),
                    "ci inventory",
                ),
                CopyKind::ChatMessage => (
                    format!(
                        "slack://acme/#{}/p{}",
                        self.pick(&["deploy", "dev-help", "data-eng", "incident"]),
                        1_700_000_000 + id
                    ),
                    "trufflehog",
                ),
                CopyKind::RepositoryFile => (
                    format!(
                        "https://github.com/acme/{repo}/blob/main/config/settings.py#L{}",
                        10 + id % 200
                    ),
                    "gitleaks",
                ),
                CopyKind::EndpointDisk => (
                    format!("build-{host}:/var/lib/agent/credentials.json"),
                    "endpoint scan",
                ),
                // Not picked above (the demo's seeded figures stay as they were); named for completeness.
                CopyKind::McpConfig => (format!("laptop-{host}:~/.cursor/mcp.json"), "endpoint scan"),
            };
            let first_seen = self.days_ago(1, 400);
            let last_seen = (first_seen + Duration::days(self.rng.random_range(0..60))).min(self.anchor);
            let status = if self.chance(0.12) { "removed" } else { "present" };
            let author = matches!(
                kind,
                CopyKind::RepositoryFile | CopyKind::ChatMessage | CopyKind::EnvFile
            )
            .then_some(email);
            rows.extend([
                Value::Int(id),
                Value::Int(credential),
                kind.as_str().into(),
                locator.into(),
                found_by.into(),
                author.into(),
                timestamp(first_seen).into(),
                timestamp(last_seen).into(),
                status.into(),
            ]);
        }
        rows
    }
}
