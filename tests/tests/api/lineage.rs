//! The lineage graph, the blast radius, the search, and the OpenAPI document.

use std::collections::HashSet;

use model::api as json;
use muster_tests::{Backend, on_every_backend, spawn_app, spawn_demo_app};

fn assert_well_formed(graph: &json::Lineage) {
    let ids: HashSet<&str> = graph.nodes.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids.len(), graph.nodes.len(), "node ids are unique");
    assert_eq!(graph.nodes[0].id, graph.root, "the root comes first");
    for edge in &graph.edges {
        assert!(
            ids.contains(edge.from.as_str()) && ids.contains(edge.to.as_str()),
            "{edge:?} dangles"
        );
    }
}

async fn the_lineage_of_a_credential_reaches_person_agent_tool_copy_and_resource(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let credential = app
        .count(
            "SELECT MIN(c.id) FROM credential c WHERE c.owner_id IS NOT NULL \
             AND EXISTS (SELECT 1 FROM tool_credential tc WHERE tc.credential_id = c.id) \
             AND EXISTS (SELECT 1 FROM credential_copy cp WHERE cp.credential_id = c.id)",
        )
        .await;

    let graph: json::Lineage = app
        .get_json(&format!(
            "/api/v1/graph/lineage?node=credential:{credential}&depth=2"
        ))
        .await;

    assert_well_formed(&graph);
    assert_eq!(graph.root, format!("credential:{credential}"));
    let kinds: HashSet<json::NodeKind> = graph.nodes.iter().map(|n| n.kind).collect();
    for kind in [
        json::NodeKind::Person,
        json::NodeKind::Agent,
        json::NodeKind::Tool,
        json::NodeKind::Copy,
        json::NodeKind::Resource,
    ] {
        assert!(kinds.contains(&kind), "no {kind:?} in the lineage");
    }
    assert!(graph.nodes.iter().all(|n| n.depth <= 2));
    // Agents and credentials carry their stored score and its band, so the
    // explorer can colour them; other kinds have none.
    let stored = app
        .count(&format!(
            "SELECT risk_score FROM credential WHERE id = {credential}"
        ))
        .await;
    assert_eq!(graph.nodes[0].score, Some(stored));
    assert_eq!(graph.nodes[0].band, Some(json::RiskBand::of(stored)));
    for node in &graph.nodes {
        let scored =
            matches!(node.kind, json::NodeKind::Agent | json::NodeKind::Credential) && node.more.is_none();
        assert_eq!(node.score.is_some(), scored, "{node:?}");
        assert_eq!(node.band.is_some(), scored, "{node:?}");
    }
    // Edges point downstream: tool → credential, credential → resource.
    let root = graph.root.as_str();
    assert!(
        graph
            .edges
            .iter()
            .any(|e| e.to == root && e.relation == json::Relation::AuthenticatesWith)
    );
    assert!(
        graph
            .edges
            .iter()
            .any(|e| e.from == root && e.relation == json::Relation::Reaches && e.permission.is_some())
    );
    assert!(
        graph
            .edges
            .iter()
            .any(|e| e.from == root && e.relation == json::Relation::StoredAt)
    );

    let shallow: json::Lineage = app
        .get_json(&format!(
            "/api/v1/graph/lineage?node=credential:{credential}&depth=1"
        ))
        .await;
    assert!(shallow.nodes.iter().all(|n| n.depth <= 1));
    assert!(shallow.nodes.len() < graph.nodes.len());
}

