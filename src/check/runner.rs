//! The loop that probes one real server and reports health changes.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::policy::{Policy, PolicyParams};
use super::tcp::probe;
use crate::ipvs::model::Health;

/// One probe's outcome, reported to the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Index of the virtual service in the configuration.
    pub service: usize,
    /// Index of the real server within it.
    pub server: usize,
    /// The probe's result: `Ok` or the failure's description.
    pub result: Result<(), String>,
    /// The new health, when this result changed it.
    pub changed: Option<Health>,
}

/// What to probe and how.
#[derive(Debug, Clone, Copy)]
pub struct CheckSpec {
    /// Index of the virtual service.
    pub service: usize,
    /// Index of the real server.
    pub server: usize,
    /// Where to connect.
    pub target: SocketAddr,
    /// How long a connect may take.
    pub connect_timeout: Duration,
    /// Retry and delay rules.
    pub policy: PolicyParams,
}

/// Probe `spec.target` until the handle is aborted, reporting each result.
pub fn spawn(spec: CheckSpec, reports: mpsc::Sender<CheckReport>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut policy = Policy::new(spec.policy);
        loop {
            let result = probe(spec.target, spec.connect_timeout).await;
            let verdict = policy.observe(result.is_ok());
            let report = CheckReport {
                service: spec.service,
                server: spec.server,
                result,
                changed: verdict.changed,
            };
            if reports.send(report).await.is_err() {
                return;
            }
            tokio::time::sleep(verdict.next_in.max(Duration::from_millis(10))).await;
        }
    })
}
