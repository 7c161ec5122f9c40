//! The time, as the approval workflow sees it: the system clock in
//! production, a clock set by hand in tests, so that expiry can be checked at
//! its exact boundary.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// The system clock, or (from [`Clock::manual`]) a clock that only moves when told.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Mutex<DateTime<Utc>>>>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::System"),
            Some(_) => write!(f, "Clock::Manual({})", self.now()),
        }
    }
}

impl Clock {
    /// A clock standing at `at` until [`Clock::set`] or [`Clock::advance`].
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self(Some(Arc::new(Mutex::new(at))))
    }

    /// The current time (whole seconds: stored times are, and comparisons
    /// must agree with them).
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &self.0 {
            None => Utc::now(),
            Some(at) => *at.lock().expect("the clock's lock is never poisoned"),
        };
        DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
    }

    /// Sets a manual clock (a system clock ignores it).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(clock) = &self.0 {
            *clock.lock().expect("the clock's lock is never poisoned") = at;
        }
    }

    /// Moves a manual clock on by `by`.
    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }
}
