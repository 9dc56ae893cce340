//! keepalived's retry rule as a pure state machine: after a failure the probe
//! is retried `retry` times, `delay_before_retry` apart, before the server is
//! declared down; one success brings it back.

use std::time::Duration;

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
}

/// What one probe result leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The new health, when it changed.
    pub changed: Option<Health>,
    /// How long to wait before the next probe.
    pub next_in: Duration,
}

/// The checker's memory between probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    params: PolicyParams,
    health: Health,
    failures: u32,
}

impl Policy {
    /// A policy for a server whose health is not yet known.
    pub fn new(params: PolicyParams) -> Policy {
        Policy {
            params,
            health: Health::Unknown,
            failures: 0,
        }
    }

    /// Current health.
    pub fn health(&self) -> Health {
        self.health
    }

    /// Take one probe result.
    pub fn observe(&mut self, success: bool) -> Verdict {
        let before = self.health;
        let next_in = if success {
            self.failures = 0;
            self.health = Health::Up;
            self.params.delay_loop
        } else {
            self.failures += 1;
            if self.failures > self.params.retry {
                self.health = Health::Down;
                self.params.delay_loop
            } else {
                self.params.delay_before_retry
            }
        };
        Verdict {
            changed: (self.health != before).then_some(self.health),
            next_in,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(retry: u32) -> Policy {
        Policy::new(PolicyParams {
            retry,
            delay_before_retry: Duration::from_secs(1),
            delay_loop: Duration::from_secs(6),
        })
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
