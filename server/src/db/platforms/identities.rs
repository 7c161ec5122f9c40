//! Who a platform's handles are: the handles an import named, the people
//! they are (made if the inventory does not know them yet), and the owners
//! this gives the platform's grants and agents.

use sqlx::AnyConnection;

/// Records who a platform's handle is.
pub async fn put_identity(
    conn: &mut AnyConnection,
    platform: &str,
    handle: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO platform_identity (platform, handle, email) VALUES ($1, $2, $3) \
         ON CONFLICT (platform, handle) DO UPDATE SET email = excluded.email \
         WHERE platform_identity.email <> excluded.email",
    )
    .bind(platform)
    .bind(handle)
    .bind(email)
    .execute(conn)
    .await?;
    Ok(())
}

/// The email a platform's handle is, if an import said.
pub async fn identity(
    conn: &mut AnyConnection,
    platform: &str,
    handle: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT email FROM platform_identity WHERE platform = $1 AND handle = $2")
        .bind(platform)
        .bind(handle)
        .fetch_optional(conn)
        .await
}

/// A person of the inventory, by email.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    /// Their id.
    pub id: i64,
    /// Their name.
    pub name: String,
}

/// The person with this email (lower case), made if the inventory does not
/// know them yet: the platform vouches that they are a user of the organisation.
pub async fn person(
    conn: &mut AnyConnection,
    email: &str,
    name: Option<&str>,
) -> Result<(PersonRow, bool), sqlx::Error> {
    let found: Option<PersonRow> =
        sqlx::query_as("SELECT id, name FROM person WHERE lower(email) = $1 ORDER BY id LIMIT 1")
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(mut found) = found {
        // Only a placeholder name (the email itself, as an import that knew
        // the email only made them) takes the name a page gives: a person the
        // inventory names is never renamed by a page. The import's audit
        // entry records the import.
        if let Some(name) = name.filter(|n| found.name == email && *n != email) {
            sqlx::query("UPDATE person SET name = $1 WHERE id = $2 AND name = $3")
                .bind(name)
                .bind(found.id)
                .bind(email)
                .execute(&mut *conn)
                .await?;
            found.name = name.to_owned();
        }
        return Ok((found, false));
    }
    let name = name.unwrap_or(email).to_owned();
    let id =
        sqlx::query_scalar("INSERT INTO person (name, email, status) VALUES ($1, $2, 'active') RETURNING id")
            .bind(&name)
            .bind(email)
            .fetch_one(conn)
            .await?;
    Ok((PersonRow { id, name }, true))
}

/// Gives owners to the platform's grants and agents that have none, now
/// that the import may have said who their consenting handles are.
pub async fn resolve_owners(
    conn: &mut AnyConnection,
    platform: &str,
) -> Result<(Vec<i64>, Vec<i64>), sqlx::Error> {
    let person_of = "(SELECT p.id FROM platform_identity i JOIN person p ON lower(p.email) = i.email \
         WHERE i.platform = {platform} AND i.handle = {handle} ORDER BY p.id LIMIT 1)";
    let grant_owner = person_of
        .replace("{platform}", "g.platform")
        .replace("{handle}", "g.consented_by");
    let credentials: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE credential SET owner_id = (SELECT {grant_owner} FROM platform_grant g WHERE g.credential_id = credential.id) \
         WHERE owner_id IS NULL AND id IN (SELECT g.credential_id FROM platform_grant g WHERE g.platform = $1 \
         AND g.consented_by IS NOT NULL AND {grant_owner} IS NOT NULL) RETURNING id"
    ))
    .bind(platform)
    .fetch_all(&mut *conn)
    .await?;
    let agent_owner = person_of
        .replace("{platform}", "a.platform")
        .replace("{handle}", "a.consented_by");
    let agents: Vec<i64> = sqlx::query_scalar(&format!(
        "UPDATE agent SET owner_id = (SELECT {agent_owner} FROM platform_agent a WHERE a.agent_id = agent.id), \
         deployed_by_id = COALESCE(deployed_by_id, (SELECT {agent_owner} FROM platform_agent a WHERE a.agent_id = agent.id)) \
         WHERE owner_id IS NULL AND id IN (SELECT a.agent_id FROM platform_agent a WHERE a.platform = $1 \
         AND a.consented_by IS NOT NULL AND {agent_owner} IS NOT NULL) RETURNING id"
    ))
    .bind(platform)
    .fetch_all(&mut *conn)
    .await?;
    Ok((credentials, agents))
}
