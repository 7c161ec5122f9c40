//! The inventory read API on the small demo organisation: every list and its
//! filters (each checked against SQL behind the API's back), pages and
//! sorting, details, and bad input.

use model::api as json;
use muster_tests::{Backend, on_every_backend, spawn_demo_app};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// Every list of the inventory API.
const LISTS: [&str; 7] = [
    "agents",
    "credentials",
    "copies",
    "resources",
    "people",
    "teams",
    "tools",
];

async fn the_demo_organisation_is_consistent_and_of_the_small_scale(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let scale = muster_server::demo::ScaleName::Small.scale();

    for (table, expected) in [
        ("team", scale.teams),
        ("person", scale.people),
        ("agent", scale.agents),
        ("tool", scale.tools),
        ("credential", scale.credentials),
        ("credential_copy", scale.copies),
        ("resource", scale.resources),
        ("activity_event", scale.events),
    ] {
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM {table}")).await,
            expected as i64,
            "{table}"
        );
    }
    let reach = app.count("SELECT COUNT(*) FROM reach").await;
    assert!(
        (scale.reach as i64 * 9 / 10..=scale.reach as i64 * 11 / 10).contains(&reach),
        "reach {reach}"
    );
    // Nothing dangles.
    for orphans in [
        "SELECT COUNT(*) FROM credential_copy cp LEFT JOIN credential c ON c.id = cp.credential_id WHERE c.id IS NULL",
        "SELECT COUNT(*) FROM agent_tool x LEFT JOIN agent a ON a.id = x.agent_id LEFT JOIN tool t ON t.id = x.tool_id \
         WHERE a.id IS NULL OR t.id IS NULL",
        "SELECT COUNT(*) FROM tool_credential x LEFT JOIN tool t ON t.id = x.tool_id \
         LEFT JOIN credential c ON c.id = x.credential_id WHERE t.id IS NULL OR c.id IS NULL",
        "SELECT COUNT(*) FROM reach x LEFT JOIN credential c ON c.id = x.credential_id \
         LEFT JOIN resource r ON r.id = x.resource_id WHERE c.id IS NULL OR r.id IS NULL",
        "SELECT COUNT(*) FROM activity_event e LEFT JOIN credential c ON c.id = e.credential_id WHERE c.id IS NULL",
        "SELECT COUNT(*) FROM agent a LEFT JOIN person p ON p.id = a.owner_id WHERE a.owner_id IS NOT NULL AND p.id IS NULL",
        "SELECT COUNT(*) FROM person p LEFT JOIN team t ON t.id = p.team_id WHERE t.id IS NULL",
        // Every event acts on a resource its credential reaches.
        "SELECT COUNT(*) FROM activity_event e LEFT JOIN reach r ON r.credential_id = e.credential_id \
         AND r.resource_id = e.resource_id WHERE r.credential_id IS NULL",
    ] {
        assert_eq!(app.count(orphans).await, 0, "{orphans}");
    }
    // The shapes the product is about are all there.
    for present in [
        "SELECT COUNT(DISTINCT category) - 3 FROM agent",
        "SELECT COUNT(DISTINCT kind) - 8 FROM credential",
        "SELECT COUNT(DISTINCT kind) - 5 FROM credential_copy",
        "SELECT COUNT(DISTINCT sensitivity) - 3 FROM resource",
        "SELECT COUNT(*) FROM agent WHERE sanctioned = 0",
        "SELECT COUNT(*) FROM agent WHERE owner_id IS NULL",
        "SELECT COUNT(*) FROM person WHERE status = 'departed'",
        "SELECT COUNT(*) FROM credential WHERE expires_at IS NULL AND last_rotated_at IS NULL",
        "SELECT COUNT(*) FROM (SELECT credential_id FROM credential_copy GROUP BY credential_id HAVING COUNT(*) >= 3) x",
        "SELECT COUNT(*) FROM (SELECT tc.credential_id FROM tool_credential tc JOIN agent_tool at ON at.tool_id = tc.tool_id \
         GROUP BY tc.credential_id HAVING COUNT(DISTINCT at.agent_id) > 1) x",
        "SELECT COUNT(*) FROM (SELECT r.credential_id FROM reach r JOIN resource res ON res.id = r.resource_id \
         GROUP BY r.credential_id HAVING COUNT(DISTINCT res.environment) > 1) x",
        "SELECT COUNT(*) FROM credential WHERE kind = 'workload_identity_federation' AND expires_at IS NOT NULL",
        "SELECT COUNT(*) FROM credential WHERE third_party IS NOT NULL",
        "SELECT COUNT(*) FROM activity_event WHERE user_agent LIKE 'Mozilla%'",
    ] {
        assert!(app.count(present).await > 0, "{present}");
    }
    // Secretless kinds have no stored copies.
    let copies_of_roles = app
        .count(
            "SELECT COUNT(*) FROM credential_copy cp JOIN credential c ON c.id = cp.credential_id \
             WHERE c.kind IN ('iam_role', 'workload_identity_federation')",
        )
        .await;
    assert_eq!(copies_of_roles, 0);
}

