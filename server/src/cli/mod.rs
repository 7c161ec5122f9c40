//! The command line: `muster serve` and friends. Every option can also be set
//! by an environment variable (`MUSTER_...`), for containers and CI.

mod audit_log;
mod demo_org;
mod evidence;
mod import;
mod serve;
mod serve_options;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::audit;
use crate::db::{Db, Target};
use crate::demo::ScaleName;
use crate::fingerprint::Fingerprinter;

use audit_log::audit_verify;
use demo_org::demo;
use evidence::{evidence, evidence_verify};
use import::import;
use serve::serve;
use user::user;

/// The options of `muster serve` and the settings they carry.
pub use serve_options::{OidcArgs, ServeArgs, SmtpArgs, WebhookArgs};

/// Muster: governs the keys, tokens and roles that AI agents use.
#[derive(Debug, Parser)]
#[command(name = "muster", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, global = true, env = "MUSTER_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

/// The format of log lines on standard error.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

/// The subcommands of `muster`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the JSON API.
    Serve(Box<ServeArgs>),
    /// Fill an empty database with a realistic, deterministic demo organisation.
    Demo(DemoArgs),
    /// Check or export the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Manage local accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Risk scores.
    #[command(subcommand)]
    Risk(RiskCommand),
    /// The automation webhook.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// The bearer tokens the identity provider pushes people with (SCIM).
    #[command(subcommand, name = "scim-token")]
    ScimToken(ScimTokenCommand),
    /// Read a secret scanner's report or CloudTrail logs into the inventory (all or nothing).
    Import(ImportArgs),
    /// Make a signed evidence pack of a period for auditors
    /// (`--from --to --output pack.zip`), or check one (`verify pack.zip`).
    Evidence(EvidenceArgs),
    /// Find the coding agents, MCP servers, agent frameworks and secrets on
    /// this machine, for this user (no database; see docs/scan.md). No
    /// secret is ever written, printed or sent.
    Scan(crate::scan::ScanArgs),
}

/// `muster evidence ...`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EvidenceArgs {
    /// Check a pack instead of making one.
    #[command(subcommand)]
    pub verify: Option<EvidenceCommand>,
    /// The period's first day (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// The period's last day (YYYY-MM-DD), included.
    #[arg(long)]
    pub to: Option<String>,
    /// Where to write the pack (a .zip file).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The server's signing key (the one that signs approval decisions;
    /// `muster serve` creates it on first start).
    #[arg(long, env = "MUSTER_APPROVAL_KEY_FILE", default_value = "data/approval.key")]
    pub approval_key_file: PathBuf,
}

/// `muster evidence verify`.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Check a pack: its signature, every file, the audit chain. Exit 0 when
    /// it verifies, 1 when it is refused, 2 when it cannot be read.
    Verify {
        /// The pack.
        pack: PathBuf,
        /// The published key (`GET /api/v1/evidence/key`): 64 hex digits,
        /// that JSON, or a file holding either. Without it, the pack is
        /// checked against the key inside it, which proves only that it is whole.
        #[arg(long)]
        key: Option<String>,
    },
}

/// `muster import <kind> FILE...`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The reports' kind: `gitleaks` (its JSON report), `trufflehog` (its
    /// JSON lines), `cloudtrail` (log files, plain or `.json.gz`), `aws_iam`
    /// (`aws iam get-account-authorization-details`),
    /// `aws_credential_report` (`aws iam get-credential-report`, as CSV) or
    /// `inventory` (Muster's inventory file, YAML or JSON), `endpoint`
    /// (a report of `muster scan --output`), or a platform's own records:
    /// `google_workspace`, `entra`, `okta`, `github`, `bedrock`, `vertex`
    /// (their API answers, page by page; see docs/imports.md).
    pub kind: String,
    /// The report files, read in order in one import; a folder stands for
    /// its `.json`, `.jsonl` and `.gz` files, oldest (by name) first.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// What was scanned (a repository, a host): copies are attributed to `<kind>:<source>`.
    #[arg(long)]
    pub source: Option<String>,
    /// The reports cover only part of the source: copies they do not mention
    /// are left as they are (by default they are marked removed).
    #[arg(long)]
    pub partial: bool,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The fingerprint key.
    #[command(flatten)]
    pub key: KeyArgs,
}

/// `muster webhook ...`.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Print a new random signing secret, to give both to `--webhook-secret` and to the receiver.
    Secret,
}

