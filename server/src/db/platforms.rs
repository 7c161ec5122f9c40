//! Queries of SaaS and cloud discovery (`import::platforms`): who a
//! platform's handles are, the platform's side of the grants and agents it
//! named, full imports' revocations at the source, and the admins' entries
//! in the catalogue of AI applications.

use chrono::{DateTime, Utc};
use model::api::{self as json, Consent, CredentialKind, Environment, ImportKind};
use sqlx::AnyConnection;

use super::Db;
use super::sql::{Value, timestamp};

/// Records who a platform's handle is.
pub async fn put_identity(
    conn: &mut AnyConnection,
    platform: &str,
    handle: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO platform_identity (platform, handle, email) VALUES ($1, $2, $3) \
         ON CONFLICT (platform, handle) DO UPDATE SET email = excluded.email \
         WHERE platform_identity.email <> excluded.email",
    )
    .bind(platform)
    .bind(handle)
    .bind(email)
    .execute(conn)
    .await?;
    Ok(())
}

/// The email a platform's handle is, if an import said.
pub async fn identity(
    conn: &mut AnyConnection,
    platform: &str,
    handle: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM platform_identity WHERE platform = $1 AND handle = $2")
        .bind(platform)
        .bind(handle)
        .fetch_optional(conn)
        .await
}

/// A person of the inventory, by email.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    /// Their id.
    pub id: i64,
    /// Their name.
    pub name: String,
}

/// The person with this email (lower case), made if the inventory does not
/// know them yet: the platform vouches that they are a user of the organisation.
pub async fn person(
    conn: &mut AnyConnection,
    email: &str,
    name: Option<&str>,
) -> Result<(PersonRow, bool), sqlx::Error> {
    let found: Option<PersonRow> =
        sqlx::query_as("SELECT id, name FROM person WHERE lower(email) = $1 ORDER BY id LIMIT 1")
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(mut found) = found {
        // Only a placeholder name (the email itself, as an import that knew
        // the email only made them) takes the name a page gives: a person the
        // inventory names is never renamed by a page. The import's audit
        // entry records the import.
        if let Some(name) = name.filter(|n| found.name == email && *n != email) {
            sqlx::query("UPDATE person SET name = $1 WHERE id = $2 AND name = $3")
                .bind(name)
                .bind(found.id)
                .bind(email)
                .execute(&mut *conn)
                .await?;
            found.name = name.to_owned();
        }
        return Ok((found, false));
    }
    let name = name.unwrap_or(email).to_owned();
    let id =
        sqlx::query_scalar("INSERT INTO person (name, email, status) VALUES ($1, $2, 'active') RETURNING id")
            .bind(&name)
            .bind(email)
            .fetch_one(conn)
            .await?;
    Ok((PersonRow { id, name }, true))
}

/// A credential as a platform describes it.
#[derive(Debug, Clone)]
pub struct Described<'a> {
    /// Its provider.
    pub provider: &'a str,
    /// The provider's identifier.
    pub external_id: &'a str,
    /// Its kind.
    pub kind: CredentialKind,
    /// Its name.
    pub name: &'a str,
    /// Its scopes, space-separated, when the platform says what they are now
    /// (`None`: as they are).
    pub scopes: Option<String>,
    /// The outside application holding it.
    pub third_party: Option<&'a str>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (moves forward only).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Active or revoked, when the platform says what it is now (`None`: as it is).
    pub active: Option<bool>,
    /// Its owner, when the inventory knows them (set only where none is).
    pub owner: Option<i64>,
    /// Its keyed fingerprint, when it is created (of its identifier).
    pub fingerprint: String,
    /// The provider's public hash of the token.
    pub provider_hash: Option<&'a str>,
}

/// What an upsert did (the same outcome as the inventory file's: made, changed, or as it was).
pub use super::declared::Outcome as Upserted;

