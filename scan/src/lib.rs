//! Muster's endpoint collector (`muster scan`): finds, for one user of one
//! machine, the AI coding clients and the MCP servers wired into them, the
//! projects that declare an agent framework, and the secrets all of these
//! can use (MCP configurations, credential files, `.env` files).
//!
//! It runs on a laptop: no database, no server code. It reads files only,
//! never follows a symbolic link into a folder (so no loop), reads no file
//! over [`Limits::file_bytes`], visits at most [`Limits::entries`] folder
//! entries and stops at [`Limits::time`]; what it passes over is listed in
//! the report with the reason. A secret's value stays in memory
//! ([`secrets::Value`]) and is never written, printed or sent: the report
//! carries its kind, provider, hint and places, and its scan fingerprint
//! once [`oprf`] has had the server evaluate it blind.
#![forbid(unsafe_code)]

pub mod clients;
mod files;
mod mcp;
pub mod oprf;
mod projects;
pub mod secrets;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use model::api::AgentCategory;
use model::scan::{self, Agent, Place, Reference, Report, Secret, Skipped, Tool};
use secrets::{Classified, Value};

/// The operating system whose layout a home follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Os {
    /// Linux (and other Unix-likes: XDG folders).
    Linux,
    /// macOS (`~/Library/Application Support`).
    Macos,
    /// Windows (`%APPDATA%`, that is `~/AppData/Roaming`).
    Windows,
}

impl Os {
    /// The system this collector was built for.
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            Os::Macos
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }

    /// Its name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Macos => "macos",
            Os::Windows => "windows",
        }
    }
}

impl std::str::FromStr for Os {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "linux" => Ok(Os::Linux),
            "macos" => Ok(Os::Macos),
            "windows" => Ok(Os::Windows),
            other => Err(format!(
                "unknown system {other:?}; expected linux, macos or windows"
            )),
        }
    }
}

/// Bounds on what one scan reads.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest file read; a larger one is skipped (a 200 MB `.env`).
    pub file_bytes: u64,
    /// Folder entries visited while looking for projects and `.env` files.
    pub entries: usize,
    /// How deep below the home projects are looked for.
    pub depth: usize,
    /// Projects read at most.
    pub projects: usize,
    /// The whole scan's time.
    pub time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            file_bytes: 1024 * 1024,
            entries: 500_000,
            depth: 6,
            projects: 1000,
            time: Duration::from_secs(120),
        }
    }
}

/// What to scan.
#[derive(Debug, Clone)]
pub struct Options {
    /// The user's home.
    pub home: PathBuf,
    /// Project folders named on the command line.
    pub projects: Vec<PathBuf>,
    /// Whether to look for more projects (folders with `.git`) under the home.
    pub discover: bool,
    /// The layout of the home.
    pub os: Os,
    /// The host name for the report.
    pub host: String,
    /// The user name for the report.
    pub user: String,
    /// Bounds.
    pub limits: Limits,
}

/// A finished scan: the report, and the secrets' values in the report's
/// order, in memory only, for fingerprinting.
pub struct Scan {
    /// The report (without fingerprints until [`Scan::set_fingerprints`]).
    pub report: Report,
    values: Vec<Value>,
}

impl std::fmt::Debug for Scan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scan")
            .field("report", &self.report)
            .field("values", &self.values.len())
            .finish()
    }
}

impl Scan {
    /// The secrets' values, in the order of `report.secrets`.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Writes each secret's scan fingerprint into the report.
    pub fn set_fingerprints(&mut self, fingerprints: Vec<String>) {
        for (secret, fingerprint) in self.report.secrets.iter_mut().zip(fingerprints) {
            secret.fingerprint = Some(fingerprint);
        }
    }
}

/// Scans a home and its projects.
pub fn scan(options: &Options) -> Scan {
    let mut c = Collector::new(options);
    let git_email = files::git_email(&mut c, &options.home.join(".gitconfig"))
        .or_else(|| files::git_email(&mut c, &files::xdg_git_config(&options.home)));
    for client in clients::CLIENTS {
        for file in client.files {
            if file.base == clients::Base::Project
                || !(file.only.is_empty() || file.only.contains(&options.os))
            {
                continue;
            }
            let base = clients::base_dir(file.base, options.os).unwrap_or("");
            let path = options.home.join(base).join(file.path);
            mcp::read_config(&mut c, client, file, &path);
        }
    }
    files::credential_files(&mut c);
    projects::scan_projects(&mut c);
    c.finish(git_email)
}

