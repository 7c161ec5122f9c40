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

async fn a_large_neighbourhood_folds_into_an_n_more_node(backend: Backend) {
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

    // Even the deepest walk stays bounded.
    let deep: json::Lineage = app
        .get_json(&format!("/api/v1/graph/lineage?node=tool:{tool}&depth=4"))
        .await;
    assert_well_formed(&deep);
    assert!(deep.nodes.len() <= muster_server::db::lineage::MAX_NODES + 7 * json::LINEAGE_FANOUT);
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

on_every_backend!(
    the_lineage_of_a_credential_reaches_person_agent_tool_copy_and_resource,
    a_large_neighbourhood_folds_into_an_n_more_node,
    every_node_kind_can_start_a_lineage,
    bad_lineage_requests_are_rejected_with_the_reason,
    the_blast_radius_lists_every_reached_resource_and_who_else_reaches_it,
    the_search_finds_a_credential_by_key_id_fingerprint_or_name_and_a_person_by_email,
    the_openapi_document_describes_every_route,
);
