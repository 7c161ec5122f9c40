//! The inventory file: what a team declares of itself, for what no scanner
//! or report sees (self-hosted agents, their tools, which credential each
//! tool uses, who owns them). YAML or JSON (JSON is YAML), one document,
//! documented in `docs/imports.md`; `version: 1`.
//!
//! Everything is found by its natural key (a team or a resource by name, a
//! person by email, an agent or a tool by name, a credential by provider
//! and external id) and created or brought up to date. The file adds and
//! updates; it never deletes. A reference to something neither in the
//! inventory nor in the file refuses the whole file, naming where.

use std::io::Read;

use chrono::{DateTime, Utc};
use model::api::{
    AgentCategory, CredentialKind, Environment, Permission, ResourceKind, Sensitivity, ToolKind,
};
use serde::Deserialize;

use super::scanners::{ParseError, scrub};
use crate::db::declared as declared_db;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryFile {
    /// The format's version: 1.
    pub version: u32,
    /// Teams, parents before or after their children.
    #[serde(default)]
    pub teams: Vec<Team>,
    /// People.
    #[serde(default)]
    pub people: Vec<Person>,
    /// Resources.
    #[serde(default)]
    pub resources: Vec<Resource>,
    /// Credentials no scanner sees, with their facts (never their secret).
    #[serde(default)]
    pub credentials: Vec<Credential>,
    /// Agents, with their tools.
    #[serde(default)]
    pub agents: Vec<Agent>,
}

/// A team.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Its name (unique).
    pub name: String,
    /// The team it belongs to.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    /// Their email (unique).
    pub email: String,
    /// Their name.
    pub name: String,
    /// Their team.
    #[serde(default)]
    pub team: Option<String>,
}

/// A resource.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// Its name (an ARN, a bucket, a repository).
    pub name: String,
    /// Its provider.
    pub provider: String,
    /// Its kind.
    pub kind: ResourceKind,
    /// Its environment.
    pub environment: Environment,
    /// Its sensitivity.
    pub sensitivity: Sensitivity,
    /// The team that owns it.
    #[serde(default)]
    pub team: Option<String>,
}

/// A credential, by provider and external id.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Its provider.
    pub provider: String,
    /// The provider's id for it (key id, client id, ARN): never the secret.
    pub external_id: String,
    /// Its kind (when it is created).
    #[serde(default)]
    pub kind: Option<CredentialKind>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its owner's email.
    #[serde(default)]
    pub owner: Option<String>,
    /// What it grants.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// When it expires.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// What it reaches.
    #[serde(default)]
    pub reaches: Vec<Reach>,
}

/// A resource a credential reaches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    /// The resource's name.
    pub resource: String,
    /// With which permission.
    pub permission: Permission,
}

/// An agent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Its name.
    pub name: String,
    /// Its category.
    pub category: AgentCategory,
    /// What it runs on (LangChain, Bedrock...).
    pub platform: String,
    /// Its environment.
    pub environment: Environment,
    /// Whether the organisation sanctioned it (default true: declared means known).
    #[serde(default = "yes")]
    pub sanctioned: bool,
    /// Its owner's email.
    #[serde(default)]
    pub owner: Option<String>,
    /// Who deployed it (email).
    #[serde(default)]
    pub deployed_by: Option<String>,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// Its tools.
    #[serde(default)]
    pub tools: Vec<Tool>,
}

fn yes() -> bool {
    true
}

/// A tool, and the credentials it authenticates with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ToolKind,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// The credentials it uses, by provider and external id.
    #[serde(default)]
    pub credentials: Vec<CredentialRef>,
}

/// A credential named by provider and external id.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialRef {
    /// Its provider.
    pub provider: String,
    /// Its external id.
    pub external_id: String,
}

/// How many times its own size a YAML file's aliases may add to it (at
/// least 1 MiB): anchors save repetition, an alias bomb multiplies memory.
pub const MAX_ALIAS_EXPANSION: usize = 10;

/// Counts what a YAML document's aliases add when they are expanded: each
/// alias adds the size of the node it names (its scalars' bytes and one per
/// node), nodes holding aliases count them in their own size.
#[derive(Debug, Default)]
struct Expansion {
    /// The size of each anchored node, by anchor id.
    sizes: std::collections::HashMap<usize, usize>,
    /// The nodes open now: anchor id and size so far.
    open: Vec<(usize, usize)>,
    /// What aliases added so far.
    added: usize,
}

impl Expansion {
    fn add(&mut self, size: usize) {
        if let Some((_, open)) = self.open.last_mut() {
            *open = open.saturating_add(size);
        }
    }
}

