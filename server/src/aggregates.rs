//! The Overview's and the risk summary's figures, kept until something
//! changes. Counting a large inventory takes hundreds of milliseconds, and
//! every CISO's dashboard asks again every few seconds; the figures change
//! only when the inventory does.
//!
//! "Something changed" is read from the database, so that a change made on
//! another replica counts too: the newest audit entry (every change is
//! audited in its own transaction), and the newest credential, copy and
//! agent (a large import's steps add them before its audit entry), and the
//! end of a rescoring in steps. Asking costs five index lookups. What an
//! import's steps change in place (a copy found again, a score) shows when
//! its rescoring or its audit entry is written.

use std::sync::{Arc, Mutex};

use model::api as json;

use crate::ApiError;
use crate::db::{Db, overview, risk};

/// The database's state as far as the figures go: equal generations, equal figures.
type Generation = (i64, i64, i64, i64, String);

async fn generation(db: &Db) -> Result<Generation, sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT COALESCE(MAX(seq), 0) FROM audit_event), (SELECT COALESCE(MAX(id), 0) FROM credential), \
         (SELECT COALESCE(MAX(id), 0) FROM credential_copy), (SELECT COALESCE(MAX(id), 0) FROM agent), \
         COALESCE((SELECT value FROM setting WHERE name = $1), '')",
    )
    .bind(crate::import::SCORES_CHANGED)
    .fetch_one(db.pool())
    .await
}

/// One figure set, and the generation it was counted at.
struct Slot<T>(Mutex<Option<(Generation, Arc<T>)>>);

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<T> Slot<T> {
    /// The figures kept, if counted at `generation`.
    fn get(&self, generation: &Generation) -> Option<Arc<T>> {
        let kept = self.0.lock().expect("never poisoned");
        kept.as_ref()
            .filter(|(at, _)| at == generation)
            .map(|(_, figures)| figures.clone())
    }

    fn put(&self, generation: Generation, figures: T) -> Arc<T> {
        let figures = Arc::new(figures);
        *self.0.lock().expect("never poisoned") = Some((generation, figures.clone()));
        figures
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
    pub async fn overview(&self, db: &Db) -> Result<Arc<json::Overview>, ApiError> {
        // Read before counting: a change made while counting makes the next
        // request count again rather than keep figures older than it.
        let at = generation(db).await?;
        match self.overview.get(&at) {
            Some(figures) => Ok(figures),
            None => Ok(self.overview.put(at, overview::overview(db).await?)),
        }
    }

    /// The risk summary.
    pub async fn risk_summary(&self, db: &Db) -> Result<Arc<json::RiskSummary>, ApiError> {
        let at = generation(db).await?;
        match self.risk.get(&at) {
            Some(figures) => Ok(figures),
            None => Ok(self.risk.put(at, risk::summary(db).await?)),
        }
    }
}
