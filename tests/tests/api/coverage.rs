//! Owner coverage and its gaps, checked against a small organisation built
//! by hand, where every figure can be counted on one's fingers.

use chrono::{Duration, Utc};
use model::api::{self as json, GapState, OwnedKind, Role};
use muster_server::db::coverage;
use muster_server::db::sql::Scope;
use muster_tests::{Backend, TestApp, on_every_backend, spawn_app};

/// Engineering (1) > Platform (2) > Data (3), and Sales (4) beside them.
///
/// | agent | owner            | counts against        |
/// |-------|------------------|-----------------------|
/// | 1     | Alice (Platform) | Platform              |
/// | 2     | Bob (Data)       | Data                  |
/// | 3     | Carol (left)     | Data, orphaned        |
/// | 4     | none             | Data (Bob deployed it)|
/// | 5     | none             | nobody                |
/// | 6     | Dave (Sales)     | Sales                 |
///
/// | credential | owner        | counts against                        |
/// |------------|--------------|---------------------------------------|
/// | 1          | Bob          | Data                                  |
/// | 2          | none         | Data (agent 2, Bob's, uses it)        |
/// | 3          | none         | Sales (Dave wrote a copy)             |
/// | 4          | none         | Platform (owns what it reaches)       |
/// | 5 revoked  | Carol        | not counted: not active               |
/// | 6          | Carol (left) | Data, orphaned                        |
async fn build_organisation(app: &TestApp) {
    let now = Utc::now();
    let left = (now - Duration::days(3)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let statements = [
        "INSERT INTO team (id, name, parent_id) VALUES (1, 'Engineering', NULL), (2, 'Platform', 1), \
         (3, 'Data', 2), (4, 'Sales', NULL)"
            .to_owned(),
        "INSERT INTO person (id, name, email, team_id, manager_id, status, departed_at) VALUES \
         (1, 'Alice', 'alice@example.com', 2, NULL, 'active', NULL), \
         (2, 'Bob', 'bob@example.com', 3, 1, 'active', NULL), \
         (4, 'Dave', 'dave@example.com', 4, NULL, 'active', NULL)"
            .to_owned(),
        format!(
            "INSERT INTO person (id, name, email, team_id, manager_id, status, departed_at) VALUES \
             (3, 'Carol', 'carol@example.com', 3, 1, 'departed', '{left}')"
        ),
        "INSERT INTO agent (id, name, category, platform, environment, sanctioned, owner_id, deployed_by_id, \
         first_seen) VALUES \
         (1, 'a1', 'cloud', 'Bedrock', 'prod', 1, 1, NULL, '2026-01-01T00:00:00Z'), \
         (2, 'a2', 'cloud', 'Bedrock', 'prod', 1, 2, NULL, '2026-01-01T00:00:00Z'), \
         (3, 'a3', 'cloud', 'Bedrock', 'prod', 1, 3, NULL, '2026-01-01T00:00:00Z'), \
         (4, 'a4', 'cloud', 'Bedrock', 'prod', 1, NULL, 2, '2026-01-01T00:00:00Z'), \
         (5, 'a5', 'cloud', 'Bedrock', 'prod', 0, NULL, NULL, '2026-01-01T00:00:00Z'), \
         (6, 'a6', 'saas', 'Zapier', 'prod', 1, 4, NULL, '2026-01-01T00:00:00Z')"
            .to_owned(),
        "INSERT INTO credential (id, name, kind, provider, external_id, created_at, status, owner_id, \
         fingerprint) VALUES \
         (1, 'c1', 'api_key', 'openai', 'k1', '2026-01-01T00:00:00Z', 'active', 2, 'f1'), \
         (2, 'c2', 'api_key', 'openai', 'k2', '2026-01-01T00:00:00Z', 'active', NULL, 'f2'), \
         (3, 'c3', 'api_key', 'openai', 'k3', '2026-01-01T00:00:00Z', 'active', NULL, 'f3'), \
         (4, 'c4', 'api_key', 'openai', 'k4', '2026-01-01T00:00:00Z', 'active', NULL, 'f4'), \
         (5, 'c5', 'api_key', 'openai', 'k5', '2026-01-01T00:00:00Z', 'revoked', 3, 'f5'), \
         (6, 'c6', 'api_key', 'openai', 'k6', '2026-01-01T00:00:00Z', 'active', 3, 'f6')"
            .to_owned(),
        "INSERT INTO tool (id, name, kind) VALUES (1, 'llm', 'function')".to_owned(),
        "INSERT INTO agent_tool (agent_id, tool_id) VALUES (2, 1)".to_owned(),
        "INSERT INTO tool_credential (tool_id, credential_id) VALUES (1, 2)".to_owned(),
        "INSERT INTO credential_copy (credential_id, kind, locator, found_by, author_email, first_seen, \
         last_seen, status) VALUES (3, 'repository_file', 'sales/.env', 'scanner', 'dave@example.com', \
         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'present')"
            .to_owned(),
        "INSERT INTO resource (id, name, provider, kind, environment, sensitivity, owner_team_id) VALUES \
         (1, 'warehouse', 'aws', 'database', 'prod', 'restricted', 2)"
            .to_owned(),
        "INSERT INTO reach (credential_id, resource_id, permission) VALUES (4, 1, 'read')".to_owned(),
        format!(
            "INSERT INTO posture_snapshot (day, team_id, agents, agents_owned, credentials, credentials_owned, \
             orphaned, critical, high) VALUES ('{}', 3, 3, 3, 3, 3, 0, 0, 0)",
            (now - Duration::days(1)).date_naive()
        ),
    ];
    for statement in statements {
        sqlx::query(&statement)
            .execute(app.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    // What an import does after writing rows: derive the teams they count against.
    let mut conn = app.db.pool().acquire().await.unwrap();
    coverage::rehome(&mut conn, Scope::All, Scope::All).await.unwrap();
}

fn share(count: i64, total: i64) -> json::Share {
    json::Share { count, total }
}

fn names(coverage: &[json::TeamCoverage]) -> Vec<&str> {
    coverage
        .iter()
        .map(|c| c.team.as_ref().map_or("-", |t| t.name.as_str()))
        .collect()
}

async fn coverage_rolls_up_through_the_team_hierarchy(backend: Backend) {
    let app = spawn_app(backend).await;
    build_organisation(&app).await;

    let org: json::Coverage = app.get_json("/api/v1/coverage").await;
    assert_eq!(org.coverage.team, None);
    assert_eq!(org.coverage.agents, share(3, 6));
    assert_eq!(org.coverage.credentials, share(1, 5));
    assert_eq!(org.coverage.orphaned, 2);
    assert_eq!(org.coverage.unowned, 5);
    assert_eq!(
        names(&org.teams),
        ["Engineering", "Sales"],
        "top-level teams, lowest coverage first"
    );
    assert_eq!(org.teams[0].agents, share(2, 4));
    assert_eq!(org.teams[0].credentials, share(1, 4));
    assert_eq!(org.teams[1].agents, share(1, 1));
    assert_eq!(org.teams[1].credentials, share(0, 1));
    assert_eq!(org.gaps.total, 7, "agents 3, 4, 5 and credentials 2, 3, 4, 6");

    let platform: json::Coverage = app.get_json("/api/v1/coverage?team=2").await;
    assert_eq!(platform.coverage.team.as_ref().unwrap().name, "Platform");
    assert_eq!(platform.coverage.agents, share(2, 4));
    assert_eq!(platform.coverage.credentials, share(1, 4));
    assert_eq!(names(&platform.teams), ["Data"]);

    let data: json::Coverage = app.get_json("/api/v1/coverage?team=3").await;
    assert_eq!(data.coverage.agents, share(1, 3));
    assert_eq!(data.coverage.credentials, share(1, 3));
    assert_eq!(data.coverage.orphaned, 2);
    assert_eq!(data.coverage.unowned, 2);
    assert!(data.teams.is_empty());
    let mut gaps: Vec<(OwnedKind, String, GapState)> = data
        .gaps
        .items
        .iter()
        .map(|g| (g.kind, g.entity.name.clone(), g.state))
        .collect();
    gaps.sort();
    assert_eq!(
        gaps,
        [
            (OwnedKind::Agent, "a3".to_owned(), GapState::Orphaned),
            (OwnedKind::Agent, "a4".to_owned(), GapState::Unowned),
            (OwnedKind::Credential, "c2".to_owned(), GapState::Unowned),
            (OwnedKind::Credential, "c6".to_owned(), GapState::Orphaned),
        ]
    );
    assert_eq!(data.history.len(), 2, "yesterday's snapshot, then today");
    assert_eq!(data.history[0].agents, share(3, 3));
    assert_eq!(data.history[1].day, Utc::now().date_naive());
    assert_eq!(data.history[1].agents, share(1, 3));

    app.get_error("/api/v1/coverage?team=99", 404, "not_found").await;
    app.get_error("/api/v1/coverage?team=data", 400, "bad_request")
        .await;
    app.get_error("/api/v1/coverage?teams=3", 400, "bad_request")
        .await;
}

async fn gaps_carry_the_evidence_of_who_should_own_them(backend: Backend) {
    let app = spawn_app(backend).await;
    build_organisation(&app).await;
    let gaps: json::Page<json::Gap> = app.get_json("/api/v1/ownership/gaps?limit=200").await;
    let gap = |kind: OwnedKind, name: &str| -> json::Gap {
        gaps.items
            .iter()
            .find(|g| g.kind == kind && g.entity.name == name)
            .unwrap_or_else(|| panic!("no gap {kind} {name}"))
            .clone()
    };
    let hint = |gap: &json::Gap| -> (Option<String>, Option<String>, String) {
        let first = &gap.hints[0];
        (
            first.person.as_ref().map(|p| p.name.clone()),
            first.team.as_ref().map(|t| t.name.clone()),
            first.reason.clone(),
        )
    };

    let a3 = gap(OwnedKind::Agent, "a3");
    assert_eq!(a3.state, GapState::Orphaned);
    assert_eq!(a3.former_owner.as_ref().unwrap().name, "Carol");
    let departed = Utc::now() - Duration::days(3);
    let due = a3.due.unwrap();
    assert!(
        (due - (departed + Duration::days(json::ORPHAN_GRACE_DAYS)))
            .num_seconds()
            .abs()
            < 60,
        "{due}"
    );
    assert_eq!(a3.team.as_ref().unwrap().name, "Data");
    assert_eq!(
        hint(&a3),
        (
            Some("Alice".into()),
            Some("Platform".into()),
            "manager of Carol, the former owner".into()
        )
    );
    assert_eq!(
        hint(&gap(OwnedKind::Agent, "a4")),
        (
            Some("Bob".into()),
            Some("Data".into()),
            "deployed the agent".into()
        )
    );
    assert!(gap(OwnedKind::Agent, "a5").hints.is_empty());
    assert_eq!(gap(OwnedKind::Agent, "a5").team, None);
    assert_eq!(
        hint(&gap(OwnedKind::Credential, "c2")),
        (
            Some("Bob".into()),
            Some("Data".into()),
            "owns a2, which uses it".into()
        )
    );
    assert_eq!(
        hint(&gap(OwnedKind::Credential, "c3")),
        (
            Some("Dave".into()),
            Some("Sales".into()),
            "wrote the copy in sales/.env".into()
        )
    );
    assert_eq!(
        hint(&gap(OwnedKind::Credential, "c4")),
        (None, Some("Platform".into()), "owns 1 resource it reaches".into())
    );

    let listed = |query: &'static str| {
        let app = &app;
        async move {
            let page: json::Page<json::Gap> = app.get_json(&format!("/api/v1/ownership/gaps?{query}")).await;
            let mut names: Vec<String> = page.items.iter().map(|g| g.entity.name.clone()).collect();
            names.sort();
            (page.total, names)
        }
    };
    assert_eq!(
        listed("kind=agent").await,
        (3, vec!["a3".into(), "a4".into(), "a5".into()])
    );
    assert_eq!(
        listed("state=orphaned").await,
        (2, vec!["a3".into(), "c6".into()])
    );
    assert_eq!(listed("team=4").await, (1, vec!["c3".into()]));
    assert_eq!(
        listed("team=2&kind=credential").await,
        (3, vec!["c2".into(), "c4".into(), "c6".into()])
    );
    assert_eq!(listed("q=c").await.0, 4);
    let orphans: json::Page<json::Gap> = app.get_json("/api/v1/ownership/gaps?sort=due&limit=1").await;
    assert_eq!(
        orphans.items[0].state,
        GapState::Orphaned,
        "the earliest due date first"
    );
    assert_eq!(orphans.total, 7);
    app.get_error("/api/v1/ownership/gaps?sort=owner", 400, "bad_request")
        .await;
    app.get_error("/api/v1/ownership/gaps?state=lost", 400, "bad_request")
        .await;
    app.get_error("/api/v1/ownership/gaps?team=99", 404, "not_found")
        .await;
}

async fn claiming_a_gap_raises_the_coverage_of_its_team(backend: Backend) {
    let app = spawn_app(backend).await;
    build_organisation(&app).await;
    let bob = app.signed_in_as("bob@example.com", &[Role::Manager]).await;
    let response = bob
        .post(app.url("/api/v1/ownership/assign"))
        .json(&serde_json::json!({ "kind": "agent", "ids": [4], "owner": 2, "reason": "claimed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let data: json::Coverage = app.get_json("/api/v1/coverage?team=3").await;
    assert_eq!(data.coverage.agents, share(2, 3));
    let org: json::Coverage = app.get_json("/api/v1/coverage").await;
    assert_eq!(org.coverage.agents, share(4, 6));
}

/// The teams of every credential, by id.
async fn credential_teams(app: &TestApp) -> Vec<(i64, Option<i64>)> {
    sqlx::query_as("SELECT id, coverage_team_id FROM credential ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

async fn rehoming_everything_at_once_agrees_with_rehoming_each_credential(backend: Backend) {
    let app = spawn_app(backend).await;
    build_organisation(&app).await;
    // Two more: one whose copies' authors tie (the lower team id wins), one
    // with both agents' and authors' evidence (the agents' wins).
    let statements = [
        "INSERT INTO credential (id, name, kind, provider, external_id, created_at, status, owner_id, \
         fingerprint) VALUES \
         (7, 'c7', 'api_key', 'openai', 'k7', '2026-01-01T00:00:00Z', 'active', NULL, 'f7'), \
         (8, 'c8', 'api_key', 'openai', 'k8', '2026-01-01T00:00:00Z', 'active', NULL, 'f8')",
        "INSERT INTO credential_copy (credential_id, kind, locator, found_by, author_email, first_seen, \
         last_seen, status) VALUES \
         (7, 'repository_file', 'a/.env', 'scanner', 'dave@example.com', '2026-01-01T00:00:00Z', \
          '2026-01-01T00:00:00Z', 'present'), \
         (7, 'repository_file', 'b/.env', 'scanner', 'bob@example.com', '2026-01-01T00:00:00Z', \
          '2026-01-01T00:00:00Z', 'present'), \
         (8, 'repository_file', 'c/.env', 'scanner', 'bob@example.com', '2026-01-01T00:00:00Z', \
          '2026-01-01T00:00:00Z', 'present')",
        "INSERT INTO tool (id, name, kind) VALUES (2, 'crm', 'function')",
        "INSERT INTO agent_tool (agent_id, tool_id) VALUES (6, 2)",
        "INSERT INTO tool_credential (tool_id, credential_id) VALUES (2, 8)",
    ];
    for statement in statements {
        sqlx::query(statement).execute(app.db.pool()).await.unwrap();
    }
    let mut conn = app.db.pool().acquire().await.unwrap();
    coverage::rehome(&mut conn, Scope::All, Scope::All).await.unwrap();
    let all = credential_teams(&app).await;
    assert_eq!(
        all,
        [
            (1, Some(3)),
            (2, Some(3)),
            (3, Some(4)),
            (4, Some(2)),
            (5, Some(3)),
            (6, Some(3)),
            (7, Some(3)),
            (8, Some(4)),
        ]
    );

    sqlx::query("UPDATE credential SET coverage_team_id = NULL")
        .execute(&mut *conn)
        .await
        .unwrap();
    let ids: Vec<i64> = all.iter().map(|(id, _)| *id).collect();
    coverage::rehome(&mut conn, Scope::Ids(&ids), Scope::Ids(&[]))
        .await
        .unwrap();
    assert_eq!(credential_teams(&app).await, all, "row by row, the same teams");
}

on_every_backend!(
    coverage_rolls_up_through_the_team_hierarchy,
    gaps_carry_the_evidence_of_who_should_own_them,
    claiming_a_gap_raises_the_coverage_of_its_team,
    rehoming_everything_at_once_agrees_with_rehoming_each_credential,
);