impl yaml_rust2::parser::MarkedEventReceiver for Expansion {
    fn on_event(&mut self, event: yaml_rust2::Event, _: yaml_rust2::scanner::Marker) {
        use yaml_rust2::Event;
        match event {
            Event::Scalar(value, _, anchor, _) => {
                let size = value.len() + 1;
                if anchor > 0 {
                    self.sizes.insert(anchor, size);
                }
                self.add(size);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => self.open.push((anchor, 1)),
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, size)) = self.open.pop() {
                    if anchor > 0 {
                        self.sizes.insert(anchor, size);
                    }
                    self.add(size);
                }
            }
            Event::Alias(anchor) => {
                let size = self.sizes.get(&anchor).copied().unwrap_or(1);
                self.added = self.added.saturating_add(size);
                self.add(size);
            }
            _ => {}
        }
    }
}

/// Refuses a YAML document whose aliases would expand it past
/// [`MAX_ALIAS_EXPANSION`] times its size, before it is deserialised (which
/// would copy each alias's node). A document the scan cannot read is left
/// to the deserialiser, which says where it is wrong.
fn check_aliases(text: &str) -> Result<(), ParseError> {
    let limit = text.len().saturating_mul(MAX_ALIAS_EXPANSION).max(1024 * 1024);
    let mut expansion = Expansion::default();
    let _ = yaml_rust2::parser::Parser::new_from_str(text).load(&mut expansion, true);
    if expansion.added > limit {
        return Err(ParseError(format!(
            "its aliases expand to more than {} MiB ({MAX_ALIAS_EXPANSION} times the file): refused as a possible \
             alias bomb",
            limit.div_ceil(1024 * 1024)
        )));
    }
    Ok(())
}

