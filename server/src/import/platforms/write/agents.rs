//! The agents a platform's import makes: cloud agents with the role they
//! act through ([`record_cloud_agent`]), SaaS agents of grants to
//! catalogued AI applications ([`saas_agent`]), and an admin's promotion of
//! a grant no catalogue entry matched ([`promote`]).

use chrono::{DateTime, Utc};
use model::api::{self as json, AgentCategory, AppMatch, Consent, CredentialKind, ImportKind, ToolKind};
use sqlx::AnyConnection;

use super::super::{CloudAgent, Grant};
use super::{People, Written, count, label};
use crate::catalogue::Matched;
use crate::db::iam;
use crate::db::platforms::{self as db, AgentRow, Described, Upserted};
use crate::fingerprint::Fingerprinter;

/// The SaaS agent a grant to a catalogued AI application is: one per
/// application, platform and consenting person (or the whole organisation).
#[allow(clippy::too_many_arguments)]
pub(super) async fn saas_agent(
    conn: &mut AnyConnection,
    kind: ImportKind,
    import: i64,
    grant: &Grant,
    matched: &Matched,
    consenter: Option<&(i64, String)>,
    written: &mut Written,
    summary: &mut json::ImportSummary,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let who = match (&grant.consented_by, grant.consent) {
        (Some(handle), Consent::User | Consent::Owner | Consent::Admin) => handle.clone(),
        _ => "organisation".to_owned(),
    };
    // The application's own identifier is in the key: another app that only
    // shares a catalogued name is another agent, not this one.
    let identifier = grant
        .app
        .client_id
        .as_deref()
        .or(grant.app.github_app.as_deref())
        .or(grant.app.name.as_deref())
        .unwrap_or(&matched.key);
    let source_key = format!("{}:{}:{identifier}:{who}", kind.as_str(), matched.key);
    let name = saas_name(
        &matched.name,
        kind,
        consenter.map(|(_, name)| name.as_str()),
        grant.consent,
        grant.consented_by.as_deref(),
    );
    let description = format!(
        "{} by {}, found in {}'s records: {} ({}).",
        matched.name,
        matched.vendor,
        label(kind),
        grant.consent.label(),
        matched.how.label().to_lowercase()
    );
    let upserted = db::upsert_agent(
        conn,
        &AgentRow {
            source_key: &source_key,
            platform: kind.as_str(),
            identifier,
            name: &name,
            category: AgentCategory::Saas,
            runs_on: &matched.name,
            environment: json::Environment::Prod,
            description: &description,
            owner: consenter.map(|(id, _)| *id),
            first_seen: grant.created_at.unwrap_or(now),
            app_key: Some(&matched.key),
            matched: Some(matched.how),
            matched_on: Some(&matched.on),
            consent: Some(grant.consent),
            consented_by: grant.consented_by.as_deref(),
            import,
        },
        now,
    )
    .await?;
    count_agent(summary, upserted, written);
    Ok(upserted.id())
}

fn count_agent(summary: &mut json::ImportSummary, upserted: Upserted, written: &mut Written) {
    summary.agents += 1;
    match upserted {
        Upserted::Created(id) => {
            summary.agents_created += 1;
            written.agents.insert(id);
        }
        Upserted::Updated(id) => {
            written.agents.insert(id);
        }
        Upserted::Unchanged(_) => {}
    }
}

