//! Running wrk against a target, reading its figures and the proxy's CPU
//! time, and printing the table.

use std::process::Command;
use std::time::Duration;

use crate::proc_stat::{cpu_ticks, ticks_per_second};

/// One place load is sent to.
pub struct Target {
    /// Its name in the table.
    pub name: &'static str,
    address: &'static str,
    proxy_pid: Option<u32>,
}

/// One round's figures for one target.
#[derive(Debug, Clone, Copy, Default)]
pub struct Figures {
    keepalive_rps: f64,
    new_conn_rps: f64,
    bulk_mbps: f64,
    p99_ms: f64,
    cpu_s_per_gb: f64,
    keepalive_cpu_us: f64,
    new_conn_cpu_us: f64,
}

/// wrk's figures: requests/s, transfer bytes/s, p99 in ms.
struct Wrk {
    rps: f64,
    bytes_per_s: f64,
    p99_ms: f64,
}

fn scaled(value: &str) -> f64 {
    let (number, unit): (String, String) =
        value.chars().partition(|c| c.is_ascii_digit() || *c == '.');
    let n: f64 = number.parse().unwrap_or(0.0);
    n * match unit.as_str() {
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        _ => 1.0,
    }
}

fn wrk(args: &[&str]) -> Wrk {
    let out = Command::new("wrk").args(args).output().expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut figures = Wrk {
        rps: 0.0,
        bytes_per_s: 0.0,
        p99_ms: 0.0,
    };
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", v] => figures.rps = v.parse().unwrap_or(0.0),
            ["Transfer/sec:", v] => figures.bytes_per_s = scaled(v),
            ["99%", v] => figures.p99_ms = scaled(v),
            _ => {}
        }
    }
    figures
}

impl Target {
    /// A target at `address`, whose proxy process (if any) is `proxy_pid`.
    pub fn new(name: &'static str, address: &'static str, proxy_pid: Option<u32>) -> Target {
        Target {
            name,
            address,
            proxy_pid,
        }
    }

    /// One round of every measurement.
    pub fn measure(&self, seconds: u64) -> Figures {
        let duration = format!("{seconds}s");
        let url = format!("http://{}/", self.address);
        let bulk_url = format!("http://{}/bulk", self.address);
        let (keepalive, keepalive_cpu_s) =
            self.with_cpu(|| wrk(&["-t1", "-c50", "-d", &duration, "--latency", &url]));
        let (close, close_cpu_s) = self.with_cpu(|| {
            wrk(&[
                "-t1",
                "-c50",
                "-d",
                &duration,
                "-H",
                "Connection: close",
                &url,
            ])
        });
        let (bulk, bulk_cpu_s) = self.with_cpu(|| wrk(&["-t1", "-c1", "-d", &duration, &bulk_url]));
        let gigabytes = bulk.bytes_per_s * seconds as f64 / 1e9;
        let per = |cpu_s: f64, units: f64| if units > 0.0 { cpu_s / units } else { 0.0 };
        let requests = |w: &Wrk| w.rps * seconds as f64;
        std::thread::sleep(Duration::from_millis(300));
        Figures {
            keepalive_rps: keepalive.rps,
            new_conn_rps: close.rps,
            bulk_mbps: bulk.bytes_per_s / 1e6,
            p99_ms: keepalive.p99_ms,
            cpu_s_per_gb: per(bulk_cpu_s, gigabytes),
            keepalive_cpu_us: per(keepalive_cpu_s, requests(&keepalive)) * 1e6,
            new_conn_cpu_us: per(close_cpu_s, requests(&close)) * 1e6,
        }
    }

    /// Run `load` and say how many CPU seconds the proxy used meanwhile
    /// (0 for a direct target).
    fn with_cpu(&self, load: impl FnOnce() -> Wrk) -> (Wrk, f64) {
        let before = self.proxy_pid.and_then(cpu_ticks);
        let figures = load();
        let after = self.proxy_pid.and_then(cpu_ticks);
        let cpu_s = match (before, after) {
            (Some(a), Some(b)) => (b - a) as f64 / ticks_per_second(),
            _ => 0.0,
        };
        (figures, cpu_s)
    }
}

fn spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(|a, b| a.total_cmp(b));
    (
        values[0],
        values[values.len() / 2],
        values[values.len() - 1],
    )
}

/// Print min/median/max per figure and target, and the medians' ratios.
pub fn report(targets: &[Target], figures: &[Vec<Figures>]) {
    type Pick = fn(&Figures) -> f64;
    let rows: [(&str, Pick); 7] = [
        ("keep-alive req/s", |f| f.keepalive_rps),
        ("new conn/s", |f| f.new_conn_rps),
        ("bulk MB/s", |f| f.bulk_mbps),
        ("p99 latency ms", |f| f.p99_ms),
        ("proxy CPU s/GB", |f| f.cpu_s_per_gb),
        ("CPU us/keep-alive", |f| f.keepalive_cpu_us),
        ("CPU us/new conn", |f| f.new_conn_cpu_us),
    ];
    println!(
        "{:<18} {:<9} {:>12} {:>12} {:>12} {:>9} {:>9}",
        "figure", "target", "min", "median", "max", "/haproxy", "/direct"
    );
    for (label, pick) in rows {
        let medians: Vec<f64> = figures
            .iter()
            .map(|rounds| spread(&mut rounds.iter().map(pick).collect::<Vec<_>>()).1)
            .collect();
        for (i, target) in targets.iter().enumerate() {
            let (min, median, max) = spread(&mut figures[i].iter().map(pick).collect::<Vec<_>>());
            let ratio = |reference: f64| {
                if reference > 0.0 {
                    format!("{:.2}x", median / reference)
                } else {
                    "-".into()
                }
            };
            println!(
                "{label:<18} {:<9} {min:>12.2} {median:>12.2} {max:>12.2} {:>9} {:>9}",
                target.name,
                ratio(medians[1]),
                ratio(medians[0])
            );
        }
    }
}
