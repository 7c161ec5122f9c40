//! Microsoft Entra, from Microsoft Graph's answers (`{"@odata.context",
//! "value": [...], "@odata.nextLink"}`): service principals (the
//! applications in the tenant, with their secrets' and certificates' end
//! dates, never their `secretText`), delegated permission grants
//! (`oauth2PermissionGrants`), application permissions
//! (`appRoleAssignments`), users (to name who consented) and agent
//! identities (`#microsoft.graph.agentIdentity`, with their sponsors).
//!
//! A grant names its application by the service principal's object id and
//! its permissions by value; an app role assignment names its role by id,
//! which the resource's service principal spells out. So the pages are
//! gathered first ([`Directory`]) and joined once all are read ([`finish`]).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use model::api::{Consent, CredentialKind, Environment};
use serde::Deserialize;

use super::super::scanners::ParseError;
use super::{App, CloudAgent, Collected, Grant, Page, list_field, opt_time, records};

/// What an import's Graph pages said, before they are joined.
#[derive(Debug, Default)]
pub struct Directory {
    principals: HashMap<String, Principal>,
    grants: Vec<PermissionGrant>,
    assignments: Vec<Assignment>,
    /// Per list: pages read, and pages that were a list's last (no `@odata.nextLink`).
    pages: HashMap<&'static str, (usize, usize)>,
}

