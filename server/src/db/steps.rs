//! Long work in steps ([`Db::in_steps`]), each in a transaction of its own
//! sized by a [`Pace`] to last about [`STEP`].

use super::{Db, STEP};

impl Db {
    /// Works through `items` in steps, each in a transaction of its own that
    /// lasts about [`STEP`] (sized by `pace`), letting the writers waiting
    /// go between two ([`Db::between_steps`]): long work (rescoring what
    /// an import touched, a full recompute's writes) never holds the
    /// database for long. Answers the sum of what the steps answer (rows
    /// written).
    pub(crate) async fn in_steps<T: Sync>(
        &self,
        items: &[T],
        mut pace: Pace,
        mut step: impl for<'c> FnMut(
            &'c mut sqlx::AnyConnection,
            &'c [T],
        ) -> futures::future::BoxFuture<'c, Result<u64, sqlx::Error>>,
    ) -> Result<u64, sqlx::Error> {
        let (mut rest, mut total) = (items, 0);
        while !rest.is_empty() {
            let (these, after) = rest.split_at(pace.size().min(rest.len()));
            rest = after;
            let mut tx = self.begin().await?;
            let started = std::time::Instant::now();
            total += step(&mut tx, these).await?;
            tx.commit().await?;
            pace.took(started.elapsed());
            self.between_steps().await;
        }
        Ok(total)
    }
}

/// The records a step takes, sized so that a step lasts about [`STEP`] on
/// this machine and database: doubled after a quick step, halved after a
/// slow one, between `min` and `max`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    size: usize,
    min: usize,
    max: usize,
}

impl Pace {
    pub(crate) fn new(size: usize, min: usize, max: usize) -> Self {
        Self { size, min, max }
    }

    /// Records the next step takes.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Learns from a step that took `took`.
    pub(crate) fn took(&mut self, took: std::time::Duration) {
        if took > STEP + STEP / 2 {
            self.size = (self.size / 2).max(self.min);
        } else if took < STEP / 2 {
            self.size = (self.size * 2).min(self.max);
        }
    }
}
