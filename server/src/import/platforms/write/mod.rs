//! Joins what a platform's records said ([`Collected`]) to the inventory,
//! in the import's transaction: people by the handles the platform named,
//! grants and tokens as credentials with their scopes and reach, grants to
//! AI applications as SaaS agents, cloud agents with the role they act
//! through, activity on tokens, and (for a full import) grants no longer
//! listed as revoked at the source.

mod agents;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use model::api::{self as json, ImportKind, Permission};
use sqlx::AnyConnection;

use super::{Collected, Grant, Target};
use crate::catalogue::Catalogue;
use crate::db::endpoint;
use crate::db::platforms::{self as db, Described, GrantRow, Upserted};
use crate::fingerprint::Fingerprinter;
use crate::import::activity::Recorder;
use agents::{attach, record_cloud_agent, saas_agent};

pub use agents::promote;

/// The earliest time a grant's state is recorded at: an event that only
/// shows a grant was used says nothing of its state.
const FLOOR: DateTime<Utc> = DateTime::UNIX_EPOCH;

/// What a platform's import wrote: what to rescore.
#[derive(Debug, Default)]
pub struct Written {
    /// Credentials made or changed.
    pub credentials: HashSet<i64>,
    /// Agents made or changed.
    pub agents: HashSet<i64>,
}

/// The platform as the inventory names it, in words.
pub fn label(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::GoogleWorkspace => "Google Workspace",
        ImportKind::Entra => "Microsoft Entra",
        ImportKind::Okta => "Okta",
        ImportKind::Github => "GitHub",
        ImportKind::Bedrock => "Amazon Bedrock",
        ImportKind::Vertex => "Vertex AI",
        other => other.label(),
    }
}

/// The people an import names, found once each.
struct People<'a> {
    platform: &'a str,
    known: &'a BTreeMap<String, super::Identity>,
    found: HashMap<String, Option<(i64, String)>>,
}

impl People<'_> {
    /// The person a handle is, made if the platform named their email and
    /// the inventory does not know them.
    async fn of(
        &mut self,
        conn: &mut AnyConnection,
        handle: &str,
    ) -> Result<Option<(i64, String)>, sqlx::Error> {
        if let Some(found) = self.found.get(handle) {
            return Ok(found.clone());
        }
        let (email, name) = match self.known.get(handle) {
            Some(identity) => (Some(identity.email.clone()), identity.name.clone()),
            None => match db::identity(conn, self.platform, handle).await? {
                Some(email) => (Some(email), None),
                None if handle.contains('@') => (Some(handle.to_lowercase()), None),
                None => (None, None),
            },
        };
        let found = match email {
            Some(email) => {
                let (person, _) = db::person(conn, &email, name.as_deref()).await?;
                Some((person.id, person.name))
            }
            None => None,
        };
        self.found.insert(handle.to_owned(), found.clone());
        Ok(found)
    }
}

