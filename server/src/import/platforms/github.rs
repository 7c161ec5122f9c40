//! GitHub, from an organisation's REST answers: its fine-grained personal
//! access tokens (`/orgs/{org}/personal-access-tokens`), the classic tokens
//! and SSH keys authorised for it (`/orgs/{org}/credential-authorizations`),
//! its app installations (`/orgs/{org}/installations`) and its audit log
//! (`/orgs/{org}/audit-log`), whose events on a token become the token's
//! activity. GitHub logins name people through the organisation's SAML
//! identities (the GraphQL `externalIdentities` answer).
//!
//! An audit event names its token by `token_id` and by `hashed_token`, the
//! base64 of the token's SHA-256: a scanner's copy of the same token joins
//! by that hash (`muster_scan::secrets::provider_hash`), computed while the
//! secret is in memory.

use std::collections::BTreeSet;

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use model::api::{Consent, CredentialKind};
use serde::Deserialize;

use super::super::cloudtrail::Event;
use super::super::scanners::ParseError;
use super::{Activity, App, Collected, Grant, Id, Page, Target, opt_time, records};

#[derive(Deserialize)]
struct Owner {
    login: String,
}

#[derive(Deserialize)]
struct FineGrained {
    owner: Owner,
    token_id: Id,
    #[serde(default)]
    token_name: Option<String>,
    #[serde(default)]
    repository_selection: Option<String>,
    #[serde(default)]
    permissions: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    access_granted_at: Option<String>,
    #[serde(default)]
    token_expired: bool,
    #[serde(default)]
    token_expires_at: Option<String>,
    #[serde(default)]
    token_last_used_at: Option<String>,
}

#[derive(Deserialize)]
struct Authorization {
    login: String,
    credential_id: Id,
    credential_type: String,
    #[serde(default)]
    token_last_eight: Option<String>,
    #[serde(default)]
    credential_authorized_at: Option<String>,
    #[serde(default)]
    credential_accessed_at: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    fingerprint: Option<String>,
    #[serde(default)]
    authorized_credential_id: Option<Id>,
    #[serde(default)]
    authorized_credential_title: Option<String>,
    #[serde(default)]
    authorized_credential_note: Option<String>,
    #[serde(default)]
    authorized_credential_expires_at: Option<String>,
}

#[derive(Deserialize)]
struct Installation {
    id: Id,
    app_slug: String,
    #[serde(default)]
    permissions: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    repository_selection: Option<String>,
    #[serde(default)]
    account: Option<Owner>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    suspended_at: Option<String>,
}

#[derive(Deserialize)]
struct AuditEvent {
    #[serde(rename = "@timestamp")]
    timestamp: i64,
    #[serde(default, rename = "_document_id")]
    document_id: Option<String>,
    action: String,
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    actor_ip: Option<String>,
    #[serde(default)]
    user_agent: Option<String>,
    #[serde(default)]
    repo: Option<String>,
    #[serde(default)]
    org: Option<String>,
    #[serde(default)]
    token_id: Option<Id>,
    #[serde(default)]
    hashed_token: Option<String>,
}

/// Reads one GitHub page, told apart by its shape.
pub fn read(
    mut document: serde_json::Value,
    _page: &Page<'_>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    if document.get("installations").is_some() {
        let items = super::list_field(&mut document, "installations", "installations")?;
        return read_installations(records(items, "installations")?, collected, now);
    }
    if document.pointer("/data/organization").is_some() {
        return read_identities(&document, collected);
    }
    let serde_json::Value::Array(items) = document else {
        return Err(ParseError(
            "not a GitHub answer: expected personal-access-tokens, credential-authorizations or audit-log \
             (arrays), installations ({\"total_count\", \"installations\"}) or the GraphQL SAML identities"
                .into(),
        ));
    };
    let Some(first) = items.first() else { return Ok(()) };
    if first.get("token_id").is_some() && first.get("token_name").is_some() {
        read_fine_grained(records(items, "personal-access-tokens")?, collected, now)
    } else if first.get("credential_type").is_some() {
        read_authorizations(records(items, "credential-authorizations")?, collected, now)
    } else if first.get("@timestamp").is_some() || first.get("action").is_some() {
        read_audit_log(records(items, "audit-log")?, collected)
    } else {
        Err(ParseError(
            "a page of the wrong kind: expected personal-access-tokens, credential-authorizations, \
             installations or audit-log"
                .into(),
        ))
    }
}