async fn the_demo_organisation_is_the_same_for_the_same_seed(backend: Backend) {
    let first = spawn_demo_app(backend).await;
    let second = spawn_demo_app(backend).await;

    for path in [
        "/api/v1/credentials?limit=200&sort=created_at",
        "/api/v1/agents?limit=200&page=2",
        "/api/v1/copies?limit=200",
        "/api/v1/credentials/77",
    ] {
        let a: serde_json::Value = first.get_json(path).await;
        let b: serde_json::Value = second.get_json(path).await;
        assert_eq!(a, b, "{path}");
    }
}

async fn lists_page_through_every_row_once(backend: Backend) {
    let app = spawn_demo_app(backend).await;

    for list in LISTS {
        let first: json::Page<serde_json::Value> = app.get_json(&format!("/api/v1/{list}?limit=7")).await;
        let second: json::Page<serde_json::Value> =
            app.get_json(&format!("/api/v1/{list}?limit=7&page=2")).await;
        assert_eq!((first.page, first.limit, first.items.len()), (1, 7, 7), "{list}");
        assert_eq!(first.total, second.total, "{list}");
        let ids = |page: &json::Page<serde_json::Value>| -> Vec<i64> {
            page.items
                .iter()
                .map(|item| item["id"].as_i64().unwrap())
                .collect()
        };
        assert!(
            ids(&first).iter().all(|id| !ids(&second).contains(id)),
            "{list}: pages overlap"
        );
        let last_page = (first.total as u32).div_ceil(200);
        let last: json::Page<serde_json::Value> = app
            .get_json(&format!("/api/v1/{list}?limit=200&page={last_page}"))
            .await;
        let before = u64::from(last_page - 1) * 200;
        assert_eq!(
            last.items.len() as u64 + before,
            first.total as u64,
            "{list}: the last page ends the list"
        );
    }
}

async fn lists_sort_by_any_allowed_column_both_ways(backend: Backend) {
    let app = spawn_demo_app(backend).await;

    let ascending: json::Page<json::CredentialSummary> =
        app.get_json("/api/v1/credentials?sort=created_at&limit=50").await;
    let descending: json::Page<json::CredentialSummary> = app
        .get_json("/api/v1/credentials?sort=-created_at&limit=50")
        .await;
    assert!(
        ascending
            .items
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at)
    );
    assert!(
        descending
            .items
            .windows(2)
            .all(|w| w[0].created_at >= w[1].created_at)
    );
    assert!(ascending.items[0].created_at < descending.items[0].created_at);

    let by_name: json::Page<json::AgentSummary> = app.get_json("/api/v1/agents?sort=name&limit=100").await;
    assert!(by_name.items.windows(2).all(|w| w[0].name <= w[1].name));
    // Agents never seen sort last, whichever way.
    let seen: json::Page<json::AgentSummary> = app.get_json("/api/v1/agents?sort=-last_seen&limit=200").await;
    assert!(seen.items[0].last_seen.is_some());
}

