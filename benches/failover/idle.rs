//! What an idle master costs: a director master and a keepalived master
//! side by side (CPU of the process doing VRRP; memory of every process
//! each runs: director's one against keepalived's parent and VRRP child
//! together, as PSS, so that pages they share are counted once, and as
//! anonymous memory, which no page cache can reclaim), measured over the same window once both have settled
//! (adverts only), so whatever else the machine does falls on both alike. Each is cut off from the bridge for
//! the measurement: neither hears the other's adverts, and neither pays
//! for delivering its own to listeners in other namespaces.

use std::time::Duration;

use director::lab::netns;

use super::peers::{start, Kind, Router, Vrrp};
use super::Topology;

/// Rounds, each with both masters started afresh.
const ROUNDS: usize = 5;

/// How long each round measures.
const WINDOW: Duration = Duration::from_secs(20);

/// How long after both hold their addresses the window opens.
const SETTLE: Duration = Duration::from_secs(6);

/// What an idle master costs.
struct Idle {
    /// Percent of one core.
    cpu_percent: f64,
    /// Resident set of all its processes, MiB (mostly clean file pages:
    /// the binary's and libc's, which the kernel can reclaim).
    rss_mib: f64,
    /// Proportional set: each shared page divided among its sharers.
    pss_mib: f64,
    /// Anonymous (heap, stacks) memory of all its processes, MiB.
    anon_mib: f64,
}

/// Nanoseconds every thread of `pid` has run, from the scheduler's own
/// accounting.
fn cpu_ns(pid: i32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter_map(|t| t.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|tid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")).ok()?;
            stat.split_whitespace().next()?.parse::<f64>().ok()
        })
        .sum()
}

/// `root` and every process below it.
fn process_tree(root: i32) -> Vec<i32> {
    let parents: Vec<(i32, i32)> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
                .filter_map(|pid| {
                    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                    let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?;
                    Some((pid, ppid.parse().ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut tree = vec![root];
    let mut at = 0;
    while at < tree.len() {
        let parent = tree[at];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        at += 1;
    }
    tree
}

/// Resident, proportional and anonymous KiB of `pids` together.
fn memory_kib(pids: &[i32]) -> (f64, f64, f64) {
    let mut sums = (0.0, 0.0, 0.0);
    for pid in pids {
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let field = |name: &str| -> f64 {
            rollup
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
                .unwrap_or(0.0)
        };
        sums.0 += field("Rss:");
        sums.1 += field("Pss:");
        sums.2 += field("Anonymous:");
    }
    sums
}

/// Take nodes a and b off the hub's bridge (`attached` false) or put them back.
fn attach_to_bridge(topo: &Topology, attached: bool) {
    let hub = topo.ns("hub");
    for port in ["a", "b"] {
        let master: &[&str] = if attached {
            &["master", "br0"]
        } else {
            &["nomaster"]
        };
        let args = [&["link", "set", "dev", port][..], master].concat();
        let _ = netns::ip_in(&hub, &args);
    }
}

/// One round: director's master on a, keepalived's on b, 1 s adverts.
fn round(topo: &Topology) -> (Idle, Idle) {
    let vrrp = Vrrp {
        version: 2,
        advert: 1.0,
    };
    topo.link("a", "up");
    topo.link("b", "up");
    attach_to_bridge(topo, false);
    let routers: [Router; 2] = [
        start(Kind::Director, &topo.dir, &topo.ns("a"), "a", 150, vrrp),
        start(Kind::Keepalived, &topo.dir, &topo.ns("b"), "b", 150, vrrp),
    ];
    super::wait(Duration::from_secs(15), || {
        topo.has_vip("a") && topo.has_vip("b")
    });
    // Steady state: past the second burst of gratuitous ARPs both send
    // garp_master_delay (5 s) after becoming master.
    std::thread::sleep(SETTLE);
    let pids = routers.each_ref().map(|r| r.vrrp_pid().expect("vrrp pid"));
    let before = pids.map(cpu_ns);
    std::thread::sleep(WINDOW);
    let after = pids.map(cpu_ns);
    let idle = [0, 1].map(|i| {
        let (rss_kib, pss_kib, anon_kib) = memory_kib(&process_tree(routers[i].root_pid()));
        Idle {
            cpu_percent: (after[i] - before[i]) / 1e9 / WINDOW.as_secs_f64() * 100.0,
            rss_mib: rss_kib / 1024.0,
            pss_mib: pss_kib / 1024.0,
            anon_mib: anon_kib / 1024.0,
        }
    });
    for router in routers {
        router.stop(libc::SIGTERM);
    }
    attach_to_bridge(topo, true);
    topo.clear_vip();
    let [d, k] = idle;
    (d, k)
}

fn spread(values: &mut [f64]) -> String {
    values.sort_by(f64::total_cmp);
    format!(
        "{:.2} / {:.2} / {:.2}",
        values[0],
        values[values.len() / 2],
        values[values.len() - 1]
    )
}

/// Measure and print the idle rounds and the ratios director/keepalived.
pub fn report(topo: &Topology) {
    let (mut cpu, mut pss, mut anon, mut rss) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (d, k) = round(topo);
        println!(
            "idle master, advert 1 s, same {} s after settling: director {:.4} % CPU ({:.0} us/s), {:.1} MiB PSS, {:.1} anonymous, {:.1} RSS; keepalived (VRRP process CPU; parent + VRRP child memory) {:.4} % CPU ({:.0} us/s), {:.1} MiB PSS, {:.1} anonymous, {:.1} RSS",
            WINDOW.as_secs(),
            d.cpu_percent,
            d.cpu_percent * 1e4,
            d.pss_mib,
            d.anon_mib,
            d.rss_mib,
            k.cpu_percent,
            k.cpu_percent * 1e4,
            k.pss_mib,
            k.anon_mib,
            k.rss_mib,
        );
        cpu.push(d.cpu_percent / k.cpu_percent.max(1e-9));
        pss.push(d.pss_mib / k.pss_mib.max(1e-9));
        anon.push(d.anon_mib / k.anon_mib.max(1e-9));
        rss.push(d.rss_mib / k.rss_mib.max(1e-9));
    }
    println!(
        "ratios director/keepalived (min / median / max of {ROUNDS} side-by-side rounds): CPU {}, PSS {}, anonymous {}, RSS {}",
        spread(&mut cpu),
        spread(&mut pss),
        spread(&mut anon),
        spread(&mut rss)
    );
}
