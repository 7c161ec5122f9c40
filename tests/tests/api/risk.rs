//! Risk scores through the API: the demo organisation scored, lists filtered
//! and sorted by score, the summary, determinism, and an inventory change
//! lowering a score.

use model::api::{self as json, RiskBand, Role};
use muster_tests::{Backend, demo_anchor, on_every_backend, spawn_app, spawn_demo_app};

async fn the_demo_organisation_is_scored_with_explained_factors_and_summarised(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let summary: json::RiskSummary = app.get_json("/api/v1/risk/summary").await;
    assert_eq!(summary.risk_model_version, muster_server::risk::MODEL_VERSION);
    assert_eq!(
        summary.computed_at.as_deref(),
        Some("2026-11-01T00:00:00Z"),
        "scored as of the anchor"
    );
    let active = app
        .count("SELECT COUNT(*) FROM credential WHERE status = 'active'")
        .await;
    let bands = &summary.credentials;
    assert_eq!(bands.low + bands.medium + bands.high + bands.critical, active);
    assert_eq!(summary.histogram.len(), 20);
    assert_eq!(summary.histogram.iter().sum::<i64>(), active);
    assert_eq!(
        summary.histogram[15..].iter().sum::<i64>(),
        bands.critical,
        "bins 15 to 19 hold the scores from 75"
    );
    assert!(
        bands.critical > 0 && bands.high > 0 && bands.medium > 0,
        "{bands:?}"
    );
    let agents = &summary.agents;
    assert_eq!(
        agents.low + agents.medium + agents.high + agents.critical,
        app.count("SELECT COUNT(*) FROM agent").await
    );
    assert_eq!(summary.by_reference.len(), 10);
    for count in &summary.by_reference {
        assert!(
            count.credentials + count.agents > 0,
            "{} never fires on the demo",
            count.reference
        );
    }
    let per_category: i64 = summary
        .by_category
        .iter()
        .map(|c| c.bands.low + c.bands.medium + c.bands.high + c.bands.critical)
        .sum();
    assert_eq!(
        per_category,
        agents.low + agents.medium + agents.high + agents.critical
    );
    assert_eq!(summary.top_credentials.len(), 20);
    let scores: Vec<i64> = summary.top_credentials.iter().map(|c| c.risk.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(summary.top_agents[0].risk.leading.is_some());

    // The riskiest credential's detail explains its score factor by factor.
    let top = &summary.top_credentials[0];
    let detail: json::CredentialDetail = app.get_json(&format!("/api/v1/credentials/{}", top.id)).await;
    assert_eq!(detail.risk.score, top.risk.score);
    let sum: i64 = detail.risk.factors.iter().map(|f| f.weight).sum();
    assert_eq!(detail.risk.score, sum.min(100));
    for factor in &detail.risk.factors {
        assert!(
            factor.reference.starts_with("NHI") && !factor.evidence.is_empty(),
            "{factor:?}"
        );
    }
    assert_eq!(
        top.risk.leading.as_deref(),
        Some(
            format!(
                "{}: {}",
                detail.risk.factors[0].title, detail.risk.factors[0].evidence
            )
            .as_str()
        )
    );
    assert!(detail.blast_radius > 0);

    // Lists filter by band and sort by score.
    let critical: json::Page<json::CredentialSummary> =
        app.get_json("/api/v1/credentials?band=critical&limit=200").await;
    assert_eq!(critical.total, bands.critical);
    assert!(critical.items.iter().all(|c| c.risk.band == RiskBand::Critical));
    let sorted: json::Page<json::AgentSummary> = app.get_json("/api/v1/agents?sort=-risk&limit=30").await;
    let scores: Vec<i64> = sorted.items.iter().map(|a| a.risk.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(scores[0], summary.top_agents[0].risk.score);
    let agent: json::AgentDetail = app
        .get_json(&format!("/api/v1/agents/{}", sorted.items[0].id))
        .await;
    assert_eq!(agent.risk.score, scores[0]);
    app.get_error("/api/v1/credentials?band=severe", 400, "bad_request")
        .await;

    // Revoked, disabled and expired credentials carry no risk.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM credential WHERE status <> 'active' AND risk_score <> 0")
            .await,
        0
    );
}

async fn the_same_inventory_scored_twice_gives_the_same_scores(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let snapshot = || async {
        let credentials: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT id, risk_score, risk_factors FROM credential ORDER BY id")
                .fetch_all(app.db.pool())
                .await
                .unwrap();
        let agents: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT id, risk_score, risk_factors FROM agent ORDER BY id")
                .fetch_all(app.db.pool())
                .await
                .unwrap();
        (credentials, agents)
    };
    let first = snapshot().await;
    muster_server::scoring::recompute(&app.db, demo_anchor(), "test")
        .await
        .unwrap();
    assert!(first == snapshot().await, "a second run changed scores");
}

async fn an_agent_reporting_in_loses_its_idle_factor_and_scores_lower(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.signed_in_as("admin@muster.test", &[Role::Admin]).await;
    let agent = app.agent_client(&admin).await;
    let agent_id = app.count("SELECT MAX(id) FROM agent").await;
    // The agent (never seen since January) uses a tool holding an active API key.
    for sql in [
        "INSERT INTO tool (name, kind, description) VALUES ('crm-api', 'function', '')".to_owned(),
        "INSERT INTO credential (name, kind, provider, external_id, created_at, status, fingerprint) \
         VALUES ('crm-key', 'api_key', 'salesforce', 'crm-1', '2026-01-01T00:00:00Z', 'active', 'f1')"
            .to_owned(),
        format!("INSERT INTO agent_tool (agent_id, tool_id) VALUES ({agent_id}, (SELECT MAX(id) FROM tool))"),
        "INSERT INTO tool_credential (tool_id, credential_id) VALUES ((SELECT MAX(id) FROM tool), (SELECT MAX(id) FROM credential))".to_owned(),
    ] {
        sqlx::query(&sql).execute(app.db.pool()).await.unwrap();
    }
    muster_server::scoring::recompute(&app.db, chrono::Utc::now(), "test")
        .await
        .unwrap();
    let codes = |detail: &json::AgentDetail| {
        detail
            .risk
            .factors
            .iter()
            .map(|f| f.code.clone())
            .collect::<Vec<_>>()
    };
    let before: json::AgentDetail = app.get_json(&format!("/api/v1/agents/{agent_id}")).await;
    assert!(
        codes(&before).contains(&"idle_agent_active_keys".to_owned()),
        "{:?}",
        codes(&before)
    );

    let reported = agent
        .patch(app.url("/api/v1/agent/self"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 200);
    let after: json::AgentDetail = app.get_json(&format!("/api/v1/agents/{agent_id}")).await;
    assert!(
        !codes(&after).contains(&"idle_agent_active_keys".to_owned()),
        "{:?}",
        codes(&after)
    );
    assert!(
        after.risk.score < before.risk.score,
        "{} → {}",
        before.risk.score,
        after.risk.score
    );
}

async fn the_overview_figures_match_the_inventory(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let overview: json::Overview = app.get_json("/api/v1/overview").await;
    let agents = app.count("SELECT COUNT(*) FROM agent").await;
    let active = app
        .count("SELECT COUNT(*) FROM credential WHERE status = 'active'")
        .await;
    assert_eq!(
        overview.agents_by_category.iter().map(|c| c.count).sum::<i64>(),
        agents
    );
    assert_eq!(overview.agents_by_category.len(), json::AgentCategory::ALL.len());
    assert_eq!(
        overview.credentials_by_kind.iter().map(|k| k.count).sum::<i64>(),
        active
    );
    assert_eq!(
        overview.shadow_agents,
        json::Share {
            count: app.count("SELECT COUNT(*) FROM agent WHERE sanctioned = 0").await,
            total: agents
        }
    );
    assert_eq!(
        overview.static_credentials.count,
        app.count(
            "SELECT COUNT(*) FROM credential WHERE status = 'active' \
             AND kind NOT IN ('iam_role', 'workload_identity_federation')"
        )
        .await
    );
    assert_eq!(
        overview.agent_owner_coverage.count,
        app.count(
            "SELECT COUNT(*) FROM agent WHERE owner_id IN (SELECT id FROM person WHERE status = 'active')"
        )
        .await
    );
    assert_eq!(overview.credential_owner_coverage.total, active);
    assert_eq!(
        overview.plaintext_exposed.count,
        app.count(
            "SELECT COUNT(DISTINCT c.id) FROM credential c JOIN credential_copy cc ON cc.credential_id = c.id \
             WHERE c.status = 'active' AND cc.status = 'present' AND cc.kind <> 'secrets_manager'"
        )
        .await
    );
    let coverage = overview.agent_owner_coverage;
    assert!(coverage.percent() > 0 && coverage.percent() < 100, "{coverage:?}");
}

on_every_backend!(
    the_overview_figures_match_the_inventory,
    the_demo_organisation_is_scored_with_explained_factors_and_summarised,
    the_same_inventory_scored_twice_gives_the_same_scores,
    an_agent_reporting_in_loses_its_idle_factor_and_scores_lower,
);
