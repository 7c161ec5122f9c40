//! SaaS and cloud discovery: the platforms' own records of the agents that
//! act in them, read into the lineage graph. OAuth grants (Google
//! Workspace, Entra, Okta), GitHub tokens and app installations become
//! credentials with their scopes and reach; a grant to an application of the
//! catalogue of AI applications ([`crate::catalogue`]) becomes a SaaS agent whose
//! deployer and owner is the person who consented; Bedrock, AgentCore and
//! Vertex agents and Entra agent identities become cloud agents that act
//! through their role or service account ("the role is the agency").
//!
//! Each platform's answers are read as the platform returns them, page by
//! page ([`google`], [`entra`], [`okta`], [`github`], [`cloud`]), into one
//! [`Collected`] set, which [`write::record`] joins to the inventory in the
//! import's transaction. Pages are read whole (a page is at most a few
//! thousand records); a page of the wrong kind, or a record of the wrong
//! shape, refuses the import, naming the file and the record. Secrets the
//! APIs can return (`secretText`, `client_secret`) are in no record Muster
//! reads a page into: they are dropped with the page and kept nowhere.

pub mod cloud;
pub mod entra;
pub mod github;
pub mod google;
pub mod okta;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use chrono::{DateTime, Utc};
use model::api::{Consent, CredentialKind, Environment, ImportKind, ToolKind};
use serde::de::DeserializeOwned;

pub use crate::catalogue::App;

use super::cloudtrail::Event;
use super::scanners::ParseError;

/// The largest file of pages read (unpacked): platforms page their answers
/// in hundreds or thousands of records, a few megabytes at most. A file is
/// read whole and each page becomes a JSON tree (several times its size in
/// memory), so this bounds what one file can cost.
pub const MAX_PAGE: u64 = 64 * 1024 * 1024;
/// The most records one import reads (pages are read before they are
/// joined, so that an import's memory grows with them).
pub const MAX_RECORDS: i64 = 2_000_000;

/// A person as a platform names them (a user id, a login, an email), and
/// who that is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The platform's handle.
    pub handle: String,
    /// Their email (lower case).
    pub email: String,
    /// Their name, when the platform gives it.
    pub name: Option<String>,
}

/// A grant or token a platform's records name: it becomes a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Which listing named it (a full import revokes what a listing it read
    /// would have named and did not).
    pub family: &'static str,
    /// What that listing covered (a Google user's tokens.list), else ''.
    pub covered_by: String,
    /// The credential's provider (`google`, `microsoft`, `okta`, `github`).
    pub provider: &'static str,
    /// The provider's identifier of the grant (never a secret).
    pub external_id: String,
    /// Its kind.
    pub kind: CredentialKind,
    /// Its name, in words.
    pub name: String,
    /// The application holding it, if it is an application's grant.
    pub app: App,
    /// Its scopes.
    pub scopes: BTreeSet<String>,
    /// How it was consented to.
    pub consent: Consent,
    /// Who consented or owns it (a platform handle).
    pub consented_by: Option<String>,
    /// When it was made.
    pub created_at: Option<DateTime<Utc>>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Whether it is active.
    pub active: bool,
    /// When the platform said so (a listing: the import's time), so that the
    /// latest word on a grant wins.
    pub state_at: DateTime<Utc>,
    /// Whether a listing named it (a platform's list of what is granted now),
    /// rather than only an event (an authorisation, a revocation, a use):
    /// only a listing's scopes are the truth of the grant.
    pub listed: bool,
    /// Whether an application outside the organisation holds it.
    pub third_party: bool,
    /// The agent it belongs to, when the platform says (an Entra agent identity's key).
    pub agent: Option<String>,
}

impl Grant {
    /// A grant a listing named at `now`: active, of no application, with no
    /// scopes, dates, consenter or agent yet (the parsers add what their
    /// records say).
    pub fn new(
        family: &'static str,
        provider: &'static str,
        external_id: impl Into<String>,
        kind: CredentialKind,
        name: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Grant {
            family,
            covered_by: String::new(),
            provider,
            external_id: external_id.into(),
            kind,
            name: name.into(),
            app: App::default(),
            scopes: BTreeSet::new(),
            consent: Consent::User,
            consented_by: None,
            created_at: None,
            expires_at: None,
            last_used_at: None,
            active: true,
            state_at: now,
            listed: true,
            third_party: false,
            agent: None,
        }
    }

