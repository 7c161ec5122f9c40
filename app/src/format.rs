//! How values read in lists: times, days, hashes, JSON details. Days are
//! written by hand rather than with chrono's `format`, whose strftime
//! machinery would add to every page's download.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `3 Dec 2026`.
pub fn day(date: NaiveDate) -> String {
    format!("{} {}", day_month(date), date.year())
}

/// `3 Dec`.
pub fn day_month(date: NaiveDate) -> String {
    format!("{} {}", date.day(), MONTHS[date.month0() as usize])
}

/// `2026-12-03`, as date inputs and the API want it.
pub fn iso_day(date: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
}

/// An RFC 3339 UTC time as `2026-11-22 13:02 UTC`: to the minute, which is
/// what a person scanning a list compares.
pub fn minute(time: &str) -> String {
    match time.get(..16) {
        Some(minute) if time.ends_with('Z') => format!("{} UTC", minute.replace('T', " ")),
        _ => time.to_owned(),
    }
}

/// A time as `2026-11-22 13:02 UTC`.
pub fn at(time: DateTime<Utc>) -> String {
    minute(&time.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// An RFC 3339 UTC time as `2026-11-22 13:02:07 UTC`.
pub fn second(time: &str) -> String {
    match time.get(..19) {
        Some(second) if time.ends_with('Z') => format!("{} UTC", second.replace('T', " ")),
        _ => time.to_owned(),
    }
}

/// The first 12 hex digits of a hash: enough to compare by eye.
pub fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// JSON details as `key: value · key: value`, the way a person reads them:
/// lists joined with commas, `{before, after}` as `before → after`.
pub fn details(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| format!("{key}: {}", plain(value)))
            .collect::<Vec<_>>()
            .join(" · "),
        other => plain(other),
    }
}

fn plain(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        Value::Object(fields)
            if fields.len() == 2 && fields.contains_key("before") && fields.contains_key("after") =>
        {
            format!("{} → {}", plain(&fields["before"]), plain(&fields["after"]))
        }
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| format!("{key}: {}", plain(value)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_to_the_minute_or_second_in_utc() {
        assert_eq!(minute("2026-11-22T13:02:07Z"), "2026-11-22 13:02 UTC");
        assert_eq!(second("2026-11-22T13:02:07Z"), "2026-11-22 13:02:07 UTC");
        assert_eq!(minute("yesterday"), "yesterday", "anything else as it is");
    }

    #[test]
    fn days_read_as_people_write_them() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(super::day(day), "3 Dec 2026");
        assert_eq!(day_month(day), "3 Dec");
        assert_eq!(iso_day(day), "2026-12-03");
    }

    #[test]
    fn details_read_as_words_with_changes_as_arrows() {
        let details = serde_json::json!({
            "roles": { "before": ["viewer"], "after": ["ciso", "approver"] },
            "email": "dana@example.com",
            "password_changed": true,
        });
        assert_eq!(
            super::details(&details),
            "email: dana@example.com · password_changed: true · roles: viewer → ciso, approver"
        );
        assert_eq!(super::details(&serde_json::json!({})), "");
    }
}