async fn agent_filters_return_exactly_the_matching_agents(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let team = app.count("SELECT id FROM team WHERE name = 'Engineering'").await;
    let owner = app.count("SELECT MIN(owner_id) FROM agent").await;

    type Check = Box<dyn Fn(&json::AgentSummary) -> bool>;
    let cases: Vec<(String, String, Check)> = vec![
        (
            "category=coding_endpoint".into(),
            "category = 'coding_endpoint'".into(),
            Box::new(|a| a.category == json::AgentCategory::CodingEndpoint),
        ),
        (
            "platform=Bedrock".into(),
            "platform = 'Bedrock'".into(),
            Box::new(|a| a.platform == "Bedrock"),
        ),
        (
            "environment=prod".into(),
            "environment = 'prod'".into(),
            Box::new(|a| a.environment == json::Environment::Prod),
        ),
        (
            "sanctioned=false".into(),
            "sanctioned = 0".into(),
            Box::new(|a| !a.sanctioned),
        ),
        (
            "sanctioned=true".into(),
            "sanctioned = 1".into(),
            Box::new(|a| a.sanctioned),
        ),
        (
            "has_no_owner=true".into(),
            "owner_id IS NULL".into(),
            Box::new(|a| a.owner.is_none()),
        ),
        (
            "has_no_owner=false".into(),
            "owner_id IS NOT NULL".into(),
            Box::new(|a| a.owner.is_some()),
        ),
        (
            format!("owner={owner}"),
            format!("owner_id = {owner}"),
            Box::new(move |a| a.owner.as_ref().map(|o| o.id) == Some(owner)),
        ),
        (
            format!("team={team}"),
            format!(
                "owner_id IN (SELECT p.id FROM person p JOIN team t ON t.id = p.team_id \
                     WHERE t.id = {team} OR t.parent_id = {team} OR t.parent_id IN (SELECT id FROM team WHERE parent_id = {team}))"
            ),
            Box::new(|a| a.owner.is_some()),
        ),
        (
            "q=RELEASE-BOT".into(),
            "LOWER(name) LIKE '%release-bot%' OR LOWER(platform) LIKE '%release-bot%' \
            OR LOWER(description) LIKE '%release bot%'"
                .into(),
            Box::new(|a| a.name.contains("release-bot")),
        ),
        (
            "category=cloud&environment=staging&sanctioned=true".into(),
            "category = 'cloud' AND environment = 'staging' AND sanctioned = 1".into(),
            Box::new(|a| {
                a.category == json::AgentCategory::Cloud && a.environment == json::Environment::Staging
            }),
        ),
    ];
    for (query, condition, check) in cases {
        let page: json::Page<json::AgentSummary> =
            app.get_json(&format!("/api/v1/agents?{query}&limit=200")).await;
        let expected = app
            .count(&format!("SELECT COUNT(*) FROM agent WHERE {condition}"))
            .await;
        assert_eq!(page.total, expected, "{query}");
        assert!(expected > 0, "{query} should match something in the demo");
        assert!(page.items.iter().all(&check), "{query}");
    }
}

