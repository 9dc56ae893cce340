//! Health-check benchmark (not a test): `SERVERS` real servers (default
//! 10,000) on loopback, one listener per port of 127.0.0.1 in this process,
//! each checked every second by director, first with TCP_CHECK and then with
//! HTTP_GET, for `SECONDS` (default 30) each. Reports checks per second,
//! director's CPU per 1,000 checks per second, its RSS, and how late checks
//! come: the spread of each server's interval between checks beyond the
//! 1 s delay_loop (p50 and p99). Target: 10,000 TCP checks per second kept
//! up with p99 lateness under 50 ms. `BASELINE=path/to/director` (an older
//! build) runs that binary too, in the same invocation on the same
//! listeners, and the verdict line also asks that CPU per check and RSS are
//! no more than 10 % over the baseline's. `DIRECTOR=path` measures another
//! build in this build's place (to bisect).

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[path = "../common/proc_stat.rs"]
mod proc_stat;

use proc_stat::{cpu_ticks, rss_kib, ticks_per_second};

/// Real servers listen from here up, below the ephemeral port range.
const FIRST_PORT: u16 = 18_000;

/// Stops director on every exit path.
struct Director(Child);

impl Drop for Director {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

type Arrivals = Arc<Mutex<HashMap<u16, Vec<Instant>>>>;

/// Listen on `servers` ports; record when each is checked; answer HTTP.
async fn listen(servers: u16, arrivals: Arrivals) {
    for i in 0..servers {
        let port = FIRST_PORT + i;
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("bind 127.0.0.1:{port}: {e}"));
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                arrivals
                    .lock()
                    .unwrap()
                    .entry(port)
                    .or_default()
                    .push(Instant::now());
                tokio::spawn(async move {
                    let mut request = [0u8; 512];
                    if let Ok(Ok(n)) =
                        tokio::time::timeout(Duration::from_millis(200), stream.read(&mut request))
                            .await
                    {
                        if n > 0 {
                            let _ = stream
                                .write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
                                .await;
                        }
                    }
                });
            }
        });
    }
}

