//! Cloud agents, from their platforms' answers: Amazon Bedrock's
//! `get-agent` and `get-agent-action-group`, AgentCore's
//! `get-agent-runtime`, and Vertex AI Agent Engine's `reasoningEngines.list`.
//! Each agent acts through a role or service account: that is its
//! credential, joined with what the IAM import knows of its reach.

use model::api::{Environment, ToolKind};
use serde::Deserialize;

use super::super::scanners::ParseError;
use super::{CloudAgent, Collected, Role, opt_time, records};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BedrockAgent {
    agent_id: String,
    agent_name: String,
    agent_arn: String,
    #[serde(default)]
    agent_resource_role_arn: Option<String>,
    #[serde(default)]
    foundation_model: Option<String>,
    #[serde(default)]
    agent_status: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionGroup {
    action_group_name: String,
    agent_id: String,
    #[serde(default)]
    action_group_executor: Option<Executor>,
    #[serde(default)]
    action_group_state: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Executor {
    #[serde(default)]
    lambda: Option<String>,
    #[serde(default)]
    custom_control: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Runtime {
    agent_runtime_arn: String,
    agent_runtime_name: String,
    role_arn: String,
    #[serde(default)]
    workload_identity_details: Option<WorkloadIdentity>,
    #[serde(default)]
    protocol_configuration: Option<Protocol>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkloadIdentity {
    #[serde(default)]
    workload_identity_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Protocol {
    #[serde(default)]
    server_protocol: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReasoningEngine {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    spec: Option<EngineSpec>,
    #[serde(default)]
    create_time: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EngineSpec {
    #[serde(default)]
    service_account: Option<String>,
    #[serde(default)]
    agent_framework: Option<String>,
}

/// A role's name: the last part of its ARN.
fn role(arn: &str) -> Role {
    Role {
        provider: "aws",
        external_id: arn.to_owned(),
        name: arn.rsplit('/').next().unwrap_or(arn).to_owned(),
    }
}

fn bedrock_key(agent_id: &str) -> String {
    format!("bedrock:{agent_id}")
}

/// Reads a Bedrock or AgentCore answer.
pub fn read_bedrock(mut document: serde_json::Value, collected: &mut Collected) -> Result<(), ParseError> {
    if let Some(agent) = document.get_mut("agent").map(serde_json::Value::take) {
        collected.records += 1;
        let agent: BedrockAgent =
            serde_json::from_value(agent).map_err(|e| ParseError(format!("agent: {e}")))?;
        let model = agent
            .foundation_model
            .as_deref()
            .map(|m| format!(" Model {m}."))
            .unwrap_or_default();
        let status = agent
            .agent_status
            .as_deref()
            .map(|s| format!(" Status {s}."))
            .unwrap_or_default();
        let key = bedrock_key(&agent.agent_id);
        let tools = collected
            .agents
            .get(&key)
            .map(|a| a.tools.clone())
            .unwrap_or_default();
        collected.agents.insert(
            key.clone(),
            CloudAgent {
                key,
                identifier: agent.agent_arn.clone(),
                name: agent.agent_name.clone(),
                platform: "Amazon Bedrock",
                description: format!("{}{model}{status}", agent.description.unwrap_or_default())
                    .trim()
                    .to_owned(),
                created_at: opt_time(agent.created_at.as_deref(), "agent.createdAt")?,
                environment: Environment::Prod,
                role: agent.agent_resource_role_arn.as_deref().map(role),
                tools,
                sponsors: Vec::new(),
            },
        );
        return Ok(());
    }
    if let Some(group) = document.get_mut("agentActionGroup").map(serde_json::Value::take) {
        collected.records += 1;
        let group: ActionGroup =
            serde_json::from_value(group).map_err(|e| ParseError(format!("agentActionGroup: {e}")))?;
        if group.action_group_state.as_deref() == Some("DISABLED") {
            return Ok(());
        }
        let executor = group.action_group_executor.as_ref();
        let runs = executor
            .and_then(|e| e.lambda.clone().or(e.custom_control.clone()))
            .unwrap_or_default();
        let key = bedrock_key(&group.agent_id);
        let tool = (
            if runs.is_empty() {
                group.action_group_name.clone()
            } else {
                format!("{} ({runs})", group.action_group_name)
            },
            ToolKind::Function,
        );
        // The agent's own answer may come later in the import: keep the tool until then.
        collected
            .agents
            .entry(key.clone())
            .or_insert_with(|| CloudAgent {
                key: key.clone(),
                identifier: String::new(),
                name: group.agent_id.clone(),
                platform: "Amazon Bedrock",
                description: String::new(),
                created_at: None,
                environment: Environment::Prod,
                role: None,
                tools: Vec::new(),
                sponsors: Vec::new(),
            })
            .tools
            .push(tool);
        return Ok(());
    }
    if document.get("agentRuntimeArn").is_some() {
        collected.records += 1;
        let runtime: Runtime =
            serde_json::from_value(document).map_err(|e| ParseError(format!("the agent runtime: {e}")))?;
        let protocol = runtime
            .protocol_configuration
            .and_then(|p| p.server_protocol)
            .unwrap_or_else(|| "HTTP".to_owned());
        let identity = runtime
            .workload_identity_details
            .and_then(|w| w.workload_identity_arn)
            .map(|w| format!(" Workload identity {w}."))
            .unwrap_or_default();
        let key = format!("agentcore:{}", runtime.agent_runtime_arn);
        collected.agents.insert(
            key.clone(),
            CloudAgent {
                key,
                identifier: runtime.agent_runtime_arn.clone(),
                name: runtime.agent_runtime_name.clone(),
                platform: "Bedrock AgentCore",
                description: format!(
                    "{} Serves {protocol}.{identity}",
                    runtime.description.unwrap_or_default()
                )
                .trim()
                .to_owned(),
                created_at: opt_time(runtime.created_at.as_deref(), "createdAt")?,
                environment: Environment::Prod,
                role: Some(role(&runtime.role_arn)),
                tools: Vec::new(),
                sponsors: Vec::new(),
            },
        );
        return Ok(());
    }
    Err(ParseError(
        "not a Bedrock agent: expected `aws bedrock-agent get-agent` ({\"agent\": …}), \
         `get-agent-action-group` ({\"agentActionGroup\": …}) or `aws bedrock-agentcore-control \
         get-agent-runtime` ({\"agentRuntimeArn\": …})"
            .into(),
    ))
}

/// Which environment a service account's project sounds like.
fn environment_of(service_account: &str) -> Environment {
    let project = service_account
        .split_once('@')
        .map(|(_, domain)| domain.split('.').next().unwrap_or(domain))
        .unwrap_or_default();
    if project.contains("dev") || project.contains("test") || project.contains("sandbox") {
        Environment::Dev
    } else if project.contains("stag") {
        Environment::Staging
    } else {
        Environment::Prod
    }
}

/// Reads a `reasoningEngines.list` page.
pub fn read_vertex(mut document: serde_json::Value, collected: &mut Collected) -> Result<(), ParseError> {
    let Some(object) = document.as_object() else {
        return Err(ParseError(
            "not a reasoningEngines.list answer: expected an object".into(),
        ));
    };
    // Google leaves an empty list out: `{}` (or only a page token) is an empty page.
    if object.get("reasoningEngines").is_none() {
        if object.keys().all(|k| k == "nextPageToken") {
            return Ok(());
        }
        let found: Vec<&str> = object.keys().map(String::as_str).take(3).collect();
        return Err(ParseError(format!(
            "a page of the wrong kind (it has {}): expected reasoningEngines.list",
            found.join(", ")
        )));
    }
    let engines = super::list_field(&mut document, "reasoningEngines", "reasoningEngines.list")?;
    for (n, engine) in records::<ReasoningEngine>(engines, "reasoningEngines")? {
        collected.records += 1;
        let parts: Vec<&str> = engine.name.split('/').collect();
        let ["projects", project, "locations", _, "reasoningEngines", _] = parts[..] else {
            return Err(ParseError(format!(
                "reasoningEngines[{n}].name: {:?} is not projects/…/locations/…/reasoningEngines/…",
                engine.name
            )));
        };
        let spec = engine.spec.as_ref();
        // Without its own, an engine acts as the project's Reasoning Engine Service Agent.
        let account = spec
            .and_then(|s| s.service_account.clone())
            .unwrap_or_else(|| format!("service-{project}@gcp-sa-aiplatform-re.iam.gserviceaccount.com"));
        let framework = spec.and_then(|s| s.agent_framework.clone());
        collected.agents.insert(
            format!("vertex:{}", engine.name),
            CloudAgent {
                key: format!("vertex:{}", engine.name),
                identifier: engine.name.clone(),
                name: engine.display_name.clone().unwrap_or_else(|| engine.name.clone()),
                platform: "Vertex AI Agent Engine",
                description: format!(
                    "{}{}",
                    engine.description.clone().unwrap_or_default(),
                    framework.map(|f| format!(" Framework {f}.")).unwrap_or_default()
                )
                .trim()
                .to_owned(),
                created_at: opt_time(
                    engine.create_time.as_deref(),
                    &format!("reasoningEngines[{n}].createTime"),
                )?,
                environment: environment_of(&account),
                role: Some(Role {
                    provider: "gcp",
                    name: account.split('@').next().unwrap_or(&account).to_owned(),
                    external_id: account,
                }),
                tools: Vec::new(),
                sponsors: Vec::new(),
            },
        );
    }
    Ok(())
}
