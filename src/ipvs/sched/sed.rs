//! Shortest expected delay (`sed`): the kernel expects a new connection to
//! wait `(ActiveConn + 1) / weight` and picks the smallest, skipping weight 0
//! and overloaded destinations; inactive connections do not count.

use super::{least_loaded, DestLoad, Request, Scheduler};

/// Shortest expected delay; it keeps no state of its own.
#[derive(Debug, Default)]
pub struct ShortestExpectedDelay;

impl Scheduler for ShortestExpectedDelay {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        least_loaded(dests, |d| d.active.saturating_add(1))
    }
}