/// Reads and checks an inventory file (YAML or JSON); a value of the wrong
/// type or an unknown field is refused with its line and column.
pub fn read(mut reader: impl Read) -> Result<InventoryFile, ParseError> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .map_err(|e| ParseError(format!("cannot read it: {e}")))?;
    check_aliases(&text)?;
    let file: InventoryFile = serde_norway::from_str(&text).map_err(|e| ParseError(scrub(&e.to_string())))?;
    if file.version != 1 {
        return Err(ParseError(format!(
            "version {} is not one this Muster reads: write version: 1",
            file.version
        )));
    }
    let blank = |what: String, text: &str| {
        if text.trim().is_empty() {
            Err(ParseError(format!("{what} is empty")))
        } else {
            Ok(())
        }
    };
    for (i, team) in file.teams.iter().enumerate() {
        blank(format!("teams[{i}].name"), &team.name)?;
    }
    for (i, person) in file.people.iter().enumerate() {
        if !person.email.contains('@') {
            return Err(ParseError(format!(
                "people[{i}].email {:?} is not an email",
                person.email
            )));
        }
        blank(format!("people[{i}].name"), &person.name)?;
    }
    for (i, resource) in file.resources.iter().enumerate() {
        blank(format!("resources[{i}].name"), &resource.name)?;
    }
    for (i, credential) in file.credentials.iter().enumerate() {
        blank(format!("credentials[{i}].external_id"), &credential.external_id)?;
    }
    for (i, agent) in file.agents.iter().enumerate() {
        blank(format!("agents[{i}].name"), &agent.name)?;
        for (j, tool) in agent.tools.iter().enumerate() {
            blank(format!("agents[{i}].tools[{j}].name"), &tool.name)?;
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_are_read_and_mistakes_named() {
        let yaml = "version: 1\nagents:\n  - name: a\n    category: self_hosted\n    platform: LangChain\n    environment: prod\n";
        let file = read(yaml.as_bytes()).unwrap();
        assert!(file.agents[0].sanctioned, "declared means sanctioned unless said");
        let json = r#"{"version": 1, "people": [{"email": "a@b.c", "name": "A"}]}"#;
        assert_eq!(read(json.as_bytes()).unwrap().people[0].email, "a@b.c");
        let wrong =
            "version: 1\nagents:\n  - name: a\n    category: robot\n    platform: x\n    environment: prod\n";
        let error = read(wrong.as_bytes()).unwrap_err().0;
        assert!(
            error.contains("unknown variant `robot`") && error.contains("line 4"),
            "{error}"
        );
        let unknown = read("version: 1\nagnets: []\n".as_bytes()).unwrap_err().0;
        assert!(unknown.contains("unknown field `agnets`"), "{unknown}");
        let version = read("version: 2\n".as_bytes()).unwrap_err().0;
        assert!(version.contains("version 2"), "{version}");
    }
}

/// Why a declared file could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// It names something neither the inventory nor the file has.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// What recording a file touched: credentials and agents to rescore.
#[derive(Debug, Default)]
pub struct Touched {
    /// Credentials.
    pub credentials: Vec<i64>,
    /// Agents.
    pub agents: Vec<i64>,
}

fn tally(summary: &mut model::api::ImportSummary, outcome: declared_db::Outcome) -> i64 {
    summary.entities_read += 1;
    match outcome {
        declared_db::Outcome::Created(_) => summary.entities_created += 1,
        declared_db::Outcome::Updated(_) => summary.entities_updated += 1,
        declared_db::Outcome::Unchanged(_) => {}
    }
    outcome.id()
}

/// The id of a named entity: in the inventory already (or just written).
async fn must_find(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    key: &str,
    value: &str,
    where_: String,
) -> Result<i64, RecordError> {
    declared_db::find(conn, table, key, value).await?.ok_or_else(|| {
        RecordError::Invalid(format!(
            "{where_}: no {table} {value:?} in the inventory or the file"
        ))
    })
}

/// Records a checked file, in order: teams, people, resources, credentials, agents with their tools.
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    keys: &crate::fingerprint::Fingerprinter,
    file: &InventoryFile,
    summary: &mut model::api::ImportSummary,
    now: DateTime<Utc>,
) -> Result<Touched, RecordError> {
    use crate::db::sql::Value;
    let mut touched = Touched::default();

    // Teams first by name, then their parents (which may come later in the file).
    let mut teams = Vec::with_capacity(file.teams.len());
    for team in &file.teams {
        teams.push(declared_db::upsert(conn, "team", ("name", team.name.trim()), vec![], vec![]).await?);
    }
    for (i, (team, outcome)) in file.teams.iter().zip(teams).enumerate() {
        let parent = match &team.parent {
            Some(name) => {
                let parent = must_find(conn, "team", "name", name, format!("teams[{i}].parent")).await?;
                // A team under itself, or under one of its own sub-teams, would loop the hierarchy.
                if declared_db::in_subtree(conn, outcome.id(), parent).await? {
                    return Err(RecordError::Invalid(format!(
                        "teams[{i}].parent: {name:?} is {:?} itself or one of its sub-teams; a team cannot be \
                         its own ancestor",
                        team.name.trim()
                    )));
                }
                Some(parent)
            }
            None => None,
        };
        let moved =
            declared_db::update_differing(conn, "team", outcome.id(), &[("parent_id", parent.into())])
                .await?;
        tally(
            summary,
            match outcome {
                declared_db::Outcome::Unchanged(id) if moved => declared_db::Outcome::Updated(id),
                other => other,
            },
        );
    }
    for (i, person) in file.people.iter().enumerate() {
        let team = match &person.team {
            Some(team) => Some(must_find(conn, "team", "name", team, format!("people[{i}].team")).await?),
            None => None,
        };
        let email = person.email.trim().to_lowercase();
        let outcome = declared_db::upsert(
            conn,
            "person",
            ("email", &email),
            vec![("name", person.name.trim().into()), ("team_id", team.into())],
            vec![("status", "active".into())],
        )
        .await?;
        if matches!(outcome, declared_db::Outcome::Updated(_)) {
            // A new team moves what they own in the coverage figures.
            let (credentials, agents) = declared_db::owned_by(conn, outcome.id()).await?;
            touched.credentials.extend(credentials);
            touched.agents.extend(agents);
        }
        tally(summary, outcome);
    }
    for (i, resource) in file.resources.iter().enumerate() {
        let team = match &resource.team {
            Some(team) => Some(must_find(conn, "team", "name", team, format!("resources[{i}].team")).await?),
            None => None,
        };
        let outcome = declared_db::upsert(
            conn,
            "resource",
            ("name", resource.name.trim()),
            vec![
                ("provider", resource.provider.trim().into()),
                ("kind", resource.kind.as_str().into()),
                ("environment", resource.environment.as_str().into()),
                ("sensitivity", resource.sensitivity.as_str().into()),
                ("owner_team_id", team.into()),
            ],
            vec![],
        )
        .await?;
        tally(summary, outcome);
    }
    let person = async |conn: &mut sqlx::AnyConnection, email: &Option<String>, where_: String| match email {
        Some(email) => {
            let email = email.trim().to_lowercase();
            must_find(conn, "person", "email", &email, where_).await.map(Some)
        }
        None => Ok(None),
    };
    for (i, credential) in file.credentials.iter().enumerate() {
        let owner = person(conn, &credential.owner, format!("credentials[{i}].owner")).await?;
        let external_id = credential.external_id.trim();
        let mut columns: Vec<(&str, Value)> = Vec::new();
        if let Some(name) = &credential.name {
            columns.push(("name", name.trim().into()));
        }
        if credential.owner.is_some() {
            columns.push(("owner_id", owner.into()));
        }
        if let Some(scopes) = &credential.scopes {
            columns.push(("scopes", scopes.join(" ").into()));
        }
        if credential.expires_at.is_some() {
            columns.push(("expires_at", declared_db::time(credential.expires_at)));
        }
        let known = declared_db::find_credential(conn, &credential.provider, external_id).await?;
        let outcome = match known {
            Some(id) if declared_db::update_differing(conn, "credential", id, &columns).await? => {
                declared_db::Outcome::Updated(id)
            }
            Some(id) => declared_db::Outcome::Unchanged(id),
            None => {
                let Some(kind) = credential.kind else {
                    return Err(RecordError::Invalid(format!(
                        "credentials[{i}]: {}:{external_id} is not in the inventory; give its kind to declare it",
                        credential.provider
                    )));
                };
                if credential.name.is_none() {
                    columns.push(("name", format!("{} {external_id}", credential.provider).into()));
                }
                columns.extend([
                    ("provider", credential.provider.trim().into()),
                    ("external_id", external_id.into()),
                    ("kind", kind.as_str().into()),
                    ("created_at", crate::db::sql::timestamp(now).into()),
                    ("status", "active".into()),
                    // A declared credential has no secret here: it is fingerprinted by its identifier.
                    ("fingerprint", keys.fingerprint(external_id.as_bytes()).into()),
                ]);
                declared_db::Outcome::Created(declared_db::insert(conn, "credential", &columns).await?)
            }
        };
        let id = tally(summary, outcome);
        let mut reach_changed = false;
        for (j, reach) in credential.reaches.iter().enumerate() {
            let resource = must_find(
                conn,
                "resource",
                "name",
                reach.resource.trim(),
                format!("credentials[{i}].reaches[{j}]"),
            )
            .await?;
            reach_changed |= declared_db::reach(conn, id, resource, reach.permission.as_str()).await?;
        }
        if reach_changed {
            crate::db::credentials::refresh_reach_environments(conn, &crate::db::sql::Scope::Ids(&[id]))
                .await?;
            summary.reach_edges += credential.reaches.len() as i64;
        }
        touched.credentials.push(id);
    }
    for (i, agent) in file.agents.iter().enumerate() {
        let owner = person(conn, &agent.owner, format!("agents[{i}].owner")).await?;
        let deployer = person(conn, &agent.deployed_by, format!("agents[{i}].deployed_by")).await?;
        let mut columns: Vec<(&str, Value)> = vec![
            ("category", agent.category.as_str().into()),
            ("platform", agent.platform.trim().into()),
            ("environment", agent.environment.as_str().into()),
            ("sanctioned", Value::Int(i64::from(agent.sanctioned))),
        ];
        if agent.owner.is_some() {
            columns.push(("owner_id", owner.into()));
        }
        if agent.deployed_by.is_some() {
            columns.push(("deployed_by_id", deployer.into()));
        }
        if let Some(description) = &agent.description {
            columns.push(("description", description.trim().into()));
        }
        let outcome = declared_db::upsert(
            conn,
            "agent",
            ("name", agent.name.trim()),
            columns,
            vec![("first_seen", crate::db::sql::timestamp(now).into())],
        )
        .await?;
        let agent_id = tally(summary, outcome);
        touched.agents.push(agent_id);
        for (j, tool) in agent.tools.iter().enumerate() {
            let mut columns: Vec<(&str, Value)> = vec![("kind", tool.kind.as_str().into())];
            if let Some(description) = &tool.description {
                columns.push(("description", description.trim().into()));
            }
            let outcome =
                declared_db::upsert(conn, "tool", ("name", tool.name.trim()), columns, vec![]).await?;
            let tool_id = tally(summary, outcome);
            if declared_db::link(conn, "agent_tool", ("agent_id", "tool_id"), (agent_id, tool_id)).await? {
                summary.links_created += 1;
            }
            for (k, used) in tool.credentials.iter().enumerate() {
                let credential = declared_db::find_credential(conn, &used.provider, used.external_id.trim())
                    .await?
                    .ok_or_else(|| {
                        RecordError::Invalid(format!(
                            "agents[{i}].tools[{j}].credentials[{k}]: no credential {}:{} in the inventory or the \
                             file (declare it under credentials, with its kind)",
                            used.provider, used.external_id
                        ))
                    })?;
                if declared_db::link(
                    conn,
                    "tool_credential",
                    ("tool_id", "credential_id"),
                    (tool_id, credential),
                )
                .await?
                {
                    summary.links_created += 1;
                }
                touched.credentials.push(credential);
            }
        }
    }
    Ok(touched)
}