/// The state of one scan.
pub(crate) struct Collector<'a> {
    pub(crate) options: &'a Options,
    started: Instant,
    secrets: Vec<Secret>,
    values: Vec<Value>,
    by_value: HashMap<Value, usize>,
    agents: Vec<Agent>,
    agent_index: HashMap<String, usize>,
    references: Vec<Reference>,
    skipped: Vec<Skipped>,
    /// Secrets any coding agent of the user can read: credential files, and
    /// `.env` files of projects that are not agents themselves.
    pub(crate) shell_secrets: Vec<usize>,
    pub(crate) entries: usize,
    pub(crate) complete: bool,
}

impl<'a> Collector<'a> {
    fn new(options: &'a Options) -> Self {
        Self {
            options,
            started: Instant::now(),
            secrets: Vec::new(),
            values: Vec::new(),
            by_value: HashMap::new(),
            agents: Vec::new(),
            agent_index: HashMap::new(),
            references: Vec::new(),
            skipped: Vec::new(),
            shell_secrets: Vec::new(),
            entries: 0,
            complete: true,
        }
    }

    /// A path as the report names it: `~/…` under the home, `/` as separator.
    pub(crate) fn display(&self, path: &Path) -> String {
        match path.strip_prefix(&self.options.home) {
            Ok(rest) if rest.as_os_str().is_empty() => "~".to_owned(),
            Ok(rest) => format!("~/{}", rest.to_string_lossy().replace('\\', "/")),
            Err(_) => path.to_string_lossy().replace('\\', "/"),
        }
    }

    /// Records that `path` was passed over, and why.
    pub(crate) fn skip(&mut self, path: &Path, reason: impl Into<String>) {
        if self.skipped.len() < 1000 {
            self.skipped.push(Skipped {
                path: self.display(path),
                reason: reason.into(),
            });
        }
    }

    /// Whether the scan's time is up (then it is no longer complete).
    pub(crate) fn out_of_time(&mut self) -> bool {
        if self.started.elapsed() > self.options.limits.time {
            if self.complete {
                self.complete = false;
                let home = self.options.home.clone();
                let seconds = self.options.limits.time.as_secs();
                self.skip(
                    &home,
                    format!("the scan's time limit ({seconds} s) was reached: the rest was not read"),
                );
            }
            return true;
        }
        false
    }

