//! Notifications of VRRP state changes, as keepalived makes them: scripts
//! (`notify_master` … and `notify`, called with `INSTANCE|GROUP name state
//! priority`) and a FIFO line per change. Scripts run in their own tasks
//! with a timeout, so they never block the engine.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use tokio::sync::watch;

use crate::config::{VrrpInstance, VrrpSyncGroup};
use crate::script;
use crate::vrrp::instance::State;

/// Where notifications go.
#[derive(Debug)]
pub struct Notifier {
    /// Lines for the FIFO, written in order by one writer thread.
    fifo: Option<mpsc::Sender<String>>,
    /// That writer, joined when director stops so no line is lost.
    writer: Option<std::thread::JoinHandle<()>>,
    /// Notification and real-server scripts still running.
    in_flight: InFlight,
    /// keepalived's `script_timeout`.
    timeout: Duration,
}

impl Notifier {
    /// Notify through scripts with `timeout`, and through `fifo` when given.
    pub fn new(fifo: Option<PathBuf>, timeout: Duration) -> Notifier {
        Notifier::with_in_flight(fifo, timeout, InFlight::default())
    }

    /// The same notifier with a new FIFO and script timeout (a reload):
    /// scripts already running are still waited for at exit.
    pub fn reconfigured(&self, fifo: Option<PathBuf>, timeout: Duration) -> Notifier {
        Notifier::with_in_flight(fifo, timeout, self.in_flight.clone())
    }

    fn with_in_flight(fifo: Option<PathBuf>, timeout: Duration, in_flight: InFlight) -> Notifier {
        let (fifo, writer) = match fifo {
            Some(path) => {
                let (lines, incoming) = mpsc::channel::<String>();
                // One writer keeps the lines in the order the changes
                // happened; it ends when the notifier is dropped.
                let writer = std::thread::spawn(move || {
                    for line in incoming {
                        write_line(&path, &line);
                    }
                });
                (Some(lines), Some(writer))
            }
            None => (None, None),
        };
        Notifier {
            fifo,
            writer,
            in_flight,
            timeout,
        }
    }

    /// Let the last notifications land before director exits, as
    /// keepalived's STOP does: wait for running scripts (each
    /// bounded by the script timeout) and for the FIFO writer to write every
    /// queued line.
    pub async fn finish(&mut self) {
        let grace = self.timeout + Duration::from_secs(1);
        let _ = tokio::time::timeout(grace, self.in_flight.until_idle()).await;
        drop(self.fifo.take());
        if let Some(writer) = self.writer.take() {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
    }
}

/// A count of scripts still running, shared across reloads.
#[derive(Debug, Clone)]
struct InFlight(Arc<watch::Sender<usize>>);

impl Default for InFlight {
    fn default() -> InFlight {
        InFlight(Arc::new(watch::Sender::new(0)))
    }
}

impl InFlight {
    /// Count one more script until the returned guard drops, however its
    /// task ends.
    fn start(&self) -> Running {
        self.0.send_modify(|n| *n += 1);
        Running(self.0.clone())
    }

    /// Wait until no script is running.
    async fn until_idle(&self) {
        let mut count = self.0.subscribe();
        let _ = count.wait_for(|n| *n == 0).await;
    }
}

/// One running script, counted until dropped.
struct Running(Arc<watch::Sender<usize>>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// Append `line` to the FIFO. Non-blocking: with no reader the open fails
/// and the line is dropped, as keepalived drops it.
fn write_line(path: &Path, line: &str) {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path);
    if let Ok(mut file) = file {
        let _ = file.write_all(line.as_bytes());
    }
}

/// The state word keepalived uses in notifications; STOP for a shutdown.
pub fn state_word(state: State) -> &'static str {
    match state {
        State::Init => "STOP",
        other => other.name(),
    }
}

/// keepalived's FIFO line: `INSTANCE "VI_1" MASTER 150`.
pub fn fifo_line(kind: &str, name: &str, state: State, priority: u8) -> String {
    format!("{kind} \"{name}\" {} {priority}\n", state_word(state))
}

impl Notifier {
    /// Run `line` (a real server's notify_up/down, a quorum script) in its
    /// own task, with the script timeout.
    pub fn script(&self, line: String) {
        self.spawn(line, Vec::new(), "script");
    }

    /// Run `line` with `args` in its own task, with the script timeout,
    /// counted until it ends so that director waits for it at exit.
    /// `what` names it when it fails.
    fn spawn(&self, line: String, args: Vec<String>, what: &'static str) {
        let (timeout, running) = (self.timeout, self.in_flight.start());
        tokio::spawn(async move {
            let _running = running;
            let outcome = script::run(&line, &args, timeout).await;
            if !outcome.success() {
                crate::log::emit(Some("script"), &format!("{what} {line:?}: {outcome}"));
            }
        });
    }

    /// Run `line` and wait for it (at most the script timeout): for scripts
    /// that must finish before director exits.
    pub async fn script_now(&self, line: &str) {
        let outcome = script::run(line, &[], self.timeout).await;
        if !outcome.success() {
            crate::log::emit(Some("script"), &format!("{line}: {outcome}"));
        }
    }

    /// An instance entered `state`.
    pub fn instance(&self, config: &VrrpInstance, state: State, priority: u8) {
        let specific = match state {
            State::Master => &config.notify_master,
            State::Backup => &config.notify_backup,
            State::Fault => &config.notify_fault,
            State::Init => &config.notify_stop,
        };
        self.emit(
            "INSTANCE",
            &config.name,
            state,
            priority,
            [specific, &config.notify],
        );
    }

    /// A sync group entered `state`.
    pub fn group(&self, group: &VrrpSyncGroup, state: State, priority: u8) {
        let specific = match state {
            State::Master => &group.notify_master,
            State::Backup => &group.notify_backup,
            State::Fault => &group.notify_fault,
            State::Init => &None,
        };
        self.emit(
            "GROUP",
            &group.name,
            state,
            priority,
            [specific, &group.notify],
        );
    }

    fn emit(
        &self,
        kind: &str,
        name: &str,
        state: State,
        priority: u8,
        scripts: [&Option<String>; 2],
    ) {
        let args = vec![
            kind.to_string(),
            name.to_string(),
            state_word(state).to_string(),
            priority.to_string(),
        ];
        for line in scripts.into_iter().flatten() {
            self.spawn(line.clone(), args.clone(), "notify script");
        }
        if let Some(fifo) = &self.fifo {
            let _ = fifo.send(fifo_line(kind, name, state, priority));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_lines_match_keepalived() {
        assert_eq!(
            fifo_line("INSTANCE", "VI_1", State::Master, 150),
            "INSTANCE \"VI_1\" MASTER 150\n"
        );
        assert_eq!(
            fifo_line("GROUP", "G", State::Init, 100),
            "GROUP \"G\" STOP 100\n"
        );
    }
}