/// A token's or app's permissions as scopes: `contents:write`, and where it reaches.
fn permission_scopes(
    permissions: &serde_json::Map<String, serde_json::Value>,
    selection: Option<&str>,
) -> BTreeSet<String> {
    let mut scopes = BTreeSet::new();
    let mut add = |name: &str, level: &serde_json::Value| {
        if let Some(level) = level.as_str() {
            scopes.insert(format!("{name}:{level}"));
        }
    };
    for (name, value) in permissions {
        match value {
            // Fine-grained tokens group their permissions (`repository`, `organization`, `other`).
            serde_json::Value::Object(group) => group.iter().for_each(|(n, l)| add(n, l)),
            level => add(name, level),
        }
    }
    if let Some(selection) = selection {
        scopes.insert(format!("repositories:{selection}"));
    }
    scopes
}

fn token_id(id: &Id) -> String {
    format!("token:{id}")
}

fn read_fine_grained(
    tokens: Vec<(usize, FineGrained)>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    collected.listings.insert(("fine_grained_token", String::new()));
    for (n, token) in tokens {
        collected.records += 1;
        let at = |field: &str, value: &Option<String>| {
            opt_time(value.as_deref(), &format!("personal-access-tokens[{n}].{field}"))
        };
        let name = token
            .token_name
            .clone()
            .unwrap_or_else(|| format!("token {}", token.token_id));
        collected.grant(Grant {
            scopes: permission_scopes(&token.permissions, token.repository_selection.as_deref()),
            consent: Consent::Owner,
            consented_by: Some(token.owner.login.clone()),
            created_at: at("access_granted_at", &token.access_granted_at)?,
            expires_at: at("token_expires_at", &token.token_expires_at)?,
            last_used_at: at("token_last_used_at", &token.token_last_used_at)?,
            active: !token.token_expired,
            ..Grant::new(
                "fine_grained_token",
                "github",
                token_id(&token.token_id),
                CredentialKind::PersonalAccessToken,
                format!("{name} ({} fine-grained token)", token.owner.login),
                now,
            )
        });
    }
    Ok(())
}

fn read_authorizations(
    authorizations: Vec<(usize, Authorization)>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    collected
        .listings
        .insert(("credential_authorization", String::new()));
    for (n, a) in authorizations {
        collected.records += 1;
        let at = |field: &str, value: &Option<String>| {
            opt_time(
                value.as_deref(),
                &format!("credential-authorizations[{n}].{field}"),
            )
        };
        let ssh = a.credential_type.eq_ignore_ascii_case("SSH key");
        let (kind, external_id, name) = if ssh {
            (
                CredentialKind::SshKey,
                format!(
                    "ssh:{}",
                    a.fingerprint
                        .clone()
                        .unwrap_or_else(|| a.credential_id.to_string())
                ),
                format!("SSH key of {}", a.login),
            )
        } else {
            let id = a
                .authorized_credential_id
                .clone()
                .unwrap_or(a.credential_id.clone());
            let title = a
                .authorized_credential_title
                .clone()
                .or(a.authorized_credential_note.clone())
                .unwrap_or_else(|| a.credential_type.clone());
            let ending = a
                .token_last_eight
                .as_deref()
                .map(|e| format!(", ending …{e}"))
                .unwrap_or_default();
            (
                CredentialKind::PersonalAccessToken,
                token_id(&id),
                format!("{title} ({}'s classic token{ending})", a.login),
            )
        };
        collected.grant(Grant {
            family: "credential_authorization",
            covered_by: String::new(),
            provider: "github",
            external_id,
            kind,
            name,
            app: App::default(),
            scopes: a.scopes.iter().cloned().collect(),
            consent: Consent::Owner,
            consented_by: Some(a.login.clone()),
            created_at: at("credential_authorized_at", &a.credential_authorized_at)?,
            expires_at: at(
                "authorized_credential_expires_at",
                &a.authorized_credential_expires_at,
            )?,
            last_used_at: at("credential_accessed_at", &a.credential_accessed_at)?,
            active: true,
            state_at: now,
            listed: true,
            third_party: false,
            agent: None,
        });
    }
    Ok(())
}

