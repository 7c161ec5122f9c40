//! An example agent: asks Muster before exporting a table, waits for an
//! approver, verifies the signed decision offline, "runs" the export, and
//! marks the approval used.
//!
//! ```text
//! MUSTER_URL=http://127.0.0.1:8080 MUSTER_AGENT_TOKEN=mst_... cargo run -p approval-agent
//! ```
//!
//! Give the agent a token on its page in the console (admins), then decide
//! the request in the Approvals inbox while this waits.
#![forbid(unsafe_code)]

use approval_agent::{Agent, verify};
use model::api as json;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("MUSTER_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let token = std::env::var("MUSTER_AGENT_TOKEN")
        .map_err(|_| anyhow::anyhow!("set MUSTER_AGENT_TOKEN to the agent's token (mst_...)"))?;
    let agent = Agent::new(&base, &token)?;
    let parameters =
        serde_json::json!({ "table": "customers", "columns": ["id", "plan", "mrr"], "format": "csv" });
    let request = json::NewApprovalRequest {
        operation: "db:export".into(),
        resource: std::env::var("MUSTER_RESOURCE").ok(),
        parameters: parameters.clone(),
        justification: "Quarterly churn analysis for finance".into(),
        callback_url: None,
    };
    // One key per intended operation: a retry of this run asks nothing new.
    let key = format!("export-customers-{}", chrono_free_day());
    let asked = agent.ask(&key, &request).await?;
    println!(
        "request {}: {} (rule: {})",
        asked.id,
        asked.state.as_str(),
        asked.rule
    );
    let decided = agent.wait(asked.id).await?;
    let Some(decision) = decided.decision else {
        println!("not approved: {}", decided.reason.unwrap_or_default());
        return Ok(());
    };
    // What the tool that runs the export does, with keys it fetched earlier.
    let keys = agent.keys().await?;
    let claims = verify(&decision, &keys, &parameters)?;
    println!(
        "approved by {} until {}; exporting…",
        claims.approvers.join(" and "),
        claims.exp
    );
    agent.consume(asked.id).await?;
    println!("done; the approval is used and cannot be used again");
    Ok(())
}

/// Days since 1970, for an idempotency key that changes daily.
fn chrono_free_day() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400)
}
