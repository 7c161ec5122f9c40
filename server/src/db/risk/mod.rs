//! Risk scores in the database: loading the facts the model reads (in a few
//! set-wise queries, not one per entity), storing what it computes on the
//! scored rows (the full recompute that [`crate::scoring`] runs), and the summary
//! behind `GET /api/v1/risk/summary`.
//!
//! In sections: loading the facts (`facts`), scoring and storing (`store`),
//! and what the stored scores say (`summary`).

mod facts;
mod store;
mod summary;

pub use store::{
    SCORES_CHANGED, Scores, mark_computed, mark_scores_changed, refresh, score_all, scores_changed,
    store_in_steps,
};
pub use summary::{stored_at, stored_version, summary};
