//! The demo organisation's resources, and which credential reaches which.

use model::api::Environment;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::db::sql::Value;

use super::Generator;

impl Generator<'_> {
    fn resource_environment(id: i64) -> Environment {
        [
            Environment::Prod,
            Environment::Prod,
            Environment::Staging,
            Environment::Dev,
            Environment::Dev,
        ][(id * 40_503 % 5) as usize]
    }

    /// The rows of `resource`.
    pub(super) fn resources(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        for id in 1..=self.scale.resources as i64 {
            let environment = Self::resource_environment(id);
            let (provider, kind, word) = *self.pick(&[
                ("aws", "database", "rds"),
                ("aws", "bucket", "s3"),
                ("gcp", "bucket", "gcs"),
                ("gcp", "database", "bigquery"),
                ("github", "repository", "repo"),
                ("salesforce", "saas_object", "org"),
                ("google_workspace", "saas_object", "drive"),
                ("internal", "api", "api"),
            ]);
            let sensitivity = *self.pick(&[
                "public",
                "internal",
                "internal",
                "confidential",
                "confidential",
                "restricted",
            ]);
            let team = self.id(self.scale.teams);
            let area = *self.pick(&[
                "payments",
                "customers",
                "orders",
                "analytics",
                "billing",
                "hr",
                "logs",
                "models",
            ]);
            rows.extend([
                Value::Int(id),
                format!("{}-{area}-{word}-{id}", environment.as_str()).into(),
                provider.into(),
                kind.into(),
                environment.as_str().into(),
                sensitivity.into(),
                Value::Int(team),
            ]);
        }
        rows
    }

    /// The resources credential `id` reaches: drawn again identically by
    /// [`Self::events`], so events act on what their credential can reach.
    pub(super) fn reach_of(&self, id: i64) -> Vec<(i64, &'static str)> {
        let mut rng = ChaCha8Rng::seed_from_u64(id as u64 ^ 0x5eed);
        let average = self.scale.reach as f64 / self.scale.credentials as f64;
        let count = rng.random_range(1..=(average * 2.0 - 1.0).round().max(1.0) as usize);
        let resources = self.scale.resources as i64;
        let mut chosen = Vec::with_capacity(count);
        // Credentials cluster around a neighbourhood of resources, so some reach prod and dev alike.
        let base = rng.random_range(1..=resources);
        while chosen.len() < count {
            let offset = rng.random_range(0..40);
            let resource = (base + offset - 1) % resources + 1;
            if chosen.iter().all(|(r, _)| *r != resource) {
                let permission = ["read", "read", "read", "write", "write", "admin"][rng.random_range(0..6)];
                chosen.push((resource, permission));
            }
        }
        chosen
    }

    /// The rows of `reach`: what each credential can reach, and how.
    pub(super) fn reach(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        for credential in 1..=self.scale.credentials as i64 {
            for (resource, permission) in self.reach_of(credential) {
                rows.extend([Value::Int(credential), Value::Int(resource), permission.into()]);
            }
        }
        rows
    }
}