fn read_installations(
    installations: Vec<(usize, Installation)>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    collected.listings.insert(("app_installation", String::new()));
    for (n, i) in installations {
        collected.records += 1;
        if let Some(account) = &i.account {
            collected.organisation.get_or_insert(account.login.clone());
        }
        let mut scopes = permission_scopes(&i.permissions, i.repository_selection.as_deref());
        scopes.extend(i.events.iter().map(|e| format!("event:{e}")));
        collected.grant(Grant {
            app: App {
                name: Some(i.app_slug.clone()),
                github_app: Some(i.app_slug.clone()),
                ..App::default()
            },
            scopes,
            consent: Consent::Admin,
            created_at: opt_time(i.created_at.as_deref(), &format!("installations[{n}].created_at"))?,
            active: i.suspended_at.is_none(),
            third_party: true,
            ..Grant::new(
                "app_installation",
                "github",
                format!("installation:{}", i.id),
                CredentialKind::OauthGrant,
                format!(
                    "GitHub app {} installed on {}",
                    i.app_slug,
                    i.account
                        .as_ref()
                        .map_or("the organisation", |a| a.login.as_str())
                ),
                now,
            )
        });
    }
    Ok(())
}

fn read_audit_log(events: Vec<(usize, AuditEvent)>, collected: &mut Collected) -> Result<(), ParseError> {
    for (n, e) in events {
        collected.records += 1;
        let Some(at) = Utc.timestamp_millis_opt(e.timestamp).single() else {
            return Err(ParseError(format!(
                "audit-log[{n}].@timestamp: {} is not a time in epoch milliseconds",
                e.timestamp
            )));
        };
        if let Some(org) = &e.org {
            collected.organisation.get_or_insert(org.clone());
        }
        if e.token_id.is_none() && e.hashed_token.is_none() {
            continue; // a person's own action (a browser, a session): no token acted
        }
        let id = e.token_id.as_ref().map(token_id);
        if let Some(hash) = &e.hashed_token
            && !base64::engine::general_purpose::STANDARD
                .decode(hash)
                .is_ok_and(|d| d.len() == 32)
        {
            return Err(ParseError(format!(
                "audit-log[{n}].hashed_token: not GitHub's hash of a token (the base64 of 32 bytes)"
            )));
        }
        collected.activity.push(Activity {
            target: Target::Token {
                id,
                hashed: e.hashed_token.clone(),
            },
            event: Event {
                event_id: format!(
                    "github:{}",
                    e.document_id.clone().unwrap_or_else(|| format!(
                        "{}:{}:{}",
                        e.timestamp,
                        e.action,
                        e.actor.as_deref().unwrap_or_default()
                    ))
                ),
                occurred_at: at,
                action: e.action.clone(),
                access_key_id: None,
                principals: Vec::new(),
                source_address: e.actor_ip.clone(),
                user_agent: e.user_agent.clone(),
                failed: false,
                resource: e.repo.clone(),
            },
        });
    }
    Ok(())
}

/// The organisation's SAML identities: which person each login is.
fn read_identities(document: &serde_json::Value, collected: &mut Collected) -> Result<(), ParseError> {
    let Some(edges) = document
        .pointer("/data/organization/samlIdentityProvider/externalIdentities/edges")
        .and_then(|e| e.as_array())
    else {
        return Err(ParseError(
            "a GraphQL answer without data.organization.samlIdentityProvider.externalIdentities.edges".into(),
        ));
    };
    for (n, edge) in edges.iter().enumerate() {
        let node = edge.get("node");
        let login = node
            .and_then(|n| n.pointer("/user/login"))
            .and_then(|l| l.as_str());
        let email = node
            .and_then(|n| {
                n.pointer("/samlIdentity/nameId")
                    .or_else(|| n.pointer("/scimIdentity/username"))
            })
            .and_then(|e| e.as_str());
        match (login, email) {
            (Some(login), Some(email)) => collected.identity(login, email, None),
            _ => collected.note(format!(
                "edges[{n}]: an identity without a login or a nameId, left out"
            )),
        }
    }
    Ok(())
}