/// `muster scim-token ...`.
#[derive(Debug, Subcommand)]
pub enum ScimTokenCommand {
    /// Make a token for the identity provider's SCIM client; it is printed
    /// once (only its hash is kept) and opens `/scim/v2` and nothing else.
    Create {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// What the token is for (`Okta provisioning`).
        #[arg(long)]
        name: String,
        /// Days until it stops working (1 to 365).
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
}

/// `muster risk ...`.
#[derive(Debug, Subcommand)]
pub enum RiskCommand {
    /// Score every credential and agent now, with the current model.
    Recompute(DatabaseArgs),
}

/// `muster user ...`. The password is read from `MUSTER_PASSWORD`, or else
/// from the first line of standard input (never from the command line, where
/// other users of the machine could read it).
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add {
        /// Its email address.
        #[arg(long)]
        email: String,
        /// A role; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<model::api::Role>,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Replace an account's password; its sessions end.
    SetPassword {
        /// Its email address.
        #[arg(long)]
        email: String,
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// `muster audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain: exit 0 when intact, 1 when tampered with, 2 when it cannot be checked.
    Verify(DatabaseArgs),
    /// Print entries as JSON lines (OCSF-style field names), oldest first.
    Export {
        /// The database.
        #[command(flatten)]
        database: DatabaseArgs,
        /// Only entries at or after this time (RFC 3339, e.g. 2026-11-01T00:00:00Z).
        #[arg(long, value_parser = parse_time)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// Only entries at or before this time (RFC 3339).
        #[arg(long, value_parser = parse_time)]
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-11-01T00:00:00Z: {e}"))
}

/// Where the database is; shared by every subcommand that opens it.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// An SQLite file (created on first start) or a `postgres://` URL.
    #[arg(long, env = "MUSTER_DATABASE", default_value = "data/muster.sqlite")]
    pub database: Target,
}

/// The key of secret fingerprints (HMAC-SHA256), shared by every replica.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// The key as 64 hexadecimal digits; overrides the key file.
    #[arg(
        long = "fingerprint-key",
        env = "MUSTER_FINGERPRINT_KEY",
        hide_env_values = true
    )]
    pub fingerprint_key: Option<String>,
    /// A file holding the key, created with a random key on first use.
    #[arg(
        long,
        env = "MUSTER_FINGERPRINT_KEY_FILE",
        default_value = "data/fingerprint.key"
    )]
    pub fingerprint_key_file: PathBuf,
}

impl KeyArgs {
    /// Loads (or creates) the fingerprint key.
    pub fn fingerprinter(&self) -> anyhow::Result<Fingerprinter> {
        Ok(match &self.fingerprint_key {
            Some(hex) => Fingerprinter::from_hex(hex)?,
            None => Fingerprinter::load_or_create(&self.fingerprint_key_file)?,
        })
    }
}

/// Options of `muster demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// How big an organisation.
    #[arg(long, value_enum, default_value = "small")]
    pub scale: ScaleName,
    /// The seed: the same seed gives the same organisation.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The fingerprint key.
    #[command(flatten)]
    pub key: KeyArgs,
}

/// Sets up logging to standard error; `RUST_LOG` overrides the default level.
pub fn init_tracing(format: &LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=error,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.compact().init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs one command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(*args).await.map(|()| ExitCode::SUCCESS),
        Command::Demo(args) => demo(args).await.map(|()| ExitCode::SUCCESS),
        Command::User(command) => user(command).await.map(|()| ExitCode::SUCCESS),
        Command::Import(args) => import(args).await,
        Command::Scan(args) => crate::scan::run(args).await,
        Command::ScimToken(ScimTokenCommand::Create { database, name, days }) => {
            let db = Db::open(&database.database).await?;
            let actor = crate::audit::Actor::System("muster scim-token create".into());
            let created = crate::issued_tokens::create(
                &db,
                crate::db::issued_tokens::Issued::Scim,
                &name,
                days,
                actor,
                &crate::audit::Source::default(),
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "SCIM token {} ({}), valid until {}; shown once, keep it in the identity provider:",
                created.token.id, created.token.name, created.token.expires_at
            );
            println!("{}", created.secret);
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Webhook(WebhookCommand::Secret) => {
            println!("{}", crate::webhook::new_secret());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify(database)) => Ok(audit_verify(database).await),
        Command::Evidence(EvidenceArgs {
            verify: Some(EvidenceCommand::Verify { pack, key }),
            ..
        }) => Ok(evidence_verify(&pack, key.as_deref())),
        Command::Evidence(args) => evidence(args).await,
        Command::Risk(RiskCommand::Recompute(database)) => {
            let db = Db::open(&database.database).await?;
            let started = std::time::Instant::now();
            let done = crate::scoring::recompute(&db, chrono::Utc::now(), "muster risk recompute").await?;
            println!(
                "Scored {} credentials and {} agents with risk model {} in {:.1} s \
                 (load {:.1} s, score {:.1} s, store {:.1} s).",
                done.scores.credentials(),
                done.scores.agents(),
                crate::risk::MODEL_VERSION,
                started.elapsed().as_secs_f64(),
                done.scores.load.as_secs_f64(),
                done.scores.score.as_secs_f64(),
                done.store.as_secs_f64()
            );
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Export {
            database,
            since,
            until,
        }) => {
            let db = Db::open(&database.database).await?;
            let since = since.map(crate::db::sql::timestamp);
            let until = until.map(crate::db::sql::timestamp);
            for line in audit::export(&db, since.as_deref(), until.as_deref()).await? {
                println!("{line}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The demo's dates count back from the start of today (UTC).
fn demo_anchor() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}
