//! Form widgets: a labelled text input bound to a signal, and a role picker.

use leptos::prelude::*;
use model::api::Role;

/// A label over a text input whose value lives in `value`.
#[component]
pub fn TextField(
    /// The visible label.
    label: &'static str,
    /// The input's `name` (also its test handle).
    name: &'static str,
    /// Its value.
    value: RwSignal<String>,
    /// `text`, `email`, `password`, `date`, ...
    #[prop(default = "text")]
    kind: &'static str,
    /// The browser's autofill hint.
    #[prop(default = "off")]
    autocomplete: &'static str,
    /// Whether the form needs it.
    #[prop(optional)]
    required: bool,
    /// A hint shown in the empty input.
    #[prop(optional)]
    placeholder: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span class="field-label">{label}</span>
            <input
                type=kind
                name=name
                autocomplete=autocomplete
                placeholder=placeholder
                required=required
                prop:value=move || value.get()
                on:input:target=move |ev| value.set(ev.target().value())
            />
        </label>
    }
}

/// One checkbox per role; `selected` holds the ticked ones in canonical order.
#[component]
pub fn RolePicker(
    /// The ticked roles.
    selected: RwSignal<Vec<Role>>,
    /// Prefix of each checkbox's `name`, to tell two pickers apart.
    name: &'static str,
) -> impl IntoView {
    view! {
        <fieldset class="role-picker">
            <legend class="field-label">"Roles"</legend>
            {Role::ALL
                .iter()
                .map(|&role| {
                    let toggle = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        selected
                            .update(|roles| {
                                roles.retain(|r| *r != role);
                                if on {
                                    roles.push(role);
                                }
                                roles.sort_by_key(|r| Role::ALL.iter().position(|x| x == r));
                            });
                    };
                    view! {
                        <label class="check" title=role_help(role)>
                            <input
                                type="checkbox"
                                name=format!("{name}-{role}")
                                prop:checked=move || selected.with(|roles| roles.contains(&role))
                                on:change=toggle
                            />
                            {role.label()}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// What a role may do, in a sentence (the checkbox's tooltip).
pub fn role_help(role: Role) -> &'static str {
    match role {
        Role::Admin => "Manage accounts and settings",
        Role::Ciso => "Read everything, read and export the audit log",
        Role::Manager => "Read, and manage ownership for their teams",
        Role::Approver => "Decide approval requests",
        Role::Viewer => "Read only",
    }
}

/// A checkbox with its label, bound to `checked`.
#[component]
pub fn CheckField(
    /// The visible label.
    label: &'static str,
    /// The input's `name` (also its test handle).
    name: &'static str,
    /// Whether it is ticked.
    checked: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <label class="check">
            <input
                type="checkbox"
                name=name
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev))
            />
            {label}
        </label>
    }
}

/// A failure in words (a refused form, an API error), announced to screen readers.
#[component]
pub fn Alert(#[prop(into)] message: String) -> impl IntoView {
    view! { <p class="form-error" role="alert">{message}</p> }
}

/// The outcome of an action: what was done (a status), or why not (an alert).
#[component]
pub fn Outcome(outcome: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    move || {
        outcome.get().map(|outcome| match outcome {
            Ok(text) => view! { <p class="form-ok" role="status">{text}</p> }.into_any(),
            Err(message) => view! { <Alert message /> }.into_any(),
        })
    }
}