/// Finds the credential by provider and identifier (or, for a token a
/// scanner found first, by the provider's hash of it) and brings it up to
/// date, or creates it. The platform's word on its state stands over an
/// earlier import's, but a credential Muster revoked stays revoked.
pub async fn upsert_credential(conn: &mut AnyConnection, d: &Described<'_>) -> Result<Upserted, sqlx::Error> {
    let mut known: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM credential WHERE provider = $1 AND external_id = $2 ORDER BY id LIMIT 1",
    )
    .bind(d.provider)
    .bind(d.external_id)
    .fetch_optional(&mut *conn)
    .await?;
    let mut adopted = false;
    if known.is_none()
        && let Some(hash) = d.provider_hash
    {
        // A scanner's copy of the same token: it becomes this credential.
        known = sqlx::query_scalar(
            "SELECT id FROM credential WHERE provider_hash = $1 AND provider = 'github' ORDER BY id LIMIT 1",
        )
        .bind(hash)
        .fetch_optional(&mut *conn)
        .await?;
        adopted = known.is_some();
        if let Some(id) = known {
            // Named and kinded as the platform knows it; its copies stay its own.
            sqlx::query(
                "UPDATE credential SET provider = $1, external_id = $2, name = $3, kind = $4 WHERE id = $5",
            )
            .bind(d.provider)
            .bind(d.external_id)
            .bind(d.name)
            .bind(d.kind.as_str())
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    let status = d.active.map(|active| if active { "active" } else { "revoked" });
    let Some(id) = known else {
        let id = sqlx::query_scalar(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, third_party, created_at, expires_at, \
             last_used_at, status, owner_id, fingerprint, provider_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(d.name)
        .bind(d.kind.as_str())
        .bind(d.provider)
        .bind(d.external_id)
        .bind(d.scopes.clone().unwrap_or_default())
        .bind(d.third_party)
        .bind(timestamp(d.created_at))
        .bind(d.expires_at.map(timestamp))
        .bind(d.last_used_at.map(timestamp))
        .bind(status.unwrap_or("active"))
        .bind(d.owner)
        .bind(&d.fingerprint)
        .bind(d.provider_hash)
        .fetch_one(conn)
        .await?;
        return Ok(Upserted::Created(id));
    };
    // Each column changes only when the platform says something new, so that
    // the same records again change nothing. A credential Muster revoked (a
    // revocation asked for) is not made active again by the platform still
    // listing it; the platform saying it is revoked is always recorded.
    let status_moves = "$4 IS NOT NULL AND status IN ('active', 'disabled', 'revoked') AND status <> $4 \
         AND NOT (status = 'revoked' AND EXISTS (SELECT 1 FROM revocation r WHERE r.credential_id = credential.id))";
    let changed = sqlx::query(&format!(
        "UPDATE credential SET \
           scopes = COALESCE($1, scopes), \
           expires_at = COALESCE($2, expires_at), \
           last_used_at = CASE WHEN $3 IS NOT NULL AND (last_used_at IS NULL OR last_used_at < $3) \
             THEN $3 ELSE last_used_at END, \
           status = CASE WHEN {status_moves} THEN $4 ELSE status END, \
           owner_id = COALESCE(owner_id, $5), \
           provider_hash = COALESCE(provider_hash, $6), \
           third_party = COALESCE($8, third_party) \
         WHERE id = $7 AND ( ($1 IS NOT NULL AND scopes <> $1) \
           OR ($2 IS NOT NULL AND (expires_at IS NULL OR expires_at <> $2)) \
           OR ($3 IS NOT NULL AND (last_used_at IS NULL OR last_used_at < $3)) \
           OR ({status_moves}) \
           OR ($5 IS NOT NULL AND owner_id IS NULL) \
           OR ($6 IS NOT NULL AND provider_hash IS NULL) \
           OR ($8 IS NOT NULL AND (third_party IS NULL OR third_party <> $8)))"
    ))
    .bind(d.scopes.clone())
    .bind(d.expires_at.map(timestamp))
    .bind(d.last_used_at.map(timestamp))
    .bind(status)
    .bind(d.owner)
    .bind(d.provider_hash)
    .bind(id)
    .bind(d.third_party)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(if changed > 0 || adopted {
        Upserted::Updated(id)
    } else {
        Upserted::Unchanged(id)
    })
}

/// The platform's side of a grant.
#[derive(Debug, Clone)]
pub struct GrantRow<'a> {
    /// The credential.
    pub credential: i64,
    /// The platform (the import's kind).
    pub platform: &'a str,
    /// `<kind>[:<source>]`.
    pub found_by: &'a str,
    /// The listing that named it.
    pub family: &'a str,
    /// What the listing covered.
    pub covered_by: &'a str,
    /// The application's client id or slug.
    pub client_id: Option<&'a str>,
    /// The application's name.
    pub app_name: Option<&'a str>,
    /// How it was consented.
    pub consent: Consent,
    /// Who consented (a handle).
    pub consented_by: Option<&'a str>,
    /// The agent it was made into.
    pub agent: Option<i64>,
    /// The import.
    pub import: i64,
    /// Whether a listing named it (else only an event did).
    pub listed: bool,
    /// When the platform said what it is.
    pub state_at: DateTime<Utc>,
}

/// Writes the platform's side of a grant seen by import `row.import`. Only
/// a listing says what covers the grant and that it is present now: an
/// event (an authorisation, a use) leaves those as the last listing said,
/// and does not count as this import having listed it (a full import
/// whose listing omits it revokes it).
pub async fn put_grant(
    conn: &mut AnyConnection,
    row: &GrantRow<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO platform_grant (credential_id, platform, found_by, family, covered_by, client_id, app_name, \
         consent, consented_by, agent_id, present, import_id, seen_at, state_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, CASE WHEN $13 = 1 THEN $11 ELSE 0 END, $12, $14) \
         ON CONFLICT (credential_id) DO UPDATE SET platform = excluded.platform, found_by = excluded.found_by, \
         family = CASE WHEN $13 = 1 THEN excluded.family ELSE platform_grant.family END, \
         covered_by = CASE WHEN $13 = 1 THEN excluded.covered_by ELSE platform_grant.covered_by END, \
         client_id = excluded.client_id, app_name = COALESCE(excluded.app_name, platform_grant.app_name), \
         consent = excluded.consent, consented_by = excluded.consented_by, \
         agent_id = COALESCE(excluded.agent_id, platform_grant.agent_id), \
         present = CASE WHEN $13 = 1 THEN 1 ELSE platform_grant.present END, \
         import_id = CASE WHEN $13 = 1 THEN excluded.import_id ELSE platform_grant.import_id END, \
         seen_at = excluded.seen_at, \
         state_at = CASE WHEN excluded.state_at > platform_grant.state_at THEN excluded.state_at \
           ELSE platform_grant.state_at END",
    )
    .bind(row.credential)
    .bind(row.platform)
    .bind(row.found_by)
    .bind(row.family)
    .bind(row.covered_by)
    .bind(row.client_id)
    .bind(row.app_name)
    .bind(row.consent.as_str())
    .bind(row.consented_by)
    .bind(row.agent)
    .bind(row.import)
    .bind(timestamp(now))
    .bind(i64::from(row.listed))
    .bind(timestamp(row.state_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// When the platform last said what a grant is, if an import recorded it.
pub async fn grant_state_at(
    conn: &mut AnyConnection,
    provider: &str,
    external_id: &str,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT g.state_at FROM platform_grant g JOIN credential c ON c.id = g.credential_id \
         WHERE c.provider = $1 AND c.external_id = $2",
    )
    .bind(provider)
    .bind(external_id)
    .fetch_optional(conn)
    .await?;
    text.map(|t| super::sql::parse_time("state_at", &t)).transpose()
}

/// Marks revoked at the source the grants a listing covered that import
/// `import` did not see; answers their credentials.
pub async fn revoke_unseen(
    conn: &mut AnyConnection,
    found_by: &str,
    family: &str,
    covered_by: &str,
    import: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let gone: Vec<i64> = sqlx::query_scalar(
        "UPDATE platform_grant SET present = 0 WHERE found_by = $1 AND family = $2 AND covered_by = $3 \
         AND import_id <> $4 AND present = 1 RETURNING credential_id",
    )
    .bind(found_by)
    .bind(family)
    .bind(covered_by)
    .bind(import)
    .fetch_all(&mut *conn)
    .await?;
    // Revoked at the source: it opens nothing any more.
    for chunk in gone.chunks(500) {
        let mut params = super::sql::Params::default();
        let list: Vec<String> = chunk.iter().map(|id| params.bind(*id)).collect();
        let list = list.join(", ");
        sqlx::query_with(
            &format!("UPDATE credential SET status = 'revoked' WHERE id IN ({list}) AND status IN ('active', 'disabled')"),
            params.args(),
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query_with(
            &format!("DELETE FROM reach WHERE credential_id IN ({list})"),
            params.args(),
        )
        .execute(&mut *conn)
        .await?;
    }
    super::credentials::refresh_reach_environments(conn, &super::sql::Scope::Ids(&gone)).await?;
    Ok(gone)
}

/// A resource by name, made (in production, as sensitive as `sensitivity`)
/// if the inventory has none of that name.
pub async fn resource(
    conn: &mut AnyConnection,
    name: &str,
    provider: &str,
    kind: json::ResourceKind,
    sensitivity: json::Sensitivity,
) -> Result<i64, sqlx::Error> {
    if let Some(id) = sqlx::query_scalar("SELECT id FROM resource WHERE name = $1 ORDER BY id LIMIT 1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
    {
        return Ok(id);
    }
    sqlx::query_scalar(
        "INSERT INTO resource (name, provider, kind, environment, sensitivity) VALUES ($1, $2, $3, 'prod', $4) RETURNING id",
    )
    .bind(name)
    .bind(provider)
    .bind(kind.as_str())
    .bind(sensitivity.as_str())
    .fetch_one(conn)
    .await
}

/// Replaces what a credential reaches; answers whether anything changed.
/// The caller refreshes its `reach_environments`.
pub async fn set_reach(
    conn: &mut AnyConnection,
    credential: i64,
    reach: &std::collections::BTreeMap<i64, json::Permission>,
) -> Result<bool, sqlx::Error> {
    let mut changed = false;
    let known: Vec<i64> = sqlx::query_scalar("SELECT resource_id FROM reach WHERE credential_id = $1")
        .bind(credential)
        .fetch_all(&mut *conn)
        .await?;
    for resource in known.iter().filter(|r| !reach.contains_key(r)) {
        sqlx::query("DELETE FROM reach WHERE credential_id = $1 AND resource_id = $2")
            .bind(credential)
            .bind(resource)
            .execute(&mut *conn)
            .await?;
        changed = true;
    }
    changed |= add_reach(conn, credential, reach).await?;
    Ok(changed)
}

/// Adds what a credential reaches (one that reached nothing: a new one);
/// answers whether anything was added. The caller refreshes its
/// `reach_environments`, for many credentials at once.
pub async fn add_reach(
    conn: &mut AnyConnection,
    credential: i64,
    reach: &std::collections::BTreeMap<i64, json::Permission>,
) -> Result<bool, sqlx::Error> {
    let mut changed = false;
    for (resource, permission) in reach {
        changed |= super::declared::reach(conn, credential, *resource, permission.as_str()).await?;
    }
    Ok(changed)
}

/// An agent as a platform describes it.
#[derive(Debug, Clone)]
pub struct AgentRow<'a> {
    /// The platform's key of it.
    pub source_key: &'a str,
    /// The platform (the import's kind).
    pub platform: &'a str,
    /// The platform's identifier.
    pub identifier: &'a str,
    /// Its name.
    pub name: &'a str,
    /// `saas` or `cloud`.
    pub category: json::AgentCategory,
    /// The platform it runs on, as the inventory shows it.
    pub runs_on: &'a str,
    /// Its environment.
    pub environment: Environment,
    /// What it is for.
    pub description: &'a str,
    /// Its owner and deployer, when known (set only where none is).
    pub owner: Option<i64>,
    /// When it was first seen.
    pub first_seen: DateTime<Utc>,
    /// The catalogue's entry or the platform's slug (the sanctioned list's `client`).
    pub app_key: Option<&'a str>,
    /// How it was matched.
    pub matched: Option<json::AppMatch>,
    /// What matched.
    pub matched_on: Option<&'a str>,
    /// How it was granted its access.
    pub consent: Option<Consent>,
    /// Who consented (a handle).
    pub consented_by: Option<&'a str>,
    /// The import.
    pub import: i64,
}

/// Finds the agent by its platform key and brings it up to date, or makes
/// it (shadow until sanctioned, like everything found rather than declared).
pub async fn upsert_agent(
    conn: &mut AnyConnection,
    a: &AgentRow<'_>,
    now: DateTime<Utc>,
) -> Result<Upserted, sqlx::Error> {
    let known: Option<i64> = sqlx::query_scalar("SELECT agent_id FROM platform_agent WHERE source_key = $1")
        .bind(a.source_key)
        .fetch_optional(&mut *conn)
        .await?;
    let outcome = match known {
        Some(id) => {
            let changed = super::declared::update_differing(
                conn,
                "agent",
                id,
                &[
                    ("name", a.name.to_owned().into()),
                    ("description", a.description.to_owned().into()),
                    ("platform", a.runs_on.to_owned().into()),
                ],
            )
            .await?;
            if let Some(owner) = a.owner {
                sqlx::query(
                    "UPDATE agent SET owner_id = COALESCE(owner_id, $1), deployed_by_id = COALESCE(deployed_by_id, $1) \
                     WHERE id = $2 AND (owner_id IS NULL OR deployed_by_id IS NULL)",
                )
                .bind(owner)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query("UPDATE agent SET last_seen = $1 WHERE id = $2")
                .bind(timestamp(now))
                .bind(id)
                .execute(&mut *conn)
                .await?;
            if changed {
                Upserted::Updated(id)
            } else {
                Upserted::Unchanged(id)
            }
        }
        None => Upserted::Created(
            super::declared::insert(
                conn,
                "agent",
                &[
                    ("name", a.name.to_owned().into()),
                    ("category", a.category.as_str().to_owned().into()),
                    ("platform", a.runs_on.to_owned().into()),
                    ("environment", a.environment.as_str().to_owned().into()),
                    ("sanctioned", Value::Int(0)),
                    ("owner_id", a.owner.into()),
                    ("deployed_by_id", a.owner.into()),
                    ("first_seen", timestamp(a.first_seen).into()),
                    ("last_seen", timestamp(now).into()),
                    ("description", a.description.to_owned().into()),
                ],
            )
            .await?,
        ),
    };
    sqlx::query(
        "INSERT INTO platform_agent (agent_id, platform, source_key, identifier, app_key, matched, matched_on, consent, \
         consented_by, import_id, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (agent_id) DO UPDATE SET identifier = excluded.identifier, app_key = excluded.app_key, \
         matched = CASE WHEN platform_agent.matched = 'promoted' THEN platform_agent.matched ELSE excluded.matched END, \
         matched_on = excluded.matched_on, consent = excluded.consent, consented_by = excluded.consented_by, \
         import_id = excluded.import_id, seen_at = excluded.seen_at",
    )
    .bind(outcome.id())
    .bind(a.platform)
    .bind(a.source_key)
    .bind(a.identifier)
    .bind(a.app_key)
    .bind(a.matched.map(|m| m.as_str()))
    .bind(a.matched_on)
    .bind(a.consent.map(|c| c.as_str()))
    .bind(a.consented_by)
    .bind(a.import)
    .bind(timestamp(now))
    .execute(conn)
    .await?;
    Ok(outcome)
}

/// The agent's tool of this name, made and linked if it has none.
pub async fn agent_tool(
    conn: &mut AnyConnection,
    agent: i64,
    name: &str,
    kind: json::ToolKind,
) -> Result<i64, sqlx::Error> {
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT t.id FROM tool t JOIN agent_tool at ON at.tool_id = t.id WHERE at.agent_id = $1 AND t.name = $2 \
         ORDER BY t.id LIMIT 1",
    )
    .bind(agent)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = known {
        return Ok(id);
    }
    let id =
        sqlx::query_scalar("INSERT INTO tool (name, kind, description) VALUES ($1, $2, '') RETURNING id")
            .bind(name)
            .bind(kind.as_str())
            .fetch_one(&mut *conn)
            .await?;
    super::declared::link(conn, "agent_tool", ("agent_id", "tool_id"), (agent, id)).await?;
    Ok(id)
}

/// Sets a credential's provider hash where it has none (an audit event
/// named both the token and its hash).
pub async fn learn_hash(conn: &mut AnyConnection, credential: i64, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE credential SET provider_hash = $1 WHERE id = $2 AND provider_hash IS NULL")
        .bind(hash)
        .bind(credential)
        .execute(conn)
        .await?;
    Ok(())
}

/// The credential a provider's hash of a token names, if known.
pub async fn by_hash(conn: &mut AnyConnection, hash: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM credential WHERE provider_hash = $1 ORDER BY id LIMIT 1")
        .bind(hash)
        .fetch_optional(conn)
        .await
}

/// Gives owners to the platform's grants and agents that have none, now
/// that the import may have said who their consenting handles are.
pub async fn resolve_owners(
    conn: &mut AnyConnection,
    platform: &str,
) -> Result<(Vec<i64>, Vec<i64>), sqlx::Error> {
    let person_of = "(SELECT p.id FROM platform_identity i JOIN person p ON lower(p.email) = i.email \
         WHERE i.platform = {platform} AND i.handle = {handle} ORDER BY p.id LIMIT 1)";
    let grant_owner = person_of
        .replace("{platform}", "g.platform")
        .replace("{handle}", "g.consented_by");
    let credentials: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE credential SET owner_id = (SELECT {grant_owner} FROM platform_grant g WHERE g.credential_id = credential.id) \
         WHERE owner_id IS NULL AND id IN (SELECT g.credential_id FROM platform_grant g WHERE g.platform = $1 \
         AND g.consented_by IS NOT NULL AND {grant_owner} IS NOT NULL) RETURNING id"
    ))
    .bind(platform)
    .fetch_all(&mut *conn)
    .await?;
    let agent_owner = person_of
        .replace("{platform}", "a.platform")
        .replace("{handle}", "a.consented_by");
    let agents: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE agent SET owner_id = (SELECT {agent_owner} FROM platform_agent a WHERE a.agent_id = agent.id), \
         deployed_by_id = COALESCE(deployed_by_id, (SELECT {agent_owner} FROM platform_agent a WHERE a.agent_id = agent.id)) \
         WHERE owner_id IS NULL AND id IN (SELECT a.agent_id FROM platform_agent a WHERE a.platform = $1 \
         AND a.consented_by IS NOT NULL AND {agent_owner} IS NOT NULL) RETURNING id"
    ))
    .bind(platform)
    .fetch_all(&mut *conn)
    .await?;
    Ok((credentials, agents))
}