async fn credential_filters_return_exactly_the_matching_credentials(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let agent = app
        .count(
            "SELECT MIN(at.agent_id) FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id",
        )
        .await;
    let team = app.count("SELECT id FROM team WHERE name = 'Payments'").await;
    let owner = app.count("SELECT MIN(owner_id) FROM credential").await;

    let cases = [
        ("kind=access_key".to_owned(), "kind = 'access_key'".to_owned()),
        ("provider=github".into(), "provider = 'github'".into()),
        ("status=revoked".into(), "status = 'revoked'".into()),
        ("has_no_owner=true".into(), "owner_id IS NULL".into()),
        (format!("owner={owner}"), format!("owner_id = {owner}")),
        (
            format!("team={team}"),
            format!(
                "owner_id IN (SELECT id FROM person WHERE team_id IN \
            (SELECT id FROM team WHERE id = {team} OR parent_id = {team}))"
            ),
        ),
        (
            "environment=dev".into(),
            "id IN (SELECT r.credential_id FROM reach r JOIN resource res ON res.id = r.resource_id \
            WHERE res.environment = 'dev')"
                .into(),
        ),
        (
            format!("agent={agent}"),
            format!(
                "id IN (SELECT tc.credential_id FROM tool_credential tc \
            JOIN agent_tool at ON at.tool_id = tc.tool_id WHERE at.agent_id = {agent})"
            ),
        ),
        (
            "kind=api_key&status=active&provider=openai".into(),
            "kind = 'api_key' AND status = 'active' AND provider = 'openai'".into(),
        ),
    ];
    for (query, condition) in cases {
        let page: json::Page<json::CredentialSummary> = app
            .get_json(&format!("/api/v1/credentials?{query}&limit=200"))
            .await;
        let expected = app
            .count(&format!("SELECT COUNT(*) FROM credential WHERE {condition}"))
            .await;
        assert_eq!(page.total, expected, "{query}");
        assert!(expected > 0, "{query} should match something in the demo");
        let ids = sqlx::query_scalar::<_, i64>(&format!("SELECT id FROM credential WHERE {condition}"))
            .fetch_all(app.db.pool())
            .await
            .unwrap();
        assert!(page.items.iter().all(|c| ids.contains(&c.id)), "{query}");
    }

    // A pasted key id or fingerprint finds its credential.
    let some: json::CredentialSummary = app
        .get_json::<json::Page<json::CredentialSummary>>("/api/v1/credentials?kind=access_key&limit=1")
        .await
        .items
        .remove(0);
    for q in [&some.external_id, &some.fingerprint] {
        let found: json::Page<json::CredentialSummary> =
            app.get_json(&format!("/api/v1/credentials?q={q}")).await;
        assert_eq!(found.total, 1, "{q}");
        assert_eq!(found.items[0].id, some.id);
    }
    // The copies count is that of present copies.
    let detail: json::CredentialDetail = app.get_json(&format!("/api/v1/credentials/{}", some.id)).await;
    let present = detail
        .copies
        .iter()
        .filter(|c| c.status == json::CopyStatus::Present)
        .count() as i64;
    assert_eq!(detail.credential.copies, present);
}

async fn copy_resource_people_team_and_tool_filters_match_sql(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let credential = app.count("SELECT credential_id FROM credential_copy GROUP BY credential_id ORDER BY COUNT(*) DESC, credential_id LIMIT 1").await;
    let engineering = app.count("SELECT id FROM team WHERE name = 'Engineering'").await;
    let agent = app.count("SELECT MIN(agent_id) FROM agent_tool").await;

    let cases = [
        (
            "copies",
            "kind=chat_message".to_owned(),
            "credential_copy WHERE kind = 'chat_message'".to_owned(),
        ),
        (
            "copies",
            "status=removed".into(),
            "credential_copy WHERE status = 'removed'".into(),
        ),
        (
            "copies",
            format!("credential={credential}"),
            format!("credential_copy WHERE credential_id = {credential}"),
        ),
        (
            "copies",
            "q=.env".into(),
            "credential_copy WHERE locator LIKE '%.env%'".into(),
        ),
        (
            "resources",
            "provider=aws".into(),
            "resource WHERE provider = 'aws'".into(),
        ),
        (
            "resources",
            "kind=bucket".into(),
            "resource WHERE kind = 'bucket'".into(),
        ),
        (
            "resources",
            "environment=prod".into(),
            "resource WHERE environment = 'prod'".into(),
        ),
        (
            "resources",
            "sensitivity=restricted".into(),
            "resource WHERE sensitivity = 'restricted'".into(),
        ),
        (
            "resources",
            format!("team={engineering}"),
            format!(
                "resource WHERE owner_team_id IN (SELECT id FROM team \
            WHERE id = {engineering} OR parent_id = {engineering} OR parent_id IN (SELECT id FROM team WHERE parent_id = {engineering}))"
            ),
        ),
        (
            "resources",
            "q=PAYMENTS".into(),
            "resource WHERE name LIKE '%payments%'".into(),
        ),
        (
            "people",
            "status=departed".into(),
            "person WHERE status = 'departed'".into(),
        ),
        (
            "people",
            format!("team={engineering}"),
            format!(
                "person WHERE team_id IN (SELECT id FROM team \
            WHERE id = {engineering} OR parent_id = {engineering} OR parent_id IN (SELECT id FROM team WHERE parent_id = {engineering}))"
            ),
        ),
        ("people", "q=acme.example".into(), "person".into()),
        (
            "teams",
            format!("parent={engineering}"),
            format!("team WHERE parent_id = {engineering}"),
        ),
        (
            "teams",
            "q=PLATFORM".into(),
            "team WHERE LOWER(name) LIKE '%platform%'".into(),
        ),
        (
            "tools",
            "kind=mcp_server".into(),
            "tool WHERE kind = 'mcp_server'".into(),
        ),
        (
            "tools",
            "q=GITHUB-MCP".into(),
            "tool WHERE name LIKE 'github-mcp%'".into(),
        ),
        (
            "tools",
            format!("agent={agent}"),
            format!("tool WHERE id IN (SELECT tool_id FROM agent_tool WHERE agent_id = {agent})"),
        ),
    ];
    for (list, query, from) in cases {
        let page: json::Page<serde_json::Value> =
            app.get_json(&format!("/api/v1/{list}?{query}&limit=200")).await;
        let expected = app.count(&format!("SELECT COUNT(*) FROM {from}")).await;
        assert_eq!(page.total, expected, "{list}?{query}");
        assert!(expected > 0, "{list}?{query} should match something in the demo");
    }
}