    /// Takes in what another record said of the same grant: scopes add up,
    /// dates widen, and the latest word on its state wins.
    fn merge(&mut self, other: Grant) {
        match (self.listed, other.listed) {
            // A listing's scopes are the grant's; an event's add to an event's.
            (false, true) => {
                self.scopes = other.scopes;
                self.name = other.name;
                self.app = other.app;
            }
            (true, false) => {}
            _ => self.scopes.extend(other.scopes),
        }
        self.listed |= other.listed;
        self.created_at = min_time(self.created_at, other.created_at);
        self.last_used_at = self.last_used_at.max(other.last_used_at);
        self.expires_at = self.expires_at.max(other.expires_at);
        if other.state_at > self.state_at {
            self.active = other.active;
            self.state_at = other.state_at;
        } else if other.state_at == self.state_at {
            // Two pages of the same moment (a user's grants over two pages):
            // active if either says so.
            self.active |= other.active;
        }
        self.consented_by = self.consented_by.take().or(other.consented_by);
        self.agent = self.agent.take().or(other.agent);
        // A listing's word on what covers the grant stands over an event's.
        if !other.covered_by.is_empty() {
            self.family = other.family;
            self.covered_by = other.covered_by;
        }
    }
}

fn min_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The credential a cloud agent acts through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `aws` or `gcp`.
    pub provider: &'static str,
    /// An IAM role's ARN, a service account's email.
    pub external_id: String,
    /// Its name.
    pub name: String,
}

/// An agent a cloud platform runs (or an Entra agent identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudAgent {
    /// The platform's key of it, found again by the next import.
    pub key: String,
    /// Its ARN or resource name.
    pub identifier: String,
    /// Its name.
    pub name: String,
    /// The platform, as the inventory shows it (`Amazon Bedrock`).
    pub platform: &'static str,
    /// What it is for.
    pub description: String,
    /// When it was made.
    pub created_at: Option<DateTime<Utc>>,
    /// Its environment, as far as its records tell.
    pub environment: Environment,
    /// The role or service account it acts through.
    pub role: Option<Role>,
    /// Its tools (action groups, a runtime's protocol).
    pub tools: Vec<(String, ToolKind)>,
    /// Who sponsors or deployed it (platform handles): the first is its owner.
    pub sponsors: Vec<String>,
}

/// What a token or grant's activity event is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A grant of this import or an earlier one, by provider and external id.
    Grant(&'static str, String),
    /// A GitHub token, by its id and GitHub's hash of it.
    Token {
        /// `token_id`.
        id: Option<String>,
        /// `hashed_token`.
        hashed: Option<String>,
    },
}

/// An activity event and what it was on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The grant or token that acted.
    pub target: Target,
    /// The event, as the behaviour baselines take it.
    pub event: Event,
}

/// Everything an import's files said, merged.
#[derive(Debug, Default)]
pub struct Collected {
    /// Who the platform's handles are.
    pub identities: BTreeMap<String, Identity>,
    /// Grants and tokens, by provider and external id.
    pub grants: BTreeMap<(&'static str, String), Grant>,
    /// Cloud agents, by key.
    pub agents: BTreeMap<String, CloudAgent>,
    /// Activity on grants and tokens.
    pub activity: Vec<Activity>,
    /// The listings read in full (family, covered by): what a full import may revoke.
    pub listings: BTreeSet<(&'static str, String)>,
    /// Things named but not imported, in words.
    pub notes: Vec<String>,
    /// Records read.
    pub records: i64,
    /// The organisation a GitHub import is of, if the records name it.
    pub organisation: Option<String>,
    /// Entra's pages, joined once all are read.
    pub entra: entra::Directory,
    /// Okta's app labels, to name grants read before their apps.
    pub okta: okta::Apps,
}

impl Collected {
    /// Adds a grant, merging it with what another record said of it.
    pub fn grant(&mut self, grant: Grant) {
        let key = (grant.provider, grant.external_id.clone());
        match self.grants.get_mut(&key) {
            Some(known) => known.merge(grant),
            None => {
                self.grants.insert(key, grant);
            }
        }
    }

    /// Adds who a handle is.
    pub fn identity(&mut self, handle: &str, email: &str, name: Option<String>) {
        let email = email.trim().to_lowercase();
        if handle.is_empty() || handle.len() > 512 || !is_email(&email) {
            return;
        }
        let name = name.map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        });
        let name = name.filter(|n| !n.trim().is_empty());
        // A page that names the email only keeps the name another page gave.
        let name = name.or_else(|| self.identities.get(handle).and_then(|known| known.name.clone()));
        self.identities.insert(
            handle.to_owned(),
            Identity {
                handle: handle.to_owned(),
                email,
                name,
            },
        );
    }

    /// Notes something named but left out (the first few are kept).
    pub fn note(&mut self, note: String) {
        if self.notes.len() < 10 {
            self.notes.push(note);
        }
    }
}

