//! The demo organisation: a realistic, deterministic company (teams, people,
//! agents of every category, tools, credentials of every kind, leaked copies,
//! resources, reach and activity) for the dashboard and for benchmarks.
//!
//! The same seed and anchor day always give the same organisation. Secrets
//! are invented, fingerprinted, and dropped: like real ones, they never reach
//! the database.

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use model::api::{AgentCategory, CopyKind, CredentialKind, Environment, ToolKind};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::audit;
use crate::db::sql::{Value, timestamp};
use crate::db::{Backend, Db};
use crate::db::{accounts, bulk, coverage, credentials};
use crate::fingerprint::Fingerprinter;

/// How big an organisation to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScaleName {
    /// For the demo: about 300 people, 400 agents, 2,000 credentials.
    Small,
    /// For benchmarks: 5,000 people, 50,000 agents, 200,000 credentials, a million copies.
    Large,
}

/// Row counts of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    /// Teams.
    pub teams: usize,
    /// People.
    pub people: usize,
    /// Agents.
    pub agents: usize,
    /// Tools.
    pub tools: usize,
    /// Credentials.
    pub credentials: usize,
    /// Stored copies of secrets.
    pub copies: usize,
    /// Resources.
    pub resources: usize,
    /// Reach edges (credential → resource).
    pub reach: usize,
    /// Activity events.
    pub events: usize,
}

impl ScaleName {
    /// The row counts of this scale.
    pub fn scale(self) -> Scale {
        match self {
            ScaleName::Small => Scale {
                teams: 24,
                people: 300,
                agents: 400,
                tools: 220,
                credentials: 2_000,
                copies: 3_500,
                resources: 600,
                reach: 8_000,
                events: 15_000,
            },
            ScaleName::Large => Scale {
                teams: 240,
                people: 5_000,
                agents: 50_000,
                tools: 20_000,
                credentials: 200_000,
                copies: 1_000_000,
                resources: 100_000,
                reach: 1_000_000,
                events: 1_000_000,
            },
        }
    }
}

/// What a generation wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows per table, in insertion order.
    pub rows: Vec<(&'static str, usize)>,
}

/// The errors of generating a demo organisation.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database already holds an inventory.
    #[error("the database already holds an inventory ({0} people); use an empty database")]
    NotEmpty(i64),
    /// A database error.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Whether the database holds no inventory yet.
pub async fn is_empty(db: &Db) -> Result<bool, sqlx::Error> {
    Ok(people(db).await? == 0)
}

async fn people(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM person")
        .fetch_one(db.pool())
        .await
}

/// Fills an empty database with the organisation of `scale` and `seed`,
/// dated relative to `anchor`, in one transaction. `progress` is told each
/// table as it is written.
pub async fn generate(
    db: &Db,
    scale: Scale,
    seed: u64,
    anchor: DateTime<Utc>,
    fingerprinter: &Fingerprinter,
    mut progress: impl FnMut(&str, usize, std::time::Duration),
) -> Result<Summary, DemoError> {
    let existing = people(db).await?;
    if existing > 0 {
        return Err(DemoError::NotEmpty(existing));
    }
    let started = Instant::now();
    let mut org = Generator {
        rng: ChaCha8Rng::seed_from_u64(seed),
        scale,
        anchor,
        fingerprinter,
    };
    let mut tx = db.begin().await?;
    bulk::bulk_cache(&mut tx, db.backend(), true).await?;
    if db.backend() == Backend::Sqlite {
        // Foreign keys are checked row by row otherwise; the generator's ids
        // are consistent by construction (and the consistency test checks).
        sqlx::query("PRAGMA defer_foreign_keys = ON")
            .execute(&mut *tx)
            .await?;
    }
    let mut summary = Summary::default();
    for table in TABLES {
        let (columns, rows) = org.table(table);
        let count = rows.len() / columns.len();
        bulk::insert(&mut tx, db.backend(), table, columns, &rows).await?;
        summary.rows.push((table, count));
        progress(table, count, started.elapsed());
    }
    credentials::refresh_reach_environments(&mut tx, &crate::db::sql::Scope::All).await?;
    let rows: serde_json::Map<String, serde_json::Value> = summary
        .rows
        .iter()
        .map(|(table, count)| ((*table).to_owned(), (*count).into()))
        .collect();
    let entry = audit::Entry::new(
        audit::Actor::System("muster demo".into()),
        "inventory.demo_generate",
    )
    .details(serde_json::json!({ "seed": seed, "anchor": timestamp(anchor), "rows": rows }));
    audit::append(&mut tx, &entry, Utc::now()).await?;
    bulk::reset_identities(
        db,
        &mut tx,
        &[
            "team",
            "person",
            "agent",
            "tool",
            "credential",
            "credential_copy",
            "resource",
            "activity_event",
        ],
    )
    .await?;
    bulk::bulk_cache(&mut tx, db.backend(), false).await?;
    // Accounts made before the people are theirs once the people exist.
    accounts::link_people(&mut tx).await?;
    tx.commit().await?;
    // Fresh statistics, so the query planner knows the new tables' shapes.
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    // Scored as of the anchor, so that the same seed and anchor give the same scores.
    let scored = crate::scoring::recompute(db, anchor, "muster demo").await?;
    progress(
        "risk scores",
        scored.scores.credentials() + scored.scores.agents(),
        started.elapsed(),
    );
    coverage::backfill(db, anchor.date_naive(), HISTORY_DAYS, past_posture).await?;
    progress("posture history (days)", HISTORY_DAYS as usize, started.elapsed());
    Ok(summary)
}