/// The slug the sanctioned list names a cloud platform by (`client: bedrock`).
fn platform_slug(platform: &'static str) -> &'static str {
    match platform {
        "Amazon Bedrock" => "bedrock",
        "Bedrock AgentCore" => "agentcore",
        "Vertex AI Agent Engine" => "vertex",
        "Entra Agent ID" => "entra-agent-id",
        other => other,
    }
}

/// A cloud agent, with the role it acts through and its tools.
#[allow(clippy::too_many_arguments)]
pub(super) async fn record_cloud_agent(
    conn: &mut AnyConnection,
    keys: &Fingerprinter,
    kind: ImportKind,
    import: i64,
    agent: &CloudAgent,
    people: &mut People<'_>,
    written: &mut Written,
    summary: &mut json::ImportSummary,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let mut owner = None;
    for sponsor in &agent.sponsors {
        if let Some((id, _)) = people.of(conn, sponsor).await? {
            owner = Some(id);
            break;
        }
    }
    let upserted = db::upsert_agent(
        conn,
        &AgentRow {
            source_key: &agent.key,
            platform: kind.as_str(),
            identifier: &agent.identifier,
            name: &agent.name,
            category: AgentCategory::Cloud,
            runs_on: agent.platform,
            environment: agent.environment,
            description: &agent.description,
            owner,
            first_seen: agent.created_at.unwrap_or(now),
            app_key: Some(platform_slug(agent.platform)),
            matched: None,
            matched_on: None,
            consent: None,
            consented_by: agent.sponsors.first().map(String::as_str),
            import,
        },
        now,
    )
    .await?;
    count_agent(summary, upserted, written);
    let id = upserted.id();
    if let Some(role) = &agent.role {
        // The role is the agency: the IAM import's credential of that ARN
        // (made here if the IAM import has not run yet; it fills in its reach).
        let credential = match role.provider {
            "aws" => {
                let upserted = iam::upsert(
                    conn,
                    &iam::Described {
                        kind: CredentialKind::IamRole,
                        external_id: role.external_id.clone(),
                        name: role.name.clone(),
                        fingerprint: keys.fingerprint(role.external_id.as_bytes()),
                        created_at: agent.created_at.unwrap_or(now),
                        scopes: None,
                        last_rotated_at: None,
                        last_used_at: None,
                        status: None,
                        trusted_by: None,
                    },
                )
                .await?;
                if let iam::Upserted::Created(id) = upserted {
                    summary.credentials_created += 1;
                    written.credentials.insert(id);
                }
                upserted.id()
            }
            provider => {
                match crate::db::declared::find_credential(conn, provider, &role.external_id).await? {
                    Some(found) => found,
                    None => {
                        let created = db::upsert_credential(
                            conn,
                            &Described {
                                provider,
                                external_id: &role.external_id,
                                kind: CredentialKind::IamRole,
                                name: &role.name,
                                scopes: None,
                                third_party: None,
                                created_at: agent.created_at.unwrap_or(now),
                                expires_at: None,
                                last_used_at: None,
                                active: Some(true),
                                owner: None,
                                fingerprint: keys.fingerprint(role.external_id.as_bytes()),
                                provider_hash: None,
                            },
                        )
                        .await?;
                        count(summary, created, &mut written.credentials);
                        created.id()
                    }
                }
            }
        };
        let tool = db::agent_tool(conn, id, &format!("acts as {}", role.name), ToolKind::Connector).await?;
        if crate::db::declared::link(
            conn,
            "tool_credential",
            ("tool_id", "credential_id"),
            (tool, credential),
        )
        .await?
        {
            written.agents.insert(id);
            written.credentials.insert(credential);
        }
    }
    for (name, tool_kind) in &agent.tools {
        db::agent_tool(conn, id, name, *tool_kind).await?;
    }
    Ok(id)
}

/// A SaaS agent's name: its application, where, and for whom (the
/// consenting person, else the organisation for a tenant-wide or an
/// administrator's grant, else the platform's handle).
fn saas_name(
    app: &str,
    kind: ImportKind,
    person: Option<&str>,
    consent: Consent,
    handle: Option<&str>,
) -> String {
    let for_whom = match (person, consent, handle) {
        (Some(name), _, _) => name,
        (None, Consent::Tenant | Consent::Admin, _) | (None, _, None) => "whole organisation",
        (None, _, Some(handle)) => handle,
    };
    format!("{app} in {} ({for_whom})", label(kind))
}

/// Links a grant to its agent, through the agent's tool for that
/// platform's grants of its kind.
pub(super) async fn attach(
    conn: &mut AnyConnection,
    agent: i64,
    kind: ImportKind,
    credential_kind: CredentialKind,
    credential: i64,
) -> Result<bool, sqlx::Error> {
    let tool = format!("{} {}", label(kind), grant_word(credential_kind));
    let tool = db::agent_tool(conn, agent, &tool, ToolKind::Connector).await?;
    crate::db::declared::link(
        conn,
        "tool_credential",
        ("tool_id", "credential_id"),
        (tool, credential),
    )
    .await
}

/// Makes an agent of a grant no catalogue entry matched (an admin's
/// promotion); answers the agent.
pub async fn promote(
    conn: &mut AnyConnection,
    credential: i64,
    facts: &db::Promotable,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let kind: ImportKind = facts.platform.parse().unwrap_or(ImportKind::Inventory);
    let consent: Consent = facts.consent.parse().unwrap_or(Consent::User);
    let app = facts
        .app_name
        .clone()
        .or(facts.client_id.clone())
        .unwrap_or_else(|| "application".into());
    let held = db::held_by(conn, credential).await?;
    let key = format!(
        "{}:promoted:{}:{}",
        kind.as_str(),
        facts.client_id.as_deref().unwrap_or(&app),
        facts.consented_by.as_deref().unwrap_or("organisation")
    );
    let agent = db::upsert_agent(
        conn,
        &AgentRow {
            source_key: &key,
            platform: kind.as_str(),
            identifier: facts.client_id.as_deref().unwrap_or(&app),
            name: &saas_name(
                &app,
                kind,
                held.owner_name.as_deref(),
                consent,
                facts.consented_by.as_deref(),
            ),
            category: AgentCategory::Saas,
            runs_on: &app,
            environment: json::Environment::Prod,
            description: &format!(
                "{app}, made an agent by an admin from its grant in {}.",
                label(kind)
            ),
            owner: held.owner_id,
            first_seen: now,
            app_key: None,
            matched: Some(AppMatch::Promoted),
            matched_on: Some("an admin"),
            consent: Some(consent),
            consented_by: facts.consented_by.as_deref(),
            import: 0,
        },
        now,
    )
    .await?
    .id();
    let credential_kind = held.kind.parse().unwrap_or(CredentialKind::OauthGrant);
    attach(conn, agent, kind, credential_kind, credential).await?;
    db::set_grant_agent(conn, credential, agent).await?;
    Ok(agent)
}

fn grant_word(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::OauthGrant => "OAuth grant",
        CredentialKind::PersonalAccessToken => "token",
        CredentialKind::ApiKey => "client secret",
        CredentialKind::Certificate => "certificate",
        _ => "credential",
    }
}
