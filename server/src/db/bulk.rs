//! Bulk inserts: many rows per statement, in one transaction, for the demo
//! generator and importers.

use sqlx::AnyConnection;

use super::sql::Value;
use super::{Backend, Db};

/// Bind parameters per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
const PARAMS_PER_STATEMENT: usize = 2_000;

/// Inserts `rows` (a flat list, `columns.len()` values per row) into `table`.
pub async fn insert(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[Value],
) -> Result<(), sqlx::Error> {
    let width = columns.len();
    assert_eq!(rows.len() % width, 0, "{table}: values do not fill whole rows");
    let per_statement = (PARAMS_PER_STATEMENT / width).max(1);
    // SQLite resolves each `$n` by searching the names seen so far while it
    // prepares a statement, which is quadratic in a long VALUES list; `?n` is
    // a plain index. PostgreSQL only knows `$n`.
    let placeholder = match backend {
        Backend::Sqlite => "?",
        Backend::Postgres => "$",
    };
    for chunk in rows.chunks(per_statement * width) {
        let count = chunk.len() / width;
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for row in 0..count {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for column in 0..width {
                n += 1;
                if column > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(placeholder);
                sql.push_str(&n.to_string());
            }
            sql.push(')');
        }
        let mut args = sqlx::any::AnyArguments::default();
        for value in chunk {
            value.add_to(&mut args);
        }
        sqlx::query_with(&sql, args).execute(&mut *conn).await?;
    }
    Ok(())
}

/// After rows were inserted with explicit ids, moves PostgreSQL's identity
/// sequences past them (SQLite needs nothing).
pub async fn reset_identities(db: &Db, conn: &mut AnyConnection, tables: &[&str]) -> Result<(), sqlx::Error> {
    if db.backend() != Backend::Postgres {
        return Ok(());
    }
    for table in tables {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
