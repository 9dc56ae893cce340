//! Round robin (`rr`): the kernel walks the list from the last choice and
//! takes the next destination that is not overloaded and has a weight above 0.

use super::{DestLoad, Request, Scheduler};

/// Round robin state: the index chosen last.
#[derive(Debug, Default)]
pub struct RoundRobin {
    last: Option<usize>,
}

impl Scheduler for RoundRobin {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        let n = dests.len();
        let start = self.last.map_or(0, |i| i + 1);
        let chosen = (0..n)
            .map(|k| (start + k) % n)
            .find(|&i| dests[i].available())?;
        self.last = Some(chosen);
        Some(chosen)
    }
}
