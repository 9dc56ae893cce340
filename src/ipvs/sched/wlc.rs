//! Weighted least connection (`wlc`, the IPVS default): the kernel scores a
//! destination's overhead as `ActiveConn * 256 + InActConn` and picks the
//! lowest overhead per unit of weight, skipping weight 0 and overloaded
//! destinations; ties go to the first in the list.

use super::{least_loaded, DestLoad, Request, Scheduler};

/// Weighted least connection; it keeps no state of its own.
#[derive(Debug, Default)]
pub struct WeightedLeastConnection;

impl Scheduler for WeightedLeastConnection {
    fn pick(&mut self, _request: &Request, dests: &[DestLoad]) -> Option<usize> {
        least_loaded(dests, DestLoad::overhead)
    }
}