/// Records everything `collected` holds, in the import's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut AnyConnection,
    keys: &Fingerprinter,
    kind: ImportKind,
    found_by: &str,
    full: bool,
    import: i64,
    collected: &Collected,
    recorder: &mut Recorder,
    summary: &mut json::ImportSummary,
    now: DateTime<Utc>,
) -> Result<Written, sqlx::Error> {
    let platform = kind.as_str();
    let mut written = Written::default();
    for identity in collected.identities.values() {
        db::put_identity(conn, platform, &identity.handle, &identity.email).await?;
    }
    let mut people = People {
        platform,
        known: &collected.identities,
        found: HashMap::new(),
    };
    let catalogue = Catalogue::new(db::ai_apps(conn).await?);
    summary.findings = collected.records;
    summary.notes = collected.notes.clone();

    // Cloud agents first: a grant may belong to one (an Entra agent identity).
    let mut agents: HashMap<&str, i64> = HashMap::new();
    for agent in collected.agents.values() {
        let id = record_cloud_agent(
            conn,
            keys,
            kind,
            import,
            agent,
            &mut people,
            &mut written,
            summary,
            now,
        )
        .await?;
        agents.insert(agent.key.as_str(), id);
    }

    let organisation = collected.organisation.as_deref();
    // The audit log names each token by its id and GitHub's hash of it: a
    // token a scanner found first (known by that hash) becomes the token.
    let hashes: HashMap<&str, String> = collected
        .activity
        .iter()
        .filter_map(|a| match &a.target {
            Target::Token {
                id: Some(id),
                hashed: Some(hashed),
            } => Some((id.as_str(), keys.provider_hash(hashed))),
            _ => None,
        })
        .collect();
    let mut credentials: HashMap<(&str, &str), i64> = HashMap::new();
    // Resources by name, looked up once an import; credentials whose reach changed.
    let mut resources: HashMap<String, i64> = HashMap::new();
    let mut reach_changed: Vec<i64> = Vec::new();
    for grant in collected.grants.values() {
        summary.grants += 1;
        let consenter = match &grant.consented_by {
            Some(handle) => people.of(conn, handle).await?,
            None => None,
        };
        // An event says what the grant is only if it is newer than what the
        // platform said before (an old event read later changes nothing but
        // the last use); a listing always does.
        let stored = match grant.listed {
            true => None,
            false => db::grant_state_at(conn, grant.provider, &grant.external_id).await?,
        };
        let says = grant.listed || (grant.state_at > FLOOR && stored.is_none_or(|s| grant.state_at > s));
        let scopes = (says && (grant.listed || !grant.scopes.is_empty()))
            .then(|| grant.scopes.iter().cloned().collect::<Vec<_>>().join(" "));
        let upserted = db::upsert_credential(
            conn,
            &Described {
                provider: grant.provider,
                external_id: &grant.external_id,
                kind: grant.kind,
                name: &grant.name,
                scopes: scopes.clone(),
                third_party: grant
                    .third_party
                    .then(|| grant.app.name.as_deref().or(grant.app.client_id.as_deref()))
                    .flatten(),
                created_at: grant.created_at.unwrap_or(now),
                expires_at: grant.expires_at,
                last_used_at: grant.last_used_at,
                active: says.then_some(grant.active),
                owner: consenter.as_ref().map(|(id, _)| *id),
                fingerprint: keys.fingerprint(format!("{}:{}", grant.provider, grant.external_id).as_bytes()),
                provider_hash: hashes.get(grant.external_id.as_str()).map(String::as_str),
            },
        )
        .await?;
        count(summary, upserted, &mut written.credentials);
        if says && !grant.active && !matches!(upserted, Upserted::Unchanged(_)) {
            summary.grants_revoked += 1; // the platform said so (a revocation event, an expired token)
        }
        let credential = upserted.id();
        credentials.insert((grant.provider, grant.external_id.as_str()), credential);
        if (scopes.is_some() || (says && !grant.active))
            && reach(conn, upserted, grant, organisation, &mut resources).await?
        {
            written.credentials.insert(credential);
            reach_changed.push(credential);
        }
        // The agent: an Entra agent identity's own, else the catalogue's application.
        let agent = match grant.agent.as_deref().and_then(|key| agents.get(key)) {
            Some(agent) => Some(*agent),
            None => match catalogue.find(&grant.app) {
                Some(matched) => Some(
                    saas_agent(
                        conn,
                        kind,
                        import,
                        grant,
                        &matched,
                        consenter.as_ref(),
                        &mut written,
                        summary,
                        now,
                    )
                    .await?,
                ),
                None => None,
            },
        };
        if let Some(agent) = agent {
            attach(conn, agent, kind, grant.kind, credential).await?;
        }
        db::put_grant(
            conn,
            &GrantRow {
                credential,
                platform,
                found_by,
                family: grant.family,
                covered_by: &grant.covered_by,
                client_id: grant.app.client_id.as_deref().or(grant.app.github_app.as_deref()),
                app_name: grant.app.name.as_deref(),
                consent: grant.consent,
                consented_by: grant.consented_by.as_deref(),
                agent,
                import,
                listed: grant.listed,
                state_at: grant.state_at.max(FLOOR),
            },
            now,
        )
        .await?;
    }

    for chunk in reach_changed.chunks(1000) {
        crate::db::credentials::refresh_reach_environments(conn, &crate::db::sql::Scope::Ids(chunk)).await?;
    }

    // Activity on the grants and tokens, with baselines as for CloudTrail.
    let mut by_token: HashMap<String, Option<i64>> = HashMap::new();
    for activity in &collected.activity {
        let credential = match &activity.target {
            Target::Grant(provider, external_id) => match credentials.get(&(*provider, external_id.as_str()))
            {
                Some(id) => Some(*id),
                None => crate::db::declared::find_credential(conn, provider, external_id).await?,
            },
            Target::Token { id, hashed } => {
                let key = format!("{id:?}/{hashed:?}");
                match by_token.get(&key) {
                    Some(found) => *found,
                    None => {
                        let hashed = hashed.as_deref().map(|h| keys.provider_hash(h));
                        let found = token(conn, &credentials, id.as_deref(), hashed.as_deref()).await?;
                        by_token.insert(key, found);
                        found
                    }
                }
            }
        };
        let unmatched = match &activity.target {
            Target::Grant(_, external_id) => external_id.clone(),
            Target::Token { id: Some(id), .. } => id.clone(),
            Target::Token { hashed, .. } => format!("hashed_token {}", hashed.as_deref().unwrap_or_default()),
        };
        recorder
            .add_for(conn, credential, activity.event.clone(), &unmatched)
            .await?;
    }

    if full {
        for (family, covered_by) in &collected.listings {
            let gone = db::revoke_unseen(conn, found_by, family, covered_by, import).await?;
            summary.grants_revoked += gone.len() as i64;
            written.credentials.extend(gone);
        }
    }

    let (credentials, agents) = db::resolve_owners(conn, platform).await?;
    written.credentials.extend(credentials);
    written.agents.extend(agents);
    written.agents.extend(endpoint::apply_sanctions(conn).await?);
    Ok(written)
}

