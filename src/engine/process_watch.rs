//! Watching processes for `vrrp_track_process`: which processes match is
//! read from `/proc` once, then kept up to date from the kernel's process
//! events (fork, exec, name change, exit) when the connector is available,
//! with a full re-read every `RESCAN`; without it, `/proc` is re-read every
//! `POLL`. The verdict (quorum met, or not under `reverse`) is reported
//! when it changes and has held for `fork_delay` / `terminate_delay`.

use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::tracking::TrackEvent;
use crate::config::VrrpTrackProcess;
use crate::netlink::proc_events::{ProcEvent, ProcEvents};

/// How often `/proc` is read without process events.
const POLL: Duration = Duration::from_millis(500);
/// How often `/proc` is read anyway with them, in case some were missed.
const RESCAN: Duration = Duration::from_secs(30);

/// Whether process `pid` runs and matches `tracked` (zombies do not run).
fn matches(tracked: &VrrpTrackProcess, pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "PID (COMM) STATE …": the name may itself hold spaces and ')'.
    let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
        return false;
    };
    let comm = &stat[open + 1..close];
    let state = stat[close + 1..].trim_start().chars().next();
    if matches!(state, Some('Z' | 'X' | 'x')) {
        return false;
    }
    let argv: Vec<String> = if tracked.needs_cmdline() {
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            return false;
        };
        cmdline
            .split(|b| *b == 0)
            .filter(|word| !word.is_empty())
            .map(|word| String::from_utf8_lossy(word).into_owned())
            .collect()
    } else {
        Vec::new()
    };
    tracked.matches(comm, &argv)
}

/// Every running process that matches `tracked`.
fn scan(tracked: &VrrpTrackProcess) -> HashSet<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return HashSet::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| matches(tracked, *pid))
        .collect()
}

/// Bring `running` up to date with one event.
fn apply(tracked: &VrrpTrackProcess, running: &mut HashSet<u32>, event: ProcEvent) {
    match event {
        ProcEvent::Started(pid) | ProcEvent::Changed(pid) => {
            if matches(tracked, pid) {
                running.insert(pid);
            } else {
                running.remove(&pid);
            }
        }
        ProcEvent::Ended(pid) => {
            running.remove(&pid);
        }
        ProcEvent::Lost => *running = scan(tracked),
    }
}

/// The verdict as reported, and a change waiting for its delay.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    reported: Option<bool>,
    pending: Option<(bool, Instant)>,
}

impl Verdict {
    /// Nothing reported yet.
    pub fn new() -> Verdict {
        Verdict {
            reported: None,
            pending: None,
        }
    }

    /// Take the count of matching processes at `now`; returns the verdict
    /// to report now, if any. The first is reported at once; later changes
    /// wait for `fork_delay` (quorum gained) or `terminate_delay` (lost)
    /// and are dropped if the count bounces back meanwhile.
    pub fn observe(
        &mut self,
        tracked: &VrrpTrackProcess,
        count: u32,
        now: Instant,
    ) -> Option<bool> {
        let quorum = tracked.quorum_met(count);
        let ok = quorum != tracked.reverse;
        if self.reported.is_none() || self.reported == Some(ok) {
            self.pending = None;
            return (self.reported.replace(ok) != Some(ok)).then_some(ok);
        }
        let delay = if quorum {
            tracked.fork_delay
        } else {
            tracked.terminate_delay
        }
        .map_or(Duration::ZERO, |d| d.0);
        let due = match self.pending {
            Some((pending, due)) if pending == ok => due,
            _ => now + delay,
        };
        if now >= due {
            self.pending = None;
            self.reported = Some(ok);
            return Some(ok);
        }
        self.pending = Some((ok, due));
        None
    }

    /// When a waiting change falls due.
    pub fn due(&self) -> Option<Instant> {
        self.pending.map(|(_, due)| due)
    }
}

