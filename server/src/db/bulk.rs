//! Bulk inserts: many rows per statement, in one transaction, for the demo
//! generator and importers.

use sqlx::AnyConnection;
use sqlx::any::{AnyArguments, AnyRow};

use super::sql::Value;
use super::{Backend, Db};

/// Bind parameters per statement: under SQLite's limit (32,766) and PostgreSQL's (65,535).
const PARAMS_PER_STATEMENT: usize = 30_000;

/// SQLite's page cache of a connection while it writes in bulk (`true`:
/// 128 MiB, so that the indexes of large tables stay in memory) or
/// otherwise (`false`: SQLite's default, 2 MB). PostgreSQL sizes its own.
pub async fn bulk_cache(conn: &mut AnyConnection, backend: Backend, bulk: bool) -> Result<(), sqlx::Error> {
    if backend == Backend::Sqlite {
        let size = if bulk { -131_072 } else { -2_000 };
        sqlx::query(&format!("PRAGMA cache_size = {size}"))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Inserts `rows` (a flat list, `columns.len()` values per row) into `table`.
pub async fn insert(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[Value],
) -> Result<(), sqlx::Error> {
    insert_counting(conn, backend, table, columns, rows, "").await?;
    Ok(())
}

/// Inserts `rows` like [`insert`], with `tail` after each statement's
/// values (`ON CONFLICT … DO NOTHING`), and answers how many rows went in.
pub async fn insert_counting(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[Value],
    tail: &str,
) -> Result<u64, sqlx::Error> {
    let mut inserted = 0;
    for (sql, args) in statements(backend, table, columns, rows, tail) {
        inserted += sqlx::query_with(&sql, args)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(inserted)
}

/// Inserts `rows` like [`insert`], with `tail` after each statement's
/// values (`ON CONFLICT … DO NOTHING RETURNING …`), and answers the rows
/// the statements return.
pub async fn insert_returning(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[Value],
    tail: &str,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let mut returned = Vec::new();
    for (sql, args) in statements(backend, table, columns, rows, tail) {
        returned.extend(sqlx::query_with(&sql, args).fetch_all(&mut *conn).await?);
    }
    Ok(returned)
}

/// The statements inserting `rows`, as many rows each as the parameter limit allows.
fn statements(
    backend: Backend,
    table: &str,
    columns: &[&str],
    rows: &[Value],
    tail: &str,
) -> Vec<(String, AnyArguments<'static>)> {
    let width = columns.len();
    assert_eq!(rows.len() % width, 0, "{table}: values do not fill whole rows");
    let per_statement = (PARAMS_PER_STATEMENT / width).max(1);
    // SQLite treats `$n` and `?n` as *named* parameters, and looking up a
    // parameter's name walks the whole list of names: binding a long VALUES
    // list is then quadratic (it was 40% of a large load). Anonymous `?`
    // parameters bind by position in constant time. PostgreSQL knows only `$n`.
    let numbered = backend == Backend::Postgres;
    rows.chunks(per_statement * width)
        .map(|chunk| {
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
                    if numbered {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    } else {
                        sql.push('?');
                    }
                }
                sql.push(')');
            }
            if !tail.is_empty() {
                sql.push(' ');
                sql.push_str(tail);
            }
            let mut args = AnyArguments::default();
            for value in chunk {
                value.add_to(&mut args);
            }
            (sql, args)
        })
        .collect()
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
