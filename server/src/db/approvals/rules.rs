//! The approval policy's rules: read in the order they are tried, one by
//! id, written, deleted, and where the next one goes.

use chrono::{DateTime, Utc};
use model::api::{self as json, AgentCategory, Environment, Sensitivity};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::super::sql::{get_enum, get_ref, get_time, timestamp};

fn split_set<T: std::str::FromStr<Err = json::UnknownValue>>(text: &str) -> Result<Vec<T>, sqlx::Error> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|e: json::UnknownValue| sqlx::Error::Decode(e.into()))
        })
        .collect()
}

fn joined<T: Copy>(values: &[T], name: impl Fn(T) -> &'static str) -> String {
    let mut names: Vec<&str> = values.iter().map(|v| name(*v)).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

fn rule(row: &AnyRow) -> Result<json::ApprovalRule, sqlx::Error> {
    Ok(json::ApprovalRule {
        id: row.try_get("id")?,
        position: row.try_get("position")?,
        name: row.try_get("name")?,
        operation: row.try_get("operation")?,
        sensitivities: split_set(row.try_get("sensitivities")?)?,
        environments: split_set(row.try_get("environments")?)?,
        categories: split_set(row.try_get("categories")?)?,
        decision: get_enum(row, "decision")?,
        approvals: row.try_get("approvals")?,
        approver_role: get_enum(row, "approver_role")?,
        expires_in: row.try_get("expires_in")?,
        channel: get_ref(row, "channel_id", "channel_name")?,
        updated_by: row.try_get("updated_by")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

const RULE_SELECT: &str = "SELECT r.id, r.position, r.name, r.operation, r.sensitivities, r.environments, \
     r.categories, r.decision, r.approvals, r.approver_role, r.expires_in, r.channel_id, ch.name AS channel_name, \
     r.updated_by, r.updated_at FROM approval_rule r LEFT JOIN notification_channel ch ON ch.id = r.channel_id";

/// The policy's rules, in the order they are tried.
pub async fn rules(conn: &mut AnyConnection) -> Result<Vec<json::ApprovalRule>, sqlx::Error> {
    sqlx::query(&format!("{RULE_SELECT} ORDER BY r.position, r.id"))
        .fetch_all(conn)
        .await?
        .iter()
        .map(rule)
        .collect()
}

/// One rule.
pub async fn rule_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<json::ApprovalRule>, sqlx::Error> {
    sqlx::query(&format!("{RULE_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(rule)
        .transpose()
}

/// Writes a rule: a new one (`id` `None`, returning its id) or over an existing one.
pub async fn save_rule(
    conn: &mut AnyConnection,
    id: Option<i64>,
    rule: &json::NewApprovalRule,
    position: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let query = match id {
        None => {
            "INSERT INTO approval_rule (position, name, operation, sensitivities, environments, categories, \
             decision, approvals, approver_role, expires_in, updated_by, updated_at, channel_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
        }
        Some(_) => {
            "UPDATE approval_rule SET position = $1, name = $2, operation = $3, sensitivities = $4, \
             environments = $5, categories = $6, decision = $7, approvals = $8, approver_role = $9, \
             expires_in = $10, updated_by = $11, updated_at = $12, channel_id = $13 WHERE id = $14 RETURNING id"
        }
    };
    sqlx::query_scalar(query)
        .bind(position)
        .bind(rule.name.trim())
        .bind(rule.operation.trim())
        .bind(joined(&rule.sensitivities, Sensitivity::as_str))
        .bind(joined(&rule.environments, Environment::as_str))
        .bind(joined(&rule.categories, AgentCategory::as_str))
        .bind(rule.decision.as_str())
        .bind(rule.approvals)
        .bind(rule.approver_role.as_str())
        .bind(rule.expires_in)
        .bind(by)
        .bind(timestamp(now))
        .bind(rule.channel)
        .bind(id.unwrap_or_default())
        .fetch_one(conn)
        .await
}

/// Deletes a rule; false when there was none.
pub async fn delete_rule(conn: &mut AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM approval_rule WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The position after the last rule.
pub async fn next_position(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 10 FROM approval_rule")
        .fetch_one(conn)
        .await
}
