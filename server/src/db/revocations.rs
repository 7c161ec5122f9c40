//! Queries of revocations: the "what breaks" plan, the revocation rows and
//! their copy checklists, and the automation webhook's outbox.

use chrono::{DateTime, Utc};
use model::api::{self as json, ChecklistState, OutboxTopic, RevocationState};
use sqlx::{AnyConnection, Row};

use super::credentials::{self, COPY_COLUMNS, COPY_FROM, activity_event, copy_summary};
use super::sql::{
    self, Paging, Params, Sort, get_enum, get_opt_time, get_ref, get_required_ref, get_time, timestamp,
};
use super::{Db, resources};
use crate::ApiError;

/// The agents and tools that use a credential (at most 500 pairs).
pub async fn consumers(db: &Db, credential: i64) -> Result<Vec<json::Consumer>, sqlx::Error> {
    sqlx::query(
        "SELECT a.id, a.name, t.id AS tool_id, t.name AS tool_name, o.id AS owner_id, o.name AS owner_name, \
         a.last_seen FROM tool_credential tc JOIN tool t ON t.id = tc.tool_id \
         JOIN agent_tool at ON at.tool_id = t.id JOIN agent a ON a.id = at.agent_id \
         LEFT JOIN person o ON o.id = a.owner_id \
         WHERE tc.credential_id = $1 ORDER BY a.name, a.id, t.name, t.id LIMIT 500",
    )
    .bind(credential)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|row| {
        Ok(json::Consumer {
            agent: get_required_ref(row, "id", "name")?,
            tool: get_required_ref(row, "tool_id", "tool_name")?,
            owner: get_ref(row, "owner_id", "owner_name")?,
            last_seen: get_opt_time(row, "last_seen")?,
        })
    })
    .collect()
}

/// One credential's summary, or 404.
pub async fn credential(db: &Db, id: i64) -> Result<json::CredentialSummary, ApiError> {
    credentials::summaries(db, &[id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("no credential with id {id}")))
}

/// The copies of a credential's secret still stored somewhere.
pub async fn present_copies(db: &Db, credential: i64) -> Result<Vec<json::CopySummary>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COPY_COLUMNS} {COPY_FROM} WHERE cp.credential_id = $1 AND cp.status = 'present' \
         ORDER BY cp.kind, cp.locator, cp.id LIMIT 1000"
    ))
    .bind(credential)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(copy_summary)
    .collect()
}

/// `GET /api/v1/credentials/{id}/revocation-plan`.
pub async fn plan(db: &Db, id: i64) -> Result<json::RevocationPlan, ApiError> {
    let credential = credential(db, id).await?;
    let last_activity = sqlx::query(
        "SELECT e.id, e.occurred_at, e.action, e.source_address, e.user_agent, e.outcome, \
         r.id AS resource_id, r.name AS resource_name \
         FROM activity_event e LEFT JOIN resource r ON r.id = e.resource_id \
         WHERE e.credential_id = $1 ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .as_ref()
    .map(activity_event)
    .transpose()?;
    Ok(json::RevocationPlan {
        consumers: consumers(db, id).await?,
        last_activity,
        resources: resources::reached_by_credential(db, id, Some(200)).await?,
        resources_total: sqlx::query_scalar("SELECT COUNT(*) FROM reach WHERE credential_id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?,
        copies: present_copies(db, id).await?,
        revocation: brief(db, id).await?,
        credential,
    })
}

/// The revocation of a credential, in one line, if there is one.
pub async fn brief(db: &Db, credential: i64) -> Result<Option<json::RevocationBrief>, sqlx::Error> {
    sqlx::query("SELECT id, state FROM revocation WHERE credential_id = $1")
        .bind(credential)
        .fetch_optional(db.pool())
        .await?
        .map(|row| {
            Ok(json::RevocationBrief {
                id: row.try_get("id")?,
                state: get_enum(&row, "state")?,
            })
        })
        .transpose()
}

/// A revocation as stored, for deciding what may happen to it.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its id.
    pub id: i64,
    /// The credential being revoked.
    pub credential: i64,
    /// Where it stands.
    pub state: RevocationState,
}

/// The revocation with this id.
pub async fn stored(conn: &mut AnyConnection, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query("SELECT id, credential_id, state FROM revocation WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(|row| {
            Ok(Stored {
                id: row.try_get("id")?,
                credential: row.try_get("credential_id")?,
                state: get_enum(&row, "state")?,
            })
        })
        .transpose()
}

