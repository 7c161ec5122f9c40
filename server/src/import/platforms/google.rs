//! Google Workspace: the Directory API's `tokens.list` (the OAuth tokens a
//! user has granted, one page a user) and the Reports API's token
//! activities (`activities.list?applicationName=token`: `authorize`,
//! `revoke` and `activity` events). A token is a grant of an application
//! (by its client id) to a user: one credential per user and client.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use model::api::{Consent, CredentialKind};
use serde::Deserialize;

use super::super::cloudtrail::Event;
use super::super::scanners::ParseError;
use super::{Activity, App, Collected, Grant, Page, Target, list_field, records, time};

/// The listing a user's tokens.list is.
const FAMILY: &str = "oauth_token";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Token {
    client_id: String,
    #[serde(default)]
    display_text: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    native_app: bool,
    #[serde(default)]
    user_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivityRecord {
    id: ActivityId,
    #[serde(default)]
    actor: Actor,
    #[serde(default)]
    ip_address: Option<String>,
    #[serde(default)]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActivityId {
    time: String,
    #[serde(default)]
    unique_qualifier: Option<super::Id>,
    #[serde(default)]
    application_name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Actor {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    profile_id: Option<String>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    parameters: Vec<Parameter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Parameter {
    name: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    multi_value: Vec<String>,
}

impl RawEvent {
    fn value(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.as_deref())
    }

    fn values(&self, name: &str) -> BTreeSet<String> {
        self.parameters
            .iter()
            .filter(|p| p.name == name)
            .flat_map(|p| p.multi_value.iter().cloned().chain(p.value.clone()))
            .collect()
    }
}

/// Reads a tokens.list or activities.list page.
pub fn read(
    mut document: serde_json::Value,
    page: &Page<'_>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    let kind = document
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default()
        .to_owned();
    match kind.as_str() {
        "admin#directory#tokenList" => {
            // Google leaves `items` out of an empty list: a user without tokens.
            let items = match document.get("items") {
                None => Vec::new(),
                Some(_) => list_field(&mut document, "items", "tokens.list")?,
            };
            read_tokens(records(items, "items")?, page, collected, now)
        }
        "admin#reports#activities" => {
            let items = match document.get("items") {
                None => Vec::new(),
                Some(_) => list_field(&mut document, "items", "activities.list")?,
            };
            read_activities(records(items, "items")?, collected)
        }
        "" => Err(ParseError(
            "not a Google Workspace answer: expected the Directory API's tokens.list \
             (`\"kind\": \"admin#directory#tokenList\"`) or the Reports API's activities.list \
             (`\"kind\": \"admin#reports#activities\"`)"
                .into(),
        )),
        other => Err(ParseError(format!(
            "a page of the wrong kind ({other:?}): expected tokens.list (admin#directory#tokenList) \
             or token activities (admin#reports#activities)"
        ))),
    }
}

fn grant_id(user: &str, client: &str) -> String {
    format!("{user}/{client}")
}

fn read_tokens(
    tokens: Vec<(usize, Token)>,
    page: &Page<'_>,
    collected: &mut Collected,
    now: DateTime<Utc>,
) -> Result<(), ParseError> {
    // The page does not name its user by email: its file name (or the
    // import's source) does; else the user's id, named by an activity.
    let user = match page.email() {
        Some(email) => email,
        None => match tokens.iter().find_map(|(_, t)| t.user_key.clone()) {
            Some(key) => key,
            None if tokens.is_empty() => {
                return Err(ParseError(
                    "an empty tokens.list names no user: name the file after the user's email \
                     (tokens/alice@example.com.json) so that a full import knows whose grants are gone"
                        .into(),
                ));
            }
            None => {
                return Err(ParseError(
                    "items[0]: a token without a userKey, in a file not named after its user".into(),
                ));
            }
        },
    };
    let keys: std::collections::BTreeSet<&str> =
        tokens.iter().filter_map(|(_, t)| t.user_key.as_deref()).collect();
    if keys.len() > 1 {
        return Err(ParseError(format!(
            "a tokens.list page is one user's, and this one holds {} users' tokens",
            keys.len()
        )));
    }
    if let (Some(email), Some(key)) = (page.email(), keys.first()) {
        collected.identity(key, &email, None);
    }
    collected.listings.insert((FAMILY, user.clone()));
    for (n, token) in tokens {
        collected.records += 1;
        if token.client_id.trim().is_empty() {
            return Err(ParseError(format!("items[{n}]: an empty clientId")));
        }
        let app_name = token
            .display_text
            .clone()
            .unwrap_or_else(|| token.client_id.clone());
        collected.grant(Grant {
            covered_by: user.clone(),
            app: App {
                client_id: Some(token.client_id.clone()),
                name: token.display_text.clone(),
                ..App::default()
            },
            scopes: token.scopes.into_iter().collect(),
            consent: Consent::User,
            consented_by: Some(user.clone()),
            third_party: !token.native_app || token.display_text.is_some(),
            ..Grant::new(
                FAMILY,
                "google",
                grant_id(&user, &token.client_id),
                CredentialKind::OauthGrant,
                format!("{app_name} for {user}"),
                now,
            )
        });
    }
    Ok(())
}

fn read_activities(
    activities: Vec<(usize, ActivityRecord)>,
    collected: &mut Collected,
) -> Result<(), ParseError> {
    for (n, record) in activities {
        let at = time(&record.id.time, &format!("items[{n}].id.time"))?;
        if record
            .id
            .application_name
            .as_deref()
            .is_some_and(|a| a != "token")
        {
            return Err(ParseError(format!(
                "items[{n}]: an activity of {:?}: export applicationName=token",
                record.id.application_name.unwrap_or_default()
            )));
        }
        let Some(email) = record.actor.email.as_deref().map(str::to_lowercase) else {
            collected.note(format!(
                "items[{n}]: a token event without the user's email, left out"
            ));
            continue;
        };
        if let Some(profile) = &record.actor.profile_id {
            collected.identity(profile, &email, None);
        }
        for (e, event) in record.events.iter().enumerate() {
            collected.records += 1;
            let Some(client) = event.value("client_id") else {
                return Err(ParseError(format!(
                    "items[{n}].events[{e}]: no client_id parameter"
                )));
            };
            let app_name = event.value("app_name").map(str::to_owned);
            let grant = Grant {
                app: App {
                    client_id: Some(client.to_owned()),
                    name: app_name.clone(),
                    ..App::default()
                },
                scopes: event.values("scope"),
                consent: Consent::User,
                consented_by: Some(email.clone()),
                listed: false,
                third_party: true,
                ..Grant::new(
                    FAMILY,
                    "google",
                    grant_id(&email, client),
                    CredentialKind::OauthGrant,
                    format!("{} for {email}", app_name.as_deref().unwrap_or(client)),
                    at,
                )
            };
            match event.name.as_deref() {
                Some("authorize") => collected.grant(Grant {
                    created_at: Some(at),
                    ..grant
                }),
                Some("revoke") => collected.grant(Grant {
                    active: false,
                    scopes: BTreeSet::new(),
                    ..grant
                }),
                Some("activity") => {
                    let action = match (event.value("api_name"), event.value("method_name")) {
                        (_, Some(method)) => method.to_owned(),
                        (Some(api), None) => api.to_owned(),
                        (None, None) => "token activity".to_owned(),
                    };
                    let qualifier = record
                        .id
                        .unique_qualifier
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| record.id.time.clone());
                    collected.activity.push(Activity {
                        target: Target::Grant("google", grant.external_id.clone()),
                        event: Event {
                            event_id: format!("google:{qualifier}:{e}"),
                            occurred_at: at,
                            action,
                            access_key_id: None,
                            principals: Vec::new(),
                            source_address: record.ip_address.clone(),
                            user_agent: None,
                            failed: false,
                            resource: None,
                        },
                    });
                    // Activity proves the grant exists, not that it is still active now.
                    collected.grant(Grant {
                        last_used_at: Some(at),
                        state_at: DateTime::<Utc>::UNIX_EPOCH,
                        scopes: BTreeSet::new(),
                        ..grant
                    });
                }
                other => collected.note(format!(
                    "items[{n}].events[{e}]: a token event {:?}, left out",
                    other.unwrap_or_default()
                )),
            }
        }
    }
    Ok(())
}

/// Names by email the grants of pages that named their user by id only
/// (a tokens.list without its user's email in its file name), where
/// another page of the import (an activity, a named page) says who that
/// is: a grant is then one credential however its pages named its user.
pub fn finish(collected: &mut Collected) {
    let email_of = |key: &str| collected.identities.get(key).map(|i| i.email.clone());
    let mut renamed = Vec::new();
    for ((provider, external_id), grant) in &collected.grants {
        if *provider != "google" {
            continue;
        }
        let Some((user, client)) = external_id.split_once('/') else {
            continue;
        };
        if let Some(email) = email_of(user).filter(|e| e != user) {
            renamed.push((
                (*provider, external_id.clone()),
                user.to_owned(),
                email,
                client.to_owned(),
                grant.clone(),
            ));
        }
    }
    for (key, user, email, client, mut grant) in renamed {
        collected.grants.remove(&key);
        grant.external_id = grant_id(&email, &client);
        grant.name = grant.name.replace(&user, &email);
        grant.consented_by = Some(email.clone());
        if grant.covered_by == user {
            grant.covered_by = email.clone();
        }
        if collected.listings.remove(&(FAMILY, user.clone())) {
            collected.listings.insert((FAMILY, email));
        }
        collected.grant(grant);
    }
}