    /// The text of a file, or `None` if it is not there (silently) or cannot
    /// be read (recorded): over the size limit, not UTF-8, unreadable.
    pub(crate) fn read_text(&mut self, path: &Path) -> Option<String> {
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                self.skip(path, format!("cannot read it: {e}"));
                return None;
            }
        };
        if !meta.is_file() {
            return None;
        }
        let limit = self.options.limits.file_bytes;
        if meta.len() > limit {
            self.skip(
                path,
                format!("larger than {} KiB ({} bytes)", limit / 1024, meta.len()),
            );
            return None;
        }
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Some(text),
                Err(_) => {
                    self.skip(path, "not UTF-8 text");
                    None
                }
            },
            Err(e) => {
                self.skip(path, format!("cannot read it: {e}"));
                None
            }
        }
    }

    /// Records a value found at `locator` under `name`: a reference if it is
    /// a placeholder, else a secret (one per distinct value, with every
    /// place). Answers the secret's index.
    pub(crate) fn value(
        &mut self,
        name: &str,
        value: &str,
        kind: model::api::CopyKind,
        locator: String,
        classified: Option<Classified>,
    ) -> Option<usize> {
        if let Some(placeholder) = secrets::placeholder(value) {
            if !value.trim().is_empty() {
                self.references.push(Reference { locator, placeholder });
            }
            return None;
        }
        let bare = value
            .trim()
            .strip_prefix("Bearer ")
            .or_else(|| value.trim().strip_prefix("bearer "))
            .or_else(|| value.trim().strip_prefix("token "))
            .unwrap_or(value.trim());
        if bare.chars().count() < 6 || bare.len() > 16 * 1024 {
            return None;
        }
        let secret = Value(bare.to_owned());
        let place = Place { kind, locator };
        if let Some(&index) = self.by_value.get(&secret) {
            let places = &mut self.secrets[index].places;
            if !places.contains(&place) {
                places.push(place);
            }
            return Some(index);
        }
        let classified = classified.unwrap_or_else(|| secrets::classify(name, bare));
        let index = self.secrets.len();
        self.secrets.push(Secret {
            kind: classified.kind,
            provider: classified.provider,
            external_id: classified.external_id,
            hint: secrets::hint(bare),
            fingerprint: None,
            provider_hash: secrets::provider_hash(bare),
            places: vec![place],
        });
        self.values.push(secret.clone());
        self.by_value.insert(secret, index);
        Some(index)
    }

    /// Records a value that is a secret itself, or a URL whose password is
    /// one (a connection string, a git credential): then the password is
    /// the secret, named by its prefix or by the URL.
    pub(crate) fn secret_or_password(
        &mut self,
        name: &str,
        value: &str,
        kind: model::api::CopyKind,
        locator: String,
    ) -> Option<usize> {
        match secrets::url_password(value) {
            Some(url) => {
                let password = String::from_utf8_lossy(url.password.expose()).into_owned();
                self.value(name, &password, kind, locator, Some(url.classified()))
            }
            None => self.value(name, value, kind, locator, None),
        }
    }

    /// Records a reference to a secret kept elsewhere by name (Codex's
    /// `bearer_token_env_var`, Goose's `env_keys`).
    pub(crate) fn reference(&mut self, locator: String, placeholder: String) {
        self.references.push(Reference { locator, placeholder });
    }

    /// The agent of `key` (a client id, or a project), made on first use.
    pub(crate) fn agent(&mut self, key: &str, make: impl FnOnce() -> Agent) -> &mut Agent {
        let index = match self.agent_index.get(key) {
            Some(&index) => index,
            None => {
                self.agents.push(make());
                self.agent_index.insert(key.to_owned(), self.agents.len() - 1);
                self.agents.len() - 1
            }
        };
        &mut self.agents[index]
    }

    /// A coding client's agent, made on first use.
    pub(crate) fn client_agent(&mut self, client: &clients::Client) -> &mut Agent {
        self.agent(client.id, || Agent {
            client: client.id.to_owned(),
            product: client.product.to_owned(),
            category: AgentCategory::CodingEndpoint,
            project: None,
            git_email: None,
            config_files: Vec::new(),
            tools: Vec::new(),
        })
    }

    fn finish(mut self, git_email: Option<String>) -> Scan {
        // Every coding agent can read what the user can: its shell is a tool
        // that authenticates with the credential files and loose `.env`s.
        let mut shell = self.shell_secrets.clone();
        shell.sort_unstable();
        shell.dedup();
        if !shell.is_empty() {
            for agent in self
                .agents
                .iter_mut()
                .filter(|a| a.category == AgentCategory::CodingEndpoint)
            {
                agent.tools.push(Tool {
                    name: format!("{} shell and files", agent.product),
                    transport: "builtin".into(),
                    command: None,
                    package: None,
                    image: None,
                    url_host: None,
                    config_file: "~".into(),
                    secrets: shell.clone(),
                });
            }
        }
        let report = Report {
            format: scan::FORMAT.to_owned(),
            version: scan::VERSION,
            scanned_at: Utc::now(),
            scanner: format!("muster scan {}", env!("CARGO_PKG_VERSION")),
            full: self.complete,
            host: scan::Host {
                name: self.options.host.clone(),
                os: self.options.os.as_str().to_owned(),
                user: self.options.user.clone(),
                git_email,
            },
            agents: self.agents,
            secrets: self.secrets,
            references: self.references,
            skipped: self.skipped,
        };
        Scan {
            report,
            values: self.values,
        }
    }
}