async fn a_large_neighbourhood_folds_into_an_n_more_node_keeping_the_riskiest_in_view(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    // The busiest tool has far more agents than the fan-out.
    let tool = app
        .count("SELECT tool_id FROM agent_tool GROUP BY tool_id ORDER BY COUNT(*) DESC, tool_id LIMIT 1")
        .await;
    let agents = app
        .count(&format!("SELECT COUNT(*) FROM agent_tool WHERE tool_id = {tool}"))
        .await;
    assert!(agents > json::LINEAGE_FANOUT as i64);

    let graph: json::Lineage = app
        .get_json(&format!("/api/v1/graph/lineage?node=tool:{tool}&depth=1"))
        .await;

    assert_well_formed(&graph);
    let drawn = graph
        .nodes
        .iter()
        .filter(|n| n.kind == json::NodeKind::Agent && n.more.is_none())
        .count();
    assert_eq!(drawn, json::LINEAGE_FANOUT);
    let more = graph
        .nodes
        .iter()
        .find(|n| n.kind == json::NodeKind::Agent && n.more.is_some())
        .expect("an N more node");
    assert_eq!(more.more, Some(agents - json::LINEAGE_FANOUT as i64));
    assert_eq!(
        more.label,
        format!("{} more", agents - json::LINEAGE_FANOUT as i64)
    );
    assert!(more.entity_id.is_none());
    // What stays in view is the riskiest: no folded agent scores above a drawn one.
    let lowest_drawn = graph
        .nodes
        .iter()
        .filter(|n| n.kind == json::NodeKind::Agent && n.more.is_none())
        .filter_map(|n| n.score)
        .min()
        .unwrap();
    let highest_folded = app
        .count(&format!(
            "SELECT COALESCE(MAX(a.risk_score), 0) FROM agent a JOIN agent_tool at ON at.agent_id = a.id \
             WHERE at.tool_id = {tool} AND a.id NOT IN ({})",
            graph
                .nodes
                .iter()
                .filter_map(|n| (n.kind == json::NodeKind::Agent).then_some(n.entity_id).flatten())
                .map(|id| id.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ))
        .await;
    assert!(
        highest_folded <= lowest_drawn,
        "{highest_folded} folded above {lowest_drawn}"
    );

    // A credential's resources: the most sensitive and strongest first.
    let credential = app
        .count("SELECT credential_id FROM reach GROUP BY credential_id ORDER BY COUNT(*) DESC, credential_id LIMIT 1")
        .await;
    let reach: json::Lineage = app
        .get_json(&format!(
            "/api/v1/graph/lineage?node=credential:{credential}&depth=1"
        ))
        .await;
    let radius: json::BlastRadius = app
        .get_json(&format!("/api/v1/credentials/{credential}/blast-radius"))
        .await;
    let rank = |id: i64| {
        let entry = radius.resources.iter().find(|e| e.resource.id == id).unwrap();
        (
            std::cmp::Reverse(entry.resource.sensitivity),
            std::cmp::Reverse(entry.permission),
        )
    };
    let ranks: Vec<_> = reach
        .nodes
        .iter()
        .filter(|n| n.kind == json::NodeKind::Resource)
        .filter_map(|n| n.entity_id)
        .map(rank)
        .collect();
    assert!(!ranks.is_empty());
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");

    // Even the deepest walk stays bounded.
    let deep: json::Lineage = app
        .get_json(&format!("/api/v1/graph/lineage?node=tool:{tool}&depth=5"))
        .await;
    assert_well_formed(&deep);
    assert!(deep.nodes.len() <= muster_server::db::lineage::MAX_NODES + 7 * json::LINEAGE_FANOUT);
}

async fn a_lineage_leads_with_the_nodes_own_chain_not_its_siblings(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    // A credential of a tool that authenticates with others too, and an
    // agent whose owner owns others too.
    let credential = app
        .count(
            "SELECT MIN(tc.credential_id) FROM tool_credential tc WHERE tc.tool_id IN \
             (SELECT tool_id FROM tool_credential GROUP BY tool_id HAVING COUNT(*) > 1)",
        )
        .await;
    let agent = app
        .count(
            "SELECT MIN(a.id) FROM agent a WHERE a.owner_id IN \
             (SELECT owner_id FROM agent GROUP BY owner_id HAVING COUNT(*) > 1)",
        )
        .await;
    for (root, kind) in [
        (format!("credential:{credential}"), json::NodeKind::Credential),
        (format!("agent:{agent}"), json::NodeKind::Agent),
    ] {
        for depth in [2, 4] {
            let graph: json::Lineage = app
                .get_json(&format!("/api/v1/graph/lineage?node={root}&depth={depth}"))
                .await;
            assert_well_formed(&graph);
            let same_kind: Vec<&str> = graph
                .nodes
                .iter()
                .filter(|n| n.kind == kind)
                .map(|n| n.id.as_str())
                .collect();
            assert_eq!(
                same_kind,
                vec![root.as_str()],
                "no siblings of {root} at depth {depth}"
            );
        }
    }
    // A click on a node (depth 1 around it) still brings its siblings in.
    let tool = app
        .count(&format!(
            "SELECT MIN(tool_id) FROM tool_credential WHERE credential_id = {credential} AND tool_id IN \
             (SELECT tool_id FROM tool_credential GROUP BY tool_id HAVING COUNT(*) > 1)"
        ))
        .await;
    let around: json::Lineage = app
        .get_json(&format!("/api/v1/graph/lineage?node=tool:{tool}&depth=1"))
        .await;
    assert!(
        around
            .nodes
            .iter()
            .filter(|n| n.kind == json::NodeKind::Credential)
            .count()
            > 1
    );
}

async fn every_node_kind_can_start_a_lineage(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    for kind in [
        "team",
        "person",
        "agent",
        "tool",
        "credential",
        "copy",
        "resource",
    ] {
        let graph: json::Lineage = app
            .get_json(&format!("/api/v1/graph/lineage?node={kind}:1"))
            .await;
        assert_well_formed(&graph);
        assert!(graph.nodes.len() > 1, "{kind}:1 has neighbours");
    }
}

async fn bad_lineage_requests_are_rejected_with_the_reason(backend: Backend) {
    let app = spawn_app(backend).await;
    for (path, status, needle) in [
        ("/api/v1/graph/lineage", 400, "node"),
        ("/api/v1/graph/lineage?node=robot:1", 400, "robot"),
        ("/api/v1/graph/lineage?node=credential", 400, "<kind>:<id>"),
        ("/api/v1/graph/lineage?node=credential:abc", 400, "abc"),
        ("/api/v1/graph/lineage?node=credential:1&depth=0", 400, "depth"),
        ("/api/v1/graph/lineage?node=credential:1&depth=9", 400, "depth"),
        ("/api/v1/graph/lineage?node=credential:404", 404, "credential"),
    ] {
        let code = if status == 400 { "bad_request" } else { "not_found" };
        let message = app.get_error(path, status, code).await;
        assert!(message.contains(needle), "{path}: {message}");
    }
}

async fn the_blast_radius_lists_every_reached_resource_and_who_else_reaches_it(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let credential = app.count("SELECT credential_id FROM reach GROUP BY credential_id ORDER BY COUNT(*) DESC, credential_id LIMIT 1").await;

    let blast: json::BlastRadius = app
        .get_json(&format!("/api/v1/credentials/{credential}/blast-radius"))
        .await;

    let reach = app
        .count(&format!(
            "SELECT COUNT(*) FROM reach WHERE credential_id = {credential}"
        ))
        .await;
    assert_eq!(blast.resources.len() as i64, reach);
    assert_eq!(blast.by_sensitivity.iter().map(|s| s.count).sum::<i64>(), reach);
    assert_eq!(
        blast.by_sensitivity[0].sensitivity,
        json::Sensitivity::Restricted,
        "most sensitive first"
    );
    let rank = |s: json::Sensitivity| json::Sensitivity::ALL.iter().position(|x| *x == s).unwrap();
    assert!(
        blast
            .resources
            .windows(2)
            .all(|w| rank(w[0].resource.sensitivity) >= rank(w[1].resource.sensitivity))
    );
    for entry in &blast.resources {
        assert!(
            entry.others.iter().all(|o| o.credential.id != credential),
            "others exclude the credential itself"
        );
        let others = app
            .count(&format!(
                "SELECT COUNT(*) FROM reach WHERE resource_id = {} AND credential_id <> {credential}",
                entry.resource.id
            ))
            .await;
        assert_eq!(entry.others_total, others);
        assert_eq!(entry.others.len() as i64, others.min(10));
    }
}

async fn the_search_finds_a_credential_by_key_id_fingerprint_or_name_and_a_person_by_email(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let page: json::Page<json::CredentialSummary> =
        app.get_json("/api/v1/credentials?kind=access_key&limit=1").await;
    let key = &page.items[0];

    for (q, matched) in [
        (key.external_id.clone(), "external_id"),
        (key.external_id[..10].to_owned(), "external_id"),
        (key.fingerprint.clone(), "fingerprint"),
        (key.fingerprint[..12].to_owned(), "fingerprint"),
    ] {
        let results: json::SearchResults = app.get_json(&format!("/api/v1/search?q={q}")).await;
        let first = &results.hits[0];
        assert_eq!(
            (first.kind, first.matched.as_str()),
            (json::NodeKind::Credential, matched),
            "{q}"
        );
        assert!(results.hits.iter().any(|h| h.id == key.id), "{q}");
    }
    let by_name: json::SearchResults = app
        .get_json(&format!("/api/v1/search?q={}", key.name.to_uppercase()))
        .await;
    assert!(
        by_name
            .hits
            .iter()
            .any(|h| h.kind == json::NodeKind::Credential && h.id == key.id)
    );

    let email: String = sqlx::query_scalar("SELECT email FROM person WHERE id = 42")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let results: json::SearchResults = app
        .get_json(&format!("/api/v1/search?q={}", email.to_uppercase()))
        .await;
    assert_eq!(
        (
            results.hits[0].kind,
            results.hits[0].id,
            results.hits[0].matched.as_str()
        ),
        (json::NodeKind::Person, 42, "email")
    );

    let agents: json::SearchResults = app.get_json("/api/v1/search?q=release-bot&limit=5").await;
    assert_eq!(agents.hits.len(), 5);
    assert!(agents.hits.iter().all(|h| h.label.contains("release-bot")));

    let nothing: json::SearchResults = app.get_json("/api/v1/search?q=zzzz-no-such-thing").await;
    assert!(nothing.hits.is_empty());
    app.get_error("/api/v1/search?q=a", 400, "bad_request").await;
    app.get_error("/api/v1/search", 400, "bad_request").await;
    app.get_error("/api/v1/search?q=abc&limit=51", 400, "bad_request")
        .await;
}

async fn the_openapi_document_describes_every_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc: serde_json::Value = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(doc["info"]["title"], "Muster API");
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/teams",
        "/teams/{id}",
        "/people",
        "/people/{id}",
        "/agents",
        "/agents/{id}",
        "/tools",
        "/tools/{id}",
        "/credentials",
        "/credentials/{id}",
        "/credentials/{id}/blast-radius",
        "/copies",
        "/copies/{id}",
        "/resources",
        "/resources/{id}",
        "/graph/lineage",
        "/search",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["CredentialSummary"].is_object());
}

