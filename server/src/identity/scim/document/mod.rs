//! SCIM resources as JSON documents: attribute paths (`name.givenName`,
//! `emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:manager`),
//! filters evaluated on a resource, PATCH operations, and the
//! `attributes` / `excludedAttributes` projection. Filter expressions are
//! parsed by `scim_proto`; this module walks what it parsed.
//!
//! Paths and reading an attribute live here; filters in `filter`, PATCH
//! in `patch`, the projection in `project`.

use scim_proto::filter::ScimComplexFilter;
use serde_json::{Map, Value};

use super::ScimError;

mod filter;
mod patch;
mod project;

pub use filter::{matches, matches_value, parse_filter, required_equalities};
pub use patch::patch;
pub use project::project;

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension (department, manager...).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The longest filter read, in bytes: a filter is evaluated recursively,
/// and Okta's and Entra's are a few dozen characters.
pub const MAX_FILTER: usize = 4096;
/// The longest attribute path read, in bytes.
pub const MAX_PATH: usize = 1024;
/// Operations one PATCH may carry at most.
pub const MAX_OPERATIONS: usize = 1000;
/// Values one multi-valued attribute (a group's members) may hold at most.
pub const MAX_VALUES: usize = 50_000;

/// An attribute path: in an extension's object or the resource's own, an
/// attribute, perhaps a filter on its values, perhaps a sub-attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    /// The extension schema holding the attribute (`None`: the core schema).
    pub extension: Option<&'static str>,
    /// The attribute (empty with an extension: the extension's whole object).
    pub attr: String,
    /// A filter on a multi-valued attribute's values.
    pub filter: Option<ScimComplexFilter>,
    /// A sub-attribute.
    pub sub: Option<String>,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Parses a PATCH path or an `attributes` entry.
pub fn parse_path(text: &str) -> Result<AttrPath, ScimError> {
    if text.len() > MAX_PATH {
        return Err(ScimError::bad_request(
            "invalidPath",
            format!("an attribute path has at most {MAX_PATH} bytes"),
        ));
    }
    let bad = || ScimError::bad_request("invalidPath", format!("{text:?} is not an attribute path"));
    let text = text.trim();
    let mut extension = None;
    let mut rest = text;
    // `get` slices only at character boundaries: a multi-byte character
    // where a URN would end is simply no URN.
    let starts_with = |prefix: &str| {
        text.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    if starts_with("urn:") {
        let schema = [ENTERPRISE_SCHEMA, USER_SCHEMA, GROUP_SCHEMA]
            .into_iter()
            .find(|schema| starts_with(schema))
            .ok_or_else(bad)?;
        rest = &text[schema.len()..];
        if schema == ENTERPRISE_SCHEMA {
            extension = Some(ENTERPRISE_SCHEMA);
        }
        if rest.is_empty() && extension.is_some() {
            return Ok(AttrPath {
                extension,
                attr: String::new(),
                filter: None,
                sub: None,
            });
        }
        rest = rest.strip_prefix(':').ok_or_else(bad)?;
    }
    let (attr, filter, after) = match rest.find('[') {
        Some(open) => {
            let close = rest.rfind(']').filter(|close| *close > open).ok_or_else(bad)?;
            let filter = rest[open + 1..close]
                .parse::<ScimComplexFilter>()
                .map_err(|e| ScimError::bad_request("invalidFilter", format!("{text:?}: {e}")))?;
            (&rest[..open], Some(filter), &rest[close + 1..])
        }
        None => match rest.split_once('.') {
            Some((attr, _)) => (attr, None, &rest[attr.len()..]),
            None => (rest, None, ""),
        },
    };
    let sub = match after {
        "" => None,
        after => Some(
            after
                .strip_prefix('.')
                .filter(|s| valid_name(s))
                .ok_or_else(bad)?
                .to_owned(),
        ),
    };
    if !valid_name(attr) {
        return Err(bad());
    }
    Ok(AttrPath {
        extension,
        attr: attr.to_owned(),
        filter,
        sub,
    })
}

/// The key of `object` that is `name` but for case.
fn key_of(object: &Map<String, Value>, name: &str) -> Option<String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The value of `name` in `object`, but for case.
pub fn get<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    let object = object.as_object()?;
    object.get(&key_of(object, name)?)
}

/// Refuses a resource with a multi-valued attribute of more than
/// [`MAX_VALUES`] values (a group of more members).
pub fn check_size(doc: &Value) -> Result<(), ScimError> {
    let too_many = doc.as_object().is_some_and(|o| {
        o.values()
            .any(|v| v.as_array().is_some_and(|a| a.len() > MAX_VALUES))
    });
    if too_many {
        return Err(ScimError::bad_request(
            "invalidValue",
            format!("a multi-valued attribute holds at most {MAX_VALUES} values"),
        ));
    }
    Ok(())
}

/// Entra and Okta quirks, mended: `"active": "False"` as a string, a
/// manager as a bare id instead of `{"value": id}`.
pub fn normalise(doc: &mut Value) {
    if let Some(object) = doc.as_object_mut() {
        if let Some(key) = key_of(object, "active")
            && let Some(Value::String(text)) = object.get(&key)
            && let Ok(flag) = text.to_lowercase().parse::<bool>()
        {
            object.insert(key, Value::Bool(flag));
        }
        if let Some(key) = key_of(object, ENTERPRISE_SCHEMA)
            && let Some(Value::Object(extension)) = object.get_mut(&key)
            && let Some(manager) = key_of(extension, "manager")
            && let Some(Value::String(id)) = extension.get(&manager).cloned()
        {
            extension.insert(manager, serde_json::json!({ "value": id }));
        }
    }
}

#[cfg(test)]
mod tests;
