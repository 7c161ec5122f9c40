//! A demo organisation's pending requests (`muster demo` and `serve --demo`):
//! what its agents might ask, made through the same service as real ones.

use super::submit::{Asked, Requester, submit_now};
use crate::audit::Source;
use crate::db::approvals;
use crate::{ApiError, AppState};

/// The demo's requests: operation, parameters (`{r}` is the resource) and why.
const DEMO_REQUESTS: &[(&str, &str, &str)] = &[
    (
        "rds:DeleteDBInstance",
        r#"{"DBInstanceIdentifier":"{r}","SkipFinalSnapshot":false}"#,
        "Decommissioning after the move to Aurora",
    ),
    (
        "db:export",
        r#"{"table":"customers","format":"csv","columns":["id","plan","mrr"],"rows":120000}"#,
        "Quarterly churn analysis for finance",
    ),
    (
        "deploy:production",
        r#"{"service":"checkout","version":"2026.11.4","canary_percent":10}"#,
        "Weekly release train",
    ),
    (
        "s3:PutBucketPolicy",
        r#"{"Bucket":"{r}","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Principal":"analytics"}]}"#,
        "Let the analytics role read the exports",
    ),
    (
        "iam:CreateAccessKey",
        r#"{"UserName":"ci-deployer"}"#,
        "Rotate the deployer's key before it turns 90 days old",
    ),
    (
        "github:DeleteBranch",
        r#"{"repository":"{r}","branch":"release/2026.10"}"#,
        "Clean up a merged release branch",
    ),
];

/// Gives a demo organisation a few pending requests to decide, unless some
/// are pending already; returns how many were made.
pub async fn seed(state: &AppState) -> Result<usize, ApiError> {
    let now = state.settings.clock.now();
    if approvals::pending_count(&state.db, now).await? > 0 {
        return Ok(0);
    }
    let mut conn = state.db.pool().acquire().await?;
    let pairs = approvals::demo_targets(&mut conn, DEMO_REQUESTS.len() as i64).await?;
    drop(conn);
    let source = Source::default();
    let mut made = 0;
    for ((operation, parameters, justification), (agent, resource)) in DEMO_REQUESTS.iter().zip(pairs) {
        let mut conn = state.db.pool().acquire().await?;
        let Some(facts) = approvals::agent_facts(&mut conn, agent).await? else {
            continue;
        };
        drop(conn);
        let parameters: serde_json::Value = serde_json::from_str(&parameters.replace("{r}", &resource))
            .map_err(|e| ApiError::Internal(e.into()))?;
        let asked = Asked {
            operation,
            resource: Some(&resource),
            parameters: &parameters,
            justification,
            callback_url: None,
        };
        let key = format!("demo-{}-{operation}", now.timestamp());
        submit_now(state, Requester::Agent(agent), facts, &key, &key, asked, &source).await?;
        made += 1;
    }
    Ok(made)
}
