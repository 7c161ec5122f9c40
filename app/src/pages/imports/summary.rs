//! An upload's progress, then what the import changed (each figure
//! linking to what it counts) or why nothing was kept.

use leptos::prelude::*;
use model::api::{self as json, ImportKind};

use super::Progress;
use crate::components::form::Alert;
use crate::routes::{self, Screen};

/// The upload's progress bar, then what the import changed or why nothing was kept.
#[component]
pub(super) fn ProgressView(progress: RwSignal<Progress>) -> impl IntoView {
    move || match progress.get() {
        Progress::Idle => ().into_any(),
        Progress::Sending(sent, total) => {
            let mb = |bytes: f64| format!("{:.1}", bytes / 1_048_576.0);
            view! {
                <div class="card section upload-progress" data-testid="import-progress" role="status">
                    <progress max=total value=sent></progress>
                    <p>"Uploading " {mb(sent)} " of " {mb(total)} " MB…"</p>
                </div>
            }
            .into_any()
        }
        Progress::Reading => view! {
            <div class="card section upload-progress" data-testid="import-progress" role="status">
                <progress></progress>
                <p>"Uploaded. Reading the report into the inventory, in one transaction…"</p>
            </div>
        }
        .into_any(),
        Progress::Done(Ok(summary)) => view! { <Summary summary=*summary /> }.into_any(),
        Progress::Done(Err(message)) => view! {
            <div class="card section" data-testid="import-failed">
                <Alert message=format!("Nothing was imported: {message}") />
            </div>
        }
        .into_any(),
    }
}

/// The figures of an import that found secrets: distinct secrets, new
/// credentials (linking to those without an owner), copies new and gone.
fn secret_figures(
    summary: &json::ImportSummary,
    unowned: String,
) -> [(String, &'static str, Option<String>); 4] {
    [
        (summary.secrets.to_string(), "distinct secrets", None),
        (
            summary.credentials_created.to_string(),
            "new credentials, without an owner",
            Some(unowned),
        ),
        (summary.copies_created.to_string(), "new copies", None),
        (summary.copies_removed.to_string(), "copies no longer found", None),
    ]
}

/// One import's figures, each linking to what it describes.
#[component]
fn Summary(summary: json::ImportSummary) -> impl IntoView {
    let unowned = routes::inventory_path("credentials", &[("has_no_owner", "true")]);
    let already = summary.events - summary.events_recorded - summary.events_unmatched;
    let figures: Vec<(String, &'static str, Option<String>)> = match summary.kind {
        ImportKind::AwsIam | ImportKind::AwsCredentialReport => vec![
            (summary.principals.to_string(), "IAM users and roles read", None),
            (
                summary.credentials_created.to_string(),
                "new credentials, without an owner",
                Some(unowned),
            ),
            (
                summary.credentials_updated.to_string(),
                "credentials changed",
                None,
            ),
            (
                summary.reach_edges.to_string(),
                "reach edges to the inventory's resources",
                None,
            ),
        ],
        ImportKind::Cloudtrail => vec![
            (summary.events.to_string(), "events read", None),
            (
                summary.events_recorded.to_string(),
                "recorded for the first time",
                None,
            ),
            (already.to_string(), "already recorded", None),
            (
                summary.events_unmatched.to_string(),
                "of keys and roles not in the inventory",
                None,
            ),
            (
                summary.behaviour_findings.to_string(),
                "behaviour findings raised",
                Some(format!("{}#behaviour", Screen::Overview.path())),
            ),
        ],
        ImportKind::Inventory => vec![
            (summary.entities_read.to_string(), "entities declared", None),
            (summary.entities_created.to_string(), "new", None),
            (summary.entities_updated.to_string(), "changed", None),
            (summary.links_created.to_string(), "links added", None),
            (summary.reach_edges.to_string(), "reach edges", None),
        ],
        ImportKind::Endpoint => {
            let mut figures = vec![
                (summary.entities_read.to_string(), "agents and tools found", None),
                (summary.entities_created.to_string(), "new", None),
            ];
            figures.extend(secret_figures(&summary, unowned));
            figures
        }
        ImportKind::GoogleWorkspace
        | ImportKind::Entra
        | ImportKind::Okta
        | ImportKind::Github
        | ImportKind::Bedrock
        | ImportKind::Vertex => vec![
            (summary.findings.to_string(), "records read", None),
            (
                summary.agents.to_string(),
                "AI agents",
                Some(routes::inventory_path("agents", &[("sort", "sanctioned")])),
            ),
            (summary.agents_created.to_string(), "new agents", None),
            (summary.grants.to_string(), "grants and tokens", None),
            (
                summary.credentials_created.to_string(),
                "new credentials",
                Some(routes::inventory_path("credentials", &[("sort", "-created_at")])),
            ),
            (summary.grants_revoked.to_string(), "revoked at the source", None),
            (summary.events_recorded.to_string(), "events recorded", None),
        ],
        ImportKind::Gitleaks | ImportKind::Trufflehog => {
            let mut figures = vec![(summary.findings.to_string(), "findings read", None)];
            figures.extend(secret_figures(&summary, unowned));
            figures.extend([
                (summary.skipped.to_string(), "redacted, skipped", None),
                (
                    summary.revocations_reopened.to_string(),
                    "revocations reopened",
                    None,
                ),
            ]);
            figures
        }
    };
    let figures = figures
        .into_iter()
        .map(|(number, what, link)| {
            let number = match link {
                Some(href) => view! { <a class="figure-number" href=href>{number}</a> }.into_any(),
                None => view! { <span class="figure-number">{number}</span> }.into_any(),
            };
            view! {
                <div class="figure">
                    {number}
                    <span class="figure-label">{what}</span>
                </div>
            }
        })
        .collect_view();
    let unmatched = (!summary.unmatched_principals.is_empty()).then(|| {
        view! {
            <p class="hint">
                "Not in the inventory: " <code>{summary.unmatched_principals.join(", ")}</code>
                ". Import them (a scanner report, the inventory file) and import the log again: events already recorded are not counted twice."
            </p>
        }
    });
    let notes = (!summary.notes.is_empty()).then(|| {
        view! {
            <ul class="hint" data-testid="import-notes">
                {summary.notes.iter().map(|note| view! { <li>{note.clone()}</li> }).collect_view()}
            </ul>
        }
    });
    view! {
        <div class="card section import-summary" data-testid="import-summary" role="status">
            <p class="form-ok">
                "Imported " {summary.kind.label()} " as import #" {summary.id} " ("
                <code>{summary.found_by.clone()}</code> ")."
            </p>
            <div class="figures">{figures}</div>
            {unmatched}
            {notes}
        </div>
    }
}