/// Records a revocation unless the credential has one: returns the new id, or
/// `None` when another request recorded one first (the unique index on
/// `credential_id` decides, on both engines, even between replicas).
pub async fn create(
    conn: &mut AnyConnection,
    credential: i64,
    state: RevocationState,
    reason: &str,
    replacement: Option<i64>,
    requested_by: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO revocation (credential_id, state, reason, replacement_id, requested_by, requested_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (credential_id) DO NOTHING RETURNING id",
    )
    .bind(credential)
    .bind(state.as_str())
    .bind(reason)
    .bind(replacement)
    .bind(requested_by)
    .bind(timestamp(now))
    .fetch_optional(conn)
    .await
}

/// The revocation of a credential, if any.
pub async fn of_credential(conn: &mut AnyConnection, credential: i64) -> Result<Option<Stored>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM revocation WHERE credential_id = $1")
        .bind(credential)
        .fetch_optional(&mut *conn)
        .await?;
    match id {
        Some(id) => stored(conn, id).await,
        None => Ok(None),
    }
}

/// Moves a revocation from `from` to `to`; false when it was no longer in
/// `from` (another request moved it first).
pub async fn set_state(
    conn: &mut AnyConnection,
    id: i64,
    from: RevocationState,
    to: RevocationState,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE revocation SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_str())
        .bind(timestamp(now))
        .bind(id)
        .bind(from.as_str())
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A credential's status, read inside a transaction.
pub async fn credential_status(
    conn: &mut AnyConnection,
    credential: i64,
) -> Result<json::CredentialStatus, sqlx::Error> {
    let status: String = sqlx::query_scalar("SELECT status FROM credential WHERE id = $1")
        .bind(credential)
        .fetch_one(conn)
        .await?;
    status
        .parse()
        .map_err(|e: json::UnknownValue| sqlx::Error::Decode(e.into()))
}

