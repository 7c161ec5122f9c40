//! A list's page and its total ([`Db::list_page`]), the total counted or
//! kept until the inventory changes ([`Total`]).

use model::api as json;
use sqlx::any::AnyRow;

use super::{Db, sql};

/// How a list's total is found ([`Db::list_page`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Total {
    /// Counted on every request: lists that change with no change to the
    /// inventory (approvals, revocations, the audit log).
    Counted,
    /// For a list of the inventory (agents, tools, credentials, copies,
    /// people, teams, resources): kept until the inventory changes
    /// ([`Db::generation`]) rather than counted on every request, as
    /// counting 200,000 credentials or a million copies took most of such a
    /// request (`make bench-load`). Its filters must not depend on the
    /// time. A large import's rows count from its last transaction, as the
    /// Overview's figures do.
    KeptUntilChange,
}

/// Inventory lists' totals kept at most (distinct filters); past it, all
/// are forgotten and counted again as asked.
const KEPT_TOTALS: usize = 1_000;

impl Db {
    /// Runs a list's page query and, when the page does not tell the total
    /// by itself, finds the total as `total` says (the count query sharing
    /// `params`); maps the rows.
    pub(crate) async fn list_page<T>(
        &self,
        total: Total,
        count_sql: &str,
        rows_sql: &str,
        params: sql::Params,
        paging: &sql::Paging,
        map: impl Fn(&AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<json::Page<T>, crate::ApiError> {
        let rows = sqlx::query_with(rows_sql, params.args())
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(&map).collect::<Result<Vec<_>, _>>()?;
        // A short first page is the whole list: no need to count.
        if paging.page == 1 && items.len() < paging.limit as usize {
            let total = items.len() as i64;
            return Ok(paging.page(items, total));
        }
        // Read before counting: a change made meanwhile makes the next
        // request count again rather than keep a total older than it.
        let at = match total {
            Total::KeptUntilChange => Some(self.generation().await?),
            Total::Counted => None,
        };
        let key = at
            .as_ref()
            .map(|_| format!("{count_sql}\u{0}{:?}", params.values()));
        if let (Some(at), Some(key)) = (&at, &key) {
            let totals = self.totals.lock().expect("never poisoned");
            if let Some((_, total)) = totals.get(key).filter(|(counted, _)| counted == at) {
                let total = *total;
                drop(totals);
                return Ok(paging.page(items, total));
            }
        }
        let total: i64 = sqlx::query_scalar_with(count_sql, params.args())
            .fetch_one(&self.pool)
            .await?;
        if let (Some(at), Some(key)) = (at, key) {
            let mut totals = self.totals.lock().expect("never poisoned");
            if totals.len() >= KEPT_TOTALS {
                totals.clear();
            }
            totals.insert(key, (at, total));
        }
        Ok(paging.page(items, total))
    }
}
