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

/// How often stale entries are looked for (the kernel's periodic check).
pub const CHECK_EVERY: Duration = Duration::from_secs(60);

/// When the periodic check for stale entries is due; not on every
/// connection.
#[derive(Debug, Default)]
pub struct ExpiryCheck {
    last: Option<Instant>,
}

impl ExpiryCheck {
    /// Whether to look for stale entries `now`; records that it did.
    pub fn due(&mut self, now: Instant) -> bool {
        let due = self
            .last
            .is_none_or(|last| now.duration_since(last) >= CHECK_EVERY);
        if due {
            self.last = Some(now);
        }
        due
    }
}

/// The remembered choices.
#[derive(Debug, Default)]
pub struct LocalityLeastConnection {
    entries: HashMap<IpAddr, (SocketAddr, Instant)>,
    expiry: ExpiryCheck,
}

impl Scheduler for LocalityLeastConnection {
    fn pick(&mut self, request: &Request, dests: &[DestLoad]) -> Option<usize> {
        if self.expiry.due(request.now) {
            self.entries
                .retain(|_, (_, used)| request.now.duration_since(*used) < EXPIRATION);
        }
        // A stale entry not yet swept counts as gone.
        let remembered = self
            .entries
            .get(&request.target)
            .filter(|(_, used)| request.now.duration_since(*used) < EXPIRATION)
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
