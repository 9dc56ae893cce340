//! Weighted round robin (`wrr`), the kernel's algorithm: a current weight
//! `cw` starts at the maximum weight and drops by the weights' GCD each time
//! the walk wraps; a destination that is not overloaded is chosen when its
//! weight is at least `cw`. Over a full cycle each destination gets
//! connections in proportion to its weight.

use super::{DestLoad, Request, Scheduler};

/// Weighted round robin state: the walk position and the current weight.
#[derive(Debug, Default)]
pub struct WeightedRoundRobin {
    index: Option<usize>,
    current_weight: u32,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl Scheduler for WeightedRoundRobin {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        let max_weight = dests.iter().map(|d| d.weight).max().unwrap_or(0);
        if max_weight == 0 {
            return None;
        }
        let step = dests.iter().map(|d| d.weight).fold(0, gcd).max(1);
        let n = dests.len();
        self.current_weight = self.current_weight.min(max_weight);
        // Each full walk lowers cw by `step`; max_weight/step walks cover every weight.
        for _ in 0..=n * (max_weight / step) as usize {
            let next = self.index.map_or(0, |i| (i + 1) % n);
            self.index = Some(next);
            if next == 0 {
                self.current_weight = match self.current_weight.checked_sub(step) {
                    Some(w) if w > 0 => w,
                    _ => max_weight,
                };
            }
            if !dests[next].overloaded && dests[next].weight >= self.current_weight {
                return Some(next);
            }
        }
        None
    }
}