/// The reason and replacement a revocation was asked for with.
pub async fn request_of(db: &Db, id: i64) -> Result<(String, Option<i64>), sqlx::Error> {
    sqlx::query_as("SELECT reason, replacement_id FROM revocation WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
}

/// Sets a credential's status.
pub async fn set_credential_status(
    conn: &mut AnyConnection,
    credential: i64,
    status: json::CredentialStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE credential SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(credential)
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts every copy of the credential still present on the revocation's
/// checklist, as pending.
pub async fn list_present_copies(
    conn: &mut AnyConnection,
    revocation: i64,
    credential: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO revocation_copy (revocation_id, copy_id, state) \
         SELECT $1, id, 'pending' FROM credential_copy WHERE credential_id = $2 AND status = 'present'",
    )
    .bind(revocation)
    .bind(credential)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// How many copies on the checklist are still pending.
pub async fn copies_left(conn: &mut AnyConnection, revocation: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM revocation_copy WHERE revocation_id = $1 AND state = 'pending'")
        .bind(revocation)
        .fetch_one(conn)
        .await
}

/// Where a copy stands on the checklist, if it is on it.
pub async fn checklist_state(
    conn: &mut AnyConnection,
    revocation: i64,
    copy: i64,
) -> Result<Option<ChecklistState>, sqlx::Error> {
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM revocation_copy WHERE revocation_id = $1 AND copy_id = $2")
            .bind(revocation)
            .bind(copy)
            .fetch_optional(conn)
            .await?;
    state
        .map(|s| {
            s.parse()
                .map_err(|e: json::UnknownValue| sqlx::Error::Decode(e.into()))
        })
        .transpose()
}

/// Resolves a pending copy (`removed` or `accepted`); false when it was no
/// longer pending. A removed copy is marked removed in the inventory too.
pub async fn resolve_copy(
    conn: &mut AnyConnection,
    revocation: i64,
    copy: i64,
    state: ChecklistState,
    reason: Option<&str>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE revocation_copy SET state = $1, reason = $2, resolved_by = $3, resolved_at = $4 \
         WHERE revocation_id = $5 AND copy_id = $6 AND state = 'pending'",
    )
    .bind(state.as_str())
    .bind(reason)
    .bind(by)
    .bind(timestamp(now))
    .bind(revocation)
    .bind(copy)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 && state == ChecklistState::Removed {
        sqlx::query("UPDATE credential_copy SET status = 'removed' WHERE id = $1")
            .bind(copy)
            .execute(conn)
            .await?;
    }
    Ok(done.rows_affected() == 1)
}

/// Puts a copy back on the checklist as pending (it was found again): adds
/// it if it was not on it, reopens it if it was removed. Returns whether
/// anything changed; an accepted copy stays accepted (it was known to stay).
pub async fn reopen_copy(conn: &mut AnyConnection, revocation: i64, copy: i64) -> Result<bool, sqlx::Error> {
    match checklist_state(&mut *conn, revocation, copy).await? {
        None => {
            sqlx::query(
                "INSERT INTO revocation_copy (revocation_id, copy_id, state) VALUES ($1, $2, 'pending')",
            )
            .bind(revocation)
            .bind(copy)
            .execute(conn)
            .await?;
            Ok(true)
        }
        Some(ChecklistState::Removed) => {
            sqlx::query(
                "UPDATE revocation_copy SET state = 'pending', reason = NULL, resolved_by = NULL, \
                 resolved_at = NULL WHERE revocation_id = $1 AND copy_id = $2",
            )
            .bind(revocation)
            .bind(copy)
            .execute(conn)
            .await?;
            Ok(true)
        }
        Some(ChecklistState::Pending | ChecklistState::Accepted) => Ok(false),
    }
}

/// Records a copy found at `seen_at` (by the import `import`, if one): a new
/// row, or the known copy (same credential, kind and place) marked present
/// and seen. Returns its id and its status before (`None` when it is new).
pub async fn sight_copy(
    conn: &mut AnyConnection,
    sighting: &json::CopySighting,
    seen_at: DateTime<Utc>,
    import: Option<i64>,
) -> Result<(i64, Option<json::CopyStatus>), sqlx::Error> {
    let seen = timestamp(seen_at);
    let known = sqlx::query(
        "SELECT id, status FROM credential_copy WHERE credential_id = $1 AND kind = $2 AND locator = $3 \
         ORDER BY id LIMIT 1",
    )
    .bind(sighting.credential)
    .bind(sighting.kind.as_str())
    .bind(&sighting.locator)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = known {
        let id: i64 = row.try_get("id")?;
        sqlx::query(
            "UPDATE credential_copy SET status = 'present', \
             last_seen = CASE WHEN last_seen < $1 THEN $1 ELSE last_seen END, \
             import_id = COALESCE($3, import_id) WHERE id = $2",
        )
        .bind(&seen)
        .bind(id)
        .bind(import)
        .execute(conn)
        .await?;
        return Ok((id, Some(get_enum(&row, "status")?)));
    }
    let id = sqlx::query_scalar(
        "INSERT INTO credential_copy (credential_id, kind, locator, found_by, author_email, first_seen, \
         last_seen, status, import_id) VALUES ($1, $2, $3, $4, $5, $6, $6, 'present', $7) RETURNING id",
    )
    .bind(sighting.credential)
    .bind(sighting.kind.as_str())
    .bind(&sighting.locator)
    .bind(&sighting.found_by)
    .bind(sighting.author_email.as_deref())
    .bind(&seen)
    .bind(import)
    .fetch_one(conn)
    .await?;
    Ok((id, None))
}

/// `GET /api/v1/revocations/{id}`; `automated` says whether a webhook is configured.
pub async fn get(db: &Db, id: i64, automated: bool) -> Result<json::Revocation, ApiError> {
    // One snapshot for the row, its checklist and its deliveries: the webhook
    // sender commits a delivery and the state change it brings together, and
    // a reader must see both or neither.
    let mut snapshot = db.begin_read().await?;
    let row = sqlx::query(
        "SELECT v.id, v.state, v.reason, v.requested_by, v.requested_at, v.updated_at, \
         c.id AS credential_id, c.name AS credential_name, c.status AS credential_status, \
         r.id AS replacement_id, r.name AS replacement_name \
         FROM revocation v JOIN credential c ON c.id = v.credential_id \
         LEFT JOIN credential r ON r.id = v.replacement_id WHERE v.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *snapshot)
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no revocation with id {id}")))?;
    let checklist = sqlx::query(&format!(
        "SELECT {COPY_COLUMNS}, rc.state AS checklist_state, rc.reason, rc.resolved_by, rc.resolved_at \
         {COPY_FROM} JOIN revocation_copy rc ON rc.copy_id = cp.id WHERE rc.revocation_id = $1 \
         ORDER BY cp.kind, cp.locator, cp.id"
    ))
    .bind(id)
    .fetch_all(&mut *snapshot)
    .await?
    .iter()
    .map(|row| {
        Ok(json::ChecklistItem {
            copy: copy_summary(row)?,
            state: get_enum(row, "checklist_state")?,
            reason: row.try_get("reason")?,
            resolved_by: row.try_get("resolved_by")?,
            resolved_at: get_opt_time(row, "resolved_at")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let deliveries = super::outbox::of_subject(&mut snapshot, OutboxTopic::Revocation, id, 20)
        .await?
        .iter()
        .map(super::outbox::Row::delivery)
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    // Released before the next query, which takes a connection of its own.
    snapshot.commit().await?;
    let credential = get_required_ref(&row, "credential_id", "credential_name")?;
    let state: RevocationState = get_enum(&row, "state")?;
    Ok(json::Revocation {
        id,
        consumers: consumers(db, credential.id).await?,
        credential,
        credential_status: get_enum(&row, "credential_status")?,
        state,
        next: state.next().to_vec(),
        reason: row.try_get("reason")?,
        replacement: get_ref(&row, "replacement_id", "replacement_name")?,
        requested_by: row.try_get("requested_by")?,
        requested_at: get_time(&row, "requested_at")?,
        updated_at: get_time(&row, "updated_at")?,
        copies_left: checklist
            .iter()
            .filter(|item| item.state == ChecklistState::Pending)
            .count() as i64,
        checklist,
        automated,
        deliveries,
    })
}

const REVOCATION_SORTS: &[Sort] = &[
    Sort::by("-updated_at", "v.updated_at"),
    Sort::by("requested_at", "v.requested_at"),
    Sort::by("state", "v.state"),
    Sort::by("credential", "c.name"),
];

/// `GET /api/v1/revocations`.
pub async fn list(
    db: &Db,
    query: &json::RevocationQuery,
) -> Result<json::Page<json::RevocationSummary>, ApiError> {
    let paging = Paging::new(
        query.page,
        query.limit,
        query.sort.as_deref(),
        REVOCATION_SORTS,
        "v.id",
    )?;
    let mut params = Params::default();
    let mut conditions = Vec::new();
    if let Some(state) = query.state {
        conditions.push(format!("v.state = {}", params.bind(state.as_str())));
    }
    match query.open {
        Some(true) => conditions.push("v.state <> 'complete'".to_owned()),
        Some(false) => conditions.push("v.state = 'complete'".to_owned()),
        None => {}
    }
    if let Some(text) = sql::search_text(&query.q) {
        conditions.push(sql::indexed_text_match(
            &mut params,
            db.backend(),
            sql::TextIndex::CREDENTIAL,
            "c.id",
            &["c.name"],
            text,
        ));
    }
    let filter = sql::where_clause(&conditions);
    let from = "FROM revocation v JOIN credential c ON c.id = v.credential_id";
    db.list_page(
        super::Total::Counted,
        &format!("SELECT COUNT(*) {from} {filter}"),
        &format!(
            "SELECT v.id, v.state, v.reason, v.requested_by, v.requested_at, v.updated_at, \
             c.id AS credential_id, c.name AS credential_name, \
             (SELECT COUNT(*) FROM revocation_copy rc WHERE rc.revocation_id = v.id AND rc.state = 'pending') \
             AS copies_left {from} {filter} {}",
            paging.tail()
        ),
        params,
        &paging,
        |row| {
            Ok(json::RevocationSummary {
                id: row.try_get("id")?,
                credential: get_required_ref(row, "credential_id", "credential_name")?,
                state: get_enum(row, "state")?,
                reason: row.try_get("reason")?,
                requested_by: row.try_get("requested_by")?,
                requested_at: get_time(row, "requested_at")?,
                updated_at: get_time(row, "updated_at")?,
                copies_left: row.try_get("copies_left")?,
            })
        },
    )
    .await
}

/// Queues a webhook delivery, due at once, in the caller's transaction.
pub async fn enqueue(
    conn: &mut AnyConnection,
    revocation: i64,
    event: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let new = super::outbox::New {
        topic: OutboxTopic::Revocation,
        subject: Some(revocation),
        dedupe_key: None,
        destination: "",
        event,
        body,
    };
    super::outbox::enqueue(conn, &new, now).await?;
    Ok(())
}
