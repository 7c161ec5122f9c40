//! The imports so far, newest first.

use leptos::prelude::*;
use model::api::{self as json, ImportKind};

use crate::format;

/// The imports so far.
#[component]
pub(super) fn History(list: Vec<json::ImportSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <div class="empty-state" data-testid="imports-empty">
                <p class="empty-title">"No imports yet"</p>
                <p>
                    "Upload a scanner's report, a CloudTrail log or a platform's pages above; or run "
                    <code>"muster import KIND FILE…"</code> " on the server."
                </p>
            </div>
        }
        .into_any();
    }
    let rows = list
        .into_iter()
        .map(|s| {
            let (read, changed) = match s.kind {
                ImportKind::Cloudtrail => (
                    format!("{} events", s.events),
                    format!(
                        "{} recorded, {} unmatched, {} behaviour findings",
                        s.events_recorded, s.events_unmatched, s.behaviour_findings
                    ),
                ),
                ImportKind::AwsIam | ImportKind::AwsCredentialReport => (
                    format!("{} principals", s.principals),
                    format!(
                        "{} new credentials, {} changed, {} reach edges",
                        s.credentials_created, s.credentials_updated, s.reach_edges
                    ),
                ),
                ImportKind::Inventory => (
                    format!("{} entities", s.entities_read),
                    format!(
                        "{} new, {} changed, {} links added",
                        s.entities_created, s.entities_updated, s.links_created
                    ),
                ),
                ImportKind::Endpoint => (
                    format!("{} agents and tools, {} secrets", s.entities_read, s.secrets),
                    format!(
                        "{} new credentials, {} new copies, {} removed",
                        s.credentials_created, s.copies_created, s.copies_removed
                    ),
                ),
                ImportKind::GoogleWorkspace
                | ImportKind::Entra
                | ImportKind::Okta
                | ImportKind::Github
                | ImportKind::Bedrock
                | ImportKind::Vertex => (
                    format!("{} records", s.findings),
                    format!(
                        "{} agents ({} new), {} grants, {} revoked, {} events",
                        s.agents, s.agents_created, s.grants, s.grants_revoked, s.events_recorded
                    ),
                ),
                ImportKind::Gitleaks | ImportKind::Trufflehog => (
                    format!("{} findings", s.findings),
                    format!(
                        "{} new credentials, {} new copies, {} removed",
                        s.credentials_created, s.copies_created, s.copies_removed
                    ),
                ),
            };
            let seconds = (s.finished_at - s.started_at).num_milliseconds() as f64 / 1000.0;
            view! {
                <tr data-testid="import-row">
                    <td class="num">{s.id}</td>
                    <td class="num nowrap">{format::at(s.started_at)}</td>
                    <td>{s.kind.label()}</td>
                    <td><code>{s.found_by.clone()}</code></td>
                    <td class="num">{read}</td>
                    <td>{changed}</td>
                    <td class="num">{format!("{seconds:.1} s")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card section">
            <table class="data" data-testid="imports-table">
                <thead>
                    <tr>
                        <th>"#"</th>
                        <th>"Started"</th>
                        <th>"Kind"</th>
                        <th>"Attributed to"</th>
                        <th>"Read"</th>
                        <th>"Changed"</th>
                        <th>"Took"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
