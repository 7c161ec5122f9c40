//! Filters evaluated on a resource (`filter=` of a list, the value
//! filters of a path), and the `eq` terms a filter requires.

use scim_proto::filter::{ScimComplexFilter, ScimFilter};
use serde_json::Value;

use super::{GROUP_SCHEMA, MAX_FILTER, ScimError, USER_SCHEMA, get};

/// Attributes compared exactly (RFC 7643: `caseExact`); others ignore case.
const CASE_EXACT: [&str; 3] = ["id", "externalid", "$ref"];

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
