//! Assigning owners: admins anywhere, managers inside their teams, all or
//! nothing, audited with before, after and reason, and rescored at once.

use model::api::{self as json, Role};
use muster_tests::{Backend, TestApp, on_every_backend, spawn_demo_app};
use serde_json::json;

async fn assign(
    app: &TestApp,
    client: &reqwest::Client,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = client
        .post(app.url("/api/v1/ownership/assign"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn one(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

/// A team without sub-teams with at least two active members: (team, manager, teammate).
async fn leaf_team(app: &TestApp) -> (i64, i64, i64) {
    let team = one(
        app,
        "SELECT team_id FROM person WHERE status = 'active' AND team_id IS NOT NULL \
         AND team_id NOT IN (SELECT parent_id FROM team WHERE parent_id IS NOT NULL) \
         GROUP BY team_id HAVING COUNT(*) >= 2 ORDER BY team_id LIMIT 1",
    )
    .await;
    let members: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM person WHERE team_id = $1 AND status = 'active' ORDER BY id LIMIT 2",
    )
    .bind(team)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    (team, members[0], members[1])
}

async fn assigning_an_owner_removes_the_no_owner_factor_and_lowers_the_score(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let unowned: json::Page<json::CredentialSummary> = app
        .get_json("/api/v1/credentials?has_no_owner=true&status=active&band=high&limit=1")
        .await;
    let credential = &unowned.items[0];
    let before: json::CredentialDetail = app
        .get_json(&format!("/api/v1/credentials/{}", credential.id))
        .await;
    assert!(before.risk.factors.iter().any(|f| f.code == "no_owner"));
    let owner = one(&app, "SELECT MIN(id) FROM person WHERE status = 'active'").await;

    let (status, body) = assign(
        &app,
        &admin,
        json!({ "kind": "credential", "ids": [credential.id], "owner": owner, "reason": "owns the service" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let changes: Vec<json::OwnerChange> = serde_json::from_value(body).unwrap();
    assert_eq!(changes[0].before, None);
    assert_eq!(changes[0].after.id, owner);

    let after: json::CredentialDetail = app
        .get_json(&format!("/api/v1/credentials/{}", credential.id))
        .await;
    assert_eq!(after.credential.owner.as_ref().map(|o| o.id), Some(owner));
    assert!(!after.risk.factors.iter().any(|f| f.code == "no_owner"));
    assert_eq!(
        after.risk.score,
        before.risk.score - 12,
        "the no_owner weight, at once"
    );
    let (reason, target): (String, String) =
        sqlx::query_as("SELECT details, target FROM audit_event WHERE action = 'owner.assign'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(reason.contains("owns the service"), "{reason}");
    assert_eq!(target, format!("credential:{}", credential.id));
}

async fn a_manager_assigns_owners_inside_their_teams_only(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let (team, manager, teammate) = leaf_team(&app).await;
    let email: String = sqlx::query_scalar("SELECT email FROM person WHERE id = $1")
        .bind(manager)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let client = app.signed_in_as(&email, &[Role::Manager]).await;
    let outsider = one(
        &app,
        &format!("SELECT MIN(id) FROM person WHERE status = 'active' AND team_id <> {team}"),
    )
    .await;
    let unowned = one(&app, "SELECT MIN(id) FROM agent WHERE owner_id IS NULL").await;
    let owned_outside = one(
        &app,
        &format!(
            "SELECT MIN(a.id) FROM agent a JOIN person p ON p.id = a.owner_id WHERE p.team_id <> {team}"
        ),
    )
    .await;

    let claim =
        |ids: Vec<i64>, owner: i64| json!({ "kind": "agent", "ids": ids, "owner": owner, "reason": "ours" });
    let (status, body) = assign(&app, &client, claim(vec![unowned], teammate)).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = assign(&app, &client, claim(vec![unowned], outsider)).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not in your teams")
    );
    let (status, body) = assign(&app, &client, claim(vec![owned_outside], teammate)).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("owned outside your teams")
    );
    assert_eq!(
        one(
            &app,
            &format!("SELECT owner_id FROM agent WHERE id = {owned_outside}")
        )
        .await,
        one(
            &app,
            &format!("SELECT owner_id FROM agent WHERE id = {owned_outside}")
        )
        .await
    );

    for role in [Role::Viewer, Role::Approver, Role::Ciso] {
        let other = app.signed_in_as(&format!("{role}@muster.test"), &[role]).await;
        let (status, _) = assign(&app, &other, claim(vec![unowned], teammate)).await;
        assert_eq!(status, 403, "{role}");
    }
    let stranger = app
        .signed_in_as("manager-without-team@muster.test", &[Role::Manager])
        .await;
    let (status, body) = assign(&app, &stranger, claim(vec![unowned], teammate)).await;
    assert_eq!(status, 403);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("manages no team")
    );
}

async fn bad_assignments_are_refused_whole_and_change_nothing(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let owner = one(&app, "SELECT MIN(id) FROM person WHERE status = 'active'").await;
    let departed = one(&app, "SELECT MIN(id) FROM person WHERE status = 'departed'").await;
    let agent = one(&app, "SELECT MIN(id) FROM agent").await;
    let owners_before = one(&app, "SELECT COUNT(*) FROM agent WHERE owner_id IS NOT NULL").await;
    let audit_before = one(&app, "SELECT COUNT(*) FROM audit_event").await;
    let too_many: Vec<i64> = (1..=501).collect();
    for (body, status, words) in [
        (
            json!({ "kind": "agent", "ids": [], "owner": owner, "reason": "x" }),
            400,
            "1 to 500",
        ),
        (
            json!({ "kind": "agent", "ids": too_many, "owner": owner, "reason": "x" }),
            400,
            "1 to 500",
        ),
        (
            json!({ "kind": "agent", "ids": [agent, 999999], "owner": owner, "reason": "x" }),
            404,
            "999999",
        ),
        (
            json!({ "kind": "agent", "ids": [agent], "owner": departed, "reason": "x" }),
            422,
            "has left",
        ),
        (
            json!({ "kind": "agent", "ids": [agent], "owner": 999999, "reason": "x" }),
            404,
            "no person",
        ),
        (
            json!({ "kind": "agent", "ids": [agent], "owner": owner, "reason": "  " }),
            400,
            "reason",
        ),
        (
            json!({ "kind": "robot", "ids": [agent], "owner": owner, "reason": "x" }),
            400,
            "robot",
        ),
        (
            json!({ "kind": "agent", "ids": [agent], "owner": owner }),
            400,
            "reason",
        ),
    ] {
        let (got, answer) = assign(&app, &admin, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{body}: {message}");
    }
    assert_eq!(
        one(&app, "SELECT COUNT(*) FROM agent WHERE owner_id IS NOT NULL").await,
        owners_before
    );
    assert_eq!(one(&app, "SELECT COUNT(*) FROM audit_event").await, audit_before);
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = client.post(app.url(path)).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn a_leaver_leaves_orphans_whose_risk_rises_until_a_transfer_re_homes_them(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    // An active person owning agents and active credentials.
    let leaver = one(
        &app,
        "SELECT MIN(p.id) FROM person p WHERE p.status = 'active' \
         AND EXISTS (SELECT 1 FROM agent a WHERE a.owner_id = p.id) \
         AND EXISTS (SELECT 1 FROM credential c WHERE c.owner_id = p.id AND c.status = 'active')",
    )
    .await;
    let heir = one(
        &app,
        &format!("SELECT MIN(id) FROM person WHERE status = 'active' AND id <> {leaver}"),
    )
    .await;
    let agents = one(
        &app,
        &format!("SELECT COUNT(*) FROM agent WHERE owner_id = {leaver}"),
    )
    .await;
    let credentials = one(
        &app,
        &format!("SELECT COUNT(*) FROM credential WHERE owner_id = {leaver}"),
    )
    .await;
    let active = one(
        &app,
        &format!("SELECT COUNT(*) FROM credential WHERE owner_id = {leaver} AND status = 'active'"),
    )
    .await;
    let credential = one(
        &app,
        &format!("SELECT MIN(id) FROM credential WHERE owner_id = {leaver} AND status = 'active'"),
    )
    .await;
    let path = format!("/api/v1/credentials/{credential}");
    let score = || {
        let (app, path) = (&app, &path);
        async move {
            let detail: json::CredentialDetail = app.get_json(path).await;
            detail.risk
        }
    };
    let before = score().await;
    let overview_before: json::Overview = app.get_json("/api/v1/overview").await;
    let orphans_before: json::Page<json::Gap> = app
        .get_json("/api/v1/ownership/gaps?state=orphaned&limit=1")
        .await;

    let path = format!("/api/v1/people/{leaver}/depart");
    let (status, body) = post(&app, &admin, &path, json!({ "reason": "left on Friday" })).await;
    assert_eq!(status, 200, "{body}");
    let departure: json::DepartureResult = serde_json::from_value(body).unwrap();
    assert!(departure.changed);
    assert_eq!((departure.agents, departure.credentials), (agents, credentials));
    assert_eq!(
        departure.due,
        departure.departed_at + chrono::Duration::days(json::ORPHAN_GRACE_DAYS)
    );

    let orphans: json::Page<json::Gap> = app
        .get_json("/api/v1/ownership/gaps?state=orphaned&limit=200&sort=-due")
        .await;
    assert_eq!(
        orphans.total,
        orphans_before.total + agents + active,
        "agents and active credentials"
    );
    let theirs: Vec<&json::Gap> = orphans
        .items
        .iter()
        .filter(|g| g.former_owner.as_ref().map(|o| o.id) == Some(leaver))
        .collect();
    assert_eq!(theirs.len() as i64, agents + active, "the newest due date first");
    assert!(theirs.iter().all(|g| g.due == Some(departure.due)));
    let after = score().await;
    assert!(after.factors.iter().any(|f| f.code == "owner_departed"));
    assert!(after.score > before.score, "{} -> {}", before.score, after.score);
    let overview: json::Overview = app.get_json("/api/v1/overview").await;
    assert_eq!(
        overview.agent_owner_coverage.count,
        overview_before.agent_owner_coverage.count - agents
    );
    assert_eq!(overview.orphaned_agents, overview_before.orphaned_agents + agents);
    assert_eq!(
        overview.orphaned_credentials,
        overview_before.orphaned_credentials + active
    );
    let listed: json::Page<json::AgentSummary> = app.get_json("/api/v1/agents?orphaned=true&limit=1").await;
    assert_eq!(
        listed.total, overview.orphaned_agents,
        "the card's link lists them"
    );
    let listed: json::Page<json::CredentialSummary> = app
        .get_json("/api/v1/credentials?orphaned=true&status=active&limit=1")
        .await;
    assert_eq!(listed.total, overview.orphaned_credentials);
    let others: json::Page<json::AgentSummary> = app.get_json("/api/v1/agents?orphaned=false&limit=1").await;
    assert_eq!(
        others.total + overview.orphaned_agents,
        one(&app, "SELECT COUNT(*) FROM agent").await
    );

    // Marking them again changes nothing and records nothing.
    let audit = one(&app, "SELECT COUNT(*) FROM audit_event").await;
    let (status, body) = post(&app, &admin, &path, json!({ "reason": "again" })).await;
    assert_eq!(status, 200);
    assert_eq!(body["changed"], false);
    assert_eq!(
        body["departed_at"],
        serde_json::to_value(departure.departed_at).unwrap()
    );
    assert_eq!(one(&app, "SELECT COUNT(*) FROM audit_event").await, audit);
    assert_eq!(
        one(&app, &format!("SELECT COUNT(*) FROM audit_event WHERE action = 'person.depart' AND target = 'person:{leaver}'")).await,
        1
    );

    let (status, body) = post(
        &app,
        &admin,
        "/api/v1/ownership/transfer",
        json!({ "from": leaver, "to": heir, "reason": "takes over the service" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let moved: json::TransferResult = serde_json::from_value(body).unwrap();
    assert_eq!((moved.agents, moved.credentials), (agents, credentials));
    assert_eq!(moved.to.id, heir);
    assert_eq!(
        one(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'owner.transfer'"
        )
        .await,
        agents + credentials
    );
    let orphans: json::Page<json::Gap> = app
        .get_json("/api/v1/ownership/gaps?state=orphaned&limit=1")
        .await;
    assert_eq!(orphans.total, orphans_before.total);
    let rehomed = score().await;
    assert!(!rehomed.factors.iter().any(|f| f.code == "owner_departed"));
    assert_eq!(
        one(
            &app,
            &format!("SELECT COUNT(*) FROM agent WHERE owner_id = {leaver}")
        )
        .await,
        0
    );
}

async fn departures_and_transfers_follow_the_team_rules(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let (team, manager, teammate) = leaf_team(&app).await;
    let email: String = sqlx::query_scalar("SELECT email FROM person WHERE id = $1")
        .bind(manager)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let client = app.signed_in_as(&email, &[Role::Manager]).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let outsider = one(
        &app,
        &format!(
            "SELECT MIN(id) FROM person WHERE status = 'active' AND team_id <> {team} \
             AND team_id NOT IN (SELECT id FROM team WHERE parent_id = {team})"
        ),
    )
    .await;
    let departed = one(&app, "SELECT MIN(id) FROM person WHERE status = 'departed'").await;
    let transfer = |from: i64, to: i64| json!({ "from": from, "to": to, "reason": "reorganisation" });

    for (who, path, body, status, words) in [
        (
            &client,
            format!("/api/v1/people/{outsider}/depart"),
            json!({ "reason": "x" }),
            403,
            "not in your teams",
        ),
        (
            &client,
            "/api/v1/ownership/transfer".to_owned(),
            transfer(teammate, outsider),
            403,
            "not in your teams",
        ),
        (
            &client,
            "/api/v1/ownership/transfer".to_owned(),
            transfer(outsider, teammate),
            403,
            "not in your teams",
        ),
        (
            &admin,
            "/api/v1/ownership/transfer".to_owned(),
            transfer(teammate, teammate),
            400,
            "two different",
        ),
        (
            &admin,
            "/api/v1/ownership/transfer".to_owned(),
            transfer(teammate, departed),
            422,
            "has left",
        ),
        (
            &admin,
            "/api/v1/ownership/transfer".to_owned(),
            transfer(999_999, teammate),
            404,
            "no person",
        ),
        (
            &admin,
            "/api/v1/ownership/transfer".to_owned(),
            json!({ "from": teammate, "to": manager }),
            400,
            "reason",
        ),
        (
            &admin,
            "/api/v1/people/999999/depart".to_owned(),
            json!({ "reason": "x" }),
            404,
            "no person",
        ),
        (
            &admin,
            format!("/api/v1/people/{teammate}/depart"),
            json!({ "reason": "" }),
            400,
            "reason",
        ),
    ] {
        let (got, answer) = post(&app, who, &path, body.clone()).await;
        assert_eq!(got, status, "{path} {body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{path} {body}: {message}");
    }
    assert_eq!(
        one(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'owner.%' OR action LIKE 'person.%'"
        )
        .await,
        0
    );

    let viewer = app.signed_in_as("viewer@muster.test", &[Role::Viewer]).await;
    let (status, _) = post(
        &app,
        &viewer,
        "/api/v1/ownership/transfer",
        transfer(teammate, manager),
    )
    .await;
    assert_eq!(status, 403);

    let (status, body) = post(
        &app,
        &client,
        "/api/v1/ownership/transfer",
        transfer(teammate, manager),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(
        &app,
        &client,
        &format!("/api/v1/people/{teammate}/depart"),
        json!({ "reason": "left" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agents"], 0, "their agents moved to the manager first");
}

on_every_backend!(
    assigning_an_owner_removes_the_no_owner_factor_and_lowers_the_score,
    a_manager_assigns_owners_inside_their_teams_only,
    bad_assignments_are_refused_whole_and_change_nothing,
    a_leaver_leaves_orphans_whose_risk_rises_until_a_transfer_re_homes_them,
    departures_and_transfers_follow_the_team_rules,
);