#[derive(sqlx::FromRow)]
struct AiAppRow {
    id: i64,
    name: String,
    vendor: String,
    client_ids: String,
    github_apps: String,
    publishers: String,
    names: String,
}

impl AiAppRow {
    fn into_wire(self) -> json::AiApp {
        let list = |text: &str| serde_json::from_str::<Vec<String>>(text).unwrap_or_default();
        json::AiApp {
            key: format!("admin-{}", self.id),
            name: self.name,
            vendor: self.vendor,
            client_ids: list(&self.client_ids),
            github_apps: list(&self.github_apps),
            publishers: list(&self.publishers),
            names: list(&self.names),
            builtin: false,
        }
    }
}

/// The admins' entries of the catalogue, newest first.
pub async fn ai_apps(conn: &mut AnyConnection) -> Result<Vec<json::AiApp>, sqlx::Error> {
    let rows: Vec<AiAppRow> = sqlx::query_as(
        "SELECT id, name, vendor, client_ids, github_apps, publishers, names FROM ai_app ORDER BY id DESC",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(AiAppRow::into_wire).collect())
}

/// Adds an admin's entry; answers it.
pub async fn add_ai_app(
    conn: &mut AnyConnection,
    app: &json::NewAiApp,
    by: &str,
    now: DateTime<Utc>,
) -> Result<json::AiApp, sqlx::Error> {
    let list = |l: &Vec<String>| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ai_app (name, vendor, client_ids, github_apps, publishers, names, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&app.name)
    .bind(&app.vendor)
    .bind(list(&app.client_ids))
    .bind(list(&app.github_apps))
    .bind(list(&app.publishers))
    .bind(list(&app.names))
    .bind(by)
    .bind(timestamp(now))
    .fetch_one(&mut *conn)
    .await?;
    Ok(AiAppRow {
        id,
        name: app.name.clone(),
        vendor: app.vendor.clone(),
        client_ids: list(&app.client_ids),
        github_apps: list(&app.github_apps),
        publishers: list(&app.publishers),
        names: list(&app.names),
    }
    .into_wire())
}

