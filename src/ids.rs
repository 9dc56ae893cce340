//! Stable typed identities for what the engine runs: real servers and the
//! checkers of a real server. A position in a list changes when something
//! before it goes; an identity does not, so a check report still queued
//! when its server was removed (by a reload or an operator) can never be
//! taken for another server's. A virtual service's identity is its key
//! (address and protocol: `ServiceKey` in `engine::reload`), the same for
//! the engine and the file.

use std::sync::atomic::{AtomicU64, Ordering};

/// One process-wide source: identities are never reused while director runs.
fn next() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    LAST.fetch_add(1, Ordering::Relaxed) + 1
}

/// A real server of a service, from the moment the engine takes it (from
/// the configuration or an operator) until it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(u64);

/// Which start of a real server's checkers: every start (and stop) is a new
/// one, so a report still queued from checkers stopped since (a reload
/// changed them, the server's checks were suspended) is recognised as stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckerRun(u64);

impl ServerId {
    /// A new identity.
    pub fn fresh() -> ServerId {
        ServerId(next())
    }
}

impl CheckerRun {
    /// A new run.
    pub fn fresh() -> CheckerRun {
        CheckerRun(next())
    }
}

/// One checker: the server it checks, the run of that server's checkers it
/// belongs to, and its place among them (the order
/// `RealServer::checkers` walks them, fixed for the run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CheckerId {
    /// The real server.
    pub server: ServerId,
    /// The start of its checkers.
    pub run: CheckerRun,
    /// Its place among them.
    pub slot: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_never_reused() {
        let servers: std::collections::HashSet<ServerId> =
            (0..1000).map(|_| ServerId::fresh()).collect();
        assert_eq!(servers.len(), 1000);
        assert_ne!(CheckerRun::fresh(), CheckerRun::fresh());
    }
}
