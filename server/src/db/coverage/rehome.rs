//! Re-homing: storing on each agent and credential the team it counts
//! against (`coverage_team_id`), for some rows in the caller's transaction,
//! for all of them in steps, and once on a database that never was.

use chrono::Utc;
use sqlx::AnyConnection;

use super::super::sql::{self, Params, Scope};
use super::super::{Db, Pace};

/// The team an agent counts against (see `db::coverage`'s documentation), for
/// `UPDATE agent`.
const AGENT_TEAM: &str = "COALESCE((SELECT p.team_id FROM person p WHERE p.id = agent.owner_id), \
     (SELECT p.team_id FROM person p WHERE p.id = agent.deployed_by_id))";

/// The team a credential counts against, for `UPDATE credential`. COALESCE
/// stops at the first answer on both engines, so an owned credential costs
/// one lookup.
const CREDENTIAL_TEAM: &str = "COALESCE((SELECT p.team_id FROM person p WHERE p.id = credential.owner_id), \
     (SELECT p.team_id FROM tool_credential tc JOIN agent_tool at ON at.tool_id = tc.tool_id \
        JOIN agent ag ON ag.id = at.agent_id JOIN person p ON p.id = ag.owner_id \
      WHERE tc.credential_id = credential.id AND p.team_id IS NOT NULL \
      GROUP BY p.team_id ORDER BY COUNT(*) DESC, p.team_id LIMIT 1), \
     (SELECT p.team_id FROM credential_copy cc JOIN person p ON p.email = cc.author_email \
      WHERE cc.credential_id = credential.id AND p.team_id IS NOT NULL \
      GROUP BY p.team_id ORDER BY COUNT(*) DESC, p.team_id LIMIT 1), \
     (SELECT r.owner_team_id FROM reach x JOIN resource r ON r.id = x.resource_id \
      WHERE x.credential_id = credential.id AND r.owner_team_id IS NOT NULL \
      GROUP BY r.owner_team_id ORDER BY COUNT(*) DESC, r.owner_team_id LIMIT 1))";

/// Every credential with the team it has stored and the team it counts
/// against now, as [`CREDENTIAL_TEAM`] finds it for one, found for all at
/// once: each kind of evidence grouped once over its whole table, then
/// joined. PostgreSQL ran the correlated form as plans of their own per
/// credential and took two minutes on half of `large` (`make
/// bench-engines`); SQLite runs the correlated form faster than this one
/// (1.0 s against 6.0 s on `large`), as index lookups that stop at the
/// first evidence found.
const EVERY_CREDENTIAL_TEAM: &str = "WITH by_agents AS (\
       SELECT credential_id, team_id FROM (\
         SELECT tc.credential_id, p.team_id, \
           ROW_NUMBER() OVER (PARTITION BY tc.credential_id ORDER BY COUNT(*) DESC, p.team_id) AS rank \
         FROM tool_credential tc JOIN agent_tool at ON at.tool_id = tc.tool_id \
           JOIN agent ag ON ag.id = at.agent_id JOIN person p ON p.id = ag.owner_id \
         WHERE p.team_id IS NOT NULL GROUP BY tc.credential_id, p.team_id) ranked \
       WHERE rank = 1), \
     by_authors AS (\
       SELECT credential_id, team_id FROM (\
         SELECT cc.credential_id, p.team_id, \
           ROW_NUMBER() OVER (PARTITION BY cc.credential_id ORDER BY COUNT(*) DESC, p.team_id) AS rank \
         FROM credential_copy cc JOIN person p ON p.email = cc.author_email \
         WHERE p.team_id IS NOT NULL GROUP BY cc.credential_id, p.team_id) ranked \
       WHERE rank = 1), \
     by_reach AS (\
       SELECT credential_id, team_id FROM (\
         SELECT x.credential_id, r.owner_team_id AS team_id, \
           ROW_NUMBER() OVER (PARTITION BY x.credential_id ORDER BY COUNT(*) DESC, r.owner_team_id) AS rank \
         FROM reach x JOIN resource r ON r.id = x.resource_id \
         WHERE r.owner_team_id IS NOT NULL GROUP BY x.credential_id, r.owner_team_id) ranked \
       WHERE rank = 1) \
     SELECT c.id, c.coverage_team_id AS stored, COALESCE(o.team_id, a.team_id, w.team_id, x.team_id) AS home \
     FROM credential c LEFT JOIN person o ON o.id = c.owner_id \
       LEFT JOIN by_agents a ON a.credential_id = c.id \
       LEFT JOIN by_authors w ON w.credential_id = c.id \
       LEFT JOIN by_reach x ON x.credential_id = c.id";

