//! Power of two choices (`twos`), the kernel's rule: draw two destinations
//! at random in proportion to weight (over available destinations), and
//! take the second only when its `overhead / weight` is strictly lower.

use super::{DestLoad, Random, Request, Scheduler};

/// Two random choices; holds the random source.
#[derive(Debug)]
pub struct TwoChoices {
    random: Random,
}

impl TwoChoices {
    /// A scheduler drawing from `random`.
    pub fn new(random: Random) -> TwoChoices {
        TwoChoices { random }
    }

    /// The first available destination (in list order) at which the running
    /// sum of weights reaches `draw`.
    fn weighted(dests: &[DestLoad], draw: u64) -> Option<usize> {
        let mut remaining = draw;
        for (i, dest) in dests.iter().enumerate().filter(|(_, d)| d.available()) {
            let weight = u64::from(dest.weight);
            if remaining <= weight {
                return Some(i);
            }
            remaining -= weight;
        }
        None
    }
}

impl Scheduler for TwoChoices {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        let total: u64 = dests
            .iter()
            .filter(|d| d.available())
            .map(|d| u64::from(d.weight))
            .sum();
        if total == 0 {
            return None;
        }
        // The kernel draws from 0..=total and picks where the sum reaches it.
        let first = Self::weighted(dests, self.random.below(total + 1))?;
        let second = Self::weighted(dests, self.random.below(total + 1))?;
        let (a, b) = (&dests[first], &dests[second]);
        let second_is_lighter = u128::from(b.weight) * u128::from(a.overhead())
            > u128::from(a.weight) * u128::from(b.overhead());
        Some(if second_is_lighter { second } else { first })
    }
}