async fn who_can_reach_a_resource_is_every_path_shortest_first_with_its_weakest_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let team = app.insert("INSERT INTO team (name) VALUES ('Payments')").await;
    let olga = app.insert(&format!(
        "INSERT INTO person (name, email, team_id, status) VALUES ('Olga Owner', 'olga@x.test', {team}, 'active')"
    )).await;
    let dave = app.insert(&format!(
        "INSERT INTO person (name, email, team_id, status, departed_at) VALUES ('Dave Departed', 'dave@x.test', {team}, \
         'departed', '2026-11-01T00:00:00Z')"
    )).await;
    let resource = |name: &str| {
        format!(
            "INSERT INTO resource (name, provider, kind, environment, sensitivity) VALUES ('{name}', 'aws', 'database', \
             'prod', 'restricted')"
        )
    };
    let orders = app.insert(&resource("orders-db")).await;
    let ledger = app.insert(&resource("ledger-db")).await;
    let credential = |name: &str, owner: Option<i64>, status: &str, score: i64| {
        let owner = owner.map_or("NULL".to_owned(), |o| o.to_string());
        format!(
            "INSERT INTO credential (name, kind, provider, external_id, created_at, status, owner_id, fingerprint, \
             risk_score) VALUES ('{name}', 'access_key', 'aws', 'AKIA{name}', '2026-01-01T00:00:00Z', '{status}', {owner}, \
             'fp-{name}', {score})"
        )
    };
    let deploy = app
        .insert(&credential("deploy-key", Some(olga), "active", 80))
        .await;
    let read = app.insert(&credential("read-key", None, "active", 40)).await;
    let old = app.insert(&credential("old-key", Some(dave), "active", 60)).await;
    let revoked = app
        .insert(&credential("revoked-key", Some(olga), "revoked", 10))
        .await;
    let busy = app.insert(&credential("busy-key", None, "active", 50)).await;
    let agent = |name: &str, owner: Option<i64>| {
        let owner = owner.map_or("NULL".to_owned(), |o| o.to_string());
        format!(
            "INSERT INTO agent (name, category, platform, environment, sanctioned, owner_id, first_seen, risk_score) \
             VALUES ('{name}', 'self_hosted', 'LangChain', 'prod', 1, {owner}, '2026-01-01T00:00:00Z', 30)"
        )
    };
    let release = app.insert(&agent("release-bot", Some(olga))).await;
    let orphan = app.insert(&agent("orphan-bot", None)).await;
    let aws = app
        .insert("INSERT INTO tool (name, kind) VALUES ('aws-mcp', 'mcp_server')")
        .await;
    let hub = app
        .insert("INSERT INTO tool (name, kind) VALUES ('hub-mcp', 'mcp_server')")
        .await;
    for sql in [
        format!("INSERT INTO agent_tool (agent_id, tool_id) VALUES ({release}, {aws})"),
        format!("INSERT INTO agent_tool (agent_id, tool_id) VALUES ({orphan}, {aws})"),
        format!("INSERT INTO tool_credential (tool_id, credential_id) VALUES ({aws}, {deploy})"),
        format!("INSERT INTO tool_credential (tool_id, credential_id) VALUES ({hub}, {busy})"),
        format!(
            "INSERT INTO reach (credential_id, resource_id, permission) VALUES ({deploy}, {orders}, 'admin')"
        ),
        format!(
            "INSERT INTO reach (credential_id, resource_id, permission) VALUES ({read}, {orders}, 'read')"
        ),
        format!(
            "INSERT INTO reach (credential_id, resource_id, permission) VALUES ({old}, {orders}, 'write')"
        ),
        format!(
            "INSERT INTO reach (credential_id, resource_id, permission) VALUES ({revoked}, {orders}, 'admin')"
        ),
        format!(
            "INSERT INTO reach (credential_id, resource_id, permission) VALUES ({busy}, {ledger}, 'write')"
        ),
    ] {
        app.execute(&sql).await;
    }
    // A tool that thirty agents use: its paths fold past 25.
    for n in 0..30 {
        let id = app.insert(&agent(&format!("hub-agent-{n:02}"), None)).await;
        app.execute(&format!(
            "INSERT INTO agent_tool (agent_id, tool_id) VALUES ({id}, {hub})"
        ))
        .await;
    }

    let paths: json::Paths = app
        .get_json(&format!("/api/v1/graph/paths?to=resource:{orders}"))
        .await;
    assert_well_formed(&paths.graph);
    let shown: Vec<Vec<String>> = paths.paths.iter().map(|p| p.nodes.clone()).collect();
    let id = |kind: &str, id: i64| format!("{kind}:{id}");
    let to = id("resource", orders);
    assert_eq!(
        shown,
        vec![
            vec![id("credential", read), to.clone()],
            vec![id("person", olga), id("credential", deploy), to.clone()],
            vec![id("person", dave), id("credential", old), to.clone()],
            vec![
                id("agent", orphan),
                id("tool", aws),
                id("credential", deploy),
                to.clone()
            ],
            vec![
                id("person", olga),
                id("agent", release),
                id("tool", aws),
                id("credential", deploy),
                to.clone()
            ],
        ],
        "shortest first, then the strongest permission; a revoked credential reaches nothing"
    );
    assert_eq!(paths.total, 5);
    assert_eq!(paths.truncated, None);
    let weakness: Vec<Option<&str>> = paths.paths.iter().map(|p| p.weakness.as_deref()).collect();
    assert_eq!(
        weakness,
        vec![
            Some("credential read-key has no owner"),
            Some("credential deploy-key scores 80 (Critical)"),
            Some("Dave Departed has left the organisation"),
            Some("agent orphan-bot has no owner"),
            Some("credential deploy-key scores 80 (Critical)"),
        ]
    );
    let permissions: Vec<Option<json::Permission>> = paths.paths.iter().map(|p| p.permission).collect();
    use json::Permission::{Admin, Read, Write};
    assert_eq!(
        permissions,
        vec![Some(Read), Some(Admin), Some(Write), Some(Admin), Some(Admin)]
    );
    assert!(
        paths
            .graph
            .edges
            .iter()
            .any(|e| e.from == id("credential", deploy) && e.to == to && e.permission == Some(Admin))
    );

    // How does Olga reach it? Through her key, and through her agent.
    let through: json::Paths = app
        .get_json(&format!(
            "/api/v1/graph/paths?to=resource:{orders}&from=person:{olga}&limit=1"
        ))
        .await;
    assert_eq!((through.total, through.paths.len()), (2, 1));
    assert_eq!(
        through.paths[0].nodes,
        vec![id("person", olga), id("credential", deploy), to.clone()]
    );

    // Thirty agents through one tool: 25 drawn, the rest one "5 more" node.
    let busy_paths: json::Paths = app
        .get_json(&format!("/api/v1/graph/paths?to=resource:{ledger}&limit=200"))
        .await;
    assert_eq!(busy_paths.total, 26);
    let more: Vec<&json::GraphNode> = busy_paths
        .graph
        .nodes
        .iter()
        .filter(|n| n.more.is_some())
        .collect();
    assert_eq!(more.len(), 1);
    assert_eq!((more[0].more, more[0].label.as_str()), (Some(5), "5 more"));

    // A tool that no known agent uses is where such a path starts.
    let wiki = app.insert(&resource("wiki")).await;
    let wiki_key = app.insert(&credential("wiki-key", None, "active", 20)).await;
    let idle = app
        .insert("INSERT INTO tool (name, kind) VALUES ('idle-mcp', 'mcp_server')")
        .await;
    for sql in [
        format!("INSERT INTO tool_credential (tool_id, credential_id) VALUES ({idle}, {wiki_key})"),
        format!(
            "INSERT INTO reach (credential_id, resource_id, permission) VALUES ({wiki_key}, {wiki}, 'read')"
        ),
    ] {
        app.execute(&sql).await;
    }
    let idle_paths: json::Paths = app
        .get_json(&format!("/api/v1/graph/paths?to=resource:{wiki}"))
        .await;
    assert_eq!(idle_paths.paths.len(), 1);
    assert_eq!(
        idle_paths.paths[0].nodes,
        vec![id("tool", idle), id("credential", wiki_key), id("resource", wiki)]
    );
    assert_eq!(
        idle_paths.paths[0].weakness.as_deref(),
        Some("no known agent uses tool idle-mcp")
    );

    // Bad requests say why.
    for (query, status) in [
        (format!("to=person:{olga}"), 400),
        ("to=resource:999999".to_owned(), 404),
        (format!("to=resource:{orders}&limit=0"), 400),
        (format!("to=resource:{orders}&limit=201"), 400),
        (format!("to=resource:{orders}&from=nonsense"), 400),
        (format!("to=resource:{orders}&from=agent:999999"), 404),
        (format!("to=resource:{orders}&extra=1"), 400),
    ] {
        let response = app.get(&format!("/api/v1/graph/paths?{query}")).await;
        assert_eq!(response.status(), status, "{query}");
    }
}

