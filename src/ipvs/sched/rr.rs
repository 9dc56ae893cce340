//! Round robin (`rr`): the kernel walks the list from the last choice and
//! takes the next destination whose weight is above 0.

use super::Scheduler;
use crate::ipvs::model::DestLoad;

/// Round robin state: the index chosen last.
#[derive(Debug, Default)]
pub struct RoundRobin {
    last: Option<usize>,
}

impl Scheduler for RoundRobin {
    fn pick(&mut self, dests: &[DestLoad]) -> Option<usize> {
        let n = dests.len();
        let start = self.last.map_or(0, |i| i + 1);
        let chosen = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| dests[i].weight > 0)?;
        self.last = Some(chosen);
        Some(chosen)
    }
}
