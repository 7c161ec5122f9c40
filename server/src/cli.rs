//! The command line: `muster serve` and friends. Every option can also be set
//! by an environment variable (`MUSTER_...`), for containers and CI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

use crate::audit;
use crate::db::accounts;
use crate::db::{Db, Target};
use crate::demo::{self, ScaleName};
use crate::fingerprint::Fingerprinter;
use crate::webhook::WebhookConfig;
use crate::{AppState, Settings};

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

fn read_password() -> anyhow::Result<String> {
    let password = match std::env::var("MUSTER_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    crate::auth::check_password(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}

async fn user(command: UserCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let (database, email, action) = match &command {
        UserCommand::Add { database, email, .. } => (database, email, "account.create"),
        UserCommand::SetPassword { database, email } => (database, email, "account.set_password"),
    };
    let email = &crate::auth::normalise_email(email).map_err(anyhow::Error::msg)?;
    let db = Db::open(&database.database).await?;
    let hash = crate::auth::hash_password(&read_password()?);
    let mut tx = db.begin().await?;
    let (id, details) = match &command {
        UserCommand::Add { roles, .. } => {
            let id = accounts::create(&mut tx, email, &hash, roles, now).await?;
            (id, serde_json::json!({ "roles": roles }))
        }
        UserCommand::SetPassword { .. } => (
            accounts::set_password(&mut tx, email, &hash, now).await?,
            serde_json::json!({}),
        ),
    };
    let entry = audit::Entry::new(audit::Actor::System("muster user".into()), action)
        .target(audit::AuditTarget::new(audit::TargetKind::Account, id))
        .details(details);
    audit::append(&mut tx, &entry, now).await?;
    tx.commit().await?;
    println!("{action}: {email} (account {id})");
    Ok(())
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

/// Options of `muster serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "MUSTER_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The database.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The built web app (Trunk's output folder).
    #[arg(long, env = "MUSTER_DIST", default_value = "dist")]
    pub dist: PathBuf,
    /// Fill an empty database with the small demo organisation first, and
    /// create (or reset) one demo account per role.
    #[arg(long, env = "MUSTER_DEMO")]
    pub demo: bool,
    /// The demo accounts' password; generated and printed once when not given.
    #[arg(long, env = "MUSTER_DEMO_PASSWORD", hide_env_values = true, requires = "demo")]
    pub demo_password: Option<String>,
    /// The fingerprint key.
    #[command(flatten)]
    pub key: KeyArgs,
    /// The automation webhook.
    #[command(flatten)]
    pub webhook: WebhookArgs,
    /// The file holding the Ed25519 key that signs approval decisions,
    /// created on first start. Keep it out of the database and its backups:
    /// whoever holds it can forge approvals.
    #[arg(long, env = "MUSTER_APPROVAL_KEY_FILE", default_value = "data/approval.key")]
    pub approval_key_file: PathBuf,
    /// Where uploaded reports wait while they are read; emptied at every
    /// start, so a crash leaves no report (and none of its secrets) behind.
    #[arg(long, env = "MUSTER_SPOOL", default_value = "data/spool")]
    pub spool: PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are
    /// believed: addresses or networks, comma-separated (`10.0.0.0/8`).
    /// Nobody's by default; behind a proxy without this, every client has
    /// the proxy's address (one sign-in throttle for all) and no HSTS.
    #[arg(long = "trusted-proxy", env = "MUSTER_TRUSTED_PROXIES", value_delimiter = ',',
        value_parser = crate::client::parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// API requests under way at most; more are refused with 503 and
    /// `Retry-After: 1` until one ends.
    #[arg(long, env = "MUSTER_MAX_REQUESTS", default_value_t = crate::serve::MAX_REQUESTS)]
    pub max_requests: usize,
    /// Sign-in with the organisation's identity provider.
    #[command(flatten)]
    pub oidc: OidcArgs,
    /// Teams from the identity provider's SCIM groups (a group is the team
    /// of its name, its members are in it) instead of from the users'
    /// departments.
    #[arg(long, env = "MUSTER_SCIM_GROUP_TEAMS")]
    pub scim_group_teams: bool,
    /// Seconds an import's heartbeat may stop before a replica takes the
    /// import over (its importer was killed): applies it again, or fails it
    /// if it was still being read.
    #[arg(long, env = "MUSTER_IMPORT_TAKEOVER_SECONDS", default_value_t = 15,
        value_parser = clap::value_parser!(u64).range(5..=3600))]
    pub import_takeover_seconds: u64,
    /// Email for notifications.
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

/// Email for notifications: approvers, owners and managers are told by
/// email when Muster needs them (each chooses what on the Notifications
/// screen). Links in messages start with `--public-url` (else the address
/// Muster listens on).
#[derive(Debug, Clone, clap::Args)]
pub struct SmtpArgs {
    /// The mail server: `smtp://user:pass@host:587` (STARTTLS when offered;
    /// add `?tls=required` to insist), `smtps://user:pass@host:465` (TLS).
    #[arg(
        long = "smtp-url",
        env = "MUSTER_SMTP_URL",
        hide_env_values = true,
        requires = "smtp_from"
    )]
    pub smtp_url: Option<String>,
    /// The sender of every message, e.g. `Muster <muster@example.com>`.
    #[arg(long = "smtp-from", env = "MUSTER_SMTP_FROM", requires = "smtp_url")]
    pub smtp_from: Option<String>,
}