/// Deletes an admin's entry; answers whether there was one.
pub async fn delete_ai_app(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM ai_app WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

#[derive(sqlx::FromRow)]
struct PlatformAgentRow {
    platform: String,
    identifier: String,
    app_key: Option<String>,
    matched: Option<String>,
    matched_on: Option<String>,
    consent: Option<String>,
    consented_by: Option<String>,
    marked: Option<i64>,
    seen_at: String,
    person_id: Option<i64>,
    person_name: Option<String>,
}

/// What a platform import said of an agent, if one did.
pub async fn agent_facts(db: &Db, agent: i64) -> Result<Option<json::PlatformAgent>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let row: Option<PlatformAgentRow> = sqlx::query_as(
        "SELECT a.platform, a.identifier, a.app_key, a.matched, a.matched_on, a.consent, a.consented_by, a.marked, \
         a.seen_at, p.id AS person_id, p.name AS person_name FROM platform_agent a \
         LEFT JOIN platform_identity i ON i.platform = a.platform AND i.handle = a.consented_by \
         LEFT JOIN person p ON lower(p.email) = COALESCE(i.email, lower(a.consented_by)) \
         WHERE a.agent_id = $1",
    )
    .bind(agent)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let catalogue = crate::catalogue::Catalogue::new(ai_apps(&mut conn).await?);
    let entry = row.app_key.as_deref().and_then(|k| catalogue.entry(k));
    Ok(Some(json::PlatformAgent {
        platform: row.platform.parse().unwrap_or(ImportKind::Inventory),
        identifier: row.identifier,
        app: entry.map(|e| e.name.clone()),
        vendor: entry.map(|e| e.vendor.clone()),
        matched: row.matched.and_then(|m| m.parse().ok()),
        matched_on: row.matched_on,
        consent: row.consent.and_then(|c| c.parse().ok()),
        consented_by: row.consented_by,
        consenting_person: row
            .person_id
            .zip(row.person_name)
            .map(|(id, name)| json::Ref { id, name }),
        marked: row.marked.map(|m| m != 0),
        seen_at: super::sql::parse_time("seen_at", &row.seen_at)?,
    }))
}

