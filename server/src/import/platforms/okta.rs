//! Okta, from its management API's bare arrays: `/api/v1/apps` (the OIDC
//! apps, with their grant types and client authentication), a user's
//! `/api/v1/users/{id}/grants` (what they consented to, each scope a grant)
//! and `/api/v1/users` (to name them). A user's grants to one client are
//! one credential, its scopes the granted ones; a service app (client
//! credentials) is a credential of its own.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use model::api::{Consent, CredentialKind};
use serde::Deserialize;

use super::super::scanners::ParseError;
use super::{App, Collected, Grant, Page, opt_time, records, time};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OktaApp {
    id: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    credentials: Option<AppCredentials>,
    #[serde(default)]
    settings: Option<AppSettings>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppCredentials {
    #[serde(default)]
    oauth_client: Option<ClientCredentials>,
}

/// The client's id and how it authenticates; never its `client_secret`.
#[derive(Deserialize)]
struct ClientCredentials {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppSettings {
    #[serde(default)]
    oauth_client: Option<ClientSettings>,
}

#[derive(Deserialize)]
struct ClientSettings {
    #[serde(default)]
    grant_types: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OktaGrant {
    id: String,
    status: String,
    #[serde(default)]
    created: Option<String>,
    client_id: String,
    user_id: String,
    scope_id: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default, rename = "_embedded")]
    embedded: Option<Embedded>,
}

#[derive(Deserialize)]
struct Embedded {
    #[serde(default)]
    scope: Option<ScopeName>,
}

#[derive(Deserialize)]
struct ScopeName {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    profile: Option<Profile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    login: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

/// What an Okta import's pages said, before grants are named after their apps.
#[derive(Debug, Default)]
pub struct Apps {
    labels: HashMap<String, String>,
}

/// Reads one bare array: apps, grants or users, told apart by their fields.
pub fn read(
    document: serde_json::Value,
    page: &Page<'_>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    let serde_json::Value::Array(items) = document else {
        return Err(ParseError(
            "not an Okta answer: Okta's lists are bare arrays ([...]); an object is another API's page"
                .into(),
        ));
    };
    let Some(first) = items.first() else {
        if let Some(email) = page.email() {
            collected.note(format!("{email} has no grants (an empty page)"));
        }
        return Ok(());
    };
    if first.get("scopeId").is_some() {
        read_grants(records(items, "grants")?, page, collected, now)
    } else if first.get("signOnMode").is_some() || first.get("label").is_some() {
        read_apps(records(items, "apps")?, collected, now)
    } else if first.get("profile").is_some() {
        for (n, user) in records::<User>(items, "users")? {
            let profile = user.profile.unwrap_or(Profile {
                email: None,
                login: None,
                first_name: None,
                last_name: None,
            });
            let name = [profile.first_name, profile.last_name]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            match profile.email.or(profile.login) {
                Some(email) => collected.identity(&user.id, &email, Some(name)),
                None => collected.note(format!("users[{n}]: {} has no email, left out", user.id)),
            }
        }
        Ok(())
    } else {
        Err(ParseError(
            "a page of the wrong kind: expected /api/v1/apps, /api/v1/users or a user's /grants".into(),
        ))
    }
}

fn read_apps(
    apps: Vec<(usize, OktaApp)>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    collected.listings.insert(("service_app", String::new()));
    for (n, app) in apps {
        collected.records += 1;
        let label = app.label.clone().unwrap_or_else(|| app.id.clone());
        let client = app.credentials.as_ref().and_then(|c| c.oauth_client.as_ref());
        let client_id = client
            .and_then(|c| c.client_id.clone())
            .unwrap_or_else(|| app.id.clone());
        collected.okta.labels.insert(client_id.clone(), label.clone());
        let grant_types = app
            .settings
            .as_ref()
            .and_then(|s| s.oauth_client.as_ref())
            .map(|c| c.grant_types.clone())
            .unwrap_or_default();
        if !grant_types.iter().any(|g| g == "client_credentials") {
            continue;
        }
        // A service app acts as itself: its client authentication is a credential.
        let method = client
            .and_then(|c| c.token_endpoint_auth_method.clone())
            .unwrap_or_default();
        let kind = if method == "private_key_jwt" {
            CredentialKind::Certificate
        } else {
            CredentialKind::ApiKey
        };
        collected.grant(Grant {
            family: "service_app",
            covered_by: String::new(),
            provider: "okta",
            external_id: format!("app:{}", app.id),
            kind,
            name: format!("{label} client credentials ({method})"),
            app: App {
                client_id: Some(client_id),
                name: Some(label),
                ..App::default()
            },
            scopes: grant_types
                .into_iter()
                .map(|g| format!("grant_type:{g}"))
                .collect(),
            consent: Consent::Admin,
            consented_by: None,
            created_at: opt_time(app.created.as_deref(), &format!("apps[{n}].created"))?,
            expires_at: None,
            last_used_at: None,
            active: app.status.as_deref() != Some("INACTIVE"),
            state_at: now,
            listed: true,
            third_party: false,
            agent: None,
        });
    }
    Ok(())
}

fn read_grants(
    grants: Vec<(usize, OktaGrant)>,
    page: &Page<'_>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    // One credential per user and client: its scopes are the active grants'.
    let mut by_client: BTreeMap<(String, String), Vec<(usize, OktaGrant)>> = BTreeMap::new();
    for (n, grant) in grants {
        collected.records += 1;
        if !matches!(grant.status.as_str(), "ACTIVE" | "REVOKED") {
            return Err(ParseError(format!(
                "grants[{n}] ({}): status {:?} is neither ACTIVE nor REVOKED",
                grant.id, grant.status
            )));
        }
        by_client
            .entry((grant.user_id.clone(), grant.client_id.clone()))
            .or_default()
            .push((n, grant));
    }
    // A user's grants page is named after them: the name says who its one
    // user is, and nothing of a page holding several users' grants.
    let users: BTreeSet<String> = by_client.keys().map(|(user, _)| user.clone()).collect();
    let email = page.email().filter(|_| users.len() == 1);
    if let (Some(email), Some(user)) = (&email, users.first()) {
        collected.identity(user, email, None);
    }
    for ((user, client), grants) in by_client {
        collected.listings.insert(("okta_grant", user.clone()));
        let mut scopes = BTreeSet::new();
        let mut created = None;
        let mut admin = false;
        for (n, grant) in &grants {
            let at = grant
                .created
                .as_deref()
                .map(|t| time(t, &format!("grants[{n}].created")))
                .transpose()?;
            created = super::min_time(created, at);
            if grant.status == "ACTIVE" {
                scopes.insert(
                    grant
                        .embedded
                        .as_ref()
                        .and_then(|e| e.scope.as_ref())
                        .and_then(|s| s.name.clone())
                        .unwrap_or_else(|| grant.scope_id.clone()),
                );
                admin |= grant.source.as_deref() == Some("ADMIN");
            }
        }
        let label = collected.okta.labels.get(&client).cloned();
        let name = format!(
            "{} for {}",
            label.as_deref().unwrap_or(&client),
            email.clone().unwrap_or(user.clone())
        );
        collected.grant(Grant {
            covered_by: user.clone(),
            app: App {
                client_id: Some(client.clone()),
                name: label,
                ..App::default()
            },
            active: !scopes.is_empty(),
            scopes,
            consent: if admin { Consent::Admin } else { Consent::User },
            consented_by: Some(user.clone()),
            created_at: created,
            third_party: true,
            ..Grant::new(
                "okta_grant",
                "okta",
                format!("{user}/{client}"),
                CredentialKind::OauthGrant,
                name,
                now,
            )
        });
    }
    Ok(())
}

/// Names grants read before their apps' page after the app's label.
pub fn finish(collected: &mut Collected) {
    let labels = std::mem::take(&mut collected.okta.labels);
    for grant in collected.grants.values_mut().filter(|g| g.provider == "okta") {
        if grant.app.name.is_none()
            && let Some(label) = grant.app.client_id.as_ref().and_then(|c| labels.get(c))
        {
            grant.app.name = Some(label.clone());
            if let Some(rest) = grant
                .name
                .strip_prefix(grant.app.client_id.as_deref().unwrap_or_default())
            {
                grant.name = format!("{label}{rest}");
            }
        }
    }
}