async fn entity_details_carry_their_direct_neighbours(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let credential = app.count("SELECT MIN(credential_id) FROM tool_credential").await;

    let detail: json::CredentialDetail = app.get_json(&format!("/api/v1/credentials/{credential}")).await;
    assert_eq!(detail.credential.id, credential);
    let tools = app
        .count(&format!(
            "SELECT COUNT(*) FROM tool_credential WHERE credential_id = {credential}"
        ))
        .await;
    assert_eq!(detail.tools.len() as i64, tools);
    assert!(!detail.agents.is_empty());
    let reach = app
        .count(&format!(
            "SELECT COUNT(*) FROM reach WHERE credential_id = {credential}"
        ))
        .await;
    assert_eq!((detail.reach.len() as i64, detail.reach_total), (reach, reach));
    let agents = app
        .count(&format!(
            "SELECT COUNT(DISTINCT at.agent_id) FROM agent_tool at JOIN tool_credential tc ON tc.tool_id = at.tool_id \
             WHERE tc.credential_id = {credential}"
        ))
        .await;
    assert_eq!(
        (detail.agents.len() as i64, detail.agents_total),
        (agents.min(100), agents)
    );
    let copies = app
        .count(&format!(
            "SELECT COUNT(*) FROM credential_copy WHERE credential_id = {credential}"
        ))
        .await;
    assert_eq!(detail.copies.len() as i64, copies);
    assert!(
        detail
            .recent_activity
            .windows(2)
            .all(|w| w[0].occurred_at >= w[1].occurred_at)
    );

    let agent_id = detail.agents[0].id;
    let agent: json::AgentDetail = app.get_json(&format!("/api/v1/agents/{agent_id}")).await;
    assert!(
        agent.credentials.iter().any(|c| c.id == credential),
        "the agent lists the credential back"
    );
    assert!(!agent.tools.is_empty());

    let tool: json::ToolDetail = app
        .get_json(&format!("/api/v1/tools/{}", detail.tools[0].id))
        .await;
    assert!(tool.credentials.iter().any(|c| c.id == credential));
    assert_eq!(tool.agents.len() as i64, tool.tool.agents.min(100));

    let resource: json::ResourceDetail = app
        .get_json(&format!("/api/v1/resources/{}", detail.reach[0].resource.id))
        .await;
    assert!(resource.reached_by.iter().any(|r| r.credential.id == credential));
    assert_eq!(
        resource.reached_by.len() as i64,
        resource.reached_by_total.min(100)
    );

    let copy: json::CopySummary = app
        .get_json(&format!(
            "/api/v1/copies/{}",
            detail.copies.first().map_or(1, |c| c.id)
        ))
        .await;
    assert!(copy.id > 0);

    let owner = app.count("SELECT MIN(owner_id) FROM agent").await;
    let person: json::PersonDetail = app.get_json(&format!("/api/v1/people/{owner}")).await;
    let owned = app
        .count(&format!("SELECT COUNT(*) FROM agent WHERE owner_id = {owner}"))
        .await;
    assert_eq!(person.agents_total, owned);
    assert!(
        person
            .agents
            .iter()
            .all(|a| a.owner.as_ref().unwrap().id == owner)
    );

    let engineering = app.count("SELECT id FROM team WHERE name = 'Engineering'").await;
    let team: json::TeamDetail = app.get_json(&format!("/api/v1/teams/{engineering}")).await;
    assert!(team.children.iter().any(|c| c.name == "Payments"));
    assert!(team.agents_owned > 0 && team.credentials_owned > 0);
}

