//! The plane's clock: milliseconds since the plane started, read exactly
//! for state changes and coarsely (a shared atomic the sweeper advances) on
//! the per-read hot path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Milliseconds since `epoch`.
#[derive(Debug)]
pub struct Clock {
    epoch: Instant,
    coarse: AtomicU64,
}

impl Clock {
    /// A clock starting now.
    pub fn new() -> Clock {
        Clock {
            epoch: Instant::now(),
            coarse: AtomicU64::new(0),
        }
    }

    /// Exact milliseconds now; also advances the coarse reading.
    pub fn now_ms(&self) -> u64 {
        let ms = self.epoch.elapsed().as_millis() as u64;
        self.coarse.fetch_max(ms, Ordering::Relaxed);
        ms
    }

    /// The last reading, at most a sweep period old; cheap.
    pub fn coarse_ms(&self) -> u64 {
        self.coarse.load(Ordering::Relaxed)
    }

    /// `ms` on this clock as an `Instant`.
    pub fn instant(&self, ms: u64) -> Instant {
        self.epoch + std::time::Duration::from_millis(ms)
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}
