//! The Overview's and the risk summary's figures, kept until something
//! changes. Counting a large inventory takes hundreds of milliseconds, and
//! every CISO's dashboard asks again every few seconds; the figures change
//! only when the inventory does.
//!
//! "Something changed" is read from the database, so that a change made on
//! another replica counts too: the newest audit entry of a change to the
//! inventory (every change is audited in its own transaction; approvals and
//! sign-ins change no figure kept) and the newest unaudited score change
//! (`risk::SCORES_CHANGED`). Asking costs two index lookups. A large
//! import's steps are no change yet: its rows count from its last
//! transaction, which writes its audit entry, so the figures never show
//! half an import. The Overview's count of approvals waiting is counted
//! afresh on every request.
//!
//! Both choices come from `make bench-load`: counting the figures again
//! after every import step, then after every decision, took most of the
//! machine. For the same reason one count runs at a time per figure set:
//! the requests that find the figures out of date while it runs wait for
//! it, rather than each counting the same figures again.

use std::sync::{Arc, Mutex};

use model::api as json;

use crate::ApiError;
use crate::db::{Db, Generation, approvals, overview, risk};

/// One figure set, the generation it was counted at, and the turn of
/// whoever counts it next.
struct Slot<T> {
    kept: Mutex<Option<(Generation, Arc<T>)>>,
    counting: tokio::sync::Mutex<()>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self {
            kept: Mutex::new(None),
            counting: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> Slot<T> {
    /// The figures kept, if counted at `generation`.
    fn get(&self, generation: &Generation) -> Option<Arc<T>> {
        let kept = self.kept.lock().expect("never poisoned");
        kept.as_ref()
            .filter(|(at, _)| at == generation)
            .map(|(_, figures)| figures.clone())
    }

    fn put(&self, generation: Generation, figures: T) -> Arc<T> {
        let figures = Arc::new(figures);
        *self.kept.lock().expect("never poisoned") = Some((generation, figures.clone()));
        figures
    }

    /// The figures as of now: those kept if nothing changed since, else
    /// counted by `count` (one count at a time; who waited for one looks
    /// again before counting).
    async fn current<Counting>(&self, db: &Db, count: impl FnOnce() -> Counting) -> Result<Arc<T>, ApiError>
    where
        Counting: Future<Output = Result<T, ApiError>>,
    {
        // Read before counting: a change made while counting makes the next
        // request count again rather than keep figures older than it.
        let at = db.generation().await?;
        if let Some(figures) = self.get(&at) {
            return Ok(figures);
        }
        let _turn = self.counting.lock().await;
        let at = db.generation().await?;
        match self.get(&at) {
            Some(figures) => Ok(figures),
            None => Ok(self.put(at, count().await?)),
        }
    }
}

/// The figures a server keeps, cheap to clone (all shared).
#[derive(Clone, Default)]
pub struct Aggregates {
    overview: Arc<Slot<json::Overview>>,
    risk: Arc<Slot<json::RiskSummary>>,
}

impl Aggregates {
    /// The Overview's figures.
    pub async fn overview(&self, db: &Db) -> Result<json::Overview, ApiError> {
        let kept = self.overview.current(db, || overview::overview(db)).await?;
        let mut figures = json::Overview::clone(&kept);
        figures.pending_approvals = approvals::pending_count(db, chrono::Utc::now()).await?;
        Ok(figures)
    }

    /// The risk summary.
    pub async fn risk_summary(&self, db: &Db) -> Result<Arc<json::RiskSummary>, ApiError> {
        self.risk.current(db, || risk::summary(db)).await
    }
}
