//! The risk service's full recompute: every credential and agent scored by
//! the model ([`crate::risk`]) as of a time, what changed stored, owner
//! coverage re-homed, and the run audited. The daily schedule, `muster risk
//! recompute`, the demo and the benchmarks call it; a change's own
//! rescoring, inside its transaction, is [`crate::db::risk::refresh`].

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::audit::{self, Actor, Entry};
use crate::db::risk::Scores;
use crate::db::sql::timestamp;
use crate::db::{Db, coverage, risk as scores};
use crate::risk;

/// What a full recompute did, and how long each part took.
pub struct Recomputed {
    /// The scores.
    pub scores: Scores,
    /// Rows whose score, factors or blast radius changed, and were written.
    pub written: usize,
    /// Comparing with the stored scores, and writing those that changed.
    pub store: Duration,
}

/// Scores everything as of `now` and stores what changed, then re-homes
/// what counts against another team now, both in steps; then, in one last
/// transaction, the model version, the time scored as of and the audit
/// entry (`risk.recompute` by `actor`). A reader may see some rows rescored
/// before others meanwhile, each score whole.
pub async fn recompute(db: &Db, now: DateTime<Utc>, actor: &str) -> Result<Recomputed, sqlx::Error> {
    let all = scores::score_all(db, now).await?;
    let started = Instant::now();
    let stepped = async {
        let written = scores::store_in_steps(db, &all, now).await?;
        // Scores and coverage teams both derive from the whole inventory.
        let rehomed = coverage::rehome_in_steps(db).await?;
        Ok::<_, sqlx::Error>((written, rehomed))
    }
    .await;
    let (written, rehomed) = match stepped {
        Ok(done) => done,
        Err(error) => {
            // Some steps may have written: what is kept is counted again.
            if let Err(marking) = scores::scores_changed(db).await {
                tracing::warn!(error = ?marking, "cannot mark the scores changed");
            }
            return Err(error);
        }
    };
    let mut tx = db.begin().await?;
    scores::mark_computed(&mut tx, now).await?;
    coverage::mark_rehomed(&mut tx).await?;
    let entry = Entry::new(Actor::System(actor.to_owned()), "risk.recompute").details(serde_json::json!({
        "risk_model_version": risk::MODEL_VERSION,
        "as_of": timestamp(now),
        "credentials": all.credentials(),
        "agents": all.agents(),
        "changed": written,
        "rehomed": rehomed,
    }));
    audit::append(&mut tx, &entry, Utc::now()).await?;
    tx.commit().await?;
    Ok(Recomputed {
        written,
        scores: all,
        store: started.elapsed(),
    })
}
