//! Failover benchmark (not a test): director pairs against keepalived pairs
//! in network namespaces, probed from a client every 10 ms.
//!
//! For each implementation and scenario it runs TRIALS trials (default 10)
//! and prints min/median/max of: the advert gap (old master's last advert →
//! new master's first), the VIP gap (for a crash: last advert → the VIP
//! answering again; for a stop or failover: the event → the VIP answering
//! again; n/a when no probe was lost), the crash gap against
//! Master_Down_Interval, the claim gap against it (last advert → the new
//! master's first gratuitous ARP for the VIP, timed to the microsecond where
//! the probes' gap is only known to the next 10 ms probe), and probes lost. It ends with idle CPU and RSS of
//! a director master and a keepalived master side by side (`idle`). Needs root and keepalived.
//!
//! Run: `cargo bench --profile release --bench failover` (the binary
//! `cargo build --release` makes).
//! TRIALS=3 for a quick look, ONLY=crash for the scenarios whose name
//! contains "crash" (ONLY=idle: none, only the idle rounds), and
//! DIRECTOR=path to measure another build of director.

mod idle;
#[path = "../common/interrupt.rs"]
mod interrupt;
mod peers;
mod probe;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use director::control::client::attach;
use director::engine::{Command as EngineCommand, Request};
use director::lab::netns;
use interrupt::clean_up_on_interrupt;
use peers::{start, Kind, Vrrp};
use probe::Probe;

const A: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
const B: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 12);
const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 50);

/// How the master is taken away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// SIGKILL and link down.
    Crash,
    /// SIGTERM.
    Graceful,
    /// director's operator failover (keepalived has none).
    Operator,
}

struct Topology {
    prefix: String,
    dir: std::path::PathBuf,
}

impl Topology {
    fn new() -> Topology {
        let prefix = format!("dbf{}", std::process::id());
        director::lab::cleanup_stale(&prefix);
        let dir = std::env::temp_dir().join(format!("director-bench-{prefix}"));
        std::fs::create_dir_all(&dir).unwrap();
        let t = Topology { prefix, dir };
        let hub = t.ns("hub");
        netns::add_hub(&hub).unwrap();
        for (node, address) in [
            ("a", "192.0.2.11/24"),
            ("b", "192.0.2.12/24"),
            ("c", "192.0.2.100/24"),
        ] {
            netns::add_node(&hub, &t.ns(node), node, &[address]).unwrap();
        }
        t
    }

    fn ns(&self, node: &str) -> String {
        format!("{}-{node}", self.prefix)
    }