/// The rows of `table` (`credential` or `agent`) whose coverage team is out
/// of date, by id.
async fn out_of_date(conn: &mut AnyConnection, table: &'static str) -> Result<Vec<i64>, sqlx::Error> {
    let homes = match table {
        "credential" if conn.backend_name() != "SQLite" => EVERY_CREDENTIAL_TEAM.to_owned(),
        "credential" => {
            format!("SELECT id, coverage_team_id AS stored, {CREDENTIAL_TEAM} AS home FROM credential")
        }
        _ => format!("SELECT id, coverage_team_id AS stored, {AGENT_TEAM} AS home FROM agent"),
    };
    sqlx::query_scalar(&format!(
        "SELECT id FROM ({homes}) homes WHERE stored IS DISTINCT FROM home ORDER BY id"
    ))
    .fetch_all(conn)
    .await
}

/// Sets `coverage_team_id` of these rows of `table`, a thousand ids a
/// statement, each found again here (in the caller's transaction, so
/// that it is the team as of this change, whatever was read before);
/// answers the rows whose team changed.
async fn rehome_rows(conn: &mut AnyConnection, table: &'static str, ids: &[i64]) -> Result<u64, sqlx::Error> {
    let expression = if table == "credential" {
        CREDENTIAL_TEAM
    } else {
        AGENT_TEAM
    };
    let mut moved = 0;
    for chunk in ids.chunks(1000) {
        let mut params = Params::default();
        let filter = Scope::Ids(chunk).condition("id", &mut params);
        // Only rows whose team changes are written (the expression is
        // evaluated a second time only for the rows that do change).
        moved += sqlx::query_with(
            &format!(
                "UPDATE {table} SET coverage_team_id = {expression} \
                 WHERE {filter} AND coverage_team_id IS DISTINCT FROM {expression}"
            ),
            params.args(),
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(moved)
}

/// Sets `coverage_team_id` of these credentials and agents (or of all):
/// called by every change of ownership or lineage, in its transaction.
/// All of them: those out of date are found first (at once), then
/// re-homed row by row.
pub async fn rehome(
    conn: &mut AnyConnection,
    credentials: Scope<'_>,
    agents: Scope<'_>,
) -> Result<(), sqlx::Error> {
    for (table, scope) in [("credential", credentials), ("agent", agents)] {
        match scope {
            Scope::All => {
                let ids = out_of_date(conn, table).await?;
                rehome_rows(conn, table, &ids).await?;
            }
            Scope::Ids(ids) => {
                rehome_rows(conn, table, ids).await?;
            }
        }
    }
    if matches!((credentials, agents), (Scope::All, Scope::All)) {
        mark_rehomed(conn).await?;
    }
    Ok(())
}

/// Re-homes every credential and agent whose team is out of date, in steps
/// ([`Db::in_steps`]): which rows are out of date is read first, outside
/// any transaction, then each step finds their teams again in its own.
/// Answers the rows moved; the caller records that everything was
/// re-homed ([`mark_rehomed`]) once its own work is done.
pub async fn rehome_in_steps(db: &Db) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    for table in ["credential", "agent"] {
        let ids = out_of_date(&mut *db.pool().acquire().await?, table).await?;
        total += db
            .in_steps(&ids, Pace::new(1_000, 100, 20_000), |conn, step| {
                Box::pin(rehome_rows(conn, table, step))
            })
            .await?;
    }
    Ok(total)
}

/// Records, in the caller's transaction, that every row was re-homed.
pub async fn mark_rehomed(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sql::put_setting(conn, REHOMED, &sql::timestamp(Utc::now())).await
}

/// The setting that records the last time every row was re-homed.
const REHOMED: &str = "coverage_rehomed_at";

/// Re-homes everything once on a database that never was (one upgraded from
/// before coverage teams were stored); later changes keep them current.
pub async fn rehome_if_never(db: &Db) -> Result<bool, sqlx::Error> {
    let done: Option<String> = sqlx::query_scalar("SELECT value FROM setting WHERE name = $1")
        .bind(REHOMED)
        .fetch_optional(db.pool())
        .await?;
    if done.is_some() {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    rehome(&mut tx, Scope::All, Scope::All).await?;
    tx.commit().await?;
    Ok(true)
}
