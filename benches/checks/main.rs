//! Health-check benchmark (not a test): `SERVERS` real servers (default
//! 10,000) on loopback, one listener per port of 127.0.0.1 in this process,
//! each checked every second by director, first with TCP_CHECK and then with
//! HTTP_GET, for `SECONDS` (default 30) each. Reports checks per second,
//! director's CPU per 1,000 checks per second, its RSS, and how late checks
//! come: the spread of each server's interval between checks beyond the
//! 1 s delay_loop (p50 and p99). Target: 10,000 TCP checks per second under
//! 25 % of a core, p99 lateness under 50 ms.

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

async fn round(kind: &str, servers: u16, seconds: u64, arrivals: &Arrivals) -> String {
    let dir = std::env::temp_dir().join("director-checks-bench");
    let _ = std::fs::create_dir_all(&dir);
    let conf = dir.join(format!("{kind}.toml"));
    std::fs::write(&conf, config(servers, kind == "HTTP_GET")).unwrap();
    let director = Director(
        Command::new(env!("CARGO_BIN_EXE_director"))
            .args(["run", "--config"])
            .arg(&conf)
            .arg("--control")
            .arg(dir.join(format!("{kind}.sock")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("director starts"),
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
    let rate = checks as f64 / elapsed;
    let core = used / elapsed;
    format!(
        "{kind:<10} {servers} servers: {rate:>8.0} checks/s, {:>5.1} % of a core ({:.1} % per 1,000 checks/s), RSS {:.1} MiB, lateness p50 {:.1} ms p99 {:.1} ms",
        core * 100.0,
        core * 100.0 / (rate / 1000.0).max(0.001),
        rss as f64 / 1024.0,
        percentile(&lateness, 0.5),
        percentile(&lateness, 0.99),
    )
}

fn main() {
    let servers = env_number("SERVERS", 10_000) as u16;
    let seconds = env_number("SECONDS", 30);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let arrivals: Arrivals = Arc::default();
    runtime.block_on(listen(servers, arrivals.clone()));
    for kind in ["TCP_CHECK", "HTTP_GET"] {
        eprintln!("{kind}: {servers} servers for {seconds} s");
        let line = runtime.block_on(round(kind, servers, seconds, &arrivals));
        println!("{line}");
    }
}
