//! People leaving and coming back: the leaver workflow that a manager's
//! click (`POST /people/{id}/depart`) and the identity provider (SCIM
//! `active=false` or a delete) both start. What the person owns becomes
//! orphaned at once, due to be re-homed within the grace period, and is
//! rescored; their manager's orphan queue and coverage follow from it; their
//! account's sessions end, and it cannot sign in while they are away.

use chrono::{DateTime, Utc};
use model::api::{self as json, OwnedKind, PersonStatus};
use sqlx::AnyConnection;

use crate::ApiError;
use crate::audit::{self, Actor, AuditTarget, Entry, Source, TargetKind};
use crate::db::{accounts, ownership, risk};

/// What a departure changed.
#[derive(Debug, Clone)]
pub struct Departed {
    /// Whether the person was still active (otherwise nothing changed).
    pub changed: bool,
    /// When they left (now, or when they had already left).
    pub departed_at: DateTime<Utc>,
    /// The agents they own, now orphaned.
    pub agents: Vec<json::Ref>,
    /// The credentials they own, now orphaned.
    pub credentials: Vec<json::Ref>,
}

fn ids(entities: &[json::Ref]) -> Vec<i64> {
    entities.iter().map(|e| e.id).collect()
}

/// Marks `person` as having left at `now` (audited as `person.depart` by
/// `actor`, with `reason`), and rescores what they own. Someone who already
/// left keeps their date, and nothing is written.
pub async fn depart(
    conn: &mut AnyConnection,
    person: &ownership::Candidate,
    actor: Actor,
    reason: &str,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<Departed, ApiError> {
    let id = person.person.id;
    let agents = ownership::owned_by(conn, OwnedKind::Agent, id).await?;
    let credentials = ownership::owned_by(conn, OwnedKind::Credential, id).await?;
    let changed = person.status == PersonStatus::Active;
    let departed_at = match person.departed_at {
        Some(at) if !changed => at,
        _ => now,
    };
    if changed {
        ownership::depart(conn, id, departed_at).await?;
        // A leaver's access ends with them: their account's sessions now.
        accounts::end_person_sessions(conn, id, now).await?;
        let entry = Entry::new(actor, "person.depart")
            .target(AuditTarget::new(TargetKind::Person, id))
            .details(serde_json::json!({
                "before": {"status": PersonStatus::Active},
                "after": {"status": PersonStatus::Departed, "departed_at": departed_at},
                "reason": reason,
                "orphaned": {"agents": agents.len(), "credentials": credentials.len()},
            }))
            .from(source);
        audit::record(conn, &entry, now).await?;
        risk::refresh(conn, &ids(&credentials), &ids(&agents), now).await?;
        crate::notify::orphaned(conn, &person.person, &agents, &credentials, now).await?;
    }
    Ok(Departed {
        changed,
        departed_at,
        agents,
        credentials,
    })
}

/// Marks a person who had left as active again (the identity provider
/// re-activated them): what they own is theirs again, and rescored.
pub async fn reactivate(
    conn: &mut AnyConnection,
    person: &ownership::Candidate,
    actor: Actor,
    reason: &str,
    source: &Source,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    if person.status == PersonStatus::Active {
        return Ok(false);
    }
    let id = person.person.id;
    ownership::reactivate(conn, id).await?;
    let entry = Entry::new(actor, "person.return")
        .target(AuditTarget::new(TargetKind::Person, id))
        .details(serde_json::json!({
            "before": {"status": PersonStatus::Departed, "departed_at": person.departed_at},
            "after": {"status": PersonStatus::Active},
            "reason": reason,
        }))
        .from(source);
    audit::record(conn, &entry, now).await?;
    let agents = ownership::owned_by(conn, OwnedKind::Agent, id).await?;
    let credentials = ownership::owned_by(conn, OwnedKind::Credential, id).await?;
    risk::refresh(conn, &ids(&credentials), &ids(&agents), now).await?;
    Ok(true)
}

/// Rescores (and re-homes on coverage) what a person owns after they moved
/// to another team: their orphans and gaps count against the new one.
pub async fn moved(conn: &mut AnyConnection, person: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    let agents = ownership::owned_by(conn, OwnedKind::Agent, person).await?;
    let credentials = ownership::owned_by(conn, OwnedKind::Credential, person).await?;
    risk::refresh(conn, &ids(&credentials), &ids(&agents), now).await?;
    Ok(())
}