impl SmtpArgs {
    /// The mail server's configuration, if one is given.
    pub fn config(&self) -> anyhow::Result<Option<crate::notify::SmtpConfig>> {
        match (&self.smtp_url, &self.smtp_from) {
            (Some(url), Some(from)) => Ok(Some(
                crate::notify::SmtpConfig::new(url, from).map_err(anyhow::Error::msg)?,
            )),
            _ => Ok(None),
        }
    }
}

/// Sign-in with the organisation's identity provider (OpenID Connect).
/// Register `<public-url>/api/v1/session/oidc/callback` as the redirect URI
/// and `<public-url>/` as the post-logout redirect URI there.
#[derive(Debug, Clone, Args)]
pub struct OidcArgs {
    /// The provider's issuer, exactly as in its tokens
    /// (`https://login.microsoftonline.com/<tenant>/v2.0`, `https://<org>.okta.com`).
    #[arg(long = "oidc-issuer", env = "MUSTER_OIDC_ISSUER", requires_all = ["client_id", "public_url"])]
    pub issuer: Option<String>,
    /// Muster's client id at the provider.
    #[arg(long = "oidc-client-id", env = "MUSTER_OIDC_CLIENT_ID", requires = "issuer")]
    pub client_id: Option<String>,
    /// Muster's client secret at the provider (prefer the file or the environment).
    #[arg(
        long = "oidc-client-secret",
        env = "MUSTER_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        requires = "issuer",
        conflicts_with = "client_secret_file"
    )]
    pub client_secret: Option<String>,
    /// A file holding the client secret.
    #[arg(
        long = "oidc-client-secret-file",
        env = "MUSTER_OIDC_CLIENT_SECRET_FILE",
        requires = "issuer"
    )]
    pub client_secret_file: Option<PathBuf>,
    /// The ID token claim that lists a person's groups or app roles (Entra:
    /// `groups` or `roles`; a dotted path reaches into objects).
    #[arg(
        long = "oidc-roles-claim",
        env = "MUSTER_OIDC_ROLES_CLAIM",
        default_value = "groups"
    )]
    pub roles_claim: String,
    /// Which groups give which of Muster's roles: `GROUP=ROLE,...`, roles
    /// among admin, ciso, manager, approver, viewer. A person whose groups
    /// give no role cannot sign in.
    #[arg(long = "oidc-role-map", env = "MUSTER_OIDC_ROLE_MAP", value_delimiter = ',')]
    pub role_map: Vec<crate::identity::roles::RoleMapping>,
    /// The scopes asked for, comma-separated (`openid` is always asked; Okta
    /// needs `groups` for a groups claim).
    #[arg(
        long = "oidc-scopes",
        env = "MUSTER_OIDC_SCOPES",
        value_delimiter = ',',
        default_value = "openid,email,profile"
    )]
    pub scopes: Vec<String>,
    /// The provider's name on the sign-in button ("Sign in with …").
    #[arg(
        long = "oidc-name",
        env = "MUSTER_OIDC_NAME",
        default_value = "your identity provider"
    )]
    pub name: String,
    /// Link a local account (never an admin's) to the person with its email
    /// at their first sign-in even when the provider does not say it verified
    /// the email (Entra does not): only where the provider owns the domain.
    #[arg(long = "oidc-link-local-accounts", env = "MUSTER_OIDC_LINK_LOCAL_ACCOUNTS")]
    pub link_local_accounts: bool,
    /// The address people open Muster at (`https://muster.example.com`).
    #[arg(long = "public-url", env = "MUSTER_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Who may still sign in with a local password: `all`, `admins`
    /// (break-glass) or `off`. Default: `all` without a provider, `admins` with one.
    #[arg(long = "local-passwords", env = "MUSTER_LOCAL_PASSWORDS", value_parser = parse_password_sign_in)]
    pub local_passwords: Option<model::api::PasswordSignIn>,
}

