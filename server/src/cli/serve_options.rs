//! The options of `muster serve`: where it listens, sign-in with the
//! identity provider, the webhook and email for notifications.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::webhook::WebhookConfig;

use super::{DatabaseArgs, KeyArgs};

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
