//! Where checkers leave their reports for the engine.
//!
//! Most reports change nothing but counters (one more passing check, its
//! time, its duration), and nobody sees those before the next snapshot. At
//! ten thousand checks a second, waking the engine for each one cost more
//! than the checks (a context switch per report). So every report joins one
//! ordered queue, and only a report that matters at once wakes the engine:
//! a change of health, a `misc_dynamic` weight, a failure to journal, or a
//! queue grown long. The engine takes the rest when it publishes, or before
//! it answers a command, so a snapshot is never older than its counters.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::runner::CheckReport;

/// A queue this long wakes the engine even with nothing urgent in it, so
/// that it stays bounded whatever the rate of checks.
const WAKE_AT: usize = 4096;

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Vec<CheckReport>>,
    wake: Notify,
    closed: AtomicBool,
}

/// The checkers' end: cheap to clone, one per checker.
#[derive(Debug, Clone)]
pub struct ReportSender(Arc<Shared>);

/// The engine's end. Dropping it tells the checkers to stop.
#[derive(Debug)]
pub struct ReportReceiver(Arc<Shared>);

/// A new queue's two ends.
pub fn queue() -> (ReportSender, ReportReceiver) {
    let shared = Arc::new(Shared::default());
    (ReportSender(shared.clone()), ReportReceiver(shared))
}

impl CheckReport {
    /// Whether the engine must see this report at once: it changes health
    /// or weight, or is a failure to journal.
    pub fn is_urgent(&self) -> bool {
        self.changed.is_some() || self.weight.is_some() || self.log_failure
    }
}

impl ReportSender {
    /// Queue a report; false once the engine has gone.
    pub fn send(&self, report: CheckReport) -> bool {
        if self.0.closed.load(Ordering::Relaxed) {
            return false;
        }
        let urgent = report.is_urgent();
        let queued = {
            let mut queue = self.0.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.push(report);
            queue.len()
        };
        if urgent || queued == WAKE_AT {
            self.0.wake.notify_one();
        }
        true
    }
}

impl ReportReceiver {
    /// Wait until a report needs the engine now.
    pub async fn urgent(&self) {
        self.0.wake.notified().await;
    }

    /// Every queued report, oldest first. `spare` (emptied) becomes the
    /// new queue, so that a steady flow reuses two buffers.
    pub fn take(&self, spare: &mut Vec<CheckReport>) {
        spare.clear();
        let mut queue = self.0.queue.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::swap(&mut *queue, spare);
    }
}

impl Drop for ReportReceiver {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ipvs::model::Health;

    fn report(slot: usize, changed: Option<Health>) -> CheckReport {
        CheckReport {
            checker: crate::ids::CheckerId {
                server: crate::ids::ServerId::fresh(),
                run: crate::ids::CheckerRun::fresh(),
                slot,
            },
            result: Ok(()),
            weight: None,
            changed,
            log_failure: false,
            took: Duration::ZERO,
            finished_unix_ms: 0,
        }
    }

    #[tokio::test]
    async fn only_urgent_reports_wake_and_the_queue_keeps_order() {
        let (sender, receiver) = queue();
        assert!(sender.send(report(0, None)));
        assert!(sender.send(report(1, None)));
        let woken = tokio::time::timeout(Duration::from_millis(50), receiver.urgent()).await;
        assert!(woken.is_err(), "a routine report woke the engine");
        assert!(sender.send(report(2, Some(Health::Down))));
        tokio::time::timeout(Duration::from_secs(5), receiver.urgent())
            .await
            .expect("a change of health wakes the engine");
        let mut taken = Vec::new();
        receiver.take(&mut taken);
        let order: Vec<usize> = taken.iter().map(|r| r.checker.slot).collect();
        assert_eq!(order, [0, 1, 2]);
        receiver.take(&mut taken);
        assert!(taken.is_empty());
    }

    #[tokio::test]
    async fn a_long_queue_wakes_the_engine_and_a_gone_engine_stops_checkers() {
        let (sender, receiver) = queue();
        for _ in 0..WAKE_AT {
            sender.send(report(0, None));
        }
        tokio::time::timeout(Duration::from_secs(5), receiver.urgent())
            .await
            .expect("a long queue wakes the engine");
        drop(receiver);
        assert!(!sender.send(report(0, None)));
    }
}
