//! SCIM resources as JSON documents: attribute paths (`name.givenName`,
//! `emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:manager`),
//! filters evaluated on a resource, PATCH operations, and the
//! `attributes` / `excludedAttributes` projection. Filter expressions are
//! parsed by `scim_proto`; this module walks what it parsed.

use scim_proto::filter::{ScimComplexFilter, ScimFilter};
use serde_json::{Map, Value};

use super::ScimError;

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

/// Attributes the provider may not set: Muster keeps them.
const READ_ONLY: [&str; 2] = ["id", "meta"];
/// Attributes compared exactly (RFC 7643: `caseExact`); others ignore case.
const CASE_EXACT: [&str; 3] = ["id", "externalid", "$ref"];

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

/// The object an attribute lives in: the resource, or an extension's object
/// (made when `create`).
fn container<'a>(
    doc: &'a mut Value,
    extension: Option<&str>,
    create: bool,
) -> Option<&'a mut Map<String, Value>> {
    let object = doc.as_object_mut()?;
    match extension {
        None => Some(object),
        Some(schema) => {
            let key = key_of(object, schema).unwrap_or_else(|| schema.to_owned());
            if !object.contains_key(&key) {
                if !create {
                    return None;
                }
                object.insert(key.clone(), Value::Object(Map::new()));
            }
            object.get_mut(&key)?.as_object_mut()
        }
    }
}