/// Days of made-up posture history the demo records before its anchor.
const HISTORY_DAYS: i64 = 60;

/// The demo's past, `ago` days back, from today's figures: fewer agents and
/// credentials, lower coverage, more orphans and more critical keys, with a
/// weekly ripple, as an organisation that has been cleaning up for two
/// months would show. Made up, and deterministic.
fn past_posture(ago: i64, today: coverage::Figures) -> coverage::Figures {
    let t = ago as f64 / HISTORY_DAYS as f64;
    let ripple = 1.0 + 0.02 * (ago as f64 * std::f64::consts::TAU / 7.0).sin();
    let scale = |n: i64, factor: f64| (n as f64 * factor).round() as i64;
    let agents = scale(today.agents, 1.0 - 0.12 * t);
    let credentials = scale(today.credentials, 1.0 - 0.08 * t);
    coverage::Figures {
        agents,
        agents_owned: scale(today.agents_owned, (1.0 - 0.3 * t) * ripple).min(agents),
        credentials,
        credentials_owned: scale(today.credentials_owned, (1.0 - 0.25 * t) * ripple).min(credentials),
        orphaned: scale(today.orphaned, 1.0 + 0.8 * t),
        critical: scale(today.critical, (1.0 + 0.5 * t) * ripple),
        high: scale(today.high, 1.0 + 0.2 * t),
    }
}

const TABLES: [&str; 11] = [
    "team",
    "person",
    "agent",
    "tool",
    "agent_tool",
    "credential",
    "tool_credential",
    "credential_copy",
    "resource",
    "reach",
    "activity_event",
];

struct Generator<'a> {
    rng: ChaCha8Rng,
    scale: Scale,
    anchor: DateTime<Utc>,
    fingerprinter: &'a Fingerprinter,
}

const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &[
            "Platform",
            "Payments",
            "Mobile",
            "Web",
            "Developer Experience",
            "Search",
        ],
    ),
    ("Data", &["Analytics", "Machine Learning", "Data Platform"]),
    ("Security", &["Security Operations", "Identity", "AppSec"]),
    ("Infrastructure", &["SRE", "Cloud", "Networking"]),
    ("IT", &["Workplace", "Corporate Systems"]),
    ("Sales", &["Sales Ops", "Solutions"]),
    ("Customer Success", &["Support", "Onboarding"]),
    ("Finance", &["Revenue Ops", "Procurement"]),
];

const FIRST_NAMES: &[&str] = &[
    "Ada", "Alan", "Amara", "Ana", "Arjun", "Beatriz", "Ben", "Chen", "Chloe", "Daniel", "Dmitri", "Elena",
    "Emeka", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jamal", "Jana", "Jonas", "Kenji",
    "Lara", "Leila", "Lucas", "Maya", "Mateo", "Mei", "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael",
    "Sara", "Sofia", "Tomas", "Yuki", "Zainab", "Zoe",
];
const LAST_NAMES: &[&str] = &[
    "Adeyemi", "Alvarez", "Andersen", "Bauer", "Chen", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia",
    "Haddad", "Hoffmann", "Ibrahim", "Ito", "Jensen", "Kaur", "Kowalski", "Larsen", "Lopez", "Martin",
    "Mendes", "Moreau", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Petrov", "Rossi", "Sato",
    "Schmidt", "Silva", "Singh", "Tanaka", "Varga", "Weber", "Wong", "Yilmaz", "Zhang",
];
const PURPOSES: &[&str] = &[
    "release-bot",
    "code-review",
    "support-triage",
    "data-sync",
    "incident-helper",
    "sql-analyst",
    "pr-summarizer",
    "deploy-assistant",
    "ticket-router",
    "doc-writer",
    "test-fixer",
    "cost-watcher",
    "lead-enricher",
    "etl-runner",
];

