//! On an agent's page, for managers and admins: ask to grant the agent a
//! new tool, credential or scope. The request goes through the approvals
//! (policy, approvers, no self-approval) and, once approved, is recorded in
//! the inventory.

use leptos::prelude::*;
use model::api::{self as json, ApprovalState, Role};

use crate::api;
use crate::auth::Auth;
use crate::components::form::{Outcome, TextField};
use crate::routes::Screen;

/// The form, shown to managers and admins only.
#[component]
pub fn RequestChange(agent: i64) -> impl IntoView {
    let auth = Auth::get();
    view! {
        <Show when=move || auth.holds(&[Role::Manager, Role::Admin])>
            <ChangeForm agent />
        </Show>
    }
}

#[component]
fn ChangeForm(agent: i64) -> impl IntoView {
    let operation = RwSignal::new(json::CHANGE_OPERATIONS[0].to_owned());
    let tool = RwSignal::new(String::new());
    let credential = RwSignal::new(String::new());
    let scope = RwSignal::new(String::new());
    let justification = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let number = |text: String| text.trim().parse::<i64>().ok();
        let parameters = match operation.get_untracked().as_str() {
            "muster:grant_tool" => serde_json::json!({ "tool": number(tool.get_untracked()) }),
            "muster:grant_credential" => serde_json::json!({
                "tool": number(tool.get_untracked()),
                "credential": number(credential.get_untracked()),
            }),
            _ => serde_json::json!({
                "credential": number(credential.get_untracked()),
                "scope": scope.get_untracked().trim(),
            }),
        };
        let request = json::NewChangeRequest {
            agent,
            operation: operation.get_untracked(),
            parameters,
            justification: justification.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match api::request_change(&request).await {
                Ok(asked) => {
                    outcome.set(Some(Ok(match asked.state {
                        ApprovalState::Pending => format!(
                            "Asked (request {}): it needs {} approval{}; approvers decide it in {}.",
                            asked.id,
                            asked.required_approvals,
                            if asked.required_approvals == 1 { "" } else { "s" },
                            Screen::Approvals.title(),
                        ),
                        state => format!("Request {} is {}.", asked.id, state.label().to_lowercase()),
                    })));
                    justification.set(String::new());
                }
                Err(error) => outcome.set(Some(Err(error.message))),
            }
        });
    };
    view! {
        <section class="card section" data-testid="request-change">
            <h2>"Ask for a new capability"</h2>
            <form class="inline-form" on:submit=submit>
                <label class="field">
                    <span class="field-label">"Grant"</span>
                    <select name="change-operation" prop:value=move || operation.get()
                        on:change:target=move |ev| operation.set(ev.target().value())>
                        <option value="muster:grant_tool">"a tool"</option>
                        <option value="muster:grant_credential">"a credential to one of its tools"</option>
                        <option value="muster:grant_scope">"a scope on one of its credentials"</option>
                    </select>
                </label>
                <Show when=move || operation.get() != "muster:grant_scope">
                    <TextField label="Tool number" name="change-tool" value=tool placeholder="e.g. 12" />
                </Show>
                <Show when=move || operation.get() != "muster:grant_tool">
                    <TextField label="Credential number" name="change-credential" value=credential placeholder="e.g. 42" />
                </Show>
                <Show when=move || operation.get() == "muster:grant_scope">
                    <TextField label="Scope" name="change-scope" value=scope placeholder="s3:GetObject" />
                </Show>
                <TextField label="Why" name="change-justification" value=justification required=true
                    placeholder="It needs to open pull requests" />
                <button type="submit" class="primary">"Ask"</button>
            </form>
            <Outcome outcome />
        </section>
    }
}
