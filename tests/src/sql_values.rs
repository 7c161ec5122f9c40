//! Every value the server's SQL writes as a literal for a column that holds
//! an enumeration (`status = 'active'`, `state IN ('staging', 'applying')`)
//! is a value of that enumeration: a renamed or mistyped value would
//! otherwise match nothing, silently. The SQL is read from the sources'
//! string literals (in code and in `format!`-like macros), parsed with `syn`.

use std::collections::{BTreeMap, BTreeSet};

use model::api as json;
use muster_server::db::staged::RunState;
use regex::Regex;
use syn::visit::Visit;

use crate::layers::{modules, source};

/// The values each enumerated column may hold: every enumeration stored in
/// a column of that name (several tables have a `status` or a `state`).
fn columns() -> BTreeMap<&'static str, BTreeSet<String>> {
    fn values<T: Copy + std::fmt::Display>(all: &[T]) -> Vec<String> {
        all.iter().map(ToString::to_string).collect()
    }
    let mut state = values(json::GapState::ALL);
    state.extend(values(json::RevocationState::ALL));
    state.extend(values(json::ChecklistState::ALL));
    state.extend(values(json::DeliveryState::ALL));
    state.extend(values(json::ApprovalState::ALL));
    state.extend(values(json::CampaignState::ALL));
    state.extend(RunState::ALL.iter().map(|s| s.as_str().to_owned()));
    let mut status = values(json::CredentialStatus::ALL);
    status.extend(values(json::CopyStatus::ALL));
    status.extend(values(json::PersonStatus::ALL));
    let mut kind = values(json::ToolKind::ALL);
    for more in [
        values(json::CredentialKind::ALL),
        values(json::CopyKind::ALL),
        values(json::ResourceKind::ALL),
        values(json::NodeKind::ALL),
        values(json::OwnedKind::ALL),
        values(json::ApprovalKind::ALL),
        values(json::ImportKind::ALL),
        values(json::BehaviourFindingKind::ALL),
        values(json::ChannelKind::ALL),
        json::SanctionKind::ALL
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect(),
    ] {
        kind.extend(more);
    }
    let mut decision = values(json::ReviewDecision::ALL);
    decision.extend(values(json::RuleDecision::ALL));
    BTreeMap::from([
        ("state", state),
        ("status", status),
        ("kind", kind),
        ("decision", decision),
        ("category", values(json::AgentCategory::ALL)),
        ("environment", values(json::Environment::ALL)),
        ("sensitivity", values(json::Sensitivity::ALL)),
        ("permission", values(json::Permission::ALL)),
        ("outcome", values(json::Outcome::ALL)),
        ("role", values(json::Role::ALL)),
        ("approver_role", values(json::Role::ALL)),
        ("verdict", values(json::Verdict::ALL)),
        ("dimension", values(json::BaselineDimension::ALL)),
        ("consent", values(json::Consent::ALL)),
        ("matched", values(json::AppMatch::ALL)),
        ("event", values(json::NotifyEvent::ALL)),
        ("delivery", values(json::NotifyDelivery::ALL)),
        ("topic", values(json::OutboxTopic::ALL)),
        ("scope", values(json::ReviewScope::ALL)),
        ("basis", values(json::ReviewerBasis::ALL)),
        ("cadence", values(json::ReviewCadence::ALL)),
    ])
    .into_iter()
    .map(|(column, values)| (column, values.into_iter().collect()))
    .collect()
}

/// Columns compared with literals that hold no enumeration of the model:
/// names, vocabularies of one module, or text.
const NOT_ENUMERATED: &[&str] = &[
    "action",
    "last_error",
    "destination",
    "scopes",
    "summary",
    // How a session signed in (`password`, `oidc`): `db::accounts`'s own.
    "method",
    // A platform grant's provider (`github`, `aws`), as the importers name it.
    "provider",
    // An MCP server's transport, as the endpoint scanner reports it.
    "transport",
];

/// The string literals of a file, in code and in macros whose body parses
/// as comma-separated expressions (`format!`, `vec!`, `concat!`).
#[derive(Default)]
struct Literals(Vec<String>);

impl<'ast> Visit<'ast> for Literals {
    fn visit_lit_str(&mut self, literal: &'ast syn::LitStr) {
        self.0.push(literal.value());
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        let parser = syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
        if let Ok(arguments) = mac.parse_body_with(parser) {
            for argument in &arguments {
                self.visit_expr(argument);
            }
        }
    }
}

/// Each `(file, column, value)` the server's SQL compares or sets.
fn compared() -> Vec<(String, String, String)> {
    let equals = Regex::new(r"(?:\b[a-z_]+\.)?\b([a-z_]+)\s*(?:=|<>|!=)\s*'([^']*)'").unwrap();
    let within =
        Regex::new(r"(?:\b[a-z_]+\.)?\b([a-z_]+)\s+(?:NOT\s+)?IN\s*\(((?:\s*'[^']*'\s*,?)+)\)").unwrap();
    let value = Regex::new(r"'([^']*)'").unwrap();
    let mut found = Vec::new();
    for (module, file) in modules(&source("server")) {
        let parsed = syn::parse_file(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut literals = Literals::default();
        literals.visit_file(&parsed);
        let name = module.join("/");
        for text in literals.0 {
            for found_here in equals.captures_iter(&text) {
                found.push((name.clone(), found_here[1].to_owned(), found_here[2].to_owned()));
            }
            for found_here in within.captures_iter(&text) {
                for one in value.captures_iter(&found_here[2]) {
                    found.push((name.clone(), found_here[1].to_owned(), one[1].to_owned()));
                }
            }
        }
    }
    found
}

#[test]
fn every_enumerated_value_written_in_sql_is_one_of_its_enumeration() {
    let columns = columns();
    let compared = compared();
    assert!(
        compared.len() > 150,
        "the SQL's literals were not found ({})",
        compared.len()
    );
    let wrong: Vec<String> = compared
        .iter()
        .filter(|(_, column, _)| !NOT_ENUMERATED.contains(&column.as_str()))
        // `'{environment}'`: a value `format!` puts in from an enumeration.
        .filter(|(_, _, value)| !value.starts_with('{'))
        .filter(|(_, column, value)| {
            columns
                .get(column.as_str())
                .is_none_or(|values| !values.contains(value))
        })
        .map(|(file, column, value)| format!("{file}: {column} = '{value}'"))
        .collect();
    assert_eq!(
        wrong,
        Vec::<String>::new(),
        "a value no enumeration has, or a column this test does not know (add it to columns() or NOT_ENUMERATED)"
    );
}

#[test]
fn a_value_outside_its_enumeration_is_found() {
    let columns = columns();
    assert!(columns["status"].contains("active"));
    assert!(!columns["status"].contains("actve"));
    assert!(columns["state"].contains("done"));
}
