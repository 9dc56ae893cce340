//! Weighted least connection (`wlc`, the IPVS default): the kernel scores a
//! destination's overhead as `ActiveConn * 256 + InActConn` and picks the
//! lowest overhead per unit of weight, skipping weight 0; ties go to the
//! first in the list.

use super::Scheduler;
use crate::ipvs::model::DestLoad;

/// Weighted least connection; it keeps no state of its own.
#[derive(Debug, Default)]
pub struct WeightedLeastConnection;

fn overhead(dest: &DestLoad) -> u128 {
    u128::from(dest.active) * 256 + u128::from(dest.inactive)
}

impl Scheduler for WeightedLeastConnection {
    fn pick(&mut self, dests: &[DestLoad]) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, dest) in dests.iter().enumerate() {
            if dest.weight == 0 {
                continue;
            }
            let better = match best {
                None => true,
                // overhead(i)/weight(i) < overhead(b)/weight(b), without division.
                Some(b) => {
                    overhead(dest) * u128::from(dests[b].weight)
                        < overhead(&dests[b]) * u128::from(dest.weight)
                }
            };
            if better {
                best = Some(i);
            }
        }
        best
    }
}
