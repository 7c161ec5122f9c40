//! The demo organisation: a realistic, deterministic company (teams, people,
//! agents of every category, tools, credentials of every kind, leaked copies,
//! resources, reach and activity) for the dashboard and for benchmarks.
//!
//! The same seed and anchor day always give the same organisation. Secrets
//! are invented, fingerprinted, and dropped: like real ones, they never reach
//! the database.
//!
//! Each table's rows are drawn in a file of their own: `people` (teams and
//! people), `agents` (agents and their tools), `secrets` (credentials, the
//! tools holding them and copies of their secrets), `resources` (resources
//! and reach) and `activity` (activity events).

mod activity;
mod agents;
mod people;
mod resources;
mod secrets;

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
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
    db.execute(sqlx::query("ANALYZE")).await?;
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
