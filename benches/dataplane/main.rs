//! Userspace data-plane benchmark (not a test): loopback only. Two HTTP
//! backends in this process, wrk from Debian as the load, and three targets
//! measured in the same run: a direct connection to one backend, HAProxy
//! (`mode tcp`, round robin, Debian's) and director's userspace plane over
//! the same two backends. For each: keep-alive requests/s (`wrk -c50`), new
//! connections/s (`Connection: close`), bulk MB/s (a 100 MB body fetched
//! repeatedly), p99 latency, and the proxy's CPU: seconds per GB during
//! bulk, microseconds per keep-alive request and per new connection (a
//! figure that does not depend on how the two proxies share the cores with
//! wrk and the backends).
//! `HOLD=N` only starts the backends and both proxies and keeps them up
//! for N seconds, for measuring or profiling by hand.
//! Prints min/median/max over `ROUNDS` rounds (default 3) and each median's
//! ratio to HAProxy and to direct. `SECONDS` sets each wrk run's length;
//! `ONLY=director` (a comma list of target names) measures only those, for
//! profiling (ratios then read "-"). `THREADS=N` runs both proxies on N
//! threads (HAProxy's `nbthread`, director's `--plane-threads`); by
//! default each takes its own default of one per core. Then the soak: 10,000 idle
//! connections held through director for `SOAK_SECONDS` (default 60; 0
//! skips it) while wrk drives traffic, reporting RSS per connection and
//! whether every idle connection still answers from the server it started
//! on. Where this host's descriptor limit cannot hold 10,000 proxied
//! connections, the soak runs in a qemu guest (`vm_soak`). `DIRECTOR=path`
//! measures another build of director in this one's place.

mod backend;
mod measure;
#[path = "../common/proc_stat.rs"]
mod proc_stat;
mod soak;
// Shared with the kernel-plane test, which uses all of it.
#[allow(dead_code)]
#[path = "../../tests/common/vm.rs"]
mod vm;
mod vm_soak;

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use measure::{Figures, Target};

const BACKENDS: [&str; 2] = ["127.0.0.1:19001", "127.0.0.1:19002"];
const HAPROXY: &str = "127.0.0.1:19081";
const DIRECTOR: &str = "127.0.0.1:19080";

/// Stops the proxies on every exit path.
struct Proxies(Vec<Child>);

impl Drop for Proxies {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn require(program: &str) {
    if Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("dataplane bench: {program} is missing; apt-get install -y wrk haproxy");
        std::process::exit(2);
    }
}

fn start_proxies(dir: &std::path::Path) -> Proxies {
    let threads = std::env::var("THREADS").ok();
    let haproxy_threads = threads
        .as_ref()
        .map(|n| format!("    nbthread {n}\n"))
        .unwrap_or_default();
    let haproxy_cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &haproxy_cfg,
        format!(
            "global\n    maxconn 4096\n{haproxy_threads}defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\nfrontend f\n    bind {HAPROXY}\n    default_backend b\nbackend b\n    balance roundrobin\n    server s1 {}\n    server s2 {}\n",
            BACKENDS[0], BACKENDS[1]
        ),
    )
    .unwrap();
    let haproxy = Command::new("haproxy")
        .args(["-db", "-f"])
        .arg(&haproxy_cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy starts");
    // DIRECTOR=path measures another build (to compare with an older one).
    let binary =
        std::env::var("DIRECTOR").unwrap_or_else(|_| env!("CARGO_BIN_EXE_director").into());
    let director = start_director(std::path::Path::new(&binary), dir, threads.as_deref());
    Proxies(vec![haproxy, director])
}

/// Start `program` (director) as the userspace plane over both backends
/// at `DIRECTOR`, with its files in `dir`, on `threads` proxy threads
/// (its default when `None`).
fn start_director(
    program: &std::path::Path,
    dir: &std::path::Path,
    threads: Option<&str>,
) -> Child {
    let config = dir.join("director.toml");
    let (address, port) = DIRECTOR.split_once(':').unwrap();
    let mut text =
        format!("[[virtual_server]]\naddress = \"{address}\"\nport = {port}\nscheduler = \"rr\"\n");
    for backend in BACKENDS {
        let (a, p) = backend.split_once(':').unwrap();
        text.push_str(&format!(
            "[[virtual_server.real_server]]\naddress = \"{a}\"\nport = {p}\n"
        ));
    }
    std::fs::write(&config, text).unwrap();
    let mut director = Command::new(program);
    director.args(["run", "--dataplane", "userspace"]);
    if let Some(n) = threads {
        director.args(["--plane-threads", n]);
    }
    director
        .arg("--config")
        .arg(&config)
        .arg("--control")
        .arg(dir.join("control.sock"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("director starts")
}

/// Let this process and its children open enough sockets for the soak
/// (as root the hard limit can be raised too).
fn raise_file_limit() {
    // SAFETY: getrlimit/setrlimit on a zeroed struct we own.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            let wanted = limit.rlim_max.max(65_536);
            let raised = libc::rlimit {
                rlim_cur: wanted,
                rlim_max: wanted,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
                limit.rlim_cur = limit.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
}

fn main() {
    raise_file_limit();
    if std::env::args().nth(1).as_deref() == Some(vm_soak::GUEST) {
        std::process::exit(vm_soak::guest());
    }
    require("wrk");
    require("haproxy");
    let rounds = env_number("ROUNDS", 3) as usize;
    let seconds = env_number("SECONDS", 5);
    let dir = std::env::temp_dir().join("director-dataplane-bench");
    let _ = std::fs::create_dir_all(&dir);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for backend in BACKENDS {
        let address: SocketAddr = backend.parse().unwrap();
        runtime.spawn(backend::serve(address));
    }
    let proxies = start_proxies(&dir);
    std::thread::sleep(Duration::from_millis(800));
    let hold = env_number("HOLD", 0);
    if hold > 0 {
        eprintln!(
            "holding for {hold} s: backends {BACKENDS:?}, haproxy {HAPROXY}, director {DIRECTOR}"
        );
        std::thread::sleep(Duration::from_secs(hold));
        return;
    }
    let targets = [
        Target::new("direct", BACKENDS[0], None),
        Target::new("haproxy", HAPROXY, Some(proxies.0[0].id())),
        Target::new("director", DIRECTOR, Some(proxies.0[1].id())),
    ];
    let only = std::env::var("ONLY").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|o| o == name);
    let mut figures: Vec<Vec<Figures>> = vec![Vec::new(); targets.len()];
    for round in 0..rounds {
        for (i, target) in targets.iter().enumerate() {
            if !wanted(target.name) {
                figures[i].push(Figures::default());
                continue;
            }
            eprintln!("round {}/{rounds}: {}", round + 1, target.name);
            figures[i].push(target.measure(seconds));
        }
    }
    measure::report(&targets, &figures);
    let soak_seconds = env_number("SOAK_SECONDS", 60);
    if soak_seconds > 0 && wanted("soak") {
        if soak::fits() {
            let director_pid = proxies.0[1].id();
            let report = runtime.block_on(soak::run(DIRECTOR, director_pid, soak_seconds));
            println!("{report}");
        } else {
            drop(proxies);
            match vm_soak::host(soak_seconds) {
                Ok(report) => println!("{report}"),
                Err(why) => println!("soak: not run: {why}"),
            }
            return;
        }
    }
    drop(proxies);
}
