//! `/api/v1/accounts`: admins list, create and change people's accounts.
//! Every change is audited in its own transaction, with before and after.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use model::api::{self as json, Role};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{ApiJson, Id};
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::auth::{self, Admin};
use crate::db::accounts::{self, AccountError};
use crate::{ApiError, AppState};

/// Routes of this resource (all for admins).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(update_account))
}

/// Every account, by email.
#[utoipa::path(get, path = "/accounts", tag = "accounts",
    responses((status = 200, body = Vec<json::Account>), (status = 403, body = json::ErrorBody)))]
async fn list_accounts(
    State(state): State<AppState>,
    Admin(_): Admin,
) -> Result<Json<Vec<json::Account>>, ApiError> {
    Ok(Json(accounts::list(&state.db).await?))
}

/// Creates an account with a first password.
#[utoipa::path(post, path = "/accounts", tag = "accounts", request_body = json::NewAccount,
    responses((status = 201, body = json::Account), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 409, body = json::ErrorBody)))]
async fn create_account(
    State(state): State<AppState>,
    Admin(caller): Admin,
    source: Source,
    ApiJson(request): ApiJson<json::NewAccount>,
) -> Result<(StatusCode, Json<json::Account>), ApiError> {
    let email = auth::normalise_email(&request.email).map_err(ApiError::BadRequest)?;
    let roles = check_roles(&request.roles)?;
    auth::check_password(&request.password).map_err(ApiError::BadRequest)?;
    let hash = hash(request.password).await?;
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let id = accounts::create(&mut tx, &email, &hash, &roles, now)
        .await
        .map_err(|error| match error {
            AccountError::Exists(_) => ApiError::Conflict(error.to_string()),
            AccountError::Missing(_) => ApiError::NotFound(error.to_string()),
            AccountError::Database(error) => error.into(),
        })?;
    let entry = Entry::new(Actor::Person(caller.0.email), "account.create")
        .target(AuditTarget::new(TargetKind::Account, id))
        .details(serde_json::json!({ "email": email, "roles": roles }))
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    let account = accounts::get(&mut tx, id).await?.ok_or_else(|| missing(id))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// Changes an account's roles, bars or readmits it, or sets its password.
/// The last active admin cannot be demoted or barred (409), so that nobody
/// locks the organisation out of its own console.
#[utoipa::path(patch, path = "/accounts/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "Account id")), request_body = json::AccountChange,
    responses((status = 200, body = json::Account), (status = 400, body = json::ErrorBody),
        (status = 403, body = json::ErrorBody), (status = 404, body = json::ErrorBody),
        (status = 409, body = json::ErrorBody)))]
async fn update_account(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Id(id): Id,
    source: Source,
    ApiJson(change): ApiJson<json::AccountChange>,
) -> Result<Json<json::Account>, ApiError> {
    if change.roles.is_none() && change.disabled.is_none() && change.password.is_none() {
        return Err(ApiError::BadRequest(
            "nothing to change: give roles, disabled or password".into(),
        ));
    }
    let roles = change.roles.as_deref().map(check_roles).transpose()?;
    let hash = match change.password {
        Some(password) => {
            auth::check_password(&password).map_err(ApiError::BadRequest)?;
            Some(hash(password).await?)
        }
        None => None,
    };
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let before = accounts::get(&mut tx, id).await?.ok_or_else(|| missing(id))?;
    accounts::update(
        &mut tx,
        id,
        roles.as_deref(),
        change.disabled,
        hash.as_deref(),
        now,
    )
    .await?;
    if accounts::active_admins(&mut tx).await? == 0 {
        // Dropping the transaction undoes the update.
        return Err(ApiError::Conflict(format!(
            "{} is the last active admin; make another account admin first",
            before.email
        )));
    }
    let after = accounts::get(&mut tx, id).await?.ok_or_else(|| missing(id))?;
    let mut details = serde_json::Map::new();
    if before.roles != after.roles {
        details.insert(
            "roles".into(),
            serde_json::json!({ "before": before.roles, "after": after.roles }),
        );
    }
    if before.disabled != after.disabled {
        details.insert(
            "disabled".into(),
            serde_json::json!({ "before": before.disabled, "after": after.disabled }),
        );
    }
    if hash.is_some() {
        details.insert("password_changed".into(), true.into());
    }
    let entry = Entry::new(Actor::Person(caller.0.email), "account.update")
        .target(AuditTarget::new(TargetKind::Account, id))
        .details(details.into())
        .from(&source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// At least one role, each once, in the canonical order.
fn check_roles(roles: &[Role]) -> Result<Vec<Role>, ApiError> {
    let roles: Vec<Role> = Role::ALL.iter().copied().filter(|r| roles.contains(r)).collect();
    if roles.is_empty() {
        return Err(ApiError::BadRequest("an account needs at least one role".into()));
    }
    Ok(roles)
}

/// Argon2 takes tens of milliseconds of CPU: off the async workers.
async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}

fn missing(id: i64) -> ApiError {
    ApiError::NotFound(format!("no account with id {id}"))
}