fn parse_password_sign_in(text: &str) -> Result<model::api::PasswordSignIn, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not one of all, admins, off"))
}

impl OidcArgs {
    /// The provider's configuration, if an issuer is given.
    pub fn config(&self) -> anyhow::Result<Option<crate::identity::oidc::OidcConfig>> {
        let Some(issuer) = &self.issuer else {
            return Ok(None);
        };
        let public_url = self
            .public_url
            .clone()
            .context("--oidc-issuer needs --public-url")?;
        anyhow::ensure!(
            matches!(public_url.scheme(), "https" | "http")
                && public_url.path() == "/"
                && public_url.query().is_none(),
            "--public-url must be an http(s) address with no path, like https://muster.example.com"
        );
        anyhow::ensure!(
            !self.role_map.is_empty(),
            "--oidc-issuer needs --oidc-role-map GROUP=ROLE,...: without it nobody could sign in"
        );
        let client_secret = match &self.client_secret_file {
            Some(file) => Some(
                std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read the client secret file {}", file.display()))?
                    .trim()
                    .to_owned(),
            ),
            None => self.client_secret.clone(),
        };
        Ok(Some(crate::identity::oidc::OidcConfig {
            issuer: issuer.clone(),
            client_id: self
                .client_id
                .clone()
                .context("--oidc-issuer needs --oidc-client-id")?,
            client_secret,
            roles_claim: self.roles_claim.clone(),
            role_map: crate::identity::roles::RoleMap(self.role_map.clone()),
            scopes: self.scopes.clone(),
            public_url,
            name: self.name.clone(),
            link_local_accounts: self.link_local_accounts,
        }))
    }

    /// Who may sign in with a password, given whether a provider is set.
    pub fn passwords(&self, with_provider: bool) -> anyhow::Result<model::api::PasswordSignIn> {
        use model::api::PasswordSignIn;
        let chosen = self.local_passwords.unwrap_or(if with_provider {
            PasswordSignIn::Admins
        } else {
            PasswordSignIn::All
        });
        anyhow::ensure!(
            with_provider || chosen == PasswordSignIn::All,
            "--local-passwords {chosen} needs an identity provider (--oidc-issuer): otherwise nobody could sign in"
        );
        Ok(chosen)
    }
}

/// Where revocations are sent (see `docs/revocation.md`).
#[derive(Debug, Clone, Args)]
pub struct WebhookArgs {
    /// The URL that the organisation's automation receives revocations at.
    /// Without one, operators move revocations on by hand.
    #[arg(long = "webhook-url", env = "MUSTER_WEBHOOK_URL")]
    pub url: Option<String>,
    /// The signing secret shared with the receiver, `whsec_...` (make one
    /// with `muster webhook secret`).
    #[arg(
        long = "webhook-secret",
        env = "MUSTER_WEBHOOK_SECRET",
        hide_env_values = true,
        requires = "url"
    )]
    pub secret: Option<String>,
    /// Seconds before the first retry of a failed delivery; each retry waits twice as long.
    #[arg(
        long = "webhook-retry-seconds",
        env = "MUSTER_WEBHOOK_RETRY_SECONDS",
        default_value_t = 30
    )]
    pub retry_seconds: u64,
    /// Attempts before a delivery, and its revocation, is marked failed.
    #[arg(
        long = "webhook-max-attempts",
        env = "MUSTER_WEBHOOK_MAX_ATTEMPTS",
        default_value_t = 10
    )]
    pub max_attempts: u32,
}