fn config(servers: u16, http: bool) -> String {
    let mut text =
        String::from("[[virtual_server]]\naddress = \"127.0.0.1\"\nport = 17999\ndelay_loop = 1\n");
    for i in 0..servers {
        text.push_str(&format!(
            "[[virtual_server.real_server]]\naddress = \"127.0.0.1\"\nport = {}\n",
            FIRST_PORT + i
        ));
        if http {
            text.push_str("[virtual_server.real_server.http_get]\nconnect_timeout = 2\n[[virtual_server.real_server.http_get.url]]\npath = \"/\"\n");
        } else {
            text.push_str("[virtual_server.real_server.tcp_check]\nconnect_timeout = 2\n");
        }
    }
    text
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

/// What one run of one build measured.
struct Figures {
    rate: f64,
    core: f64,
    rss_mib: f64,
    p50: f64,
    p99: f64,
}

impl Figures {
    /// Percent of a core per 1,000 checks per second.
    fn cost(&self) -> f64 {
        self.core * 100.0 / (self.rate / 1000.0).max(0.001)
    }

    fn line(&self, build: &str, kind: &str, servers: u16) -> String {
        format!(
            "{build:<9} {kind:<10} {servers} servers: {:>8.0} checks/s, {:>5.1} % of a core ({:.1} % per 1,000 checks/s), RSS {:.1} MiB, lateness p50 {:.1} ms p99 {:.1} ms",
            self.rate,
            self.core * 100.0,
            self.cost(),
            self.rss_mib,
            self.p50,
            self.p99,
        )
    }
}

async fn round(
    binary: &str,
    kind: &str,
    servers: u16,
    seconds: u64,
    arrivals: &Arrivals,
) -> Figures {
    let dir = std::env::temp_dir().join("director-checks-bench");
    let _ = std::fs::create_dir_all(&dir);
    let conf = dir.join(format!("{kind}.toml"));
    std::fs::write(&conf, config(servers, kind == "HTTP_GET")).unwrap();
    let director = Director(
        Command::new(binary)
            .args(["run", "--dataplane", "userspace", "--config"])
            .arg(&conf)
            .arg("--control")
            .arg(dir.join(format!("{kind}.sock")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} starts: {e}")),
    );
    let pid = director.0.id();
    // Let the first round of checks pass, then measure.
    tokio::time::sleep(Duration::from_secs(3)).await;
    arrivals.lock().unwrap().clear();
    let ticks = cpu_ticks(pid).unwrap_or(0);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let used = cpu_ticks(pid).unwrap_or(ticks).saturating_sub(ticks) as f64 / ticks_per_second();
    let rss = rss_kib(pid);
    drop(director);
    let arrivals = std::mem::take(&mut *arrivals.lock().unwrap());
    let checks: usize = arrivals.values().map(Vec::len).sum();
    let mut lateness: Vec<f64> = arrivals
        .values()
        .flat_map(|times| {
            times
                .windows(2)
                .map(|w| (w[1] - w[0]).as_secs_f64() * 1000.0 - 1000.0)
        })
        .collect();
    lateness.sort_by(|a, b| a.total_cmp(b));
    Figures {
        rate: checks as f64 / elapsed,
        core: used / elapsed,
        rss_mib: rss as f64 / 1024.0,
        p50: percentile(&lateness, 0.5),
        p99: percentile(&lateness, 0.99),
    }
}

/// The verdict against the targets: every server checked once a second
/// (2 % slack for the window's edges), p99 lateness under 50 ms, and, with
/// a baseline, CPU per 1,000 checks/s and RSS no more than 10 % over it.
fn verdict(kind: &str, servers: u16, head: &Figures, baseline: Option<&Figures>) -> String {
    let mut misses = Vec::new();
    if head.rate < f64::from(servers) * 0.98 {
        misses.push(format!("{:.0} of {servers} checks/s", head.rate));
    }
    if head.p99 >= 50.0 {
        misses.push(format!("p99 lateness {:.1} ms >= 50", head.p99));
    }
    let mut ratios = String::new();
    if let Some(base) = baseline {
        let cost = head.cost() / base.cost().max(0.001);
        let rss = head.rss_mib / base.rss_mib.max(0.001);
        ratios = format!(" (CPU per check {cost:.2}x, RSS {rss:.2}x the baseline)");
        if cost > 1.10 {
            misses.push(format!("CPU per check {cost:.2}x the baseline"));
        }
        if rss > 1.10 {
            misses.push(format!("RSS {rss:.2}x the baseline"));
        }
    }
    if misses.is_empty() {
        format!("verdict   {kind:<10} MET{ratios}")
    } else {
        format!("verdict   {kind:<10} MISSED: {}{ratios}", misses.join("; "))
    }
}

fn main() {
    let servers = env_number("SERVERS", 10_000) as u16;
    let seconds = env_number("SECONDS", 30);
    // BASELINE=path/to/an/older/director runs it in the same invocation,
    // right after this build, on the same listeners.
    let baseline = std::env::var("BASELINE").ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let arrivals: Arrivals = Arc::default();
    runtime.block_on(listen(servers, arrivals.clone()));
    // DIRECTOR=path measures another build as "this" (to bisect).
    let head = std::env::var("DIRECTOR").unwrap_or_else(|_| env!("CARGO_BIN_EXE_director").into());
    for kind in ["TCP_CHECK", "HTTP_GET"] {
        eprintln!("{kind}: {servers} servers for {seconds} s");
        let figures = runtime.block_on(round(&head, kind, servers, seconds, &arrivals));
        println!("{}", figures.line("this", kind, servers));
        let base = baseline.as_deref().map(|binary| {
            let base = runtime.block_on(round(binary, kind, servers, seconds, &arrivals));
            println!("{}", base.line("baseline", kind, servers));
            base
        });
        println!("{}", verdict(kind, servers, &figures, base.as_ref()));
    }
}
