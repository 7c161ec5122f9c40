//! Giving agents and credentials an owner, as the ownership API and access
//! reviews ("reassign") both do: in the caller's transaction, each change
//! audited, the new owner told, and the scores the owner feeds recomputed.

use chrono::{DateTime, Utc};
use model::api::{self as json, OwnedKind};
use sqlx::AnyConnection;

use crate::ApiError;
use crate::audit::{self, Actor, Entry, Source};
use crate::db::{ownership, risk};

/// Gives `entities` (of one `kind`) to `owner`; those that are theirs
/// already are left as they are. Answers the ids that changed hands.
#[allow(clippy::too_many_arguments)]
pub async fn give(
    conn: &mut AnyConnection,
    kind: OwnedKind,
    entities: &[&ownership::Owned],
    owner: &json::Ref,
    by: &str,
    reason: &str,
    source: Option<&Source>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, ApiError> {
    let changed: Vec<&&ownership::Owned> = entities
        .iter()
        .filter(|e| e.owner.as_ref().map(|o| o.id) != Some(owner.id))
        .collect();
    let ids: Vec<i64> = changed.iter().map(|e| e.entity.id).collect();
    if ids.is_empty() {
        return Ok(ids);
    }
    ownership::set_owner(conn, kind, &ids, owner.id).await?;
    for entity in &changed {
        let mut entry = Entry::new(Actor::Person(by.to_owned()), "owner.assign")
            .target(format!("{kind}:{}", entity.entity.id))
            .details(serde_json::json!({
                "before": entity.owner,
                "after": owner,
                "reason": reason,
            }));
        if let Some(source) = source {
            entry = entry.from(source);
        }
        audit::record(conn, &entry, now).await?;
    }
    let given: Vec<json::Ref> = changed.iter().map(|e| e.entity.clone()).collect();
    crate::notify::assigned(conn, owner, kind, &given, by, now).await?;
    // An owner changes the owner factors of these and of what they touch.
    match kind {
        OwnedKind::Agent => risk::refresh(conn, &[], &ids, now).await?,
        OwnedKind::Credential => risk::refresh(conn, &ids, &[], now).await?,
    };
    Ok(ids)
}
