//! Never queue (`nq`): the first idle destination (no active connection)
//! in list order wins at once; when none is idle, the kernel falls back to
//! shortest expected delay, `(ActiveConn + 1) / weight`.

use super::{least_loaded, DestLoad, Request, Scheduler};

/// Never queue; it keeps no state of its own.
#[derive(Debug, Default)]
pub struct NeverQueue;

impl Scheduler for NeverQueue {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        dests
            .iter()
            .position(|d| d.available() && d.active == 0)
            .or_else(|| least_loaded(dests, |d| d.active.saturating_add(1)))
    }
}
