//! The report's tables, and the text of their cells (escaped).

use serde_json::Value;

/// `text`, escaped for HTML.
pub(super) fn esc(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// A JSON value as a cell's text, escaped; `—` for null.
pub(super) fn text(value: &Value) -> String {
    match value {
        Value::Null => "—".into(),
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    }
}

/// An HTML table of `rows` under `headers`; `empty` when there is no row.
pub(super) fn table(headers: &[&str], rows: Vec<Vec<String>>, empty: &str) -> String {
    if rows.is_empty() {
        return format!("<p class=\"empty\">{empty}</p>");
    }
    let head: String = headers.iter().map(|h| format!("<th>{h}</th>")).collect();
    let body: String = rows
        .into_iter()
        .map(|row| {
            format!(
                "<tr>{}</tr>",
                row.into_iter()
                    .map(|c| format!("<td>{c}</td>"))
                    .collect::<String>()
            )
        })
        .collect();
    format!("<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
}