/// A token an audit event names: by its id, else by GitHub's hash of it
/// (a scanner's copy). An event naming both teaches the token its hash.
async fn token(
    conn: &mut AnyConnection,
    credentials: &HashMap<(&str, &str), i64>,
    id: Option<&str>,
    hashed: Option<&str>,
) -> Result<Option<i64>, sqlx::Error> {
    let by_id = match id {
        Some(id) => match credentials.get(&("github", id)) {
            Some(found) => Some(*found),
            None => crate::db::declared::find_credential(conn, "github", id).await?,
        },
        None => None,
    };
    match (by_id, hashed) {
        (Some(found), Some(hash)) => {
            db::learn_hash(conn, found, hash).await?;
            Ok(Some(found))
        }
        (Some(found), None) => Ok(Some(found)),
        (None, Some(hash)) => db::by_hash(conn, hash).await,
        (None, None) => Ok(None),
    }
}

fn count(summary: &mut json::ImportSummary, upserted: Upserted, touched: &mut HashSet<i64>) {
    match upserted {
        Upserted::Created(id) => {
            summary.credentials_created += 1;
            touched.insert(id);
        }
        Upserted::Updated(id) => {
            summary.credentials_updated += 1;
            touched.insert(id);
        }
        Upserted::Unchanged(_) => {}
    }
}

/// What a grant's scopes reach (the strongest permission per resource);
/// answers whether its reach changed. GitHub's resources are named after
/// the organisation when the records name it.
async fn reach(
    conn: &mut AnyConnection,
    credential: Upserted,
    grant: &Grant,
    organisation: Option<&str>,
    names: &mut HashMap<String, i64>,
) -> Result<bool, sqlx::Error> {
    let mut reached: BTreeMap<i64, Permission> = BTreeMap::new();
    for scope in &grant.scopes {
        let Some(found) = crate::scopes::reach(scope) else {
            continue;
        };
        let name = match (grant.provider, organisation) {
            ("github", Some(org)) => format!("{} ({org})", found.resource),
            _ => found.resource.to_owned(),
        };
        let id = match names.get(&name) {
            Some(id) => *id,
            None => {
                let id = db::resource(conn, &name, grant.provider, found.kind, found.sensitivity).await?;
                names.insert(name, id);
                id
            }
        };
        let permission = reached.entry(id).or_insert(found.permission);
        *permission = (*permission).max(found.permission);
    }
    // A revoked grant reaches nothing any more.
    if !grant.active {
        reached.clear();
    }
    match credential {
        // A credential made just now reaches nothing yet.
        Upserted::Created(id) => db::add_reach(conn, id, &reached).await,
        known => db::set_reach(conn, known.id(), &reached).await,
    }
}
