//! PATCH operations on a resource: add, remove and replace, of an
//! attribute, a sub-attribute or the values a filter selects.

use scim_proto::filter::ScimComplexFilter;
use serde_json::{Map, Value};

use super::filter::matches_value;
use super::{AttrPath, MAX_OPERATIONS, ScimError, get, key_of, parse_path};

/// Attributes the provider may not set: Muster keeps them.
const READ_ONLY: [&str; 2] = ["id", "meta"];

/// The op of a PATCH operation, whatever its case (Entra sends `"Replace"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
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

/// Sets sub-attribute `sub` of a complex value (a remove drops it).
pub(super) fn set_sub(item: &mut Value, sub: &str, op: Op, value: Value) {
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
