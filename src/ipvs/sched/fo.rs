//! Weighted failover (`fo`): every connection goes to the available
//! destination with the highest weight (the first of equals in list order);
//! the others only take over when it is drained, removed or overloaded.

use super::{DestLoad, Request, Scheduler};

/// Weighted failover; it keeps no state of its own.
#[derive(Debug, Default)]
pub struct WeightedFailover;

impl Scheduler for WeightedFailover {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, dest) in dests.iter().enumerate() {
            if dest.available() && best.is_none_or(|b| dest.weight > dests[b].weight) {
                best = Some(i);
            }
        }
        best
    }
}
