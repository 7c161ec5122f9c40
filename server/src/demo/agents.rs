//! The demo organisation's agents, their tools, and which agent uses which tool.

use std::collections::HashSet;

use chrono::Duration;
use model::api::{AgentCategory, Environment, ToolKind};
use rand::Rng;

use crate::db::sql::{Value, timestamp};

use super::{Generator, PURPOSES};

impl Generator<'_> {
    /// The rows of `agent`.
    pub(super) fn agents(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        for id in 1..=self.scale.agents as i64 {
            let category = *self.pick(&[
                AgentCategory::CodingEndpoint,
                AgentCategory::CodingEndpoint,
                AgentCategory::CodingEndpoint,
                AgentCategory::SelfHosted,
                AgentCategory::SelfHosted,
                AgentCategory::Cloud,
                AgentCategory::Cloud,
                AgentCategory::Saas,
            ]);
            let platform = *self.pick(match category {
                AgentCategory::CodingEndpoint => &["Cursor", "Claude Code", "Windsurf", "GitHub Copilot"][..],
                AgentCategory::SelfHosted => &["LangChain", "LlamaIndex", "CrewAI", "Custom (Python)"][..],
                AgentCategory::Cloud => &["Bedrock", "Vertex AI", "Azure AI Foundry"][..],
                AgentCategory::Saas => {
                    &["Microsoft Copilot", "Agentforce", "OpenAI connector", "Zapier AI"][..]
                }
            });
            let environment = if category == AgentCategory::CodingEndpoint {
                Environment::Dev
            } else {
                *self.pick(&[
                    Environment::Prod,
                    Environment::Prod,
                    Environment::Staging,
                    Environment::Dev,
                ])
            };
            let sanctioned = !self.chance(if category == AgentCategory::CodingEndpoint {
                0.35
            } else {
                0.12
            });
            let owner = (!self.chance(0.15)).then(|| self.id(self.scale.people));
            let deployed_by = if self.chance(0.8) {
                owner.or_else(|| Some(self.id(self.scale.people)))
            } else {
                Some(self.id(self.scale.people))
            };
            let team_slug = {
                let person = deployed_by.unwrap_or(1);
                Self::team_name_and_parent((self.team_of(person) - 1) as usize)
                    .0
                    .to_lowercase()
                    .replace(' ', "-")
            };
            let purpose = *self.pick(PURPOSES);
            let first_seen = self.days_ago(20, 720);
            let last_seen = if self.chance(0.08) {
                None
            } else {
                let stale = self.chance(0.15);
                let ago = if stale {
                    self.rng.random_range(91..200)
                } else {
                    self.rng.random_range(0..20)
                };
                Some(timestamp((self.anchor - Duration::days(ago)).max(first_seen)))
            };
            let description = format!(
                "{} agent on {platform}: {}",
                category.label(),
                purpose.replace('-', " ")
            );
            rows.extend([
                Value::Int(id),
                format!("{team_slug}-{purpose}-{id}").into(),
                category.as_str().into(),
                platform.into(),
                environment.as_str().into(),
                Value::Int(i64::from(sanctioned)),
                owner.into(),
                deployed_by.into(),
                timestamp(first_seen).into(),
                last_seen.into(),
                description.into(),
            ]);
        }
        rows
    }

    /// The rows of `tool`.
    pub(super) fn tools(&mut self) -> Vec<Value> {
        const BASES: &[(&str, ToolKind, &str)] = &[
            (
                "github-mcp",
                ToolKind::McpServer,
                "Reads and writes repositories, issues and pull requests",
            ),
            (
                "postgres-mcp",
                ToolKind::McpServer,
                "Runs SQL against a PostgreSQL database",
            ),
            ("aws-mcp", ToolKind::McpServer, "Calls AWS APIs"),
            (
                "slack-connector",
                ToolKind::Connector,
                "Posts and reads Slack messages",
            ),
            (
                "jira-connector",
                ToolKind::Connector,
                "Creates and updates Jira tickets",
            ),
            (
                "salesforce-connector",
                ToolKind::Connector,
                "Reads and updates CRM records",
            ),
            ("s3-upload", ToolKind::Function, "Uploads files to S3"),
            ("run-query", ToolKind::Function, "Runs a warehouse query"),
            ("deploy", ToolKind::Function, "Deploys a service"),
            ("openai-plugin", ToolKind::Plugin, "Calls the OpenAI API"),
            ("vault-plugin", ToolKind::Plugin, "Reads secrets from Vault"),
            ("gcs-mcp", ToolKind::McpServer, "Reads and writes Cloud Storage"),
        ];
        let mut rows = Vec::new();
        for id in 1..=self.scale.tools as i64 {
            let (base, kind, what) = BASES[(id as usize - 1) % BASES.len()];
            rows.extend([
                Value::Int(id),
                format!("{base}-{id}").into(),
                kind.as_str().into(),
                what.into(),
            ]);
        }
        rows
    }

    /// The rows of `agent_tool`: a few popular tools are shared by many agents.
    pub(super) fn agent_tools(&mut self) -> Vec<Value> {
        let mut rows = Vec::new();
        let tools = self.scale.tools as i64;
        // A few popular tools are shared by many agents.
        let popular = (tools / 20).max(3);
        for agent in 1..=self.scale.agents as i64 {
            let count = self.rng.random_range(1..=4);
            let mut chosen = HashSet::new();
            for _ in 0..count {
                let tool = if self.chance(0.3) {
                    self.rng.random_range(1..=popular)
                } else {
                    self.rng.random_range(1..=tools)
                };
                if chosen.insert(tool) {
                    rows.extend([Value::Int(agent), Value::Int(tool)]);
                }
            }
        }
        rows
    }
}