#[derive(sqlx::FromRow)]
struct PlatformGrantRow {
    platform: String,
    client_id: Option<String>,
    app_name: Option<String>,
    consent: String,
    consented_by: Option<String>,
    present: i64,
    seen_at: String,
    agent_id: Option<i64>,
    agent_name: Option<String>,
}

/// What a platform import said of a credential, if one did.
pub async fn grant_facts(db: &Db, credential: i64) -> Result<Option<json::PlatformGrant>, sqlx::Error> {
    let row: Option<PlatformGrantRow> = sqlx::query_as(
        "SELECT g.platform, g.client_id, g.app_name, g.consent, g.consented_by, g.present, g.seen_at, \
         a.id AS agent_id, a.name AS agent_name FROM platform_grant g LEFT JOIN agent a ON a.id = g.agent_id \
         WHERE g.credential_id = $1",
    )
    .bind(credential)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(json::PlatformGrant {
        platform: row.platform.parse().unwrap_or(ImportKind::Inventory),
        client_id: row.client_id,
        app_name: row.app_name,
        consent: row.consent.parse().unwrap_or(Consent::User),
        consented_by: row.consented_by,
        present: row.present != 0,
        agent: row
            .agent_id
            .zip(row.agent_name)
            .map(|(id, name)| json::Ref { id, name }),
        seen_at: super::sql::parse_time("seen_at", &row.seen_at)?,
    }))
}

