//! The demo organisation's activity: events of its credentials on resources.

use model::api::CredentialKind;
use rand::Rng;

use crate::db::sql::{Value, timestamp};

use super::Generator;

impl Generator<'_> {
    /// The rows of `activity_event`: credentials acting on resources they reach.
    pub(super) fn events(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        let credentials = self.scale.credentials as i64;
        for id in 1..=self.scale.events as i64 {
            // Activity concentrates on a busy tenth of the credentials.
            let credential = if self.chance(0.6) {
                self.rng.random_range(1..=(credentials / 10).max(1))
            } else {
                self.id(self.scale.credentials)
            };
            let reach = self.reach_of(credential);
            let (resource, _) = *self.pick(&reach);
            let kind = Self::credential_kind(credential);
            let action = match kind {
                CredentialKind::AccessKey | CredentialKind::IamRole => *self.pick(&[
                    "s3:GetObject",
                    "s3:PutObject",
                    "dynamodb:Query",
                    "rds-data:ExecuteStatement",
                    "sts:GetCallerIdentity",
                ]),
                CredentialKind::PersonalAccessToken | CredentialKind::SshKey => {
                    *self.pick(&["git.clone", "git.push", "pull_request.create", "repo.read"])
                }
                CredentialKind::ServiceAccountKey | CredentialKind::WorkloadIdentityFederation => {
                    *self.pick(&[
                        "storage.objects.get",
                        "bigquery.jobs.create",
                        "storage.objects.create",
                    ])
                }
                _ => *self.pick(&["api.request", "records.read", "records.update", "files.list"]),
            };
            let human = self.chance(0.02);
            let (action, agent) = if human {
                (
                    if kind == CredentialKind::AccessKey {
                        "signin:ConsoleLogin"
                    } else {
                        action
                    },
                    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
                )
            } else {
                (
                    action,
                    *self.pick(&[
                        "aws-sdk-python/1.34 Botocore/1.34",
                        "python-requests/2.31",
                        "langchain/0.2 python-httpx/0.27",
                        "go-github/v62",
                        "node-fetch/3.3",
                    ]),
                )
            };
            let source = if self.chance(0.8) {
                format!(
                    "10.{}.{}.{}",
                    self.rng.random_range(0..255),
                    self.rng.random_range(0..255),
                    self.rng.random_range(1..255)
                )
            } else {
                format!("203.0.113.{}", self.rng.random_range(1..255))
            };
            let outcome = if self.chance(0.04) { "failure" } else { "success" };
            let when = self.days_ago(0, 90);
            rows.extend([
                Value::Int(id),
                Value::Int(credential),
                timestamp(when).into(),
                action.into(),
                Value::Int(resource),
                source.into(),
                agent.into(),
                outcome.into(),
            ]);
        }
        rows
    }
}
