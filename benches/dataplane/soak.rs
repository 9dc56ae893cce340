//! The soak: hold 10,000 idle keep-alive connections through director while
//! wrk drives traffic, then check that every one still answers, from the
//! backend it first reached. Reports director's RSS per connection.

use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::proc_stat::rss_kib;

/// The connections the soak asks for.
const WANTED: usize = 10_000;
const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n";

/// One request on `stream`; the backend named in the answer.
async fn ask(stream: &mut TcpStream) -> Option<String> {
    stream.write_all(REQUEST).await.ok()?;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 512];
    let deadline = Instant::now() + Duration::from_secs(3);
    while !answer.ends_with(b"\n") || !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        answer.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    text.lines()
        .find_map(|l| l.strip_prefix("hello from "))
        .map(str::to_string)
}

/// How many idle connections fit: director holds two descriptors per
/// connection, and this process holds the client and the backend side.
fn fitting() -> (usize, u64) {
    // SAFETY: getrlimit into a zeroed struct we own.
    let limit = unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur
    };
    let fit = (limit.saturating_sub(200) / 2) as usize;
    (WANTED.min(fit), limit)
}

/// Whether this host's descriptor limit holds the whole soak here.
pub fn fits() -> bool {
    fitting().0 == WANTED
}

/// Run the soak against `target` served by process `pid`.
pub async fn run(target: &str, pid: u32, seconds: u64) -> String {
    let before = rss_kib(pid);
    let (wanted, limit) = fitting();
    let mut idle = Vec::with_capacity(wanted);
    let mut first = Vec::with_capacity(wanted);
    let mut refused = 0;
    while idle.len() < wanted && refused < 100 {
        let mut stream = match TcpStream::connect(target).await {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("soak: connect {}: {e}", idle.len());
                refused += 1;
                continue;
            }
        };
        let Some(backend) = ask(&mut stream).await else {
            eprintln!("soak: no answer on connection {}", idle.len());
            refused += 1;
            continue;
        };
        idle.push(stream);
        first.push(backend);
    }
    let opened = idle.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let holding = rss_kib(pid);
    let url = format!("http://{target}/");
    let duration = format!("{seconds}s");
    let traffic = tokio::task::spawn_blocking(move || {
        Command::new("wrk")
            .args(["-t1", "-c50", "-d", &duration, &url])
            .output()
    });
    let mut peak = holding;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak = peak.max(rss_kib(pid));
    }
    let wrk = traffic.await.ok().and_then(Result::ok);
    let requests = wrk
        .map(|o| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .and_then(|t| {
            t.lines()
                .find(|l| l.contains("requests in"))
                .map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| "wrk gave no figures".into());
    let mut lost = 0;
    let mut misrouted = 0;
    for (stream, backend) in idle.iter_mut().zip(&first) {
        match ask(stream).await {
            None => lost += 1,
            Some(now) if now != *backend => misrouted += 1,
            Some(_) => {}
        }
    }
    let after = rss_kib(pid);
    let per_connection = holding.saturating_sub(before) as f64 * 1024.0 / opened.max(1) as f64;
    format!(
        "soak: {opened} idle connections (of {WANTED} wanted; the descriptor limit here is {limit} and a proxy needs two per connection; {refused} attempts failed) held {seconds} s beside wrk ({requests}); \
         lost {lost}, misrouted {misrouted}; director RSS {before} KiB before, \
         {holding} KiB holding them, peak {peak} KiB, {after} KiB after; \
         {per_connection:.0} bytes per idle connection"
    )
}
