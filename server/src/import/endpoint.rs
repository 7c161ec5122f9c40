//! Endpoint scan reports (`muster scan`, `docs/scan.md`) into the lineage
//! graph: each (host, user, client) an agent of the *coding endpoint*
//! category, each project that declares an agent framework a *self-hosted*
//! agent, each MCP server (and the agent's own shell) a tool, each secret a
//! credential — joined by its scan fingerprint or provider id with what the
//! scanners found — and each place one of its copies.
//!
//! New agents are shadow until an admin sanctions them. A full scan of the
//! same host and user marks removed the copies and MCP servers it no longer
//! finds; nothing is deleted. The whole report is one transaction.

use std::collections::HashSet;
use std::io::Read;

use chrono::{Duration, Utc};
use model::api::{self as json, AgentCategory, ImportKind, ToolKind};
use model::scan::{self, Report};

use super::scanners::{Finding, ParseError, scrub};
use super::sightings::Sightings;
use super::{ImportError, Request};
use crate::audit::{Actor, Source};
use crate::db::declared::{self as declared_db, Outcome};
use crate::db::sql::{Value, timestamp};
use crate::db::{Db, endpoint as endpoint_db};
use crate::fingerprint::Fingerprinter;

/// The largest report read (a laptop's is a few hundred KB).
pub const MAX_REPORT_BYTES: u64 = 32 * 1024 * 1024;

/// Bounds on a report's parts, so that a hostile one cannot fill the inventory.
const MAX_AGENTS: usize = 1000;
const MAX_TOOLS: usize = 1000;
const MAX_SECRETS: usize = 10_000;
const MAX_PLACES: usize = 1000;
const MAX_TEXT: usize = 2000;

/// Reads and checks a report; the error names where it is wrong (never a value).
pub fn read(reader: impl Read) -> Result<Report, ParseError> {
    let mut limited = reader.take(MAX_REPORT_BYTES + 1);
    let mut text = Vec::new();
    limited
        .read_to_end(&mut text)
        .map_err(|e| ParseError(format!("cannot read it: {e}")))?;
    if text.len() as u64 > MAX_REPORT_BYTES {
        return Err(ParseError(format!(
            "a scan report may have at most {} MiB",
            MAX_REPORT_BYTES / 1024 / 1024
        )));
    }
    let report: Report = serde_json::from_slice(&text).map_err(|e| ParseError(scrub(&e.to_string())))?;
    check(&report)?;
    Ok(report)
}

