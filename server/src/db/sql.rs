//! Small helpers for writing portable SQL: numbered placeholders (`$1`, which
//! both SQLite and PostgreSQL accept), paging and sorting of lists, and
//! reading text-encoded enumerations and timestamps from rows.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use model::api as json;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{AnyConnection, Arguments, Row};

use super::Backend;
use crate::ApiError;

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// SQL `NULL` in an integer column (PostgreSQL wants nulls typed).
    NullInt,
    /// SQL `NULL` in a text column.
    NullText,
}

impl Value {
    /// Appends the value to query arguments.
    pub fn add_to(&self, args: &mut AnyArguments<'static>) {
        let added = match self {
            Value::Int(v) => args.add(*v),
            Value::Text(v) => args.add(v.clone()),
            Value::NullInt => args.add(Option::<i64>::None),
            Value::NullText => args.add(Option::<String>::None),
        };
        added.expect("encoding a plain value cannot fail");
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Int(value)
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<Option<i64>> for Value {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Value::NullInt, Value::Int)
    }
}

impl From<Option<String>> for Value {
    fn from(value: Option<String>) -> Self {
        value.map_or(Value::NullText, Value::Text)
    }
}

impl From<Option<&str>> for Value {
    fn from(value: Option<&str>) -> Self {
        value.map_or(Value::NullText, Value::from)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_owned())
    }
}

/// Arguments of a query being built, handing out their placeholders. Kept
/// as plain values so that one set can serve a list's count and its page.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: Vec<Value>,
    anonymous: bool,
}

impl Params {
    /// Arguments whose placeholders are anonymous (`?`) on SQLite, for long
    /// value lists whose placeholders appear in the statement in the order
    /// they are bound: SQLite looks a numbered placeholder up by name,
    /// walking every name, which makes binding thousands of them quadratic.
    pub fn in_order(backend: super::Backend) -> Self {
        Self {
            values: Vec::new(),
            anonymous: backend == super::Backend::Sqlite,
        }
    }

    /// The values bound so far, in order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Adds a value and returns its placeholder (`$n`, or `?`).
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        if self.anonymous {
            "?".to_owned()
        } else {
            format!("${}", self.values.len())
        }
    }

    /// The arguments, for `sqlx::query_with`.
    pub fn args(&self) -> AnyArguments<'static> {
        let mut args = AnyArguments::default();
        for value in &self.values {
            value.add_to(&mut args);
        }
        args
    }
}

/// `WHERE a AND b ...`, or nothing.
pub fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}

