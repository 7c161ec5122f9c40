//! Recording AWS IAM reports ([`super::aws`]) in the inventory: roles
//! become IAM-role credentials, users' access keys (known by their slot)
//! access-key credentials; their policies become their scopes and what
//! they reach; the credential report's dates become their rotation and
//! last use. A user that can also sign in to the console with a password
//! marks its keys as open to a person (`console_access`, NHI10).

use chrono::{DateTime, Utc};
use model::api::{self as json, CredentialKind, CredentialStatus};
use sqlx::AnyConnection;

use super::aws::{KeySlot, Principal};
use crate::db::iam::{self, Described, Upserted};
use crate::fingerprint::Fingerprinter;

fn count(summary: &mut json::ImportSummary, upserted: Upserted) {
    match upserted {
        Upserted::Created(_) => summary.credentials_created += 1,
        Upserted::Updated(_) => summary.credentials_updated += 1,
        Upserted::Unchanged(_) => {}
    }
}

/// Records a user (its policies, applied to its known keys) or a role (a
/// credential of its own). Answers the credentials to rescore.
pub async fn record_principal(
    conn: &mut AnyConnection,
    keys: &Fingerprinter,
    principal: &Principal,
    import: i64,
    summary: &mut json::ImportSummary,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    summary.principals += 1;
    let scopes = principal.scopes();
    let reach = iam::resolve(conn, &principal.resources()).await?;
    let credentials = if principal.role {
        let upserted = iam::upsert(
            conn,
            &Described {
                kind: CredentialKind::IamRole,
                external_id: principal.arn.clone(),
                name: principal.name.clone(),
                fingerprint: keys.fingerprint(principal.arn.as_bytes()),
                created_at: principal.created_at.unwrap_or(now),
                scopes: Some(scopes),
                last_rotated_at: None,
                last_used_at: principal.last_used_at,
                status: None,
                trusted_by: Some(principal.trusted.iter().cloned().collect::<Vec<_>>().join(", ")),
            },
        )
        .await?;
        count(summary, upserted);
        vec![upserted.id()]
    } else {
        iam::put_user(
            conn,
            &principal.arn,
            &principal.name,
            &scopes,
            &principal.resources(),
            import,
        )
        .await?;
        let known = iam::key_slots(conn, &principal.arn).await?;
        for id in &known {
            let changed = iam::set_scopes(conn, *id, &scopes).await?;
            summary.credentials_updated += i64::from(changed);
        }
        known
    };
    for id in &credentials {
        iam::set_reach(conn, *id, &reach).await?;
        summary.reach_edges += reach.len() as i64;
    }
    Ok(credentials)
}

/// Records one access key of the credential report: its dates and state,
/// whether its user can also sign in with a password, and (if an
/// authorization-details import named its user) its user's policies.
/// Answers the credential.
pub async fn record_key_slot(
    conn: &mut AnyConnection,
    keys: &Fingerprinter,
    slot: &KeySlot,
    summary: &mut json::ImportSummary,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let policies = iam::user(conn, &slot.user_arn).await?;
    let external_id = slot.external_id();
    let upserted = iam::upsert(
        conn,
        &Described {
            kind: CredentialKind::AccessKey,
            name: format!("{} access key {}", slot.user, slot.slot),
            fingerprint: keys.fingerprint(external_id.as_bytes()),
            external_id,
            created_at: slot.last_rotated.or(slot.user_created).unwrap_or(now),
            scopes: policies.as_ref().map(|(scopes, _)| scopes.clone()),
            last_rotated_at: slot.last_rotated,
            last_used_at: slot.last_used,
            status: Some(if slot.active {
                CredentialStatus::Active
            } else {
                CredentialStatus::Disabled
            }),
            trusted_by: None,
        },
    )
    .await?;
    count(summary, upserted);
    let id = upserted.id();
    if let (Some((_, resources)), Upserted::Created(_)) = (&policies, upserted) {
        let reach = iam::resolve(conn, resources).await?;
        iam::set_reach(conn, id, &reach).await?;
        summary.reach_edges += reach.len() as i64;
    }
    let console = slot.password_enabled.then(|| {
        format!(
            "{} can also sign in to the console with a password{}",
            slot.user,
            slot.password_last_used
                .map(|t| format!(", last used {}", t.format("%Y-%m-%d")))
                .unwrap_or_else(|| ", never used".into())
        )
    });
    if iam::set_console_access(conn, id, console.as_deref()).await?
        && matches!(upserted, Upserted::Unchanged(_))
    {
        summary.credentials_updated += 1;
    }
    Ok(id)
}