/// One file to read: its name (for messages and, for per-user pages, the
/// user it covers) and its contents.
pub struct Page<'a> {
    /// The name given (a path, an upload's file name).
    pub name: &'a str,
    /// What the person importing said it covers (`--source`), if anything.
    pub context: Option<&'a str>,
}

impl Page<'_> {
    /// The email this page is about: its file name's (`tokens/alice@acme.test.json`),
    /// else the import's source, when either is an email.
    pub fn email(&self) -> Option<String> {
        let name = self.name.rsplit(['/', '\\']).next().unwrap_or(self.name);
        let stem = name.strip_suffix(".gz").unwrap_or(name);
        let stem = stem.strip_suffix(".json").unwrap_or(stem);
        [Some(stem), self.context]
            .into_iter()
            .flatten()
            .map(str::trim)
            .find(|s| is_email(s))
            .map(str::to_lowercase)
    }
}

/// Whether `text` is an email address as platforms write them: one `@`, a
/// local part, a domain with a dot, nothing that is not printable ASCII or
/// belongs in a path.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && text.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && text.chars().all(|c| {
            c.is_ascii_graphic() && !matches!(c, '@' | '/' | '\\' | '"' | '<' | '>' | ',' | ';') || c == '@'
        })
        && !domain.contains('@')
}

/// Reads one page of `kind` into `collected`.
pub fn read_page(
    kind: ImportKind,
    reader: impl Read,
    page: &Page<'_>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    let mut text = Vec::new();
    reader
        .take(MAX_PAGE + 1)
        .read_to_end(&mut text)
        .map_err(|e| ParseError(format!("cannot read it: {e}")))?;
    if text.len() as u64 > MAX_PAGE {
        return Err(ParseError(format!(
            "a page may have at most {} MiB: export it in smaller pages",
            MAX_PAGE / 1024 / 1024
        )));
    }
    // One page, or several one after the other (`gh api --paginate` and
    // `az rest` loops write each page's JSON in turn): each is read.
    let mut read = 0;
    for (n, document) in serde_json::Deserializer::from_slice(&text)
        .into_iter::<serde_json::Value>()
        .enumerate()
    {
        let document = document.map_err(|e| match n {
            0 => ParseError(format!("not JSON: {e}")),
            _ => ParseError(format!("page {}: not JSON: {e}", n + 1)),
        })?;
        read_document(kind, document, page, collected, now).map_err(|e| match n {
            0 => e,
            _ => ParseError(format!("page {}: {}", n + 1, e.0)),
        })?;
        read += 1;
        if collected.records > MAX_RECORDS {
            return Err(ParseError(format!(
                "an import may read at most {MAX_RECORDS} records: import the rest in another"
            )));
        }
    }
    if read == 0 {
        return Err(ParseError(
            "it is empty: expected the platform's JSON answer".into(),
        ));
    }
    Ok(())
}

fn read_document(
    kind: ImportKind,
    document: serde_json::Value,
    page: &Page<'_>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    match kind {
        ImportKind::GoogleWorkspace => google::read(document, page, collected, now),
        ImportKind::Entra => entra::read(document, page, collected, now),
        ImportKind::Okta => okta::read(document, page, collected, now),
        ImportKind::Github => github::read(document, page, collected, now),
        ImportKind::Bedrock => cloud::read_bedrock(document, collected),
        ImportKind::Vertex => cloud::read_vertex(document, collected),
        other => Err(ParseError(format!(
            "{} is not a platform's import",
            other.as_str()
        ))),
    }
}

/// Joins what needs every page of the import (Entra's grants to their
/// applications, Okta's grants to their apps' labels).
pub fn finish(kind: ImportKind, collected: &mut Collected, now: DateTime<Utc>) -> Result<(), ParseError> {
    match kind {
        ImportKind::Entra => entra::finish(collected, now)?,
        ImportKind::Okta => okta::finish(collected),
        ImportKind::GoogleWorkspace => google::finish(collected),
        _ => {}
    }
    collected.check()
}

/// The longest identifier kept (an id, a client id, an ARN, a scope).
const MAX_ID: usize = 512;
/// The longest name kept (longer ones are cut).
const MAX_NAME: usize = 300;
/// The most scopes a grant may hold.
const MAX_SCOPES: usize = 1000;

/// `text` cut to `max` characters.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