/// A list's free-text query, trimmed; `None` when there is nothing to search.
pub fn search_text(q: &Option<String>) -> Option<&str> {
    q.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

/// A case-insensitive substring condition over `columns` for the user's text,
/// with `%` and `_` in the text matched literally. SQLite's `LIKE` already
/// ignores (ASCII) case; PostgreSQL's `ILIKE` does. Neither wraps the column
/// in `LOWER()`, which costs an allocation per row on a scan.
pub fn text_match(params: &mut Params, backend: Backend, columns: &[&str], text: &str) -> String {
    let pattern = params.bind(format!("%{}%", escape_like(text)));
    let like = match backend {
        Backend::Sqlite => "LIKE",
        Backend::Postgres => "ILIKE",
    };
    let tests: Vec<String> = columns
        .iter()
        .map(|column| format!("{column} {like} {pattern} ESCAPE '\\'"))
        .collect();
    format!("({})", tests.join(" OR "))
}

/// A table whose text columns have a substring index (migration
/// `0024_text_search`): on SQLite an FTS5 trigram table of the same rows,
/// on PostgreSQL pg_trgm GIN indexes that `ILIKE` uses by itself.
#[derive(Debug, Clone, Copy)]
pub struct TextIndex {
    /// The FTS5 table (SQLite), whose rowid is the indexed row's id.
    fts: &'static str,
}

impl TextIndex {
    /// `credential.name`.
    pub const CREDENTIAL: Self = Self {
        fts: "credential_text",
    };
    /// `agent.name`, `platform`, `description`.
    pub const AGENT: Self = Self { fts: "agent_text" };
    /// `person.name`, `email`.
    pub const PERSON: Self = Self { fts: "person_text" };
    /// `resource.name`.
    pub const RESOURCE: Self = Self { fts: "resource_text" };
}

/// [`text_match`] over columns of an indexed table (`id` its key, as the
/// query names it, e.g. `c.id`). On SQLite the trigram index narrows the
/// rows first, when the text has the three characters a trigram needs; the
/// `LIKE` then gives the exact answer, so results equal an unindexed scan's.
pub fn indexed_text_match(
    params: &mut Params,
    backend: Backend,
    index: TextIndex,
    id: &str,
    columns: &[&str],
    text: &str,
) -> String {
    let exact = text_match(params, backend, columns, text);
    if backend == Backend::Postgres || text.chars().count() < 3 {
        return exact;
    }
    // An FTS5 string (double quotes, inner ones doubled) is one phrase: with
    // the trigram tokenizer, the text as a case-insensitive substring.
    let phrase = params.bind(format!("\"{}\"", text.replace('"', "\"\"")));
    let fts = index.fts;
    format!("({id} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {phrase}) AND {exact})")
}

/// `text` with `%`, `_` and the escape character itself escaped, for a
/// `LIKE ... ESCAPE '\'` pattern that matches it literally.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The ids of a team and all its sub-teams, as a subquery. `UNION` (not
/// `UNION ALL`) keeps each team once, so even a cycle in the hierarchy
/// (which writes refuse, but a hand-edited database may hold) ends the
/// recursion instead of running forever with a connection held.
pub fn team_subtree(params: &mut Params, team: i64) -> String {
    let root = params.bind(team);
    format!(
        "(WITH RECURSIVE subtree(id) AS (SELECT CAST({root} AS BIGINT) \
         UNION SELECT team.id FROM team JOIN subtree ON team.parent_id = subtree.id) \
         SELECT id FROM subtree)"
    )
}

/// A column a list may be sorted by.
#[derive(Debug, Clone, Copy)]
pub struct Sort {
    /// The name in `?sort=`; a leading `-` makes it the default *descending*.
    pub key: &'static str,
    /// The SQL expression.
    pub column: &'static str,
    /// Whether the column may be NULL (such rows then sort last, either way).
    pub nullable: bool,
}

impl Sort {
    /// A NOT NULL column.
    pub const fn by(key: &'static str, column: &'static str) -> Self {
        Self {
            key,
            column,
            nullable: false,
        }
    }

    /// A column that may be NULL.
    pub const fn nullable(key: &'static str, column: &'static str) -> Self {
        Self {
            key,
            column,
            nullable: true,
        }
    }

    fn name(&self) -> &'static str {
        self.key.trim_start_matches('-')
    }
}

/// A validated page request: `LIMIT`, `OFFSET` and `ORDER BY`.
#[derive(Debug, Clone)]
pub struct Paging {
    /// Page number from 1.
    pub page: u32,
    /// Rows per page.
    pub limit: u32,
    /// The `ORDER BY` expression (from a fixed list, never from user text).
    pub order_by: String,
}

impl Paging {
    /// Checks `page`, `limit` and `sort` against `sorts` (the first is the
    /// default). A tie-breaker on `id_column` keeps pages stable.
    pub fn new(
        page: Option<u32>,
        limit: Option<u32>,
        sort: Option<&str>,
        sorts: &[Sort],
        id_column: &str,
    ) -> Result<Self, ApiError> {
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(ApiError::BadRequest("page starts at 1".into()));
        }
        let limit = limit.unwrap_or(json::DEFAULT_PAGE_LIMIT);
        if limit == 0 || limit > json::MAX_PAGE_LIMIT {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {}, not {limit}",
                json::MAX_PAGE_LIMIT
            )));
        }
        let requested = sort.filter(|s| !s.is_empty()).unwrap_or(sorts[0].key);
        let descending = requested.starts_with('-');
        let name = requested.trim_start_matches('-');
        let Some(sort) = sorts.iter().find(|s| s.name() == name) else {
            let names: Vec<&str> = sorts.iter().map(Sort::name).collect();
            return Err(ApiError::BadRequest(format!(
                "unknown sort {name:?}; expected one of: {} (with `-` in front for descending)",
                names.join(", ")
            )));
        };
        let direction = if descending { "DESC" } else { "ASC" };
        // NULLS LAST is the same on both engines; on NOT NULL columns it is
        // left out so that SQLite can walk an index in order.
        let nulls = if sort.nullable { " NULLS LAST" } else { "" };
        let order_by = format!("{} {direction}{nulls}, {id_column} {direction}", sort.column);
        Ok(Self {
            page,
            limit,
            order_by,
        })
    }

    /// `ORDER BY ... LIMIT ... OFFSET ...`.
    pub fn tail(&self) -> String {
        let offset = u64::from(self.page - 1) * u64::from(self.limit);
        format!("ORDER BY {} LIMIT {} OFFSET {offset}", self.order_by, self.limit)
    }

    /// Wraps a page of rows.
    pub fn page<T>(&self, items: Vec<T>, total: i64) -> json::Page<T> {
        json::Page {
            items,
            total,
            page: self.page,
            limit: self.limit,
        }
    }
}

