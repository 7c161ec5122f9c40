//! The approval policy's rules, which admins add, change and remove; each
//! change audited with the rule before and after.

use chrono::Utc;
use model::api::{self as json, Role};

use super::submit::check_text;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::auth::Caller;
use crate::db::approvals;
use crate::{ApiError, AppState};

/// Refuses (400) a rule that could not work.
fn check_rule(rule: &json::NewApprovalRule) -> Result<(), ApiError> {
    check_text("name", &rule.name, 200)?;
    check_text("operation", &rule.operation, 200)?;
    if !(1..=2).contains(&rule.approvals) {
        return Err(ApiError::BadRequest(format!(
            "approvals must be 1 or 2, not {}",
            rule.approvals
        )));
    }
    if !(60..=604_800).contains(&rule.expires_in) {
        return Err(ApiError::BadRequest(format!(
            "expires_in must be between 60 and 604800 seconds (a week), not {}",
            rule.expires_in
        )));
    }
    if rule.approver_role == Role::Viewer {
        return Err(ApiError::BadRequest(
            "viewers cannot approve; choose another approver_role".into(),
        ));
    }
    if rule.position.is_some_and(|p| !(0..=1_000_000).contains(&p)) {
        return Err(ApiError::BadRequest(
            "position must be between 0 and 1000000".into(),
        ));
    }
    Ok(())
}

/// Adds a rule (`id` `None`) or changes rule `id`; answers it as saved.
pub async fn save(
    state: &AppState,
    caller: &Caller,
    id: Option<i64>,
    rule: &json::NewApprovalRule,
    source: &Source,
) -> Result<json::ApprovalRule, ApiError> {
    check_rule(rule)?;
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let before = match id {
        Some(id) => Some(
            approvals::rule_by_id(&mut tx, id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("no approval rule with id {id}")))?,
        ),
        None => None,
    };
    let position = match (rule.position, &before) {
        (Some(position), _) => position,
        (None, Some(before)) => before.position,
        (None, None) => approvals::next_position(&mut tx).await?,
    };
    if let Some(channel) = rule.channel
        && crate::db::notify::channel(&mut tx, channel).await?.is_none()
    {
        return Err(ApiError::Unprocessable(format!(
            "no notification channel with id {channel}; admins add them at /api/v1/notification-channels"
        )));
    }
    let saved = approvals::save_rule(&mut tx, id, rule, position, &caller.0.email, now).await?;
    let after = approvals::rule_by_id(&mut tx, saved)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval rule with id {saved}")))?;
    let action = if before.is_some() {
        "approval_rule.update"
    } else {
        "approval_rule.create"
    };
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), action)
        .target(AuditTarget::new(TargetKind::ApprovalRule, saved))
        .details(serde_json::json!({ "before": before, "after": after }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(after)
}

/// Removes rule `id`.
pub async fn delete(state: &AppState, caller: &Caller, id: i64, source: &Source) -> Result<(), ApiError> {
    let now = Utc::now();
    let mut tx = state.db.begin().await?;
    let before = approvals::rule_by_id(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no approval rule with id {id}")))?;
    approvals::delete_rule(&mut tx, id).await?;
    let entry = Entry::new(Actor::Person(caller.0.email.clone()), "approval_rule.delete")
        .target(AuditTarget::new(TargetKind::ApprovalRule, id))
        .details(serde_json::json!({ "before": before }))
        .from(source);
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    Ok(())
}