impl Collected {
    /// Refuses identifiers longer than any platform writes (each is kept and
    /// indexed), and cuts names and notes to a readable length.
    fn check(&mut self) -> Result<(), ParseError> {
        let too_long = |what: &str, value: &str| {
            ParseError(format!(
                "{what} {:?} has more than {MAX_ID} characters: no platform writes such ids",
                cut(value, 40)
            ))
        };
        for grant in self.grants.values_mut() {
            if grant.external_id.chars().count() > MAX_ID {
                return Err(too_long("grant", &grant.external_id));
            }
            if grant.scopes.len() > MAX_SCOPES {
                return Err(ParseError(format!(
                    "grant {:?} holds {} scopes, more than {MAX_SCOPES}",
                    cut(&grant.external_id, 40),
                    grant.scopes.len()
                )));
            }
            if let Some(scope) = grant.scopes.iter().find(|s| s.chars().count() > MAX_ID) {
                return Err(too_long("scope", scope));
            }
            for id in [&grant.app.client_id, &grant.app.github_app, &grant.consented_by]
                .into_iter()
                .flatten()
            {
                if id.chars().count() > MAX_ID {
                    return Err(too_long("identifier", id));
                }
            }
            grant.name = cut(&grant.name, MAX_NAME);
            grant.app.name = grant.app.name.as_deref().map(|n| cut(n, MAX_NAME));
            grant.app.publisher = grant.app.publisher.as_deref().map(|n| cut(n, MAX_NAME));
        }
        for agent in self.agents.values_mut() {
            for id in [&agent.key, &agent.identifier] {
                if id.chars().count() > MAX_ID {
                    return Err(too_long("agent", id));
                }
            }
            if let Some(role) = &agent.role
                && role.external_id.chars().count() > MAX_ID
            {
                return Err(too_long("role", &role.external_id));
            }
            agent.name = cut(&agent.name, MAX_NAME);
            agent.description = cut(&agent.description, 2000);
            for (tool, _) in &mut agent.tools {
                *tool = cut(tool, MAX_NAME);
            }
        }
        for activity in &mut self.activity {
            let event = &mut activity.event;
            if event.event_id.chars().count() > MAX_ID {
                return Err(too_long("event", &event.event_id));
            }
            event.action = cut(&event.action, MAX_NAME);
            event.resource = event.resource.as_deref().map(|r| cut(r, MAX_ID));
            event.user_agent = event.user_agent.as_deref().map(|u| cut(u, 1000));
            event.source_address = event.source_address.as_deref().map(|a| cut(a, 100));
        }
        for note in &mut self.notes {
            *note = cut(note, MAX_NAME);
        }
        Ok(())
    }
}

/// Whether `kind` is read by this module.
pub fn is_platform(kind: ImportKind) -> bool {
    matches!(
        kind,
        ImportKind::GoogleWorkspace
            | ImportKind::Entra
            | ImportKind::Okta
            | ImportKind::Github
            | ImportKind::Bedrock
            | ImportKind::Vertex
    )
}

/// Reads the records of a list (`items[3]`), each as a `T`, naming the
/// record that is not one.
pub fn records<T: DeserializeOwned>(
    list: Vec<serde_json::Value>,
    what: &str,
) -> Result<Vec<(usize, T)>, ParseError> {
    list.into_iter()
        .enumerate()
        .map(|(n, value)| {
            serde_json::from_value(value)
                .map(|record| (n, record))
                .map_err(|e| ParseError(format!("{what}[{n}]: {e}")))
        })
        .collect()
}

/// The array under `field` of a page's envelope, or a message saying the
/// page is not what it should be.
pub fn list_field(
    document: &mut serde_json::Value,
    field: &str,
    what: &str,
) -> Result<Vec<serde_json::Value>, ParseError> {
    match document.get_mut(field).map(serde_json::Value::take) {
        Some(serde_json::Value::Array(items)) => Ok(items),
        Some(serde_json::Value::Null) | None => Err(ParseError(format!(
            "a {what} page has a `{field}` list, and this one has none"
        ))),
        Some(_) => Err(ParseError(format!("`{field}` is not a list"))),
    }
}

/// A time as the platforms write it: RFC 3339, with `Z` or an offset, with
/// or without fractions.
pub fn time(value: &str, what: &str) -> Result<DateTime<Utc>, ParseError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ParseError(format!("{what}: {value:?} is not an RFC 3339 time")))
}

/// An optional time (`null` or absent: unknown).
pub fn opt_time(value: Option<&str>, what: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
    value.filter(|v| !v.is_empty()).map(|v| time(v, what)).transpose()
}

/// A JSON id that a platform writes as a number or as a string.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// A number (`12345`).
    Number(u64),
    /// A string (`"12345"`, `"AGENT123"`).
    Text(String),
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Number(n) => write!(f, "{n}"),
            Id::Text(t) => f.write_str(t),
        }
    }
}

#[cfg(test)]
mod tests;
