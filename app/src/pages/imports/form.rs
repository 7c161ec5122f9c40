//! The upload form: which kind of report, what it covers, the files.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use model::api::{self as json, ImportKind};
use wasm_bindgen::JsCast;

use super::Progress;
use crate::api;
use crate::components::form::{Alert, CheckField, TextField};

/// Whether reports of this kind are a secret scanner's (attributed to a
/// source, and possibly covering all of it).
fn is_scanner(kind: ImportKind) -> bool {
    matches!(kind, ImportKind::Gitleaks | ImportKind::Trufflehog)
}

/// What each kind of report is, and how to make one.
fn help(kind: ImportKind) -> &'static str {
    match kind {
        ImportKind::Gitleaks => {
            "gitleaks detect --report-format json --report-path report.json: every secret found joins its \
             credential by fingerprint; each place becomes a copy."
        }
        ImportKind::Trufflehog => {
            "trufflehog git … --json > findings.jsonl: one finding a line; verified or not, each place becomes a copy."
        }
        ImportKind::Cloudtrail => {
            "A CloudTrail log file as AWS delivers it (.json or .json.gz): each event becomes activity on the key \
             or role that made it, and teaches its behaviour baseline. For a whole folder, run muster import \
             cloudtrail FOLDER on the server."
        }
        ImportKind::AwsIam => {
            "aws iam get-account-authorization-details > iam.json: roles become credentials; users' and roles' \
             policies become their scopes (wildcards flagged) and what they reach."
        }
        ImportKind::Inventory => {
            "Muster's inventory file (YAML or JSON, see docs/imports.md): the agents, tools, owners and \
             credentials a team declares for what no scanner sees. It adds and updates; it never deletes."
        }
        ImportKind::Endpoint => {
            "muster scan --output report.json on a laptop or build host: its coding agents (shadow until \
             sanctioned), their MCP servers, agent framework projects, and the secrets they can use, joined by \
             scan fingerprint with what the scanners found. Collectors with an enrolment token send theirs \
             directly (docs/scan.md)."
        }
        ImportKind::AwsCredentialReport => {
            "aws iam get-credential-report (its Content, base64-decoded, as CSV): each user's access keys, with when \
             they were rotated and last used, and whether the user can also sign in with a password."
        }
        ImportKind::GoogleWorkspace => {
            "The Directory API's tokens.list of each user (one file each, named after the user's email) and the \
             Reports API's token activities: every OAuth grant becomes a credential; grants to AI apps become \
             SaaS agents owned by whoever consented. Choose all the pages at once."
        }
        ImportKind::Entra => {
            "Microsoft Graph pages: servicePrincipals, oauth2PermissionGrants, appRoleAssignments, users and agent \
             identities, as Graph returns them. Choose all the pages at once: grants name their apps by ids the \
             other pages spell out."
        }
        ImportKind::Okta => {
            "Okta's /api/v1/apps, /api/v1/users and each user's /grants (one file each, named after the user's \
             email): grants to AI apps become SaaS agents; service apps become credentials."
        }
        ImportKind::Github => {
            "An organisation's personal-access-tokens, credential-authorizations, installations and audit-log \
             pages (and its SAML identities, to name logins): tokens and app installations become credentials, \
             the audit log their activity."
        }
        ImportKind::Bedrock => {
            "aws bedrock-agent get-agent and get-agent-action-group answers, and aws bedrock-agentcore-control \
             get-agent-runtime answers: each agent becomes a cloud agent acting through its IAM role."
        }
        ImportKind::Vertex => {
            "Vertex AI reasoningEngines.list pages: each agent engine becomes a cloud agent acting through its \
             service account."
        }
    }
}

/// Kind, source, whole-source flag and file.
#[component]
pub(super) fn UploadForm(progress: RwSignal<Progress>) -> impl IntoView {
    let kind = RwSignal::new(ImportKind::Gitleaks);
    let source = RwSignal::new(String::new());
    let full = RwSignal::new(true);
    let file = NodeRef::<leptos::html::Input>::new();
    let problem = RwSignal::new(None::<String>);
    let busy = move || matches!(progress.get(), Progress::Sending(..) | Progress::Reading);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        problem.set(None);
        let input = file
            .get_untracked()
            .and_then(|input| input.dyn_into::<web_sys::HtmlInputElement>().ok());
        let chosen: Vec<web_sys::File> = input
            .as_ref()
            .and_then(|input| input.files())
            .map(|files| (0..files.length()).filter_map(|n| files.get(n)).collect())
            .unwrap_or_default();
        if chosen.is_empty() {
            problem.set(Some("Choose the report file first.".into()));
            return;
        }
        // The files are in hand: the next import starts from an empty choice.
        if let Some(input) = input {
            input.set_value("");
        }
        let size: f64 = chosen.iter().map(|f| f.size()).sum();
        let kind = kind.get_untracked();
        let source = Some(source.get_untracked().trim().to_owned()).filter(|s| !s.is_empty());
        let query = json::ImportQuery {
            source: source.filter(|_| is_scanner(kind)),
            full: (is_scanner(kind) && !full.get_untracked()).then_some(false),
        };
        progress.set(Progress::Sending(0.0, size));
        api::upload_report(
            kind,
            &query,
            chosen,
            move |sent, total| {
                progress.set(if total > 0.0 && sent >= total {
                    Progress::Reading
                } else {
                    Progress::Sending(sent, total)
                })
            },
            move |result| progress.set(Progress::Done(result.map(Box::new).map_err(|e| e.message))),
        );
    };
    let scanner = move || is_scanner(kind.get());
    view! {
        <form class="card section import-form" data-testid="import-form" on:submit=submit>
            <fieldset class="kind-picker">
                <legend class="field-label">"Report"</legend>
                {ImportKind::ALL
                    .iter()
                    .map(|&k| {
                        view! {
                            <label class="check">
                                <input
                                    type="radio"
                                    name="kind"
                                    value=k.as_str()
                                    prop:checked=move || kind.get() == k
                                    on:change=move |_| kind.set(k)
                                />
                                {k.label()}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <p class="hint" data-testid="kind-help">{move || help(kind.get())}</p>
            <Show when=scanner>
                <TextField
                    label="What was scanned"
                    name="source"
                    value=source
                    placeholder="acme/payments or laptop-42"
                />
                <CheckField
                    label="The report covers the whole source (copies it no longer finds are marked removed)"
                    name="full"
                    checked=full
                />
            </Show>
            <label class="field">
                <span class="field-label">"Files (plain or gzip; several pages of one platform at once)"</span>
                <input type="file" name="file" multiple node_ref=file accept=".json,.jsonl,.gz,.csv,.yaml,.yml,application/json" />
            </label>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=busy>"Import"</button>
            </div>
            {move || problem.get().map(|message| view! { <Alert message /> })}
        </form>
    }
}