/// The grant's facts needed to make it an agent, if a platform import named it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Promotable {
    /// The platform.
    pub platform: String,
    /// The application's client id or slug.
    pub client_id: Option<String>,
    /// The application's name.
    pub app_name: Option<String>,
    /// How it was consented.
    pub consent: String,
    /// Who consented.
    pub consented_by: Option<String>,
    /// Its agent, if it has one already.
    pub agent_id: Option<i64>,
}

/// A grant's facts, to promote it to an agent.
pub async fn promotable(
    conn: &mut AnyConnection,
    credential: i64,
) -> Result<Option<Promotable>, sqlx::Error> {
    sqlx::query_as(
        "SELECT platform, client_id, app_name, consent, consented_by, agent_id FROM platform_grant WHERE credential_id = $1",
    )
    .bind(credential)
    .fetch_optional(conn)
    .await
}

/// A credential's kind and owner, as a promotion names its agent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Held {
    /// Its kind.
    pub kind: String,
    /// Its owner.
    pub owner_id: Option<i64>,
    /// Their name.
    pub owner_name: Option<String>,
}

/// The kind and owner of credential `id` (it exists: a grant names it).
pub async fn held_by(conn: &mut AnyConnection, id: i64) -> Result<Held, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.kind, c.owner_id, p.name AS owner_name FROM credential c LEFT JOIN person p ON p.id = c.owner_id \
         WHERE c.id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}

/// Links a grant to the agent made of it.
pub async fn set_grant_agent(
    conn: &mut AnyConnection,
    credential: i64,
    agent: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE platform_grant SET agent_id = $1 WHERE credential_id = $2")
        .bind(agent)
        .bind(credential)
        .execute(conn)
        .await?;
    Ok(())
}