async fn paths_through_a_hub_of_five_thousand_credentials_stay_bounded(backend: Backend) {
    let app = spawn_app(backend).await;
    let resource = app
        .insert(
            "INSERT INTO resource (name, provider, kind, environment, sensitivity) \
         VALUES ('payments-db', 'aws', 'database', 'prod', 'restricted')",
        )
        .await;
    let tool = app
        .insert("INSERT INTO tool (name, kind) VALUES ('hub-mcp', 'mcp_server')")
        .await;
    for sql in [
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 5000) \
         INSERT INTO credential (name, kind, provider, external_id, created_at, status, fingerprint, risk_score) \
         SELECT 'hub-key-' || n, 'access_key', 'aws', 'AKIAHUB' || n, '2026-01-01T00:00:00Z', 'active', 'fp-hub-' || n, \
         n % 100 FROM seq"
            .to_owned(),
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 300) \
         INSERT INTO agent (name, category, platform, environment, sanctioned, first_seen, risk_score) \
         SELECT 'hub-agent-' || n, 'self_hosted', 'LangChain', 'prod', 1, '2026-01-01T00:00:00Z', n % 100 FROM seq"
            .to_owned(),
        format!("INSERT INTO reach (credential_id, resource_id, permission) SELECT id, {resource}, 'write' FROM credential"),
        format!("INSERT INTO tool_credential (tool_id, credential_id) SELECT {tool}, id FROM credential"),
        format!("INSERT INTO agent_tool (agent_id, tool_id) SELECT id, {tool} FROM agent"),
    ] {
        app.execute(&sql).await;
    }
    let started = std::time::Instant::now();
    let paths: json::Paths = app
        .get_json(&format!("/api/v1/graph/paths?to=resource:{resource}&limit=200"))
        .await;
    let took = started.elapsed();
    assert_well_formed(&paths.graph);
    assert_eq!(paths.paths.len(), 200);
    // 25 credentials and one "4,975 more"; through the one tool, 25 agents
    // and one "275 more" each: bounded whatever the hub's size.
    assert_eq!(paths.total, 25 * 26 + 1, "{:?}", paths.truncated);
    assert!(paths.graph.nodes.len() <= 200 * 5);
    let more: Vec<Option<i64>> = paths
        .graph
        .nodes
        .iter()
        .filter_map(|n| n.more.map(Some))
        .collect();
    assert!(more.contains(&Some(4975)), "{more:?}");
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}

on_every_backend!(
    paths_through_a_hub_of_five_thousand_credentials_stay_bounded,
    a_lineage_leads_with_the_nodes_own_chain_not_its_siblings,
    who_can_reach_a_resource_is_every_path_shortest_first_with_its_weakest_link,
    the_lineage_of_a_credential_reaches_person_agent_tool_copy_and_resource,
    a_large_neighbourhood_folds_into_an_n_more_node_keeping_the_riskiest_in_view,
    every_node_kind_can_start_a_lineage,
    bad_lineage_requests_are_rejected_with_the_reason,
    the_blast_radius_lists_every_reached_resource_and_who_else_reaches_it,
    the_search_finds_a_credential_by_key_id_fingerprint_or_name_and_a_person_by_email,
    the_openapi_document_describes_every_route,
);
