//! keepalived's retry rule as a pure state machine: after a failure the probe
//! is retried `retry` times, `delay_before_retry` apart, before the server is
//! declared down; one success brings it back. `fall` and `rise`, when set,
//! replace those counts with consecutive failures to go down and consecutive
//! successes to come back, so a flapping server does not flap the table.
//! Under `alpha` a server starts down and must earn its place.

use std::time::Duration;

use super::rise_fall::RiseFall;
use crate::ipvs::model::Health;

/// The timing and tolerance of one checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyParams {
    /// Retries after a first failure before declaring the server down.
    pub retry: u32,
    /// Wait before each retry.
    pub delay_before_retry: Duration,
    /// Wait between checks otherwise.
    pub delay_loop: Duration,
    /// Consecutive successes to come back up (1 when absent).
    pub rise: Option<u32>,
    /// Consecutive failures to go down (`retry + 1` when absent).
    pub fall: Option<u32>,
    /// Start down instead of unknown (keepalived `alpha`).
    pub alpha: bool,
    /// The first probe waits a random time up to this (keepalived `warmup`).
    pub warmup: Duration,
}

/// What one probe result leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The new health, when it changed.
    pub changed: Option<Health>,
    /// How long to wait before the next probe.
    pub next_in: Duration,
}

/// The checker's memory between probes: keepalived's rise and fall
/// ([`RiseFall`], shared with `vrrp_script`s) with its timing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    params: PolicyParams,
    verdict: RiseFall,
}

impl Policy {
    /// A policy for a server whose health is not yet known (down under
    /// `alpha`).
    pub fn new(params: PolicyParams) -> Policy {
        let fall = params.fall.unwrap_or(params.retry.saturating_add(1));
        let start = params.alpha.then_some(false);
        Policy {
            params,
            verdict: RiseFall::new(params.rise.unwrap_or(1), fall, start),
        }
    }

    /// Current health.
    pub fn health(&self) -> Health {
        match self.verdict.verdict() {
            None => Health::Unknown,
            Some(true) => Health::Up,
            Some(false) => Health::Down,
        }
    }

    /// Take one probe result.
    pub fn observe(&mut self, success: bool) -> Verdict {
        let changed = self.verdict.observe(success);
        // A failure not yet enough to go down is retried sooner.
        let next_in = if success || self.health() == Health::Down {
            self.params.delay_loop
        } else {
            self.params.delay_before_retry
        };
        Verdict {
            changed: changed.map(|_| self.health()),
            next_in,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(retry: u32) -> PolicyParams {
        PolicyParams {
            retry,
            delay_before_retry: Duration::from_secs(1),
            delay_loop: Duration::from_secs(6),
            rise: None,
            fall: None,
            alpha: false,
            warmup: Duration::ZERO,
        }
    }

    fn policy(retry: u32) -> Policy {
        Policy::new(params(retry))
    }

    #[test]
    fn rise_and_fall_stop_a_flapping_server_from_flapping_the_table() {
        let mut p = Policy::new(PolicyParams {
            rise: Some(3),
            fall: Some(3),
            ..params(0)
        });
        p.observe(true);
        assert_eq!(p.health(), Health::Up);
        for round in 0..20 {
            assert_eq!(p.observe(round % 2 == 1).changed, None, "round {round}");
        }
        // Three failures in a row take it down; three successes bring it back.
        assert_eq!(p.observe(false).changed, None);
        assert_eq!(p.observe(false).changed, None);
        assert_eq!(p.observe(false).changed, Some(Health::Down));
        assert_eq!(p.observe(true).changed, None);
        assert_eq!(p.observe(true).changed, None);
        assert_eq!(p.observe(true).changed, Some(Health::Up));
    }

    #[test]
    fn alpha_starts_down_until_the_checks_pass() {
        let mut p = Policy::new(PolicyParams {
            alpha: true,
            rise: Some(2),
            ..params(1)
        });
        assert_eq!(p.health(), Health::Down);
        assert_eq!(p.observe(true).changed, None);
        assert_eq!(p.observe(true).changed, Some(Health::Up));
    }

    #[test]
    fn first_success_marks_up() {
        let mut p = policy(2);
        assert_eq!(
            p.observe(true),
            Verdict {
                changed: Some(Health::Up),
                next_in: Duration::from_secs(6)
            }
        );
        assert_eq!(p.observe(true).changed, None);
    }

    #[test]
    fn down_only_after_retries_are_exhausted() {
        let mut p = policy(2);
        p.observe(true);
        for _ in 0..2 {
            assert_eq!(
                p.observe(false),
                Verdict {
                    changed: None,
                    next_in: Duration::from_secs(1)
                }
            );
        }
        assert_eq!(
            p.observe(false),
            Verdict {
                changed: Some(Health::Down),
                next_in: Duration::from_secs(6)
            }
        );
        assert_eq!(p.observe(false).changed, None, "already down");
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let mut p = policy(1);
        p.observe(true);
        p.observe(false);
        p.observe(true);
        assert_eq!(p.observe(false).changed, None);
        assert_eq!(p.observe(false).changed, Some(Health::Down));
        assert_eq!(p.observe(true).changed, Some(Health::Up));
    }
}