/// Report `tracked`'s verdict at start and whenever it changes.
pub async fn watch(tracked: VrrpTrackProcess, events: mpsc::Sender<TrackEvent>) {
    let subscription = ProcEvents::subscribe()
        .map_err(|e| {
            crate::log::warn(
                None,
                &format!(
                    "vrrp_track_process {}: no process events ({e}); reading /proc every {POLL:?}",
                    tracked.name
                ),
            )
        })
        .ok();
    let mut running = scan(&tracked);
    let mut verdict = Verdict::new();
    let mut rescan_at = Instant::now() + RESCAN;
    loop {
        let now = Instant::now();
        if let Some(ok) = verdict.observe(&tracked, running.len() as u32, now) {
            let event = TrackEvent::Process {
                name: tracked.name.clone(),
                ok,
            };
            if events.send(event).await.is_err() {
                return;
            }
        }
        let wake = verdict.due().unwrap_or(now + RESCAN).min(rescan_at);
        match &subscription {
            Some(process_events) => {
                tokio::select! {
                    received = process_events.next() => match received {
                        Ok(batch) => {
                            for event in batch {
                                apply(&tracked, &mut running, event);
                            }
                        }
                        Err(e) => {
                            crate::log::warn(None, &format!("process events failed: {e}"));
                            tokio::time::sleep(POLL).await;
                            running = scan(&tracked);
                        }
                    },
                    () = tokio::time::sleep_until(wake) => {
                        if Instant::now() >= rescan_at {
                            running = scan(&tracked);
                            rescan_at = Instant::now() + RESCAN;
                        }
                    }
                }
            }
            None => {
                tokio::time::sleep_until(wake.min(now + POLL)).await;
                running = scan(&tracked);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::Seconds;

    fn tracked(reverse: bool) -> VrrpTrackProcess {
        VrrpTrackProcess {
            reverse,
            fork_delay: Some(Seconds::from_secs(2)),
            terminate_delay: Some(Seconds::from_secs(1)),
            ..VrrpTrackProcess::new("t", "nosuchprocess")
        }
    }

    #[test]
    fn changes_wait_for_their_delay_and_bounces_are_dropped() {
        let t = tracked(false);
        let mut v = Verdict::new();
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        assert_eq!(v.observe(&t, 0, at(0)), Some(false), "the first at once");
        assert_eq!(v.observe(&t, 0, at(10)), None, "no change");
        assert_eq!(v.observe(&t, 1, at(100)), None, "gained: waits fork_delay");
        assert_eq!(v.due(), Some(at(2100)));
        assert_eq!(v.observe(&t, 0, at(200)), None, "bounced back");
        assert_eq!(v.due(), None);
        assert_eq!(v.observe(&t, 1, at(300)), None);
        assert_eq!(v.observe(&t, 1, at(2300)), Some(true));
        assert_eq!(
            v.observe(&t, 0, at(2400)),
            None,
            "lost: waits terminate_delay"
        );
        assert_eq!(v.observe(&t, 0, at(3400)), Some(false));
    }

    #[test]
    fn reverse_turns_the_verdict_over() {
        let mut t = tracked(true);
        t.fork_delay = None;
        t.terminate_delay = None;
        let mut v = Verdict::new();
        let now = Instant::now();
        assert_eq!(v.observe(&t, 0, now), Some(true), "not running is ok");
        assert_eq!(v.observe(&t, 2, now), Some(false));
    }

    #[test]
    fn this_test_process_is_found_by_name_and_zombies_are_not() {
        let own = std::process::id();
        let comm = std::fs::read_to_string("/proc/self/comm").unwrap();
        let mut t = tracked(false);
        t.process = comm.trim().into();
        assert!(matches(&t, own));
        assert!(scan(&t).contains(&own));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Until it is waited for, the child that exited is a zombie.
        t.process = "true".into();
        let zombie = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(5));
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z"))
        });
        assert!(zombie, "the child never became a zombie");
        assert!(!matches(&t, pid));
        child.wait().unwrap();
    }
}
