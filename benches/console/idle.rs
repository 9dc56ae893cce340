//! Idle cost: the real console open on the lab for a while, against
//! `director list --stats` run once a second (what `watch -n1 ipvsadm -Ln
//! --stats` does) in the same run.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::proc_stat::{cpu_ticks, rss_kib, ticks_per_second};
use crate::tmux::Tmux;

/// CPU and memory of one way of watching the director.
pub struct Cost {
    /// What watched.
    pub name: String,
    /// Percent of one core, averaged.
    pub cpu_percent: f64,
    /// Resident memory in KiB at the end (peak of one run for the loop).
    pub rss_kib: u64,
}

/// The console on a lab in tmux; kills both on every exit path.
pub struct Console {
    tmux: Tmux,
    prefix: String,
}

impl Drop for Console {
    fn drop(&mut self) {
        self.tmux.kill();
        director::lab::cleanup_stale(&self.prefix);
    }
}

impl Console {
    /// Start `director lab` in tmux at 160×48 and wait until it shows a master.
    pub fn start(binary: &str, prefix: &str) -> Result<Console, String> {
        let command = format!("exec {binary} lab --prefix {prefix} --rate 4");
        let console = Console {
            tmux: Tmux::start(&format!("{prefix}-bench"), 160, 48, &command)?,
            prefix: prefix.to_string(),
        };
        let started = Instant::now();
        while !console.tmux.screen().contains("MASTER") {
            if started.elapsed() > Duration::from_secs(30) {
                let screen = console.tmux.screen();
                return Err(format!("the lab console never showed a master:\n{screen}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(console)
    }

    /// The console's process id (the pane runs it directly).
    pub fn pid(&self) -> Option<u32> {
        self.tmux.pid()
    }

    /// Press a key.
    pub fn press(&self, key: &str) {
        self.tmux.press(&[key]);
    }

    /// The control socket of director 1.
    pub fn socket(&self) -> std::path::PathBuf {
        director::lab::lab_dir(&self.prefix).join("d1.sock")
    }
}

/// The console's CPU over `period`, on the view it shows now.
pub fn console_cost(name: &str, pid: u32, period: Duration) -> Cost {
    let before = cpu_ticks(pid).unwrap_or(0);
    std::thread::sleep(period);
    let used = cpu_ticks(pid).unwrap_or(0) - before;
    Cost {
        name: name.to_string(),
        cpu_percent: used as f64 / ticks_per_second() / period.as_secs_f64() * 100.0,
        rss_kib: rss_kib(pid),
    }
}

fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn children_peak_rss_kib() -> u64 {
    // SAFETY: as above.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as u64
}

/// `director list --stats` once a second for `period`, as `watch -n1` would.
pub fn list_loop_cost(binary: &str, socket: &std::path::Path, period: Duration) -> Cost {
    let before = children_cpu_seconds();
    let started = Instant::now();
    let mut runs = 0;
    while started.elapsed() < period {
        let tick = Instant::now();
        let _ = Command::new(binary)
            .args(["list", "--stats", "--socket"])
            .arg(socket)
            .output();
        runs += 1;
        std::thread::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed()));
    }
    let used = children_cpu_seconds() - before;
    Cost {
        name: format!("director list --stats, once a second ({runs} runs)"),
        cpu_percent: used / started.elapsed().as_secs_f64() * 100.0,
        rss_kib: children_peak_rss_kib(),
    }
}