async fn missing_entities_are_404_and_malformed_ids_400(backend: Backend) {
    let app = spawn_demo_app(backend).await;

    for entity in LISTS {
        app.get_error(&format!("/api/v1/{entity}/999999"), 404, "not_found")
            .await;
        app.get_error(&format!("/api/v1/{entity}/abc"), 400, "bad_request")
            .await;
        app.get_error(&format!("/api/v1/{entity}/-3"), 400, "bad_request")
            .await;
    }
    app.get_error("/api/v1/credentials/999999/blast-radius", 404, "not_found")
        .await;
    app.get_error("/api/v1/copies?credential=999999", 404, "not_found")
        .await;
}

async fn bad_list_parameters_are_400_naming_the_problem(backend: Backend) {
    let app = spawn_demo_app(backend).await;

    for (path, needle) in [
        ("/api/v1/agents?category=robot", "robot"),
        ("/api/v1/agents?sanctioned=maybe", "sanctioned"),
        ("/api/v1/agents?owner=bob", "owner"),
        ("/api/v1/agents?colour=red", "colour"),
        ("/api/v1/agents?limit=201", "limit"),
        ("/api/v1/agents?limit=0", "limit"),
        ("/api/v1/agents?page=0", "page"),
        ("/api/v1/agents?sort=shoe_size", "shoe_size"),
        ("/api/v1/credentials?kind=password", "password"),
        ("/api/v1/credentials?status=sleeping", "sleeping"),
        ("/api/v1/copies?kind=postcard", "postcard"),
        ("/api/v1/resources?sensitivity=secret", "secret"),
        ("/api/v1/resources?environment=moon", "moon"),
        ("/api/v1/people?status=retired", "retired"),
        ("/api/v1/tools?kind=hammer", "hammer"),
        ("/api/v1/teams?limit=9999", "limit"),
    ] {
        let message = app.get_error(path, 400, "bad_request").await;
        assert!(message.contains(needle), "{path}: {message}");
    }
}