impl Directory {
    /// Whether every page of `entity` was read: some page of it, and its
    /// last one (a full import revokes only what a whole list left out).
    fn complete(&self, entity: &str) -> Option<bool> {
        self.pages.get(entity).map(|(_, last)| *last > 0)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Principal {
    id: String,
    #[serde(default, rename = "@odata.type")]
    odata_type: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    verified_publisher: Option<Publisher>,
    #[serde(default)]
    app_roles: Vec<AppRole>,
    #[serde(default)]
    password_credentials: Vec<Secret>,
    #[serde(default)]
    key_credentials: Vec<Secret>,
    #[serde(default)]
    agent_identity_blueprint_id: Option<String>,
    #[serde(default)]
    sponsors: Vec<DirectoryObject>,
    #[serde(default)]
    created_date_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Publisher {
    #[serde(default)]
    display_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct AppRole {
    id: String,
    #[serde(default)]
    value: Option<String>,
}

/// A client secret or certificate: its dates and name, never its value
/// (`secretText`, `key`), which no field takes: it is dropped with the page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Secret {
    key_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    start_date_time: Option<String>,
    #[serde(default)]
    end_date_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct DirectoryObject {
    id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PermissionGrant {
    id: String,
    client_id: String,
    consent_type: String,
    #[serde(default)]
    principal_id: Option<String>,
    resource_id: String,
    #[serde(default)]
    scope: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assignment {
    app_role_id: String,
    principal_id: String,
    #[serde(default)]
    principal_type: Option<String>,
    #[serde(default)]
    principal_display_name: Option<String>,
    resource_id: String,
    #[serde(default)]
    resource_display_name: Option<String>,
    #[serde(default)]
    created_date_time: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    mail: Option<String>,
    #[serde(default)]
    user_principal_name: Option<String>,
}

/// What a Graph page lists, by its `@odata.context`.
fn entity(context: &str) -> Option<&'static str> {
    let tail = context.rsplit_once("$metadata#").map(|(_, t)| t)?;
    let tail = tail.split(['(', '/']).next().unwrap_or(tail);
    let entity = if context.contains("/appRoleAssignments") || context.contains("/appRoleAssignedTo") {
        "appRoleAssignments"
    } else {
        tail
    };
    [
        "servicePrincipals",
        "oauth2PermissionGrants",
        "appRoleAssignments",
        "users",
        "agentIdentities",
    ]
    .into_iter()
    .find(|known| *known == entity)
}

/// Reads one Graph page.
pub fn read(
    mut document: serde_json::Value,
    _page: &Page<'_>,
    collected: &mut Collected,
    _now: DateTime<Utc>,
) -> Result<(), ParseError> {
    let Some(context) = document
        .get("@odata.context")
        .and_then(|c| c.as_str())
        .map(str::to_owned)
    else {
        return Err(ParseError(
            "not a Microsoft Graph answer: no `@odata.context` (export the pages as Graph returns them)"
                .into(),
        ));
    };
    let Some(entity) = entity(&context) else {
        return Err(ParseError(format!(
            "a page of the wrong kind ({context}): expected servicePrincipals, oauth2PermissionGrants, \
             appRoleAssignments (or appRoleAssignedTo), users or agent identities"
        )));
    };
    let value = list_field(&mut document, "value", entity)?;
    let directory = &mut collected.entra;
    let pages = directory.pages.entry(entity).or_default();
    pages.0 += 1;
    if document.get("@odata.nextLink").is_none() {
        pages.1 += 1;
    }
    match entity {
        "servicePrincipals" | "agentIdentities" => {
            for (_, principal) in records::<Principal>(value, "value")? {
                directory.principals.insert(principal.id.clone(), principal);
            }
        }
        "oauth2PermissionGrants" => {
            directory.grants.extend(
                records::<PermissionGrant>(value, "value")?
                    .into_iter()
                    .map(|(_, g)| g),
            );
        }
        "appRoleAssignments" => {
            directory
                .assignments
                .extend(records::<Assignment>(value, "value")?.into_iter().map(|(_, a)| a));
        }
        _ => {
            for (n, user) in records::<User>(value, "value")? {
                let email = user.mail.clone().or(user.user_principal_name.clone());
                match email {
                    Some(email) => collected.identity(&user.id, &email, user.display_name.clone()),
                    None => collected.note(format!("value[{n}]: user {} has no mail, left out", user.id)),
                }
            }
        }
    }
    Ok(())
}

/// The agent key of an Entra agent identity.
fn agent_key(id: &str) -> String {
    format!("entra:agent:{id}")
}

fn is_agent_identity(principal: &Principal) -> bool {
    principal
        .odata_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("#microsoft.graph.agentIdentity"))
        || principal.agent_identity_blueprint_id.is_some()
}

impl Principal {
    fn app(&self) -> App {
        App {
            client_id: self.app_id.clone(),
            name: self.display_name.clone(),
            // Only a publisher Microsoft verified: `publisherName` is the
            // name of whichever tenant registered the app, anyone's to choose.
            publisher: self
                .verified_publisher
                .as_ref()
                .and_then(|p| p.display_name.clone()),
            github_app: None,
        }
    }

    fn name(&self) -> String {
        self.display_name.clone().unwrap_or_else(|| self.id.clone())
    }

    /// An application published by someone else than Microsoft and the
    /// tenant: a verified publisher is an outside company.
    fn third_party(&self) -> bool {
        self.verified_publisher
            .as_ref()
            .and_then(|p| p.display_name.as_deref())
            .is_some_and(|p| !p.starts_with("Microsoft"))
    }
}

/// Joins the pages read: grants and assignments to their applications,
/// roles to their names, agent identities to their sponsors.
pub fn finish(collected: &mut Collected, now: DateTime<Utc>) -> Result<(), ParseError> {
    let directory = std::mem::take(&mut collected.entra);
    let principal = |id: &str| directory.principals.get(id);
    // Each application's own secrets and certificates (their dates only).
    for p in directory.principals.values() {
        collected.records += 1;
        if is_agent_identity(p) {
            collected.agents.insert(
                agent_key(&p.id),
                CloudAgent {
                    key: agent_key(&p.id),
                    identifier: p.id.clone(),
                    name: p.name(),
                    platform: "Entra Agent ID",
                    description: match &p.agent_identity_blueprint_id {
                        Some(blueprint) => format!("An Entra agent identity of blueprint {blueprint}."),
                        None => "An Entra agent identity.".to_owned(),
                    },
                    created_at: opt_time(p.created_date_time.as_deref(), "createdDateTime")?,
                    environment: Environment::Prod,
                    role: None,
                    tools: Vec::new(),
                    sponsors: p.sponsors.iter().map(|s| s.id.clone()).collect(),
                },
            );
        }
        for (secrets, kind, what) in [
            (&p.password_credentials, CredentialKind::ApiKey, "client secret"),
            (&p.key_credentials, CredentialKind::Certificate, "certificate"),
        ] {
            for secret in secrets {
                collected.grant(Grant {
                    family: "application_credential",
                    covered_by: String::new(),
                    provider: "microsoft",
                    external_id: format!("{}:{}", p.id, secret.key_id),
                    kind,
                    name: match &secret.display_name {
                        Some(name) => format!("{} {what} {name}", p.name()),
                        None => format!("{} {what}", p.name()),
                    },
                    app: p.app(),
                    scopes: BTreeSet::new(),
                    consent: Consent::Owner,
                    consented_by: None,
                    created_at: opt_time(secret.start_date_time.as_deref(), "startDateTime")?,
                    expires_at: opt_time(secret.end_date_time.as_deref(), "endDateTime")?,
                    last_used_at: None,
                    active: true,
                    state_at: now,
                    listed: true,
                    third_party: false,
                    agent: is_agent_identity(p).then(|| agent_key(&p.id)),
                });
            }
        }
    }
    for (entity, family) in [
        ("servicePrincipals", "application_credential"),
        ("oauth2PermissionGrants", "oauth2_permission_grant"),
        ("appRoleAssignments", "app_role_assignment"),
    ] {
        match directory.complete(entity) {
            Some(true) => {
                collected.listings.insert((family, String::new()));
            }
            Some(false) => collected.note(format!(
                "every {entity} page read ends with an @odata.nextLink: without its last page, nothing it \
                 no longer lists is revoked"
            )),
            None => {}
        }
    }
    for grant in &directory.grants {
        collected.records += 1;
        let client = principal(&grant.client_id);
        let resource = principal(&grant.resource_id).map(Principal::name);
        if client.is_none() {
            collected.note(format!(
                "grant {}: its application {} is not among the service principals imported with it",
                grant.id, grant.client_id
            ));
        }
        let app_name = client
            .map(Principal::name)
            .unwrap_or_else(|| grant.client_id.clone());
        let tenant = grant.consent_type.eq_ignore_ascii_case("AllPrincipals");
        if !tenant && !grant.consent_type.eq_ignore_ascii_case("Principal") {
            return Err(ParseError(format!(
                "oauth2PermissionGrant {}: consentType {:?} is neither AllPrincipals nor Principal",
                grant.id, grant.consent_type
            )));
        }
        let on = resource.map(|r| format!(" on {r}")).unwrap_or_default();
        collected.grant(Grant {
            app: client.map(Principal::app).unwrap_or(App {
                client_id: Some(grant.client_id.clone()),
                ..App::default()
            }),
            scopes: grant
                .scope
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            consent: if tenant { Consent::Tenant } else { Consent::User },
            consented_by: if tenant { None } else { grant.principal_id.clone() },
            third_party: client.is_some_and(Principal::third_party),
            agent: client.filter(|c| is_agent_identity(c)).map(|c| agent_key(&c.id)),
            ..Grant::new(
                "oauth2_permission_grant",
                "microsoft",
                grant.id.clone(),
                CredentialKind::OauthGrant,
                if tenant {
                    format!("{app_name}{on} for the whole organisation")
                } else {
                    format!("{app_name}{on}")
                },
                now,
            )
        });
    }
    // Application permissions: one credential per application and resource, its roles as scopes.
    let mut by_pair: HashMap<(String, String), Vec<&Assignment>> = HashMap::new();
    for a in &directory.assignments {
        collected.records += 1;
        if a.principal_type
            .as_deref()
            .is_some_and(|t| t != "ServicePrincipal")
        {
            continue; // a person's or group's access to an app, not an application's permission
        }
        by_pair
            .entry((a.principal_id.clone(), a.resource_id.clone()))
            .or_default()
            .push(a);
    }
    for ((holder, resource_id), assignments) in by_pair {
        let first = assignments[0];
        let client = principal(&holder);
        let resource = principal(&resource_id);
        let holder_name = client
            .map(Principal::name)
            .or(first.principal_display_name.clone())
            .unwrap_or_else(|| holder.clone());
        let resource_name = resource
            .map(Principal::name)
            .or(first.resource_display_name.clone())
            .unwrap_or_else(|| resource_id.clone());
        let scopes = assignments
            .iter()
            .map(|a| {
                resource
                    .and_then(|r| r.app_roles.iter().find(|role| role.id == a.app_role_id))
                    .and_then(|role| role.value.clone())
                    .unwrap_or_else(|| a.app_role_id.clone())
            })
            .collect();
        let created = assignments
            .iter()
            .filter_map(|a| a.created_date_time.as_deref())
            .map(|t| super::time(t, "createdDateTime"))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .min();
        collected.grant(Grant {
            app: client.map(Principal::app).unwrap_or(App {
                name: Some(holder_name.clone()),
                ..App::default()
            }),
            scopes,
            consent: Consent::Admin,
            created_at: created,
            third_party: client.is_some_and(Principal::third_party),
            agent: client.filter(|c| is_agent_identity(c)).map(|c| agent_key(&c.id)),
            ..Grant::new(
                "app_role_assignment",
                "microsoft",
                format!("app-roles:{holder}:{resource_id}"),
                CredentialKind::OauthGrant,
                format!("{holder_name} application permissions on {resource_name}"),
                now,
            )
        });
    }
    Ok(())
}