/// Checks what serde cannot: the format and version, bounds, references
/// between parts, and the shape of fingerprints.
pub fn check(report: &Report) -> Result<(), ParseError> {
    let fail = |message: String| Err(ParseError(message));
    if report.format != scan::FORMAT {
        return fail(format!("format must be {:?}", scan::FORMAT));
    }
    if report.version != scan::VERSION {
        return fail(format!(
            "version {} is not one this Muster reads: it reads version {}",
            report.version,
            scan::VERSION
        ));
    }
    let text = |what: &str, value: &str, max: usize| {
        let n = value.trim().chars().count();
        if n == 0 || n > max {
            Err(ParseError(format!("{what} must have 1 to {max} characters")))
        } else {
            Ok(())
        }
    };
    text("host.name", &report.host.name, 253)?;
    text("host.user", &report.host.user, 256)?;
    if let Some(email) = &report.host.git_email {
        text("host.git_email", email, 320)?;
    }
    if !matches!(report.host.os.as_str(), "linux" | "macos" | "windows") {
        return fail("host.os must be linux, macos or windows".into());
    }
    if report.scanned_at > Utc::now() + Duration::days(1) {
        return fail("scanned_at is in the future".into());
    }
    if report.agents.len() > MAX_AGENTS || report.secrets.len() > MAX_SECRETS {
        return fail(format!(
            "a report may name at most {MAX_AGENTS} agents and {MAX_SECRETS} secrets"
        ));
    }
    for (i, secret) in report.secrets.iter().enumerate() {
        text(&format!("secrets[{i}].provider"), &secret.provider, 100)?;
        text(&format!("secrets[{i}].hint"), &secret.hint, 100)?;
        if let Some(fingerprint) = &secret.fingerprint
            && (fingerprint.len() != 128
                || !fingerprint
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
        {
            return fail(format!(
                "secrets[{i}].fingerprint must be 128 lowercase hexadecimal digits"
            ));
        }
        if let Some(id) = &secret.external_id {
            text(&format!("secrets[{i}].external_id"), id, 200)?;
        }
        if let Some(hash) = &secret.provider_hash {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::STANDARD.decode(hash);
            if secret.provider.trim() != "github" || !decoded.is_ok_and(|d| d.len() == 32) {
                return fail(format!(
                    "secrets[{i}].provider_hash is GitHub's hashed_token of a GitHub token: the base64 of 32 bytes"
                ));
            }
        }
        if secret.places.is_empty() || secret.places.len() > MAX_PLACES {
            return fail(format!("secrets[{i}] must have 1 to {MAX_PLACES} places"));
        }
        for (j, place) in secret.places.iter().enumerate() {
            text(&format!("secrets[{i}].places[{j}].locator"), &place.locator, 1000)?;
        }
    }
    for (i, agent) in report.agents.iter().enumerate() {
        text(&format!("agents[{i}].client"), &agent.client, 100)?;
        text(&format!("agents[{i}].product"), &agent.product, 200)?;
        if !matches!(
            agent.category,
            AgentCategory::CodingEndpoint | AgentCategory::SelfHosted
        ) {
            return fail(format!(
                "agents[{i}].category must be coding_endpoint or self_hosted"
            ));
        }
        if agent.tools.len() > MAX_TOOLS || agent.config_files.len() > MAX_TOOLS {
            return fail(format!(
                "agents[{i}] may have at most {MAX_TOOLS} tools and configuration files"
            ));
        }
        if let Some(project) = &agent.project {
            text(&format!("agents[{i}].project"), project, MAX_TEXT)?;
        }
        if let Some(email) = &agent.git_email {
            text(&format!("agents[{i}].git_email"), email, 320)?;
        }
        for (j, file) in agent.config_files.iter().enumerate() {
            text(&format!("agents[{i}].config_files[{j}]"), file, MAX_TEXT)?;
        }
        for (j, tool) in agent.tools.iter().enumerate() {
            text(&format!("agents[{i}].tools[{j}].name"), &tool.name, 200)?;
            if !matches!(tool.transport.as_str(), "stdio" | "http" | "sse" | "builtin") {
                return fail(format!(
                    "agents[{i}].tools[{j}].transport must be stdio, http, sse or builtin"
                ));
            }
            text(
                &format!("agents[{i}].tools[{j}].config_file"),
                &tool.config_file,
                MAX_TEXT,
            )?;
            for field in [&tool.command, &tool.package, &tool.image, &tool.url_host]
                .into_iter()
                .flatten()
            {
                text(&format!("agents[{i}].tools[{j}]"), field, MAX_TEXT)?;
            }
            if let Some(bad) = tool.secrets.iter().find(|s| **s >= report.secrets.len()) {
                return fail(format!(
                    "agents[{i}].tools[{j}].secrets names secret {bad}, but the report has {}",
                    report.secrets.len()
                ));
            }
        }
    }
    Ok(())
}

/// The agent's name: what it is, and whose machine (`Claude Code · alice@laptop-42`).
fn agent_name(agent: &scan::Agent, host: &scan::Host) -> String {
    let whose = format!("{}@{}", host.user.trim(), host.name.trim());
    match &agent.project {
        Some(project) => {
            let folder = project.rsplit(['/', '\\']).next().unwrap_or(project);
            format!("{folder} ({}) · {whose}", agent.product.trim())
        }
        None => format!("{} · {whose}", agent.product.trim()),
    }
}

/// Imports one report, all or nothing, on behalf of `actor`.
pub async fn run(
    db: &Db,
    keys: &Fingerprinter,
    report: &Report,
    actor: Actor,
    origin: Source,
) -> Result<json::ImportSummary, ImportError> {
    check(report).map_err(|e| ImportError::Invalid {
        file: "the scan report".into(),
        message: e.0,
    })?;
    let host = &report.host;
    let request = Request {
        kind: ImportKind::Endpoint,
        source: Some(format!("{}/{}", host.name.trim(), host.user.trim())),
        full: report.full,
        actor,
        origin,
    };
    let found_by = request.found_by();
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let mut summary = super::begin_run(&mut tx, &request, now).await?;
    let id = summary.id;
    let mut touched: HashSet<i64> = HashSet::new();
    let mut sightings = Sightings::new(db.backend(), id, found_by.clone()).from_collector();
    let seen = report.scanned_at.min(now);
    // Each secret's first place stands for it, to find its credential after the join.
    let mut firsts = Vec::with_capacity(report.secrets.len());
    for secret in &report.secrets {
        let fingerprint = match &secret.fingerprint {
            Some(scan) => keys.of_scan_fingerprint(scan),
            // Without a scan fingerprint, a secret is known by where it was first found.
            None => keys.fingerprint(format!("place:{found_by}:{}", secret.places[0].locator).as_bytes()),
        };
        for (n, place) in secret.places.iter().enumerate() {
            let finding = Finding {
                provider_hash: secret.provider_hash.as_deref().map(|h| keys.provider_hash(h)),
                fingerprint: fingerprint.clone(),
                scan_fingerprint: secret.fingerprint.clone(),
                kind: secret.kind,
                provider: secret.provider.trim().to_owned(),
                external_id: secret.external_id.clone(),
                rule: format!("{} {}", secret.provider.trim(), secret.hint.trim()),
                principal: None,
                copy_kind: place.kind,
                locator: format!("{}:{}", host.name.trim(), place.locator.trim()),
                author_email: host.git_email.clone(),
                seen_at: Some(seen),
            };
            if n == 0 {
                firsts.push(finding.clone());
            }
            summary.findings += 1;
            sightings
                .add(
                    &mut tx,
                    Box::new(finding),
                    &request,
                    &mut summary,
                    &mut touched,
                    now,
                )
                .await?;
        }
    }
    sightings
        .flush(&mut tx, &request, &mut summary, &mut touched, now)
        .await?;
    summary.secrets = report.secrets.len() as i64;
    let credentials: Vec<i64> = firsts
        .iter()
        .map(|f| sightings.credential_of(f).expect("joined above"))
        .collect();

    let mut agents = Vec::new();
    let mut tools_seen = Vec::new();
    for agent in &report.agents {
        let name = agent_name(agent, host);
        let deployer = match &agent.git_email.clone().or(host.git_email.clone()) {
            Some(email) => {
                declared_db::find(&mut tx, "person", "email", &email.trim().to_lowercase()).await?
            }
            None => None,
        };
        let files = agent.config_files.join(", ");
        let description = format!(
            "Found by muster scan on {} ({}), user {}; configured in {}",
            host.name.trim(),
            host.os,
            host.user.trim(),
            if files.is_empty() { "its project" } else { &files }
        );
        let outcome = endpoint_db::upsert_scanned(
            &mut tx,
            endpoint_db::Scanned::Agent,
            &name,
            vec![
                ("platform", agent.product.trim().into()),
                ("last_seen", timestamp(seen).into()),
                (
                    "description",
                    description.chars().take(MAX_TEXT).collect::<String>().into(),
                ),
            ],
            vec![
                ("category", agent.category.as_str().into()),
                ("environment", "dev".into()),
                // Found, not declared: shadow until an admin sanctions it.
                ("sanctioned", Value::Int(0)),
                ("first_seen", timestamp(seen).into()),
                ("deployed_by_id", deployer.into()),
            ],
        )
        .await?;
        tally(&mut summary, outcome);
        let agent_id = outcome.id();
        agents.push(agent_id);
        endpoint_db::record_agent(&mut tx, agent_id, host, agent, id, seen).await?;
        for tool in &agent.tools {
            let builtin = tool.transport == "builtin";
            let tool_name: String = format!("{} · {name}", tool.name.trim())
                .chars()
                .take(400)
                .collect();
            let description = match (&tool.package, &tool.image, &tool.url_host, &tool.command) {
                (Some(package), _, _, _) => format!("MCP server {package} ({})", tool.transport),
                (_, Some(image), _, _) => format!("MCP server in the image {image}"),
                (_, _, Some(url_host), _) => format!("Remote MCP server at {url_host} ({})", tool.transport),
                (_, _, _, Some(command)) => format!("MCP server run as {command}"),
                _ if builtin => "The agent's own access to the user's files and credentials".to_owned(),
                _ => "MCP server".to_owned(),
            };
            let kind = if builtin {
                ToolKind::Function
            } else {
                ToolKind::McpServer
            };
            let outcome = endpoint_db::upsert_scanned(
                &mut tx,
                endpoint_db::Scanned::Tool,
                &tool_name,
                vec![(
                    "description",
                    description.chars().take(MAX_TEXT).collect::<String>().into(),
                )],
                vec![("kind", kind.as_str().into())],
            )
            .await?;
            tally(&mut summary, outcome);
            let tool_id = outcome.id();
            tools_seen.push(tool_id);
            endpoint_db::record_tool(&mut tx, tool_id, tool, id).await?;
            if declared_db::link(
                &mut tx,
                "agent_tool",
                ("agent_id", "tool_id"),
                (agent_id, tool_id),
            )
            .await?
            {
                summary.links_created += 1;
            }
            for &secret in &tool.secrets {
                let credential = credentials[secret];
                if declared_db::link(
                    &mut tx,
                    "tool_credential",
                    ("tool_id", "credential_id"),
                    (tool_id, credential),
                )
                .await?
                {
                    summary.links_created += 1;
                }
                touched.insert(credential);
            }
        }
    }
    // New agents and servers that the sanctioned list names are sanctioned at once.
    agents.extend(endpoint_db::apply_sanctions(&mut tx).await?);
    if request.full {
        let removed = endpoint_db::remove_unseen_copies(&mut tx, &found_by, id, request.actor.name()).await?;
        summary.copies_removed = removed.len() as i64;
        touched.extend(removed);
        endpoint_db::remove_unseen_tools(&mut tx, host, id, request.actor.name()).await?;
    }
    summary.finished_at = Utc::now();
    let touched: Vec<i64> = touched.into_iter().collect();
    super::rescore(&mut tx, &touched, &agents, summary.finished_at).await?;
    super::record_run(&mut tx, &request, &summary).await?;
    tx.commit().await?;
    Ok(summary)
}

fn tally(summary: &mut json::ImportSummary, outcome: Outcome) {
    summary.entities_read += 1;
    match outcome {
        Outcome::Created(_) => summary.entities_created += 1,
        Outcome::Updated(_) => summary.entities_updated += 1,
        Outcome::Unchanged(_) => {}
    }
}
