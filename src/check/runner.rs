//! The loop that probes one real server and reports health changes.

use std::net::SocketAddr;
use std::time::Duration;

use super::kind::{Outcome, Target};
use super::kinds::Probe;
use super::net::Endpoint;
use super::policy::{next_due, Policy, PolicyParams};
use super::reports::ReportSender;
use crate::ids::CheckerId;
use crate::ipvs::model::Health;
use crate::ipvs::sched::Random;

/// One probe's outcome, reported to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The checker it comes from.
    pub checker: CheckerId,
    /// The probe's result: `Ok` or the failure's description.
    pub result: Result<(), String>,
    /// The weight a `misc_dynamic` script asked for.
    pub weight: Option<u32>,
    /// The new health, when this result changed it.
    pub changed: Option<Health>,
    /// Journal this failure even though health did not change
    /// (`log_all_failures`).
    pub log_failure: bool,
    /// How long the probe took.
    pub took: Duration,
    /// When it finished (Unix milliseconds): the engine may take the
    /// report later, so the time travels with it.
    pub finished_unix_ms: u64,
}

/// What to probe and how.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckSpec {
    /// Which checker it is.
    pub checker: CheckerId,
    /// Where to connect (network probes).
    pub target: SocketAddr,
    /// The source address (and port, when not 0) of network probes.
    pub bind: Option<SocketAddr>,
    /// Report every failure for the journal, not only changes of health.
    pub log_all_failures: bool,
    /// How long a connect (or a whole HTTP exchange) may take.
    pub connect_timeout: Duration,
    /// The probe.
    pub probe: Probe,
    /// Retry and delay rules.
    pub policy: PolicyParams,
}

/// Probe until dropped (its task aborted), reporting each result. The
/// caller chooses where it runs: the engine gives each checker a check
/// thread of its own.
pub async fn probe_loop(spec: CheckSpec, reports: ReportSender) {
    let mut policy = Policy::new(spec.policy);
    let warmup = spec.policy.warmup.as_millis() as u64;
    if warmup > 0 {
        let delay = Random::from_entropy().below(warmup + 1);
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let mut due = tokio::time::Instant::now();
    loop {
        // Boxed: the probe's state (buffers included) exists only while
        // it runs, so ten thousand idle checkers stay small.
        let started = std::time::Instant::now();
        let target = Target {
            endpoint: Endpoint {
                target: spec.target,
                bind: spec.bind,
            },
            timeout: spec.connect_timeout,
        };
        let Outcome {
            health: result,
            weight,
        } = Box::pin(spec.probe.run(target)).await;
        let took = started.elapsed();
        let verdict = policy.observe(result.is_ok());
        let report = CheckReport {
            checker: spec.checker,
            log_failure: spec.log_all_failures && result.is_err(),
            took,
            finished_unix_ms: crate::engine::clock::unix_ms(),
            result,
            weight,
            changed: verdict.changed,
        };
        if !reports.send(report) {
            return;
        }
        due = next_due(due, tokio::time::Instant::now(), verdict);
        tokio::time::sleep_until(due).await;
    }
}
