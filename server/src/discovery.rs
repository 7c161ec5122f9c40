//! SaaS and cloud discovery's admin actions, shared by the HTTP API and
//! the command line: the catalogue of AI applications (the built-in
//! entries and the admins' own) and the promotion of a grant no entry
//! matched to a SaaS agent. Each change is audited in its transaction and
//! rescores what it moves.

use chrono::Utc;
use model::api as json;

use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::catalogue::BUILT_IN_APPS;
use crate::db::{Db, platforms, risk};
use crate::import::platforms::write;

/// Longest name, vendor or identifier of an entry.
const MAX_TEXT: usize = 200;
/// Most identifiers of each kind an entry may list.
const MAX_IDENTIFIERS: usize = 100;

/// The catalogue: the admins' entries (newest first), then the built-in ones.
pub async fn list_apps(db: &Db) -> Result<Vec<json::AiApp>, ApiError> {
    let mut conn = db.pool().acquire().await?;
    let mut apps = platforms::ai_apps(&mut conn).await?;
    apps.extend(BUILT_IN_APPS.iter().cloned());
    Ok(apps)
}

fn clean_list(what: &str, list: &[String]) -> Result<Vec<String>, ApiError> {
    if list.len() > MAX_IDENTIFIERS {
        return Err(ApiError::BadRequest(format!(
            "{what} may list at most {MAX_IDENTIFIERS} values"
        )));
    }
    let mut cleaned: Vec<String> = Vec::new();
    for value in list {
        let value = value.trim();
        if value.is_empty() || value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
            return Err(ApiError::BadRequest(format!(
                "each of {what} must have 1 to {MAX_TEXT} printable characters"
            )));
        }
        if !cleaned.iter().any(|c| c.eq_ignore_ascii_case(value)) {
            cleaned.push(value.to_owned());
        }
    }
    Ok(cleaned)
}

fn clean_text(what: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "{what} must have 1 to {MAX_TEXT} printable characters"
        )));
    }
    Ok(value.to_owned())
}

/// Adds an admin's entry: grants it matches become agents from the next import.
pub async fn add_app(
    db: &Db,
    app: &json::NewAiApp,
    by: &Actor,
    source: &Source,
) -> Result<json::AiApp, ApiError> {
    let app = json::NewAiApp {
        name: clean_text("name", &app.name)?,
        vendor: clean_text("vendor", &app.vendor)?,
        client_ids: clean_list("client_ids", &app.client_ids)?,
        github_apps: clean_list("github_apps", &app.github_apps)?,
        publishers: clean_list("publishers", &app.publishers)?,
        names: clean_list("names", &app.names)?,
    };
    if app.client_ids.is_empty()
        && app.github_apps.is_empty()
        && app.publishers.is_empty()
        && app.names.is_empty()
    {
        return Err(ApiError::BadRequest(
            "an entry needs at least one client id, GitHub app, publisher or name to match".into(),
        ));
    }
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let added = platforms::add_ai_app(&mut tx, &app, by.name(), now).await?;
    let entry = Entry::new(by.clone(), "ai_app.create")
        .target(AuditTarget::new(TargetKind::AiApp, &added.key))
        .details(serde_json::to_value(&added).unwrap_or_default())
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(added)
}

/// Deletes an admin's entry (the built-in ones are the code's). Agents it
/// matched stay: they are the organisation's history.
pub async fn delete_app(db: &Db, key: &str, by: &Actor, source: &Source) -> Result<(), ApiError> {
    let Some(id) = key.strip_prefix("admin-").and_then(|id| id.parse::<i64>().ok()) else {
        return Err(if BUILT_IN_APPS.iter().any(|a| a.key == key) {
            ApiError::Conflict(format!(
                "{key} is a built-in entry: change server/catalogue/ai-apps.yaml instead"
            ))
        } else {
            ApiError::NotFound(format!("no catalogue entry {key}"))
        });
    };
    let now = Utc::now();
    let mut tx = db.begin().await?;
    if !platforms::delete_ai_app(&mut tx, id).await? {
        return Err(ApiError::NotFound(format!("no catalogue entry {key}")));
    }
    let entry = Entry::new(by.clone(), "ai_app.delete")
        .target(AuditTarget::new(TargetKind::AiApp, key))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Makes a SaaS agent of a grant a platform import found and no catalogue
/// entry matched; answers the agent's id.
pub async fn promote(db: &Db, credential: i64, by: &Actor, source: &Source) -> Result<i64, ApiError> {
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let facts = platforms::promotable(&mut tx, credential).await?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "no grant found by a platform import with credential id {credential}"
        ))
    })?;
    if let Some(agent) = facts.agent_id {
        return Err(ApiError::Conflict(format!(
            "the grant is agent {agent}'s already"
        )));
    }
    let agent = write::promote(&mut tx, credential, &facts, now).await?;
    risk::refresh(&mut tx, &[credential], &[agent], now).await?;
    let entry = Entry::new(by.clone(), "credential.promote")
        .target(AuditTarget::new(TargetKind::Credential, credential))
        .details(serde_json::json!({ "agent": agent, "platform": facts.platform, "app": facts.app_name }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(agent)
}
