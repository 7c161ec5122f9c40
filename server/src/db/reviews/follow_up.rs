//! What a decision's follow-up needs to know: the agents a credential
//! serves, and the credentials only one agent uses.

use sqlx::AnyConnection;

/// An agent that uses credential `credential` (the lowest id), if any: a
/// reduction's change request is about an agent.
pub async fn an_agent_using(conn: &mut AnyConnection, credential: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MIN(at.agent_id) FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         WHERE tc.credential_id = $1",
    )
    .bind(credential)
    .fetch_one(conn)
    .await
}

/// The active credentials agent `agent` uses that no other agent uses.
pub async fn credentials_only_used_by(conn: &mut AnyConnection, agent: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT c.id FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         JOIN credential c ON c.id = tc.credential_id WHERE at.agent_id = $1 AND c.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM agent_tool o JOIN tool_credential otc ON otc.tool_id = o.tool_id \
         WHERE otc.credential_id = c.id AND o.agent_id <> at.agent_id) ORDER BY c.id",
    )
    .bind(agent)
    .fetch_all(conn)
    .await
}

/// The agents using credential `credential` that another owner answers for
/// (or nobody), by name.
pub async fn agents_of_other_owners(
    conn: &mut AnyConnection,
    credential: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT a.name FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
         JOIN agent a ON a.id = at.agent_id JOIN credential c ON c.id = tc.credential_id \
         WHERE tc.credential_id = $1 AND (a.owner_id IS NULL OR c.owner_id IS NULL \
         OR a.owner_id <> c.owner_id) ORDER BY a.name",
    )
    .bind(credential)
    .fetch_all(conn)
    .await
}
