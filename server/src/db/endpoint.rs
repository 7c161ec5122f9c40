//! Queries of endpoint discovery: what the latest scan said of each agent
//! and tool it found, and what collectors spend of their enrolment tokens
//! (the tokens themselves: `issued_tokens`).

use chrono::{DateTime, Utc};
use model::api as json;
use model::scan;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, FromRow, Row};

use super::Db;
use super::sql::timestamp;

/// Records (or brings up to date) what a scan said of an agent.
pub async fn record_agent(
    conn: &mut AnyConnection,
    agent: i64,
    host: &scan::Host,
    found: &scan::Agent,
    import: i64,
    scanned_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO endpoint_agent (agent_id, host, os, os_user, client, project, git_email, config_files, \
         import_id, scanned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (agent_id) DO UPDATE SET host = excluded.host, os = excluded.os, os_user = excluded.os_user, \
         client = excluded.client, project = excluded.project, git_email = excluded.git_email, \
         config_files = excluded.config_files, import_id = excluded.import_id, scanned_at = excluded.scanned_at",
    )
    .bind(agent)
    .bind(host.name.trim())
    .bind(&host.os)
    .bind(host.user.trim())
    .bind(found.client.trim())
    .bind(found.project.as_deref())
    .bind(found.git_email.as_deref().or(host.git_email.as_deref()))
    .bind(serde_json::to_string(&found.config_files).unwrap_or_default())
    .bind(import)
    .bind(timestamp(scanned_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records (or brings up to date) what a scan said of a tool: present again.
pub async fn record_tool(
    conn: &mut AnyConnection,
    tool: i64,
    found: &scan::Tool,
    import: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO endpoint_tool (tool_id, transport, command, package, image, url_host, config_file, import_id, \
         status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'present') \
         ON CONFLICT (tool_id) DO UPDATE SET transport = excluded.transport, command = excluded.command, \
         package = excluded.package, image = excluded.image, url_host = excluded.url_host, \
         config_file = excluded.config_file, import_id = excluded.import_id, status = 'present'",
    )
    .bind(tool)
    .bind(&found.transport)
    .bind(found.command.as_deref())
    .bind(found.package.as_deref())
    .bind(found.image.as_deref())
    .bind(found.url_host.as_deref())
    .bind(&found.config_file)
    .bind(import)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks removed the tools of this host and user's agents that scan
/// `import` did not find (a full scan): the MCP server was unplugged. Only
/// what the same submitter (`imported_by`: an enrolment token, or a person)
/// reported is touched, as with copies: a report names its own host, so
/// another token naming this host cannot unplug what this one found.
pub async fn remove_unseen_tools(
    conn: &mut AnyConnection,
    host: &scan::Host,
    import: i64,
    imported_by: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE endpoint_tool SET status = 'removed' WHERE import_id <> $1 AND status = 'present' AND tool_id IN \
         (SELECT at.tool_id FROM agent_tool at JOIN endpoint_agent ea ON ea.agent_id = at.agent_id \
          WHERE ea.host = $2 AND ea.os_user = $3) \
         AND import_id IN (SELECT id FROM import_run WHERE imported_by = $4)",
    )
    .bind(import)
    .bind(host.name.trim())
    .bind(host.user.trim())
    .bind(imported_by)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Counts `count` blind evaluations against a token's daily allowance;
/// answers false (and counts nothing) when they would pass `allowance`.
pub async fn spend_evaluations(
    db: &Db,
    token: i64,
    count: i64,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let today = now.format("%Y-%m-%d").to_string();
    // One statement: a new day starts the count again; concurrent requests cannot both pass.
    let changed = db
        .execute(
            sqlx::query(
                "UPDATE enrolment_token SET \
         evaluations = CASE WHEN evaluations_day = $1 THEN evaluations + $2 ELSE $2 END, \
         evaluations_day = $1, last_used_at = $4 \
         WHERE id = $3 AND (CASE WHEN evaluations_day = $1 THEN evaluations + $2 ELSE $2 END) <= $5",
            )
            .bind(&today)
            .bind(count)
            .bind(token)
            .bind(timestamp(now))
            .bind(allowance),
        )
        .await?
        .rows_affected();
    Ok(changed > 0)
}

/// Counts a report submitted with a token.
pub async fn report_submitted(db: &Db, token: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    db.execute(
        sqlx::query("UPDATE enrolment_token SET reports = reports + 1, last_used_at = $1 WHERE id = $2")
            .bind(timestamp(now))
            .bind(token),
    )
    .await?;
    Ok(())
}

/// Whether a tool matches a rule of the sanctioned list: its package (any
/// version: `pkg@1.2`, `pkg==1.2`), its image (any tag or digest), or its
/// remote host. Compared as text, never as a pattern.
const TOOL_MATCHES: &str = "(r.kind = 'package' AND (t.package = r.value \
     OR substr(t.package, 1, length(r.value) + 1) = r.value || '@' \
     OR substr(t.package, 1, length(r.value) + 2) = r.value || '==')) \
  OR (r.kind = 'image' AND (t.image = r.value \
     OR substr(t.image, 1, length(r.value) + 1) = r.value || ':' \
     OR substr(t.image, 1, length(r.value) + 1) = r.value || '@')) \
  OR (r.kind = 'url_host' AND t.url_host = r.value)";

/// Brings every endpoint agent's and MCP server's sanctioned flag in line
/// with the admins' marks and the sanctioned list; answers the agents that
/// changed (to rescore: a shadow agent is a risk factor).
pub async fn apply_sanctions(conn: &mut AnyConnection) -> Result<Vec<i64>, sqlx::Error> {
    let agent_rule = "(SELECT CASE WHEN ea.marked IS NOT NULL THEN ea.marked \
         WHEN EXISTS (SELECT 1 FROM sanction_rule r WHERE r.kind = 'client' AND r.value = ea.client) THEN 1 \
         ELSE 0 END FROM endpoint_agent ea WHERE ea.agent_id = agent.id)";
    let mut changed: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE agent SET sanctioned = {agent_rule} \
         WHERE id IN (SELECT agent_id FROM endpoint_agent) AND sanctioned <> {agent_rule} RETURNING id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    // Agents a SaaS or cloud platform's records named: the list's `client`
    // is their application's catalogue key (`chatgpt`) or platform (`bedrock`).
    // An application matched by its name only is not the vendor's for sure
    // (anyone can name an app "ChatGPT"): only an admin sanctions it.
    let platform_rule = "(SELECT CASE WHEN pa.marked IS NOT NULL THEN pa.marked \
         WHEN (pa.matched IS NULL OR pa.matched IN ('exact', 'publisher')) AND EXISTS \
           (SELECT 1 FROM sanction_rule r WHERE r.kind = 'client' AND r.value = pa.app_key) THEN 1 \
         ELSE 0 END FROM platform_agent pa WHERE pa.agent_id = agent.id)";
    changed.extend(
        sqlx::query_scalar::<_, i64>(&format!(
            "UPDATE agent SET sanctioned = {platform_rule} \
             WHERE id IN (SELECT agent_id FROM platform_agent) AND sanctioned <> {platform_rule} RETURNING id"
        ))
        .fetch_all(&mut *conn)
        .await?,
    );
    sqlx::query(&format!(
        "UPDATE endpoint_tool SET sanctioned = CASE WHEN marked IS NOT NULL THEN marked \
         WHEN EXISTS (SELECT 1 FROM sanction_rule r, endpoint_tool t WHERE t.tool_id = endpoint_tool.tool_id \
         AND ({TOOL_MATCHES})) THEN 1 ELSE 0 END"
    ))
    .execute(&mut *conn)
    .await?;
    Ok(changed)
}

/// An admin's word on one agent: for an endpoint agent or one a platform
/// named it stands over the list; any other agent's flag is set as it is. `None` when there is no
/// such agent; else whether it was sanctioned before.
pub async fn mark_agent(
    conn: &mut AnyConnection,
    agent: i64,
    sanctioned: bool,
) -> Result<Option<bool>, sqlx::Error> {
    let before: Option<i64> = sqlx::query_scalar("SELECT sanctioned FROM agent WHERE id = $1")
        .bind(agent)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(before) = before else { return Ok(None) };
    for table in ["endpoint_agent", "platform_agent"] {
        sqlx::query(&format!("UPDATE {table} SET marked = $1 WHERE agent_id = $2"))
            .bind(i64::from(sanctioned))
            .bind(agent)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE agent SET sanctioned = $1 WHERE id = $2")
        .bind(i64::from(sanctioned))
        .bind(agent)
        .execute(&mut *conn)
        .await?;
    Ok(Some(before != 0))
}

/// An admin's word on one MCP server found by a scan. `None` when no scan
/// found such a tool; else whether it was sanctioned before.
pub async fn mark_tool(
    conn: &mut AnyConnection,
    tool: i64,
    sanctioned: bool,
) -> Result<Option<bool>, sqlx::Error> {
    let before: Option<i64> = sqlx::query_scalar("SELECT sanctioned FROM endpoint_tool WHERE tool_id = $1")
        .bind(tool)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(before) = before else { return Ok(None) };
    sqlx::query("UPDATE endpoint_tool SET marked = $1, sanctioned = $1 WHERE tool_id = $2")
        .bind(i64::from(sanctioned))
        .bind(tool)
        .execute(&mut *conn)
        .await?;
    Ok(Some(before != 0))
}

/// A rule's row, with how many agents and MCP servers it matches.
#[derive(Debug, FromRow)]
struct RuleRow {
    id: i64,
    kind: String,
    value: String,
    created_by: String,
    created_at: String,
    matches: i64,
}

const RULE_SELECT: &str = "SELECT r.id, r.kind, r.value, r.created_by, r.created_at, \
     (SELECT COUNT(*) FROM endpoint_agent ea WHERE r.kind = 'client' AND ea.client = r.value) + \
     (SELECT COUNT(*) FROM platform_agent pa WHERE r.kind = 'client' AND pa.app_key = r.value \
        AND (pa.matched IS NULL OR pa.matched IN ('exact', 'publisher'))) + \
     (SELECT COUNT(*) FROM endpoint_tool t WHERE t.status = 'present' AND";

fn rule(row: &AnyRow) -> Result<json::SanctionRule, sqlx::Error> {
    let row = RuleRow::from_row(row)?;
    let kind = json::SanctionKind::ALL
        .into_iter()
        .find(|k| k.as_str() == row.kind)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown sanction kind {:?}", row.kind).into()))?;
    Ok(json::SanctionRule {
        id: row.id,
        kind,
        value: row.value,
        created_by: row.created_by,
        created_at: row.created_at,
        matches: row.matches,
    })
}

/// The sanctioned list, by kind and value.
pub async fn list_rules(db: &Db) -> Result<Vec<json::SanctionRule>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{RULE_SELECT} ({TOOL_MATCHES})) AS matches FROM sanction_rule r ORDER BY r.kind, r.value"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(rule).collect()
}

/// Adds a rule; `None` when the list has it already.
pub async fn create_rule(
    conn: &mut AnyConnection,
    kind: json::SanctionKind,
    value: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO sanction_rule (kind, value, created_by, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (kind, value) DO NOTHING RETURNING id",
    )
    .bind(kind.as_str())
    .bind(value)
    .bind(by)
    .bind(timestamp(now))
    .fetch_optional(conn)
    .await
}

/// One rule, as listed.
pub async fn get_rule(conn: &mut AnyConnection, id: i64) -> Result<Option<json::SanctionRule>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "{RULE_SELECT} ({TOOL_MATCHES})) AS matches FROM sanction_rule r WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(rule).transpose()
}

/// Removes a rule.
pub async fn delete_rule(conn: &mut AnyConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sanction_rule WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What the latest scan found of an agent, with its MCP servers and their
/// credentials; `None` for an agent no scan found.
pub async fn agent_facts(db: &Db, agent: i64) -> Result<Option<json::EndpointAgent>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT host, os, os_user, client, project, git_email, config_files, scanned_at FROM endpoint_agent \
         WHERE agent_id = $1",
    )
    .bind(agent)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let tools = sqlx::query(
        "SELECT t.id, t.name, e.transport, e.command, e.package, e.image, e.url_host, e.config_file, e.status, \
         e.sanctioned FROM endpoint_tool e JOIN tool t ON t.id = e.tool_id JOIN agent_tool at ON at.tool_id = t.id \
         WHERE at.agent_id = $1 ORDER BY e.status, e.transport = 'builtin', t.name",
    )
    .bind(agent)
    .fetch_all(db.pool())
    .await?;
    let mut servers = Vec::with_capacity(tools.len());
    for tool in &tools {
        let id: i64 = tool.try_get("id")?;
        let credentials = sqlx::query(
            "SELECT c.id, c.name FROM credential c JOIN tool_credential tc ON tc.credential_id = c.id \
             WHERE tc.tool_id = $1 ORDER BY c.name, c.id LIMIT 100",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(json::Ref {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        servers.push(json::EndpointTool {
            tool: json::Ref {
                id,
                name: tool.try_get("name")?,
            },
            transport: tool.try_get("transport")?,
            command: tool.try_get("command")?,
            package: tool.try_get("package")?,
            image: tool.try_get("image")?,
            url_host: tool.try_get("url_host")?,
            config_file: tool.try_get("config_file")?,
            present: tool.try_get::<String, _>("status")? == "present",
            sanctioned: tool.try_get::<i64, _>("sanctioned")? != 0,
            credentials,
        });
    }
    let files: String = row.try_get("config_files")?;
    Ok(Some(json::EndpointAgent {
        host: row.try_get("host")?,
        os: row.try_get("os")?,
        user: row.try_get("os_user")?,
        client: row.try_get("client")?,
        project: row.try_get("project")?,
        git_email: row.try_get("git_email")?,
        config_files: serde_json::from_str(&files).unwrap_or_default(),
        scanned_at: super::sql::get_time(&row, "scanned_at")?,
        servers,
    }))
}

/// What a scan makes: an agent or a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanned {
    /// An agent (with its `endpoint_agent` row).
    Agent,
    /// A tool (with its `endpoint_tool` row).
    Tool,
}

/// Finds by name an agent or tool that a scan made — only among those, so a
/// report can never take over a declared one that happens to share its
/// name — bringing `columns` up to date, or inserts it with `on_create` too.
pub async fn upsert_scanned(
    conn: &mut AnyConnection,
    what: Scanned,
    name: &str,
    columns: Vec<(&str, super::sql::Value)>,
    on_create: Vec<(&str, super::sql::Value)>,
) -> Result<super::declared::Outcome, sqlx::Error> {
    use super::declared::{self, Outcome};
    let (table, scanned) = match what {
        Scanned::Agent => ("agent", "SELECT agent_id FROM endpoint_agent"),
        Scanned::Tool => ("tool", "SELECT tool_id FROM endpoint_tool"),
    };
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM {table} WHERE name = $1 AND id IN ({scanned}) ORDER BY id LIMIT 1"
    ))
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(id) if declared::update_differing(conn, table, id, &columns).await? => Ok(Outcome::Updated(id)),
        Some(id) => Ok(Outcome::Unchanged(id)),
        None => {
            let mut all = vec![("name", super::sql::Value::from(name))];
            all.extend(columns);
            all.extend(on_create);
            Ok(Outcome::Created(declared::insert(conn, table, &all).await?))
        }
    }
}

/// Marks removed the present copies attributed to `found_by` that scan
/// `import` did not see, among those last found by a scan submitted by
/// the same `imported_by` (so that one enrolment token cannot clear what
/// another one's, or an admin's, scans found); returns their credentials.
pub async fn remove_unseen_copies(
    conn: &mut AnyConnection,
    found_by: &str,
    import: i64,
    imported_by: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE credential_copy SET status = 'removed' WHERE found_by = $1 AND status = 'present' \
         AND import_id <> $2 AND import_id IN (SELECT id FROM import_run WHERE imported_by = $3) \
         RETURNING credential_id",
    )
    .bind(found_by)
    .bind(import)
    .bind(imported_by)
    .fetch_all(conn)
    .await
}
