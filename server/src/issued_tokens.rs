//! Issuing bearer tokens to machines — enrolment tokens for endpoint
//! collectors, SCIM tokens for the identity provider — and revoking them:
//! the secret is made here and shown once, only its hash is kept, and both
//! are audited in the same transaction. The HTTP handlers and the command
//! line call this.

use chrono::{DateTime, Utc};
use model::api::{self as json, AuditTarget, TargetKind};

use crate::ApiError;
use crate::audit::{self, Actor, Entry, Source};
use crate::db::Db;
use crate::db::issued_tokens::{self as queries, Issued};
use crate::db::sql::timestamp;

/// Who issued a token, as the token list shows it.
fn issuer(actor: &Actor) -> String {
    match actor {
        Actor::Person(email) => email.clone(),
        Actor::Agent(id) => format!("agent {id}"),
        Actor::System(what) => what.clone(),
    }
}

/// Issues a token of `kind` named `name` for `days` (1 to 365); its secret
/// is in this answer only.
pub async fn create(
    db: &Db,
    kind: Issued,
    name: &str,
    days: u32,
    by: Actor,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<json::CreatedIssuedToken, ApiError> {
    let (name, expires) = crate::auth::token_terms(name, days, now)?;
    let secret = format!("{}{}", kind.prefix(), crate::auth::random_secret());
    let mut tx = db.begin().await?;
    let id = queries::create(
        &mut tx,
        kind,
        name,
        &crate::auth::session_hash(&secret),
        &issuer(&by),
        now,
        expires,
    )
    .await?;
    let entry = Entry::new(by, &format!("{}.create", kind.noun()))
        .target(target(kind, id))
        .details(serde_json::json!({ "name": name, "expires_at": timestamp(expires) }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    let token = queries::get(&mut tx, kind, id).await?.expect("just stored");
    tx.commit().await?;
    Ok(json::CreatedIssuedToken { token, secret })
}

/// Revokes a token at once (audited); revoking it again changes nothing.
pub async fn revoke(
    db: &Db,
    kind: Issued,
    id: i64,
    by: Actor,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<json::IssuedToken, ApiError> {
    let mut tx = db.begin().await?;
    let changed = queries::revoke(&mut tx, kind, id, now).await?;
    let token = queries::get(&mut tx, kind, id).await?.ok_or_else(|| {
        let what = kind.noun().replace('_', " ");
        ApiError::NotFound(format!("no {what} with id {id}"))
    })?;
    if changed {
        let entry = Entry::new(by, &format!("{}.revoke", kind.noun()))
            .target(target(kind, id))
            .details(serde_json::json!({ "name": token.name }))
            .from(source);
        audit::record(&mut tx, &entry, now).await?;
    }
    tx.commit().await?;
    Ok(token)
}

/// A token as an audit entry's target (`enrolment_token:4`, `scim_token:2`).
fn target(kind: Issued, id: i64) -> AuditTarget {
    let kind = match kind {
        Issued::Enrolment => TargetKind::EnrolmentToken,
        Issued::Scim => TargetKind::ScimToken,
    };
    AuditTarget::new(kind, id)
}
