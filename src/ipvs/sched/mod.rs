//! Schedulers: pure choices of a destination from the current destination
//! set, one file per IPVS scheduler, each stating the kernel's rule.
//!
//! A scheduler sees the destinations in table order (as the kernel walks
//! `svc->destinations`) with their weights, connection counts and overload
//! flags, and the request it places: the client's address and port and the
//! address the client asked for (the packet's destination). Schedulers that
//! keep tables (sh, dh, mh, lblc, lblcr) rebuild them when the destination
//! set changes, as the kernel does on `add_dest`/`del_dest`/`upd_dest`.

mod dh;
mod fo;
mod hash;
mod lblc;
mod lblcr;
mod lc;
mod mh;
mod nq;
mod ovf;
mod random;
mod rr;
mod sed;
mod sh;
mod twos;
mod wlc;
mod wrr;

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use crate::config::SchedulerName;

pub use random::Random;

/// What a scheduler knows about one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DestLoad {
    /// The destination's address and port.
    pub address: SocketAddr,
    /// Current weight; 0 means no new connections.
    pub weight: u32,
    /// The last weight above 0 (the kernel's `last_weight`); mh builds its
    /// table from it so that draining a server does not reshuffle the rest.
    pub last_weight: u32,
    /// Established connections (ipvsadm ActiveConn).
    pub active: u64,
    /// Other connections (ipvsadm InActConn).
    pub inactive: u64,
    /// Over its upper connection threshold (`IP_VS_DEST_F_OVERLOAD`).
    pub overloaded: bool,
}

impl DestLoad {
    /// A destination with `weight` and no connections.
    pub fn new(address: SocketAddr, weight: u32) -> DestLoad {
        DestLoad {
            address,
            weight,
            last_weight: weight,
            active: 0,
            inactive: 0,
            overloaded: false,
        }
    }

    /// The kernel's `ip_vs_dest_conn_overhead`: an active connection costs
    /// 256 times an inactive one.
    pub fn overhead(&self) -> u64 {
        self.active
            .saturating_mul(256)
            .saturating_add(self.inactive)
    }

    /// May take a new connection: weight above 0 and not overloaded.
    pub fn available(&self) -> bool {
        self.weight > 0 && !self.overloaded
    }
}

/// The connection being placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    /// The client's address and port.
    pub client: SocketAddr,
    /// The address the client connected to (the packet's destination).
    pub target: IpAddr,
    /// Now, for schedulers whose tables expire.
    pub now: Instant,
}

/// Scheduler flags (`ipvsadm -b`, keepalived `sh-port`/`mh-fallback`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SchedFlags {
    /// flag-1: sh-fallback / mh-fallback: when the hashed server is
    /// unavailable, try the next bucket instead of refusing.
    pub fallback: bool,
    /// flag-2: sh-port / mh-port: hash the client's port too.
    pub port: bool,
}

/// Picks the destination for a new connection.
pub trait Scheduler: Send {
    /// The index in `dests` of the chosen destination, or `None` when the
    /// scheduler's rule finds no destination that may take it; the caller
    /// then refuses the connection.
    fn pick(&mut self, request: &Request, dests: &[DestLoad]) -> Option<usize>;
}

/// A fresh scheduler of the named kind.
pub fn scheduler(name: SchedulerName, flags: SchedFlags) -> Box<dyn Scheduler> {
    match name {
        SchedulerName::Rr => Box::new(rr::RoundRobin::default()),
        SchedulerName::Wrr => Box::new(wrr::WeightedRoundRobin::default()),
        SchedulerName::Lc => Box::new(lc::LeastConnection),
        SchedulerName::Wlc => Box::new(wlc::WeightedLeastConnection),
        SchedulerName::Sed => Box::new(sed::ShortestExpectedDelay),
        SchedulerName::Nq => Box::new(nq::NeverQueue),
        SchedulerName::Fo => Box::new(fo::WeightedFailover),
        SchedulerName::Ovf => Box::new(ovf::WeightedOverflow),
        SchedulerName::Lblc => Box::new(lblc::LocalityLeastConnection::default()),
        SchedulerName::Lblcr => Box::new(lblcr::LocalityWithReplication::default()),
        SchedulerName::Dh => Box::new(dh::DestinationHashing::default()),
        SchedulerName::Sh => Box::new(sh::SourceHashing::new(flags)),
        SchedulerName::Mh => Box::new(mh::MaglevHashing::new(flags)),
        SchedulerName::Twos => Box::new(twos::TwoChoices::new(Random::from_entropy())),
    }
}

/// Whether `members` still describes `dests` as `key` sees each one. The
/// hashing schedulers rebuild their tables only when it does not, and this
/// check allocates nothing on the per-connection path.
fn unchanged<K, F>(members: &[K], dests: &[DestLoad], key: F) -> bool
where
    K: PartialEq,
    F: Fn(&DestLoad) -> K,
{
    members.len() == dests.len() && members.iter().zip(dests).all(|(m, d)| *m == key(d))
}

/// The available destination with the least `overhead / weight`, first in
/// table order on ties; the comparison the kernel makes without division.
fn least_loaded<F>(dests: &[DestLoad], overhead: F) -> Option<usize>
where
    F: Fn(&DestLoad) -> u64,
{
    let mut best: Option<usize> = None;
    for (i, dest) in dests.iter().enumerate() {
        if !dest.available() {
            continue;
        }
        let better = match best {
            None => true,
            Some(b) => {
                u128::from(overhead(&dests[b])) * u128::from(dest.weight)
                    > u128::from(overhead(dest)) * u128::from(dests[b].weight)
            }
        };
        if better {
            best = Some(i);
        }
    }
    best
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod properties;
