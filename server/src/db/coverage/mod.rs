//! Owner coverage: which agents and active credentials have an accountable
//! owner, counted against the team they belong to and rolled up through the
//! team hierarchy; the gaps (unowned and orphaned) with hints of who should
//! own them; and the daily posture history.
//!
//! An owned item belongs to its owner's team, even after the owner left (its
//! orphan then counts against that team). An unowned item belongs to the
//! team the evidence points at: for an agent, the team of whoever deployed
//! it; for a credential, the team of the owners of the agents that use it,
//! else of the authors of its copies, else the team owning most of what it
//! reaches. Items without any such evidence count for the organisation only.
//! That team is stored on the row (`coverage_team_id`) by [`rehome()`], which
//! every change of ownership calls through `risk::refresh`, so that the
//! figures are one indexed `GROUP BY` at any size.
//!
//! In sections: storing each row's team (`rehome`), the figures and their
//! daily history (`figures`), and the gaps list with its hints (`gaps`).

mod figures;
mod gaps;
mod rehome;

pub use figures::{Figures, Rollup, backfill, coverage, rollup, snapshot};
pub use gaps::gaps;
pub use rehome::{mark_rehomed, rehome, rehome_if_never, rehome_in_steps};
