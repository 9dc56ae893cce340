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
    /// A retry after a failure (`delay_before_retry`), not a regular check.
    pub retrying: bool,
}

/// The least time between the end of one probe and the start of the next.
pub const MIN_GAP: Duration = Duration::from_millis(10);

/// When the next probe is due, given when this one was `due`, when it
/// `finished`, and its verdict. A regular check keeps its cadence, one
/// `delay_loop` after the last was due, so neither the probe's own time nor
/// a late wake-up accumulates into its interval. A retry, and a probe that
/// overran its interval, count from the probe's end, as keepalived counts
/// every wait (a slow server still gets its rest).
pub fn next_due<T>(due: T, finished: T, verdict: Verdict) -> T
where
    T: Copy + Ord + std::ops::Add<Duration, Output = T>,
{
    let cadence = due + verdict.next_in;
    if !verdict.retrying && cadence >= finished + MIN_GAP {
        cadence
    } else {
        finished + verdict.next_in.max(MIN_GAP)
    }
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
        let retrying = !success && self.health() != Health::Down;
        let next_in = if retrying {
            self.params.delay_before_retry
        } else {
            self.params.delay_loop
        };
        Verdict {
            changed: changed.map(|_| self.health()),
            next_in,
            retrying,
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
                next_in: Duration::from_secs(6),
                retrying: false,
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
                    next_in: Duration::from_secs(1),
                    retrying: true,
                }
            );
        }
        assert_eq!(
            p.observe(false),
            Verdict {
                changed: Some(Health::Down),
                next_in: Duration::from_secs(6),
                retrying: false,
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

    #[test]
    fn a_regular_check_keeps_its_cadence_and_a_retry_or_an_overrun_counts_from_the_end() {
        let ms = Duration::from_millis;
        let regular = Verdict {
            changed: None,
            next_in: ms(1000),
            retrying: false,
        };
        // Due at 0, woke late and finished at 40: the next is still due at 1000.
        assert_eq!(next_due(ms(0), ms(40), regular), ms(1000));
        // A probe that overran its interval gets the whole wait from its end.
        assert_eq!(next_due(ms(0), ms(1500), regular), ms(2500));
        // Ending right at the next due time still leaves the least gap.
        assert_eq!(next_due(ms(0), ms(995), regular), ms(1995));
        let retry = Verdict {
            retrying: true,
            ..regular
        };
        assert_eq!(next_due(ms(0), ms(40), retry), ms(1040));
    }
}
