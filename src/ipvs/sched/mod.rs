//! Schedulers: pure choices of a destination from the current loads.

mod rr;
mod wlc;
mod wrr;

use crate::config::SchedulerName;
use crate::ipvs::model::DestLoad;

pub use rr::RoundRobin;
pub use wlc::WeightedLeastConnection;
pub use wrr::WeightedRoundRobin;

/// Picks the destination for a new connection.
pub trait Scheduler: Send {
    /// The index in `dests` of the chosen destination, or `None` when no
    /// destination may take a connection (all weights 0, or none at all).
    fn pick(&mut self, dests: &[DestLoad]) -> Option<usize>;
}

/// A fresh scheduler of the named kind.
pub fn scheduler(name: SchedulerName) -> Box<dyn Scheduler> {
    match name {
        SchedulerName::Rr => Box::new(RoundRobin::default()),
        SchedulerName::Wrr => Box::new(WeightedRoundRobin::default()),
        SchedulerName::Wlc => Box::new(WeightedLeastConnection),
    }
}

#[cfg(test)]
mod tests;
