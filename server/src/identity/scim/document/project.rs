//! The `attributes` / `excludedAttributes` projection: what a response
//! carries of a resource.

use serde_json::{Map, Value};

use super::patch::{Op, set_sub};
use super::{AttrPath, get, key_of};

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
