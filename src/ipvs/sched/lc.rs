//! Least connection (`lc`): the destination with the smallest overhead
//! (`ActiveConn * 256 + InActConn`), ignoring weight except that weight 0
//! and overloaded destinations are skipped; ties go to the first in the list.

use super::{DestLoad, Request, Scheduler};

/// Least connection; it keeps no state of its own.
#[derive(Debug, Default)]
pub struct LeastConnection;

impl Scheduler for LeastConnection {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        dests
            .iter()
            .enumerate()
            .filter(|(_, d)| d.available())
            .min_by_key(|(i, d)| (d.overhead(), *i))
            .map(|(i, _)| i)
    }
}