impl Generator<'_> {
    fn table(&mut self, table: &str) -> (&'static [&'static str], Vec<Value>) {
        // Each table draws from its own stream, so a change in one table's
        // generator leaves the others as they were.
        let stream = TABLES.iter().position(|t| *t == table).unwrap() as u64;
        self.rng.set_stream(stream);
        match table {
            "team" => (&["id", "name", "parent_id"], self.teams()),
            "person" => (
                &[
                    "id",
                    "name",
                    "email",
                    "team_id",
                    "manager_id",
                    "status",
                    "departed_at",
                ],
                self.people(),
            ),
            "agent" => (
                &[
                    "id",
                    "name",
                    "category",
                    "platform",
                    "environment",
                    "sanctioned",
                    "owner_id",
                    "deployed_by_id",
                    "first_seen",
                    "last_seen",
                    "description",
                ],
                self.agents(),
            ),
            "tool" => (&["id", "name", "kind", "description"], self.tools()),
            "agent_tool" => (&["agent_id", "tool_id"], self.agent_tools()),
            "credential" => (
                &[
                    "id",
                    "name",
                    "kind",
                    "provider",
                    "external_id",
                    "scopes",
                    "third_party",
                    "created_at",
                    "expires_at",
                    "last_rotated_at",
                    "last_used_at",
                    "status",
                    "owner_id",
                    "fingerprint",
                ],
                self.credentials(),
            ),
            "tool_credential" => (&["tool_id", "credential_id"], self.tool_credentials()),
            "credential_copy" => (
                &[
                    "id",
                    "credential_id",
                    "kind",
                    "locator",
                    "found_by",
                    "author_email",
                    "first_seen",
                    "last_seen",
                    "status",
                ],
                self.copies(),
            ),
            "resource" => (
                &[
                    "id",
                    "name",
                    "provider",
                    "kind",
                    "environment",
                    "sensitivity",
                    "owner_team_id",
                ],
                self.resources(),
            ),
            "reach" => (&["credential_id", "resource_id", "permission"], self.reach()),
            "activity_event" => (
                &[
                    "id",
                    "credential_id",
                    "occurred_at",
                    "action",
                    "resource_id",
                    "source_address",
                    "user_agent",
                    "outcome",
                ],
                self.events(),
            ),
            other => unreachable!("no generator for {other}"),
        }
    }

    fn days_ago(&mut self, min: i64, max: i64) -> DateTime<Utc> {
        let days = self.rng.random_range(min..=max);
        let seconds = self.rng.random_range(0..86_400);
        self.anchor - Duration::days(days) - Duration::seconds(seconds)
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.rng.random_bool(probability)
    }

    fn pick<'v, T>(&mut self, values: &'v [T]) -> &'v T {
        values.choose(&mut self.rng).expect("a non-empty list")
    }

    fn id(&mut self, count: usize) -> i64 {
        self.rng.random_range(1..=count as i64)
    }

    /// Team `i` (from 0): the departments first, then their sub-teams, then squads.
    fn team_name_and_parent(i: usize) -> (String, Option<i64>) {
        let departments = DEPARTMENTS.len();
        if i < departments {
            return (DEPARTMENTS[i].0.to_owned(), None);
        }
        let named: usize = DEPARTMENTS.iter().map(|(_, subs)| subs.len()).sum();
        let j = i - departments;
        if j < named {
            let mut k = j;
            for (d, (_, subs)) in DEPARTMENTS.iter().enumerate() {
                if k < subs.len() {
                    return (subs[k].to_owned(), Some(d as i64 + 1));
                }
                k -= subs.len();
            }
        }
        // Squads hang under the named sub-teams, round robin.
        let squad = j - named;
        let parent = departments + squad % named;
        let (parent_name, _) = Self::team_name_and_parent(parent);
        (
            format!("{parent_name} Squad {}", squad / named + 1),
            Some(parent as i64 + 1),
        )
    }

    fn teams(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        for i in 0..self.scale.teams {
            let (name, parent) = Self::team_name_and_parent(i);
            rows.extend([Value::Int(i as i64 + 1), name.into(), parent.into()]);
        }
        rows
    }

    /// The team of person `id`: deterministic, so later tables can find it.
    fn team_of(&self, person: i64) -> i64 {
        // Leaves of the hierarchy get most people; departments keep a few leaders.
        let teams = self.scale.teams as i64;
        let first_leaf = DEPARTMENTS.len() as i64 + 1;
        if person <= DEPARTMENTS.len() as i64 {
            person
        } else {
            first_leaf + (person * 7919) % (teams - first_leaf + 1)
        }
    }

    fn person_name(i: i64) -> (String, String) {
        let first = FIRST_NAMES[(i as usize * 31) % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i as usize * 17 + i as usize / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let email = format!(
            "{}.{}{}@acme.example",
            first.to_lowercase(),
            last.to_lowercase(),
            i
        );
        (format!("{first} {last}"), email)
    }

    fn people(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        let mut leads = std::collections::HashMap::new();
        for id in 1..=self.scale.people as i64 {
            let (name, email) = Self::person_name(id);
            let team = self.team_of(id);
            let manager = leads.get(&team).copied();
            leads.entry(team).or_insert(id);
            let departed = id > 20 && self.chance(0.05);
            let departed_at = departed.then(|| timestamp(self.days_ago(3, 200)));
            rows.extend([
                Value::Int(id),
                name.into(),
                email.into(),
                Value::Int(team),
                manager.into(),
                (if departed { "departed" } else { "active" }).into(),
                departed_at.into(),
            ]);
        }
        rows
    }

    fn agents(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        for id in 1..=self.scale.agents as i64 {
            let category = *self.pick(&[
                AgentCategory::CodingEndpoint,
                AgentCategory::CodingEndpoint,
                AgentCategory::CodingEndpoint,
                AgentCategory::SelfHosted,
                AgentCategory::SelfHosted,
                AgentCategory::Cloud,
                AgentCategory::Cloud,
                AgentCategory::Saas,
            ]);
            let platform = *self.pick(match category {
                AgentCategory::CodingEndpoint => &["Cursor", "Claude Code", "Windsurf", "GitHub Copilot"][..],
                AgentCategory::SelfHosted => &["LangChain", "LlamaIndex", "CrewAI", "Custom (Python)"][..],
                AgentCategory::Cloud => &["Bedrock", "Vertex AI", "Azure AI Foundry"][..],
                AgentCategory::Saas => {
                    &["Microsoft Copilot", "Agentforce", "OpenAI connector", "Zapier AI"][..]
                }
            });
            let environment = if category == AgentCategory::CodingEndpoint {
                Environment::Dev
            } else {
                *self.pick(&[
                    Environment::Prod,
                    Environment::Prod,
                    Environment::Staging,
                    Environment::Dev,
                ])
            };
            let sanctioned = !self.chance(if category == AgentCategory::CodingEndpoint {
                0.35
            } else {
                0.12
            });
            let owner = (!self.chance(0.15)).then(|| self.id(self.scale.people));
            let deployed_by = if self.chance(0.8) {
                owner.or_else(|| Some(self.id(self.scale.people)))
            } else {
                Some(self.id(self.scale.people))
            };
            let team_slug = {
                let person = deployed_by.unwrap_or(1);
                Self::team_name_and_parent((self.team_of(person) - 1) as usize)
                    .0
                    .to_lowercase()
                    .replace(' ', "-")
            };
            let purpose = *self.pick(PURPOSES);
            let first_seen = self.days_ago(20, 720);
            let last_seen = if self.chance(0.08) {
                None
            } else {
                let stale = self.chance(0.15);
                let ago = if stale {
                    self.rng.random_range(91..200)
                } else {
                    self.rng.random_range(0..20)
                };
                Some(timestamp((self.anchor - Duration::days(ago)).max(first_seen)))
            };
            let description = format!(
                "{} agent on {platform}: {}",
                category.label(),
                purpose.replace('-', " ")
            );
            rows.extend([
                Value::Int(id),
                format!("{team_slug}-{purpose}-{id}").into(),
                category.as_str().into(),
                platform.into(),
                environment.as_str().into(),
                Value::Int(i64::from(sanctioned)),
                owner.into(),
                deployed_by.into(),
                timestamp(first_seen).into(),
                last_seen.into(),
                description.into(),
            ]);
        }
        rows
    }

    fn tools(&mut self) -> Vec<Value> {
        const BASES: &[(&str, ToolKind, &str)] = &[
            (
                "github-mcp",
                ToolKind::McpServer,
                "Reads and writes repositories, issues and pull requests",
            ),
            (
                "postgres-mcp",
                ToolKind::McpServer,
                "Runs SQL against a PostgreSQL database",
            ),
            ("aws-mcp", ToolKind::McpServer, "Calls AWS APIs"),
            (
                "slack-connector",
                ToolKind::Connector,
                "Posts and reads Slack messages",
            ),
            (
                "jira-connector",
                ToolKind::Connector,
                "Creates and updates Jira tickets",
            ),
            (
                "salesforce-connector",
                ToolKind::Connector,
                "Reads and updates CRM records",
            ),
            ("s3-upload", ToolKind::Function, "Uploads files to S3"),
            ("run-query", ToolKind::Function, "Runs a warehouse query"),
            ("deploy", ToolKind::Function, "Deploys a service"),
            ("openai-plugin", ToolKind::Plugin, "Calls the OpenAI API"),
            ("vault-plugin", ToolKind::Plugin, "Reads secrets from Vault"),
            ("gcs-mcp", ToolKind::McpServer, "Reads and writes Cloud Storage"),
        ];
        let mut rows = Vec::new();
        for id in 1..=self.scale.tools as i64 {
            let (base, kind, what) = BASES[(id as usize - 1) % BASES.len()];
            rows.extend([
                Value::Int(id),
                format!("{base}-{id}").into(),
                kind.as_str().into(),
                what.into(),
            ]);
        }
        rows
    }

    fn agent_tools(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        let tools = self.scale.tools as i64;
        // A few popular tools are shared by many agents.
        let popular = (tools / 20).max(3);
        for agent in 1..=self.scale.agents as i64 {
            let count = self.rng.random_range(1..=4);
            let mut chosen = HashSet::new();
            for _ in 0..count {
                let tool = if self.chance(0.3) {
                    self.rng.random_range(1..=popular)
                } else {
                    self.rng.random_range(1..=tools)
                };
                if chosen.insert(tool) {
                    rows.extend([Value::Int(agent), Value::Int(tool)]);
                }
            }
        }
        rows
    }

    fn credential_kind(id: i64) -> CredentialKind {
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

    fn credentials(&mut self) -> Vec<Value> {
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

    fn tool_credentials(&mut self) -> Vec<Value> {
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

    fn copies(&mut self) -> Vec<Value> {
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

    fn resource_environment(id: i64) -> Environment {
        [
            Environment::Prod,
            Environment::Prod,
            Environment::Staging,
            Environment::Dev,
            Environment::Dev,
        ][(id * 40_503 % 5) as usize]
    }

    fn resources(&mut self) -> Vec<Value> {
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
    fn reach_of(&self, id: i64) -> Vec<(i64, &'static str)> {
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

    fn reach(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        for credential in 1..=self.scale.credentials as i64 {
            for (resource, permission) in self.reach_of(credential) {
                rows.extend([Value::Int(credential), Value::Int(resource), permission.into()]);
            }
        }
        rows
    }

    fn events(&mut self) -> Vec<Value> {
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

/// Creates `<role>@demo.test` for every role, or resets its password.
pub async fn create_accounts(db: &Db, password: &str) -> anyhow::Result<()> {
    let hash = crate::auth::hash_password(password);
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    for role in model::api::Role::ALL {
        let email = format!("{role}@demo.test");
        let (id, action) = match accounts::create(&mut tx, &email, &hash, &[*role], now).await {
            Ok(id) => (id, "account.create"),
            Err(accounts::AccountError::Exists(_)) => (
                accounts::set_password(&mut tx, &email, &hash, now).await?,
                "account.set_password",
            ),
            Err(error) => return Err(error.into()),
        };
        let entry = audit::Entry::new(audit::Actor::System("muster serve --demo".into()), action)
            .target(audit::AuditTarget::new(audit::TargetKind::Account, id))
            .details(serde_json::json!({ "roles": [role], "demo": true }));
        audit::append(&mut tx, &entry, now).await?;
    }
    demo_manager(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Makes `manager@demo.test` a person of the inventory, heading the top-level
/// team with the most sub-teams, so that the demo manager has teams to manage.
/// Nothing happens on an empty inventory or when the person exists.
async fn demo_manager(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    const EMAIL: &str = "manager@demo.test";
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM person WHERE email = $1")
        .bind(EMAIL)
        .fetch_optional(&mut *conn)
        .await?;
    let team: Option<i64> = sqlx::query_scalar(
        "SELECT t.id FROM team t WHERE t.parent_id IS NULL \
         ORDER BY (SELECT COUNT(*) FROM team s WHERE s.parent_id = t.id) DESC, t.id LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let (None, Some(team)) = (exists, team) {
        sqlx::query(
            "INSERT INTO person (name, email, team_id, status) VALUES ('Morgan Demo', $1, $2, 'active')",
        )
        .bind(EMAIL)
        .bind(team)
        .execute(&mut *conn)
        .await?;
        accounts::link_people(conn).await?;
    }
    Ok(())
}