    fn has_vip(&self, node: &str) -> bool {
        netns::ip_in(&self.ns(node), &["-4", "-o", "addr", "show"])
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(" 192.0.2.50/"))
            .unwrap_or(false)
    }

    fn clear_vip(&self) {
        for node in ["a", "b"] {
            let _ = netns::ip_in(
                &self.ns(node),
                &["addr", "del", "192.0.2.50/32", "dev", "eth0"],
            );
        }
    }

    fn link(&self, node: &str, state: &str) {
        let _ = netns::ip_in(&self.ns(node), &["link", "set", "eth0", state]);
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        director::lab::cleanup_stale(&self.prefix);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn wait(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}

/// Master_Down_Interval of the priority-100 backup.
fn mdi(vrrp: Vrrp) -> Duration {
    Duration::from_secs_f64(3.0 * vrrp.advert + (256.0 - 100.0) / 256.0 * vrrp.advert)
}

#[derive(Debug, Default)]
struct Trial {
    advert_gap: Option<Duration>,
    vip_gap: Option<Duration>,
    /// Last advert → the new master's first gratuitous ARP (crash only).
    claim_gap: Option<Duration>,
    lost: usize,
}

fn trial(
    runtime: &tokio::runtime::Runtime,
    topo: &Topology,
    kind: Kind,
    vrrp: Vrrp,
    event: Event,
) -> Option<Trial> {
    // A crashed router leaves its VIP behind: start every trial clean.
    topo.clear_vip();
    topo.link("a", "up");
    let a = start(kind, &topo.dir, &topo.ns("a"), "a", 150, vrrp);
    if !wait(Duration::from_secs(15), || topo.has_vip("a")) {
        eprintln!("a never became master");
        return None;
    }
    let b = start(kind, &topo.dir, &topo.ns("b"), "b", 100, vrrp);
    // Let b settle as backup and the client learn the VIP.
    std::thread::sleep(Duration::from_secs_f64((4.0 * vrrp.advert).max(0.5)));
    if topo.has_vip("b") {
        eprintln!("trial discarded: b holds the VIP before the event (split brain)");
        return None;
    }
    let probe = Probe::start(&topo.ns("c"), VIP);
    std::thread::sleep(Duration::from_secs_f64((3.0 * vrrp.advert).max(0.3)));
    let t_event = Instant::now();
    let mut a = Some(a);
    match event {
        Event::Crash => {
            // The node dies: its VRRP process is killed and its link goes
            // down at once (a killed router leaves its VIP configured).
            a.as_ref().unwrap().crash();
            topo.link("a", "down");
        }
        Event::Graceful => a.take().unwrap().stop(libc::SIGTERM),
        Event::Operator => {
            let socket = a.as_ref().unwrap().socket.clone().unwrap();
            let request = Request {
                command: EngineCommand::Failover {
                    instance: "VI_1".into(),
                },
                origin: "bench".into(),
            };
            runtime.block_on(async {
                let handle = attach(&socket).await.expect("attach to a");
                handle.request(request).await.expect("failover accepted");
            });
        }
    }
    let moved = wait(Duration::from_secs(10), || topo.has_vip("b"));
    std::thread::sleep(Duration::from_secs_f64((3.0 * vrrp.advert).max(0.3)));
    let record = probe.finish();
    drop(a);
    b.stop(libc::SIGKILL);
    topo.link("a", "down");
    topo.link("a", "up");
    if !moved {
        eprintln!("b never took the VIP");
        return None;
    }
    // An advert the probe stamps a moment after the kill was sent before it.
    let last_a = record.last_advert_before(A, t_event + Duration::from_millis(3));
    let first_b = record.first_advert_after(B, t_event);
    let outage = record.outage_after(t_event);
    // A crash is timed from the last advert; a stop or failover from the event.
    let reference = if event == Event::Crash {
        last_a
    } else {
        Some(t_event)
    };
    Some(Trial {
        advert_gap: last_a.zip(first_b).map(|(l, f)| f.duration_since(l)),
        vip_gap: reference
            .zip(outage)
            .map(|(r, (back, _))| back.duration_since(r)),
        claim_gap: last_a
            .zip(record.first_announcement_after(t_event))
            .filter(|_| event == Event::Crash)
            .map(|(l, claimed)| claimed.duration_since(l)),
        lost: outage.map_or(0, |(_, lost)| lost),
    })
}

fn stats(values: &mut [f64]) -> String {
    if values.is_empty() {
        return "n/a".into();
    }
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    format!(
        "{:.1} / {:.1} / {:.1}",
        values[0],
        values[values.len() / 2],
        values[values.len() - 1]
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    if let Err(why) = netns::check_privileges() {
        eprintln!("failover benchmark: {why}");
        std::process::exit(1);
    }
    if std::process::Command::new("keepalived")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("failover benchmark: keepalived is not installed (apt-get install keepalived)");
        std::process::exit(1);
    }
    let trials: usize = std::env::var("TRIALS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(10);
    clean_up_on_interrupt("failover benchmark", format!("dbf{}", std::process::id()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let topo = Topology::new();
    let scenarios = [
        (
            "crash, v2 advert 1 s",
            Vrrp {
                version: 2,
                advert: 1.0,
            },
            Event::Crash,
        ),
        (
            "crash, v3 advert 0.1 s",
            Vrrp {
                version: 3,
                advert: 0.1,
            },
            Event::Crash,
        ),
        (
            "crash, v3 advert 0.01 s",
            Vrrp {
                version: 3,
                advert: 0.01,
            },
            Event::Crash,
        ),
        (
            "graceful stop, v2 advert 1 s",
            Vrrp {
                version: 2,
                advert: 1.0,
            },
            Event::Graceful,
        ),
        (
            "graceful stop, v3 advert 0.1 s",
            Vrrp {
                version: 3,
                advert: 0.1,
            },
            Event::Graceful,
        ),
        (
            "operator failover, v2 advert 1 s",
            Vrrp {
                version: 2,
                advert: 1.0,
            },
            Event::Operator,
        ),
        (
            "operator failover, v3 advert 0.1 s",
            Vrrp {
                version: 3,
                advert: 0.1,
            },
            Event::Operator,
        ),
    ];
    println!("failover benchmark: {trials} trials each; min / median / max; times in ms");
    println!(
        "{:<36} {:<11} {:>26} {:>26} {:>22} {:>22} {:>16}",
        "scenario", "pair", "advert gap", "VIP gap", "VIP gap - MDI", "GARP - MDI", "probes lost"
    );
    // ONLY=graceful runs the scenarios whose name contains "graceful".
    let only = std::env::var("ONLY").unwrap_or_default();
    for (name, vrrp, event) in scenarios
        .into_iter()
        .filter(|(name, ..)| name.contains(only.as_str()))
    {
        for kind in [Kind::Director, Kind::Keepalived] {
            if event == Event::Operator && kind == Kind::Keepalived {
                println!(
                    "{name:<36} {:<11} {:>26}",
                    "keepalived", "(no operator failover)"
                );
                continue;
            }
            let mut advert_gap = Vec::new();
            let mut vip_gap = Vec::new();
            let mut over_mdi = Vec::new();
            let mut claim_over_mdi = Vec::new();
            let mut lost = Vec::new();
            for _ in 0..trials {
                let Some(t) = trial(&runtime, &topo, kind, vrrp, event) else {
                    continue;
                };
                if let Some(g) = t.advert_gap {
                    advert_gap.push(ms(g));
                }
                if let Some(g) = t.vip_gap {
                    vip_gap.push(ms(g));
                    over_mdi.push(ms(g) - ms(mdi(vrrp)));
                }
                if let Some(g) = t.claim_gap {
                    claim_over_mdi.push(ms(g) - ms(mdi(vrrp)));
                }
                lost.push(t.lost as f64);
            }
            let label = if kind == Kind::Director {
                "director"
            } else {
                "keepalived"
            };
            let (show_mdi, show_claim) = if event == Event::Crash {
                (stats(&mut over_mdi), stats(&mut claim_over_mdi))
            } else {
                ("-".into(), "-".into())
            };
            println!(
                "{name:<36} {label:<11} {:>26} {:>26} {:>22} {:>22} {:>16}",
                stats(&mut advert_gap),
                stats(&mut vip_gap),
                show_mdi,
                show_claim,
                stats(&mut lost)
            );
        }
    }
    idle::report(&topo);
}