/// `(…, …), (…, …)`: (id, time) pairs as a `VALUES` list, for one
/// `UPDATE … FROM (VALUES …) AS v` over many rows; both engines name its
/// columns `column1` and `column2`.
pub fn id_time_values(params: &mut Params, rows: &[(i64, DateTime<Utc>)]) -> String {
    rows.iter()
        .map(|(id, at)| format!("({}, {})", params.bind(*id), params.bind(timestamp(*at))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A timestamp as stored: RFC 3339, UTC, whole seconds (`2026-11-22T13:02:00Z`),
/// which sorts chronologically as text.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn decode_error(column: &str, message: String) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: message.into(),
    }
}

/// Reads a text-encoded enumeration.
pub fn get_enum<T: FromStr<Err = json::UnknownValue>>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    parse_enum(column, &text)
}

/// Parses a text-encoded enumeration read from `column` (a typed row's field).
pub fn parse_enum<T: FromStr<Err = json::UnknownValue>>(column: &str, text: &str) -> Result<T, sqlx::Error> {
    text.parse()
        .map_err(|e: json::UnknownValue| decode_error(column, e.to_string()))
}

/// Reads a timestamp.
pub fn get_time(row: &AnyRow, column: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    let text: String = row.try_get(column)?;
    parse_time(column, &text)
}

/// Reads an optional timestamp.
pub fn get_opt_time(row: &AnyRow, column: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| parse_time(column, &text)).transpose()
}

/// Parses a timestamp read from `column`.
pub fn parse_time(column: &str, text: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| decode_error(column, format!("{text:?}: {e}")))
}

/// Reads a 0/1 flag.
pub fn get_flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    let value: i64 = row.try_get(column)?;
    Ok(value != 0)
}

/// Reads an optional link from an id column and a name column.
pub fn get_ref(row: &AnyRow, id: &str, name: &str) -> Result<Option<json::Ref>, sqlx::Error> {
    let id: Option<i64> = row.try_get(id)?;
    match id {
        Some(id) => Ok(Some(json::Ref {
            id,
            name: row.try_get(name)?,
        })),
        None => Ok(None),
    }
}

/// Reads a link that is always there.
pub fn get_required_ref(row: &AnyRow, id: &str, name: &str) -> Result<json::Ref, sqlx::Error> {
    Ok(json::Ref {
        id: row.try_get(id)?,
        name: row.try_get(name)?,
    })
}

/// Which rows a query covers: all of them, or these ids.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every row.
    All,
    /// The rows with these ids (none when empty).
    Ids(&'a [i64]),
}

impl Scope<'_> {
    /// `column IN (...)`, or a condition that always (or never) holds.
    pub fn condition(&self, column: &str, params: &mut Params) -> String {
        match self {
            Scope::All => "1 = 1".to_owned(),
            Scope::Ids([]) => "1 = 0".to_owned(),
            Scope::Ids(ids) => {
                let list: Vec<String> = ids.iter().map(|id| params.bind(*id)).collect();
                format!("{column} IN ({})", list.join(", "))
            }
        }
    }
}

/// Stamps `column` of row `id` of `table` with `now` unless it is stamped
/// already (a compare-and-set): answers whether this call did, so that of
/// several replicas exactly one acts (a reminder is sent once). `table` and
/// `column` are the caller's constants, never input.
pub async fn stamp_once(
    conn: &mut AnyConnection,
    table: &'static str,
    column: &'static str,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(&format!(
        "UPDATE {table} SET {column} = $1 WHERE id = $2 AND {column} IS NULL"
    ))
    .bind(timestamp(now))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a server-wide setting (`setting` table), inserting or replacing it.
pub async fn put_setting(conn: &mut AnyConnection, name: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO setting (name, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(value)
    .bind(timestamp(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}
