//! The organisation of the access-review tests (API and browser).

use model::api::Role;

use crate::TestApp;

/// The organisation of these tests.
pub struct Org {
    /// An admin.
    pub admin: reqwest::Client,
    /// Cleo, the CISO.
    pub cleo: reqwest::Client,
    /// Max, who manages Platform.
    pub max: reqwest::Client,
    /// Olga, who owns release-bot and deploy-key (an approver).
    pub olga: reqwest::Client,
    /// Ann, an approver with nothing to review.
    pub ann: reqwest::Client,
    /// Olga's person id.
    pub olga_id: i64,
    /// release-bot.
    pub bot: i64,
    /// deploy-key, which release-bot uses (`s3:* iam:PassRole`).
    pub deploy_key: i64,
    /// orphan-key, which nobody owns.
    pub orphan_key: i64,
    /// old-key, whose owner Del left.
    pub old_key: i64,
}

/// Max manages Platform; Olga (in it, reporting to Max) owns release-bot and
/// its deploy-key; orphan-key has no owner; old-key's owner Del left. Cleo
/// is the CISO, Ann an approver with nothing to review.
pub async fn org(app: &TestApp) -> Org {
    let team = app.insert("INSERT INTO team (name) VALUES ('Platform')").await;
    let person = |name: &str, email: &str, status: &str, manager: Option<i64>| {
        format!(
            "INSERT INTO person (name, email, team_id, manager_id, status) VALUES ('{name}', '{email}', {team}, {}, '{status}')",
            manager.map_or("NULL".into(), |m| m.to_string())
        )
    };
    let max_id = app
        .insert(&person("Max Manager", "max@muster.test", "active", None))
        .await;
    let olga_id = app
        .insert(&person("Olga Owner", "olga@muster.test", "active", Some(max_id)))
        .await;
    let del = app
        .insert(&person("Del Left", "del@muster.test", "departed", Some(max_id)))
        .await;
    let bot = app
        .insert(&format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen) \
             VALUES ('release-bot', 'self_hosted', 'LangChain', 'prod', 1, {olga_id}, '2026-01-01T00:00:00Z')"
        ))
        .await;
    let credential = |name: &str, scopes: &str, owner: Option<i64>| {
        format!(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, created_at, status, owner_id, fingerprint) \
             VALUES ('{name}', 'access_key', 'aws', 'AKIA{name}', '{scopes}', '2026-01-01T00:00:00Z', 'active', {}, 'fp-{name}')",
            owner.map_or("NULL".into(), |o| o.to_string())
        )
    };
    let deploy_key = app
        .insert(&credential("deploy-key", "s3:* iam:PassRole", Some(olga_id)))
        .await;
    let orphan_key = app.insert(&credential("orphan-key", "s3:GetObject", None)).await;
    let old_key = app.insert(&credential("old-key", "ec2:*", Some(del))).await;
    let tool = app
        .insert("INSERT INTO tool (name, kind) VALUES ('deploy-tool', 'function')")
        .await;
    app.execute(&format!(
        "INSERT INTO agent_tool (agent_id, tool_id) VALUES ({bot}, {tool})"
    ))
    .await;
    app.execute(&format!(
        "INSERT INTO tool_credential (tool_id, credential_id) VALUES ({tool}, {deploy_key})"
    ))
    .await;
    // What each counts for (kept by the server as ownership changes; set here directly).
    app.execute(&format!("UPDATE agent SET coverage_team_id = {team}"))
        .await;
    app.execute(&format!("UPDATE credential SET coverage_team_id = {team}"))
        .await;
    Org {
        admin: app.signed_in_as("admin@muster.test", &[Role::Admin]).await,
        cleo: app.signed_in_as("cleo@muster.test", &[Role::Ciso]).await,
        max: app.signed_in_as("max@muster.test", &[Role::Manager]).await,
        olga: app.signed_in_as("olga@muster.test", &[Role::Approver]).await,
        ann: app.signed_in_as("ann@muster.test", &[Role::Approver]).await,
        olga_id,
        bot,
        deploy_key,
        orphan_key,
        old_key,
    }
}

/// Gives `owner` `count` active CI keys (`ci-key-000`, ...), for reviews of many items.
pub async fn ci_keys(app: &TestApp, owner: i64, count: usize) {
    for n in 0..count {
        app.execute(&format!(
            "INSERT INTO credential (name, kind, provider, external_id, scopes, created_at, status, owner_id, fingerprint) \
             VALUES ('ci-key-{n:03}', 'api_key', 'github', 'ci-{n}', 'repo', '2026-01-01T00:00:00Z', 'active', {owner}, 'fp-ci-{n}')"
        ))
        .await;
    }
}