/// Names are searched by substring through an index (SQLite FTS5 trigram,
/// PostgreSQL pg_trgm): it must find exactly what a scan of the names finds,
/// follow renames, and take quotes, wildcards and short text literally.
async fn substring_search_finds_what_a_scan_finds_and_follows_renames(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let like = match backend {
        Backend::Sqlite => "LIKE",
        Backend::Postgres => "ILIKE",
    };
    let renamed = app.count("SELECT MIN(id) FROM credential").await;
    let old: String = sqlx::query_scalar(&format!("SELECT name FROM credential WHERE id = {renamed}"))
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    app.execute(&format!(
        "UPDATE credential SET name = 'Quoted \"50%_off\" ÉTÉ key' WHERE id = {renamed}"
    ))
    .await;
    let agent = app.count("SELECT MIN(id) FROM agent").await;
    app.execute(&format!(
        "UPDATE agent SET description = 'watches the ledger-zz9 queue' WHERE id = {agent}"
    ))
    .await;

    for (q, pattern) in [
        ("ELEASE-B", "%elease-b%"),
        ("deploy", "%deploy%"),
        ("ey", "%ey%"),
        ("\"50%_off\"", "%\"50\\%\\_off\"%"),
        ("50%", "%50\\%%"),
        ("ÉTÉ", "%ÉTÉ%"),
    ] {
        let encoded = utf8_percent_encode(q, NON_ALPHANUMERIC);
        let found: json::Page<json::CredentialSummary> = app
            .get_json(&format!("/api/v1/credentials?q={encoded}&limit=200"))
            .await;
        let expected = app
            .count(&format!(
                "SELECT COUNT(*) FROM credential WHERE name {like} '{}' ESCAPE '\\'",
                pattern.replace('\'', "''")
            ))
            .await;
        assert_eq!(found.total, expected, "{q}");
    }
    let quoted: json::Page<json::CredentialSummary> =
        app.get_json("/api/v1/credentials?q=%2250%25_off%22").await;
    assert_eq!(quoted.items.iter().map(|c| c.id).collect::<Vec<_>>(), [renamed]);
    let gone: json::Page<json::CredentialSummary> = app
        .get_json(&format!(
            "/api/v1/credentials?q={}&limit=200",
            utf8_percent_encode(&old, NON_ALPHANUMERIC)
        ))
        .await;
    assert!(
        gone.items.iter().all(|c| c.id != renamed),
        "the old name is no longer found"
    );

    let agents: json::Page<json::AgentSummary> = app.get_json("/api/v1/agents?q=LEDGER-ZZ9").await;
    assert_eq!(agents.items.iter().map(|a| a.id).collect::<Vec<_>>(), [agent]);
    let hits: json::SearchResults = app.get_json("/api/v1/search?q=50%25_OFF").await;
    assert_eq!(
        hits.hits.iter().map(|h| (h.kind, h.id)).collect::<Vec<_>>(),
        [(json::NodeKind::Credential, renamed)]
    );
}

async fn list_totals_are_kept_until_the_inventory_changes(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let total = || async {
        app.get_json::<json::Page<serde_json::Value>>("/api/v1/credentials?limit=1")
            .await
            .total
    };
    let before = total().await;
    assert_eq!(before, app.count("SELECT COUNT(*) FROM credential").await);

    // A row written behind the server's back, with no audit entry: the kept
    // total stands (what an import's steps look like until it ends).
    app.execute(
        "INSERT INTO credential (name, kind, provider, external_id, created_at, status, fingerprint) \
         VALUES ('behind-its-back', 'api_key', 'openai', 'kept-1', '2026-01-01T00:00:00Z', 'active', 'kept-1')",
    )
    .await;
    assert_eq!(total().await, before, "kept until the inventory changes");

    // An import is a change: the total is counted again, the row above with it.
    let admin = app
        .signed_in_as("importer@muster.test", &[json::Role::Admin])
        .await;
    let report = muster_tests::reports::trufflehog(20, 10, "kept");
    let (status, summary) = app.import(&admin, "trufflehog?source=kept", report).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["credentials_created"], 10);
    assert_eq!(total().await, before + 11);
    assert_eq!(total().await, app.count("SELECT COUNT(*) FROM credential").await);
}

on_every_backend!(
    the_demo_organisation_is_consistent_and_of_the_small_scale,
    the_demo_organisation_is_the_same_for_the_same_seed,
    lists_page_through_every_row_once,
    lists_sort_by_any_allowed_column_both_ways,
    agent_filters_return_exactly_the_matching_agents,
    credential_filters_return_exactly_the_matching_credentials,
    copy_resource_people_team_and_tool_filters_match_sql,
    entity_details_carry_their_direct_neighbours,
    missing_entities_are_404_and_malformed_ids_400,
    bad_list_parameters_are_400_naming_the_problem,
    substring_search_finds_what_a_scan_finds_and_follows_renames,
    list_totals_are_kept_until_the_inventory_changes,
);