impl WebhookArgs {
    /// The webhook's configuration, if a URL is given (a secret is then required).
    pub fn config(&self) -> anyhow::Result<Option<WebhookConfig>> {
        let Some(url) = &self.url else {
            return Ok(None);
        };
        let secret = self.secret.as_deref().context(
            "--webhook-url needs --webhook-secret (or MUSTER_WEBHOOK_SECRET); make one with `muster webhook secret`",
        )?;
        let mut config = WebhookConfig::new(url, secret)?;
        config.retry_after = std::time::Duration::from_secs(self.retry_seconds.max(1));
        config.max_attempts = self.max_attempts.max(1);
        Ok(Some(config))
    }
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

/// `muster evidence --from --to --output`: the signed pack of a period.
async fn evidence(args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    let (Some(from), Some(to), Some(output)) = (&args.from, &args.to, &args.output) else {
        anyhow::bail!("give --from, --to and --output (or `muster evidence verify PACK`)");
    };
    let period = crate::evidence::Period::parse(from, to).map_err(|e| anyhow::anyhow!("{e}"))?;
    // A key made here would be one nobody published: the server's own is needed.
    if !args.approval_key_file.exists() {
        anyhow::bail!(
            "no signing key at {}: give the server's --approval-key-file (muster serve creates it)",
            args.approval_key_file.display()
        );
    }
    let key = crate::approval::DecisionKey::load_or_create(&args.approval_key_file)?;
    let db = Db::open(&args.database.database).await?;
    let actor = audit::Actor::System("muster evidence".into());
    let pack = crate::evidence::export(&db, &key, period, actor, None, chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(output, &pack).with_context(|| format!("writing {}", output.display()))?;
    println!(
        "Wrote {} ({} bytes), signed by key {}. Check it with: muster evidence verify {} --key {}",
        output.display(),
        pack.len(),
        key.kid,
        output.display(),
        hex::encode(key.public_key())
    );
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Exit 0: the pack verifies; 1: refused; 2: it or the key cannot be read.
fn evidence_verify(pack: &std::path::Path, key: Option<&str>) -> ExitCode {
    let trusted = match key {
        None => None,
        Some(given) => {
            let text = std::fs::read_to_string(given).unwrap_or_else(|_| given.to_owned());
            match crate::evidence::verify::parse_key(&text) {
                Ok(key) => Some(key),
                Err(why) => {
                    eprintln!("muster: --key: {why}");
                    return ExitCode::from(2);
                }
            }
        }
    };
    let bytes = match std::fs::read(pack) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("muster: cannot read {}: {error}", pack.display());
            return ExitCode::from(2);
        }
    };
    match crate::evidence::verify::verify(&bytes, trusted) {
        Ok(verified) => {
            println!(
                "Verified: {} files and {} audit entries of {} to {}, signed by key {}.",
                verified.files,
                verified.audit_entries,
                verified.period.from,
                verified.period.to,
                verified.key_id
            );
            println!(
                "The audit chain's head at the end of the period: #{} {}.",
                verified.end_head.0, verified.end_head.1
            );
            if !verified.key_trusted {
                println!(
                    "UNTRUSTED: checked against the key inside the pack ({}), which proves only that the pack \
                     is whole. Compare it with the key the organisation publishes at /api/v1/evidence/key, \
                     or give that key with --key.",
                    verified.public_key
                );
            }
            ExitCode::SUCCESS
        }
        Err(crate::evidence::verify::Refused::Unreadable(why)) => {
            eprintln!("muster: refused: not a readable evidence pack: {why}");
            ExitCode::from(2)
        }
        Err(refused) => {
            eprintln!("muster: refused: {refused}");
            ExitCode::from(1)
        }
    }
}

/// Exit 0: intact; 1: tampered with; 2: could not be checked.
async fn audit_verify(database: DatabaseArgs) -> ExitCode {
    let checked = match Db::open(&database.database).await {
        Ok(db) => audit::verify(&db).await.map_err(anyhow::Error::from),
        Err(error) => Err(error.into()),
    };
    match checked {
        Ok(verification) => {
            println!("{verification}");
            if verification.problem.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("muster: cannot verify the audit log: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let db = Db::open(&args.database.database).await?;
    let fingerprinter = args.key.fingerprinter()?;
    let scale = args.scale.scale();
    println!(
        "Generating the {:?} demo organisation (seed {}) into {}",
        args.scale,
        args.seed,
        args.database.database.redacted()
    );
    let summary = demo::generate(
        &db,
        scale,
        args.seed,
        demo_anchor(),
        &fingerprinter,
        |table, rows, elapsed| {
            println!("  {table:<16} {rows:>9} rows   {:>6.1} s", elapsed.as_secs_f64());
        },
    )
    .await?;
    let total: usize = summary.rows.iter().map(|(_, rows)| rows).sum();
    println!("Done: {total} rows.");
    db.close().await;
    Ok(())
}

/// The demo's dates count back from the start of today (UTC).
fn demo_anchor() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// `muster import`: prints what the import found and changed, or why it
/// failed (exit code 2 for a report that is not of its kind; a large import
/// that stopped part-way is finished by a running `muster serve`).
async fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let kind: model::api::ImportKind = args.kind.parse()?;
    let keys = args.key.fingerprinter()?;
    let db = Db::open(&args.database.database).await?;
    let request = crate::import::Request {
        kind,
        source: args.source,
        full: !args.partial,
        actor: crate::audit::Actor::System("muster import".into()),
        origin: crate::audit::Source::default(),
    };
    let mut files = Vec::new();
    for given in &args.files {
        let found = crate::import::files_under(given)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", given.display()))?;
        files.extend(found.into_iter().map(|path| crate::import::ReportFile {
            name: path.display().to_string(),
            path,
        }));
    }
    match crate::import::run(&db, &keys, &request, &files).await {
        Ok(s) if kind == model::api::ImportKind::Cloudtrail => {
            println!(
                "Imported {} events: {} recorded ({} seen before), {} of keys and roles not in the inventory{}; \
                 {} behaviour findings raised (import {}).",
                s.events,
                s.events_recorded,
                s.events - s.events_recorded - s.events_unmatched,
                s.events_unmatched,
                if s.unmatched_principals.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", s.unmatched_principals.join(", "))
                },
                s.behaviour_findings,
                s.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(s)
            if matches!(
                kind,
                model::api::ImportKind::AwsIam | model::api::ImportKind::AwsCredentialReport
            ) =>
        {
            println!(
                "Imported {} IAM users and roles: {} new credentials, {} changed, {} reach edges written (import {}).",
                s.principals, s.credentials_created, s.credentials_updated, s.reach_edges, s.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(s) if crate::import::platforms::is_platform(kind) => {
            println!(
                "Imported {} records of {}: {} grants and tokens ({} new credentials, {} changed, {} revoked at the \
                 source), {} agents ({} new), {} events recorded (import {}).",
                s.findings,
                crate::import::platforms::write::label(kind),
                s.grants,
                s.credentials_created,
                s.credentials_updated,
                s.grants_revoked,
                s.agents,
                s.agents_created,
                s.events_recorded,
                s.id
            );
            for note in &s.notes {
                println!("  note: {note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(s) if kind == model::api::ImportKind::Inventory => {
            println!(
                "Imported the inventory file: {} entities declared, {} new, {} changed; {} links and {} reach edges \
                 added (import {}).",
                s.entities_read, s.entities_created, s.entities_updated, s.links_created, s.reach_edges, s.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(s) => {
            println!(
                "Imported {} findings ({} redacted, skipped) of {} secrets from {}: {} new credentials, \
                 {} new copies, {} copies no longer found, {} revocations reopened (import {}).",
                s.findings,
                s.skipped,
                s.secrets,
                s.found_by,
                s.credentials_created,
                s.copies_created,
                s.copies_removed,
                s.revocations_reopened,
                s.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error @ crate::import::ImportError::Invalid { .. }) => {
            eprintln!("Nothing was imported: {error}");
            Ok(ExitCode::from(2))
        }
        Err(error) => Err(error.into()),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let webhook = args.webhook.config()?;
    let smtp = args.smtp.config()?;
    let oidc = args
        .oidc
        .config()?
        .map(crate::identity::oidc::Provider::new)
        .transpose()?;
    let passwords = args.oidc.passwords(oidc.is_some())?;
    let approval_key = crate::approval::DecisionKey::load_or_create(&args.approval_key_file)?;
    crate::import::prepare_spool(&args.spool)
        .with_context(|| format!("cannot empty the spool folder {}", args.spool.display()))?;
    let db = Db::open(&args.database.database).await?;
    tracing::info!(database = %args.database.database.redacted(), "database ready");
    if args.demo {
        if demo::is_empty(&db).await? {
            let fingerprinter = args.key.fingerprinter()?;
            let summary = demo::generate(
                &db,
                ScaleName::Small.scale(),
                1,
                demo_anchor(),
                &fingerprinter,
                |_, _, _| {},
            )
            .await?;
            tracing::info!(rows = ?summary.rows, "filled the empty database with the small demo organisation");
        } else {
            tracing::info!("the database already holds an inventory; --demo leaves it as it is");
        }
        let password = match args.demo_password.clone() {
            Some(password) => password,
            None => crate::auth::random_secret(),
        };
        crate::demo::create_accounts(&db, &password).await?;
        println!("Demo accounts (password {password}):");
        for role in model::api::Role::ALL {
            println!("  {role}@demo.test");
        }
    }
    if crate::db::risk::stored_version(&db).await?.as_deref() != Some(crate::risk::MODEL_VERSION) {
        // Replicas starting together on a new version: one of them rescores.
        // The period names the scores replaced too, so that going back to an
        // older version rescores again.
        let now = chrono::Utc::now();
        let replaced = crate::db::risk::stored_at(&db).await?.unwrap_or_default();
        let done = crate::schedule::run_once(
            &db,
            &crate::schedule::holder(),
            crate::schedule::MODEL_RECOMPUTE,
            &format!("{} over {replaced}", crate::risk::MODEL_VERSION),
            now,
            || crate::scoring::recompute(&db, now, "muster serve"),
        )
        .await?;
        if let Some(done) = done {
            tracing::info!(
                credentials = done.scores.credentials(),
                agents = done.scores.agents(),
                version = crate::risk::MODEL_VERSION,
                "scored the inventory with a new risk model"
            );
        }
    }
    if crate::db::coverage::rehome_if_never(&db).await? {
        tracing::info!("stored the team each agent and credential counts against for owner coverage");
    }
    let state = AppState::new(
        db.clone(),
        Settings {
            dist: args.dist,
            demo: args.demo,
            webhook,
            approval_key,
            clock: crate::clock::Clock::default(),
            fingerprinter: args.key.fingerprinter()?,
            spool: Some(args.spool),
            trusted_proxies: args.trusted_proxies,
            max_requests: Some(args.max_requests),
            body_idle_timeout: None,
            oidc,
            passwords,
            public_url: args.oidc.public_url.clone(),
            scim_group_teams: args.scim_group_teams,
            schedule: Some(crate::schedule::TICK),
            import_takeover: Some(std::time::Duration::from_secs(args.import_takeover_seconds)),
            notify: crate::notify::Config {
                // Without --public-url, links lead to the address Muster listens on.
                base: url::Url::parse(&format!("http://{}/", args.bind))?,
                smtp,
                ..crate::notify::Config::default()
            },
        },
    );
    if args.demo {
        let made = crate::approval::demo::seed(&state).await?;
        tracing::info!(made, "demo approval requests waiting for approvers");
    }
    state.spawn_workers();
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "listening");
    println!("Muster is running at http://{address}/  (Ctrl-C to stop)");
    crate::serve::run(
        listener,
        crate::app(state),
        crate::serve::Limits::default(),
        shutdown_signal(),
    )
    .await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c()
            .await
            .expect("the Ctrl-C handler installs");
    };
    #[cfg(unix)]
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("the SIGTERM handler installs")
            .recv()
            .await;
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
