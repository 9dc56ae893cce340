//! Locality-based least connection (`lblc`): the kernel remembers, per
//! destination address the clients ask for, the server it last chose, and
//! keeps sending that address there. It chooses afresh (by weighted least
//! connection) when there is no entry, when the remembered server is gone,
//! drained or overloaded, or when it is "locally overloaded": more active
//! connections than its weight while some server has fewer than half its
//! weight. Entries unused for 24 hours (`lblc_expiration`) are forgotten.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::{least_loaded, DestLoad, Request, Scheduler};

/// How long an unused entry is remembered (the kernel's default).
pub const EXPIRATION: Duration = Duration::from_secs(24 * 60 * 60);

/// The kernel's `is_overloaded` for lblc and lblcr.
pub fn locally_overloaded(dest: &DestLoad, dests: &[DestLoad]) -> bool {
    dest.active > u64::from(dest.weight)
        && dests
            .iter()
            .any(|d| d.active.saturating_mul(2) < u64::from(d.weight))
}

/// The remembered choices.
#[derive(Debug, Default)]
pub struct LocalityLeastConnection {
    entries: HashMap<IpAddr, (SocketAddr, Instant)>,
}

impl Scheduler for LocalityLeastConnection {
    fn pick(&mut self, request: &Request, dests: &[DestLoad]) -> Option<usize> {
        self.entries
            .retain(|_, (_, used)| request.now.duration_since(*used) < EXPIRATION);
        let remembered = self
            .entries
            .get(&request.target)
            .and_then(|(address, _)| dests.iter().position(|d| d.address == *address))
            .filter(|&i| dests[i].available() && !locally_overloaded(&dests[i], dests));
        let chosen = match remembered {
            Some(i) => i,
            None => least_loaded(dests, DestLoad::overhead)?,
        };
        self.entries
            .insert(request.target, (dests[chosen].address, request.now));
        Some(chosen)
    }
}
