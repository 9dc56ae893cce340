//! Weighted overflow (`ovf`): the available destination with the highest
//! weight whose active connections are still below its weight; when it is
//! full, the next highest takes the overflow. The weight acts as a
//! connection limit.

use super::{DestLoad, Request, Scheduler};

/// Weighted overflow; it keeps no state of its own.
#[derive(Debug, Default)]
pub struct WeightedOverflow;

impl Scheduler for WeightedOverflow {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, dest) in dests.iter().enumerate() {
            let has_room = dest.active < u64::from(dest.weight);
            if dest.available() && has_room && best.is_none_or(|b| dest.weight > dests[b].weight) {
                best = Some(i);
            }
        }
        best
    }
}