fn text_equal(attr: &str, a: &str, b: &str) -> bool {
    if CASE_EXACT.contains(&attr.to_ascii_lowercase().as_str()) {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// Compares one value of attribute `attr` with a filter's operand.
fn compare(attr: &str, value: &Value, op: &str, operand: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (value, operand) {
        (Value::String(a), Value::String(b)) => {
            if CASE_EXACT.contains(&attr.to_ascii_lowercase().as_str()) {
                Some(a.cmp(b))
            } else {
                Some(a.to_lowercase().cmp(&b.to_lowercase()))
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            a.as_f64().zip(b.as_f64()).and_then(|(a, b)| a.partial_cmp(&b))
        }
        (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
        // Entra writes booleans as strings ("False").
        (Value::Bool(a), Value::String(b)) | (Value::String(b), Value::Bool(a)) => b
            .parse::<bool>()
            .ok()
            .or_else(|| b.to_lowercase().parse().ok())
            .map(|b| a.cmp(&b)),
        _ => None,
    };
    let (Value::String(a), Value::String(b)) = (value, operand) else {
        return match op {
            "eq" => ordering == Some(Ordering::Equal),
            "ne" => ordering != Some(Ordering::Equal),
            "gt" => ordering == Some(Ordering::Greater),
            "ge" => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
            "lt" => ordering == Some(Ordering::Less),
            "le" => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
            _ => false,
        };
    };
    let (a, b) = if CASE_EXACT.contains(&attr.to_ascii_lowercase().as_str()) {
        (a.clone(), b.clone())
    } else {
        (a.to_lowercase(), b.to_lowercase())
    };
    match op {
        "eq" => text_equal(attr, &a, &b),
        "ne" => !text_equal(attr, &a, &b),
        "co" => a.contains(&b),
        "sw" => a.starts_with(&b),
        "ew" => a.ends_with(&b),
        "gt" => ordering == Some(Ordering::Greater),
        "ge" => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
        "lt" => ordering == Some(Ordering::Less),
        "le" => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        _ => false,
    }
}

/// The values of `attr` (and `sub`) in `object`: each value of a
/// multi-valued attribute, its `value` sub-attribute for complex ones.
fn values<'a>(object: &'a Value, attr: &str, sub: Option<&str>) -> Vec<&'a Value> {
    let Some(value) = get(object, attr) else {
        return Vec::new();
    };
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    items
        .into_iter()
        .filter_map(|item| match (sub, item) {
            (Some(sub), item) => get(item, sub),
            (None, Value::Object(_)) => get(item, "value"),
            (None, item) => Some(item),
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn test_values(values: &[&Value], attr: &str, op: &str, operand: Option<&Value>) -> bool {
    match operand {
        None => values.iter().any(|v| match v {
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        }),
        Some(operand) if op == "ne" => !values.iter().any(|v| compare(attr, v, "eq", operand)),
        Some(operand) => values.iter().any(|v| compare(attr, v, op, operand)),
    }
}

/// Whether a resource matches a filter.
pub fn matches(resource: &Value, filter: &ScimFilter) -> bool {
    use ScimFilter as F;
    let leaf = |path: &scim_proto::filter::AttrPath, op: &str, operand: Option<&Value>| {
        let path = path.to_string();
        let (attr, sub) = match path.split_once('.') {
            Some((attr, sub)) => (attr.to_owned(), Some(sub.to_owned())),
            None => (path, None),
        };
        let found = values(resource, &attr, sub.as_deref());
        test_values(&found, sub.as_deref().unwrap_or(&attr), op, operand)
    };
    match filter {
        F::Or(a, b) => matches(resource, a) || matches(resource, b),
        F::And(a, b) => matches(resource, a) && matches(resource, b),
        F::Not(a) => !matches(resource, a),
        F::Present(p) => leaf(p, "pr", None),
        F::Equal(p, v) => leaf(p, "eq", Some(v)),
        F::NotEqual(p, v) => leaf(p, "ne", Some(v)),
        F::Contains(p, v) => leaf(p, "co", Some(v)),
        F::StartsWith(p, v) => leaf(p, "sw", Some(v)),
        F::EndsWith(p, v) => leaf(p, "ew", Some(v)),
        F::Greater(p, v) => leaf(p, "gt", Some(v)),
        F::Less(p, v) => leaf(p, "lt", Some(v)),
        F::GreaterOrEqual(p, v) => leaf(p, "ge", Some(v)),
        F::LessOrEqual(p, v) => leaf(p, "le", Some(v)),
        F::Complex(attr, inner) => match get(resource, attr) {
            Some(Value::Array(items)) => items.iter().any(|item| matches_value(item, inner)),
            Some(item @ Value::Object(_)) => matches_value(item, inner),
            _ => false,
        },
    }
}

/// Whether one value of a multi-valued attribute matches a value filter.
pub fn matches_value(item: &Value, filter: &ScimComplexFilter) -> bool {
    use ScimComplexFilter as F;
    let leaf = |attr: &str, op: &str, operand: Option<&Value>| {
        let found: Vec<&Value> = get(item, attr).into_iter().filter(|v| !v.is_null()).collect();
        test_values(&found, attr, op, operand)
    };
    match filter {
        F::Or(a, b) => matches_value(item, a) || matches_value(item, b),
        F::And(a, b) => matches_value(item, a) && matches_value(item, b),
        F::Not(a) => !matches_value(item, a),
        F::Present(a) => leaf(a, "pr", None),
        F::Equal(a, v) => leaf(a, "eq", Some(v)),
        F::NotEqual(a, v) => leaf(a, "ne", Some(v)),
        F::Contains(a, v) => leaf(a, "co", Some(v)),
        F::StartsWith(a, v) => leaf(a, "sw", Some(v)),
        F::EndsWith(a, v) => leaf(a, "ew", Some(v)),
        F::Greater(a, v) => leaf(a, "gt", Some(v)),
        F::Less(a, v) => leaf(a, "lt", Some(v)),
        F::GreaterOrEqual(a, v) => leaf(a, "ge", Some(v)),
        F::LessOrEqual(a, v) => leaf(a, "le", Some(v)),
    }
}

/// Parses a `filter` parameter. The core schemas' URN prefix is accepted
/// (`urn:…:core:2.0:User:userName`) and operators in any case (`EQ`).
pub fn parse_filter(text: &str) -> Result<ScimFilter, ScimError> {
    if text.len() > MAX_FILTER {
        return Err(ScimError::bad_request(
            "invalidFilter",
            format!("a filter has at most {MAX_FILTER} bytes"),
        ));
    }
    // ASCII lowercasing keeps every byte where it was, so positions found
    // in the lowercase copy are positions in the original.
    let mut cleaned = text.trim().to_owned();
    for schema in [USER_SCHEMA, GROUP_SCHEMA] {
        let prefix = format!("{}:", schema.to_ascii_lowercase());
        while let Some(at) = cleaned.to_ascii_lowercase().find(&prefix) {
            cleaned.replace_range(at..at + prefix.len(), "");
        }
    }
    cleaned.parse::<ScimFilter>().map_err(|e| {
        ScimError::bad_request(
            "invalidFilter",
            format!("{text:?} is not a filter this server reads: {e}"),
        )
    })
}

/// The `eq` comparisons a filter requires of the resource as a whole
/// (joined by `and` at the top), lowercase attribute → operand: to narrow
/// the rows read before the whole filter is evaluated.
pub fn required_equalities(filter: &ScimFilter) -> Vec<(String, String)> {
    match filter {
        ScimFilter::And(a, b) => {
            let mut all = required_equalities(a);
            all.extend(required_equalities(b));
            all
        }
        ScimFilter::Equal(path, Value::String(value)) => {
            vec![(path.to_string().to_lowercase(), value.clone())]
        }
        _ => Vec::new(),
    }
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

/// The op of a PATCH operation, whatever its case (Entra sends `"Replace"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Remove,
    Replace,
}

/// Applies a PatchOp request's `Operations` to a resource.
pub fn patch(doc: &mut Value, operations: &[Value]) -> Result<(), ScimError> {
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::bad_request(
            "invalidValue",
            format!("a PATCH carries at most {MAX_OPERATIONS} operations"),
        ));
    }
    for operation in operations {
        let op = match get(operation, "op")
            .and_then(Value::as_str)
            .map(str::to_lowercase)
            .as_deref()
        {
            Some("add") => Op::Add,
            Some("remove") => Op::Remove,
            Some("replace") => Op::Replace,
            other => {
                return Err(ScimError::bad_request(
                    "invalidSyntax",
                    format!("op must be add, remove or replace, not {other:?}"),
                ));
            }
        };
        let value = get(operation, "value").cloned();
        match get(operation, "path").and_then(Value::as_str) {
            Some(path) => apply(doc, op, &parse_path(path)?, value)?,
            None => {
                if op == Op::Remove {
                    return Err(ScimError::bad_request("noTarget", "a remove needs a path".into()));
                }
                let Some(Value::Object(fields)) = value else {
                    return Err(ScimError::bad_request(
                        "invalidValue",
                        "an add or replace without a path needs an object as value".into(),
                    ));
                };
                for (key, value) in fields {
                    apply(doc, op, &parse_path(&key)?, Some(value))?;
                }
            }
        }
    }
    Ok(())
}

fn apply(doc: &mut Value, op: Op, path: &AttrPath, value: Option<Value>) -> Result<(), ScimError> {
    if path.extension.is_none() && READ_ONLY.iter().any(|a| a.eq_ignore_ascii_case(&path.attr)) {
        return Err(ScimError::bad_request(
            "mutability",
            format!("{} is read-only", path.attr),
        ));
    }
    if path.attr.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    // The extension's whole object: each of its attributes, or all of it.
    if let (Some(schema), true) = (path.extension, path.attr.is_empty()) {
        match (op, value) {
            (Op::Remove, _) => {
                if let Some(object) = doc.as_object_mut()
                    && let Some(key) = key_of(object, schema)
                {
                    object.remove(&key);
                }
            }
            (_, Some(Value::Object(fields))) => {
                for (attr, value) in fields {
                    let inner = AttrPath {
                        extension: Some(schema),
                        attr,
                        filter: None,
                        sub: None,
                    };
                    apply(doc, op, &inner, Some(value))?;
                }
            }
            _ => {
                return Err(ScimError::bad_request(
                    "invalidValue",
                    format!("{schema} takes an object of its attributes"),
                ));
            }
        }
        return Ok(());
    }
    let value = match (op, value) {
        (Op::Remove, _) => Value::Null,
        (_, Some(value)) => value,
        (_, None) => {
            return Err(ScimError::bad_request(
                "invalidValue",
                "add and replace need a value".into(),
            ));
        }
    };
    let Some(object) = container(doc, path.extension, op != Op::Remove) else {
        return Ok(());
    };
    let key = key_of(object, &path.attr).unwrap_or_else(|| path.attr.clone());
    match (&path.filter, &path.sub) {
        (None, None) => match op {
            Op::Remove => {
                object.remove(&key);
            }
            Op::Replace => {
                match (object.get_mut(&key), value) {
                    // A complex attribute: the sub-attributes given replace theirs.
                    (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
                    (_, value) => {
                        object.insert(key, value);
                    }
                }
            }
            Op::Add => match (object.get_mut(&key), value) {
                (Some(Value::Array(old)), Value::Array(new)) => {
                    // A set of what is there: adding a thousand members to
                    // a group of fifty thousand stays linear.
                    let mut present: std::collections::HashSet<String> = old.iter().map(identity).collect();
                    for item in new {
                        if present.insert(identity(&item)) {
                            old.push(item);
                        }
                    }
                }
                (Some(Value::Array(old)), item) => {
                    if !old.iter().any(|o| same_value(o, &item)) {
                        old.push(item);
                    }
                }
                (Some(Value::Object(old)), Value::Object(new)) => merge(old, new),
                (_, value) => {
                    object.insert(key, value);
                }
            },
        },
        (None, Some(sub)) => match object.get_mut(&key) {
            Some(Value::Array(items)) => {
                for item in items.iter_mut() {
                    set_sub(item, sub, op, value.clone());
                }
            }
            Some(item @ Value::Object(_)) => set_sub(item, sub, op, value),
            _ if op == Op::Remove => {}
            _ => {
                let mut item = Value::Object(Map::new());
                set_sub(&mut item, sub, op, value);
                object.insert(key, item);
            }
        },
        (Some(filter), sub) => {
            let items = match object.get_mut(&key) {
                Some(Value::Array(items)) => items,
                _ if op == Op::Remove => return Ok(()),
                _ => {
                    object.insert(key.clone(), Value::Array(Vec::new()));
                    object
                        .get_mut(&key)
                        .and_then(Value::as_array_mut)
                        .expect("just inserted")
                }
            };
            let matching: Vec<usize> = (0..items.len())
                .filter(|i| matches_value(&items[*i], filter))
                .collect();
            match (op, sub) {
                (Op::Remove, None) => {
                    for index in matching.into_iter().rev() {
                        items.remove(index);
                    }
                }
                (Op::Remove, Some(sub)) => {
                    for index in matching {
                        set_sub(&mut items[index], sub, op, Value::Null);
                    }
                }
                (_, Some(sub)) if matching.is_empty() => {
                    // `emails[type eq "work"].value` with no work email yet:
                    // the provider means to add one (Entra does this).
                    let mut item = Value::Object(equalities(filter));
                    set_sub(&mut item, sub, op, value);
                    items.push(item);
                }
                (_, Some(sub)) => {
                    for index in matching {
                        set_sub(&mut items[index], sub, op, value.clone());
                    }
                }
                (_, None) if matching.is_empty() => {
                    return Err(ScimError::bad_request(
                        "noTarget",
                        format!("no value of {} matches", path.attr),
                    ));
                }
                (_, None) => {
                    for index in matching {
                        match (&mut items[index], &value) {
                            (Value::Object(old), Value::Object(new)) => merge(old, new.clone()),
                            (old, new) => *old = new.clone(),
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The `attr eq "value"` terms of a value filter, as an object.
fn equalities(filter: &ScimComplexFilter) -> Map<String, Value> {
    let mut found = Map::new();
    match filter {
        ScimComplexFilter::Equal(attr, value) => {
            found.insert(attr.clone(), value.clone());
        }
        ScimComplexFilter::And(a, b) => {
            found.extend(equalities(a));
            found.extend(equalities(b));
        }
        _ => {}
    }
    found
}

fn set_sub(item: &mut Value, sub: &str, op: Op, value: Value) {
    let Some(object) = item.as_object_mut() else {
        return;
    };
    let key = key_of(object, sub).unwrap_or_else(|| sub.to_owned());
    if op == Op::Remove {
        object.remove(&key);
    } else {
        object.insert(key, value);
    }
}

fn merge(old: &mut Map<String, Value>, new: Map<String, Value>) {
    for (name, value) in new {
        let key = key_of(old, &name).unwrap_or(name);
        old.insert(key, value);
    }
}

/// Two values of a multi-valued attribute are the same one when they have
/// the same identity: their `value` when complex, else themselves.
fn same_value(a: &Value, b: &Value) -> bool {
    identity(a) == identity(b)
}

fn identity(item: &Value) -> String {
    match get(item, "value") {
        Some(value) => format!("value:{value}"),
        None => format!("self:{item}"),
    }
}

/// What a response carries of a resource: only `attributes` (with `id` and
/// `schemas`, always returned), or all but `excluded`.
pub fn project(resource: &Value, attributes: &[AttrPath], excluded: &[AttrPath]) -> Value {
    let Some(object) = resource.as_object() else {
        return resource.clone();
    };
    let always = |key: &str| {
        ["id", "schemas", "meta"]
            .iter()
            .any(|a| a.eq_ignore_ascii_case(key))
    };
    if !attributes.is_empty() {
        let mut kept = Map::new();
        for (key, value) in object {
            if always(key) {
                kept.insert(key.clone(), value.clone());
            }
        }
        for path in attributes {
            let Some(source) = (match path.extension {
                None => Some(object),
                Some(schema) => key_of(object, schema)
                    .and_then(|k| object.get(&k))
                    .and_then(Value::as_object),
            }) else {
                continue;
            };
            let target = match path.extension {
                None => &mut kept,
                Some(schema) => kept
                    .entry(schema.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()))
                    .as_object_mut()
                    .expect("an extension is an object"),
            };
            if path.attr.is_empty() {
                target.extend(source.clone());
                continue;
            }
            let Some(key) = key_of(source, &path.attr) else {
                continue;
            };
            let value = &source[&key];
            let chosen = match (&path.sub, value) {
                (None, value) => value.clone(),
                (Some(sub), Value::Array(items)) => Value::Array(
                    items
                        .iter()
                        .filter_map(|item| get(item, sub).map(|v| serde_json::json!({ sub: v })))
                        .collect(),
                ),
                (Some(sub), Value::Object(_)) => match get(value, sub) {
                    Some(v) => {
                        let mut merged = target
                            .get(&key)
                            .and_then(Value::as_object)
                            .cloned()
                            .unwrap_or_default();
                        merged.insert(sub.clone(), v.clone());
                        Value::Object(merged)
                    }
                    None => continue,
                },
                _ => continue,
            };
            target.insert(key, chosen);
        }
        return Value::Object(kept);
    }
    let mut kept = object.clone();
    for path in excluded {
        if path.extension.is_none() && always(&path.attr) {
            continue;
        }
        let Some(target) = (match path.extension {
            None => Some(&mut kept),
            Some(schema) => key_of(&kept, schema)
                .and_then(|k| kept.get_mut(&k))
                .and_then(Value::as_object_mut),
        }) else {
            continue;
        };
        let Some(key) = key_of(target, &path.attr) else {
            continue;
        };
        match &path.sub {
            None => {
                target.remove(&key);
            }
            Some(sub) => match target.get_mut(&key) {
                Some(Value::Array(items)) => {
                    for item in items {
                        set_sub(item, sub, Op::Remove, Value::Null);
                    }
                }
                Some(item) => set_sub(item, sub, Op::Remove, Value::Null),
                None => {}
            },
        }
    }
    Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(mut doc: Value, operations: Value) -> Value {
        patch(&mut doc, operations.as_array().unwrap()).unwrap();
        normalise(&mut doc);
        doc
    }

    #[test]
    fn paths_name_attributes_sub_attributes_filters_and_extensions() {
        let path = parse_path("emails[type eq \"work\"].value").unwrap();
        assert_eq!(path.attr, "emails");
        assert_eq!(path.sub.as_deref(), Some("value"));
        assert!(path.filter.is_some());
        let path = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").unwrap();
        assert_eq!(path.extension, Some(ENTERPRISE_SCHEMA));
        assert_eq!(path.attr, "manager");
        let path = parse_path("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName").unwrap();
        assert_eq!(
            (path.attr.as_str(), path.sub.as_deref()),
            ("name", Some("givenName"))
        );
        assert!(parse_path("emails[type eq").is_err());
        assert!(parse_path("1abc").is_err());
    }

    #[test]
    fn filters_match_attributes_case_insensitively_and_values_of_lists() {
        let user = json!({
            "userName": "Alice@Example.com", "externalId": "00u1",
            "emails": [{"value": "alice@example.com", "type": "work"}, {"value": "a@home.test", "type": "home"}],
            "active": true,
        });
        let yes = |f: &str| matches(&user, &parse_filter(f).unwrap());
        assert!(yes("userName eq \"alice@example.com\""));
        assert!(yes(
            "urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"ALICE@example.com\""
        ));
        assert!(yes("externalId eq \"00u1\" and active eq true"));
        assert!(!yes("externalId eq \"00U1\""), "externalId is case-exact");
        assert!(yes("emails[type eq \"work\" and value eq \"alice@example.com\"]"));
        assert!(!yes(
            "emails[type eq \"home\" and value eq \"alice@example.com\"]"
        ));
        assert!(yes("emails.value eq \"a@home.test\""));
        assert!(yes("userName sw \"alice\" or displayName pr"));
        assert!(!yes("displayName pr"));
        assert_eq!(
            required_equalities(&parse_filter("userName eq \"x\" and externalId eq \"y\"").unwrap()),
            vec![
                ("username".to_owned(), "x".to_owned()),
                ("externalid".to_owned(), "y".to_owned())
            ]
        );
    }

    #[test]
    fn entra_patches_apply_capitalised_ops_string_booleans_and_dotted_or_urn_keys() {
        let doc = json!({"userName": "a", "active": true, "name": {"givenName": "A"}});
        let out = patched(
            doc,
            json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Replace", "value": {
                    "name.familyName": "Smith",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Payments",
                }},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "42"},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@example.com"},
            ]),
        );
        assert_eq!(out["active"], json!(false));
        assert_eq!(out["name"], json!({"givenName": "A", "familyName": "Smith"}));
        assert_eq!(out[ENTERPRISE_SCHEMA]["department"], json!("Payments"));
        assert_eq!(out[ENTERPRISE_SCHEMA]["manager"], json!({"value": "42"}));
        assert_eq!(out["emails"], json!([{"type": "work", "value": "a@example.com"}]));
    }

    #[test]
    fn okta_deactivation_and_group_member_changes_apply() {
        let out = patched(
            json!({"active": true}),
            json!([{"op": "replace", "value": {"active": false}}]),
        );
        assert_eq!(out["active"], json!(false));
        let group = json!({"displayName": "G", "members": [{"value": "1"}, {"value": "2"}]});
        let out = patched(
            group,
            json!([
                {"op": "add", "path": "members", "value": [{"value": "3"}, {"value": "1"}]},
                {"op": "remove", "path": "members[value eq \"2\"]"},
            ]),
        );
        assert_eq!(out["members"], json!([{"value": "1"}, {"value": "3"}]));
        let mut doc = json!({"id": "1"});
        assert!(patch(&mut doc, &[json!({"op": "replace", "path": "id", "value": "2"})]).is_err());
        assert!(patch(&mut doc, &[json!({"op": "remove"})]).is_err());
    }

    #[test]
    fn attributes_keep_what_is_asked_and_excluded_attributes_drop_it() {
        let user = json!({"id": "1", "schemas": [USER_SCHEMA], "userName": "a", "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "x", "type": "work"}]});
        let paths = |list: &[&str]| list.iter().map(|p| parse_path(p).unwrap()).collect::<Vec<_>>();
        assert_eq!(
            project(&user, &paths(&["name.givenName", "emails.value"]), &[]),
            json!({"id": "1", "schemas": [USER_SCHEMA], "name": {"givenName": "A"}, "emails": [{"value": "x"}]})
        );
        let out = project(&user, &[], &paths(&["userName", "name.familyName", "id"]));
        assert_eq!(
            out,
            json!({"id": "1", "schemas": [USER_SCHEMA], "name": {"givenName": "A"}, "emails": [{"value": "x", "type": "work"}]})
        );
    }
}
