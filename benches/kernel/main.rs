//! Kernel-plane benchmark (not a test), inside a VM with a real IPVS: this
//! binary boots a Debian kernel under qemu with itself inside and runs its
//! guest half there. In one boot it times
//!   * applying 10,000 destinations across 100 services through director's
//!     batching netlink client, then changing 1,000 weights;
//!   * a no-op reconcile of that table (the start-up path: dump, compare);
//!   * `ipvsadm -R` with the equivalent input, and 1,000 `-e` edits the same way.
//!
//! It prints the ratios. Target: at least 10x faster than `ipvsadm -R`.

// Shared with the kernel-plane test, which uses all of it.
#[allow(dead_code)]
#[path = "../../tests/common/vm.rs"]
mod vm;

use std::io::Write;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use director::ipvs::kernel::{reconcile, Forward, Ipvs, KDest, KService, Op, ServiceKey, Stats};

const SERVICES: u16 = 100;
const DESTS: u8 = 100;
const EDITS: usize = 1_000;

fn host() -> Result<(), String> {
    vm::require_tools()?;
    let kernel = vm::kernel()?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let guest = vm::Guest {
        program: &me,
        args: "guest",
        modules: &["crc32c_generic", "ip_vs", "ip_vs_rr"],
        programs: &[(vm::which("ipvsadm"), "/sbin/ipvsadm")],
        limit: Duration::from_secs(900),
    };
    let console = vm::run_guest(&kernel, &guest)?;
    // A line may share the console with the firmware's last words.
    for line in console.lines().filter_map(|l| l.split_once("BENCH ")) {
        println!("{}", line.1);
    }
    if !console.contains("GUEST RESULT 0") {
        return Err(format!("the guest failed:\n{console}"));
    }
    Ok(())
}

fn key(s: u16) -> ServiceKey {
    ServiceKey::Tcp(SocketAddr::from(([198, 51, 100, 1], 10_000 + s)))
}

fn table(weight: impl Fn(u16, u8) -> u32) -> Vec<(KService, Vec<KDest>)> {
    (0..SERVICES)
        .map(|s| {
            let service = KService {
                key: key(s),
                scheduler: "rr".into(),
                flags: 0,
                timeout: 0,
                netmask: 0xffffffff,
                pe_name: None,
                stats: Stats::default(),
            };
            let dests = (0..DESTS)
                .map(|d| {
                    let address = SocketAddr::from(([203, 0, 113, d + 1], 8080));
                    KDest::new(address, Forward::Masq, weight(s, d))
                })
                .collect();
            (service, dests)
        })
        .collect()
}

/// Weights after the edit: 1,000 destinations (10 per service) get 2.
fn edited(s: u16, d: u8) -> u32 {
    let _ = s;
    if d < (EDITS / SERVICES as usize) as u8 {
        2
    } else {
        1
    }
}

fn ipvsadm_restore(input: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let mut child = Command::new("/sbin/ipvsadm")
        .arg("-R")
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(input.as_bytes())
        .map_err(|e| e.to_string())?;
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("ipvsadm -R failed".into());
    }
    Ok(started.elapsed())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn guest() -> Result<(), String> {
    let mut ipvs = Ipvs::connect().map_err(|e| e.to_string())?;
    let dests = usize::from(SERVICES) * usize::from(DESTS);
    println!("BENCH kernel IPVS in a VM (qemu TCG, one CPU): {SERVICES} services, {dests} destinations, {EDITS} weight changes");

    let first = table(|_, _| 1);
    let started = Instant::now();
    let failures = ipvs.apply(&reconcile(&first, &[], false).ops);
    let apply = started.elapsed();
    if !failures.is_empty() {
        return Err(format!("apply failed: {:?}", &failures[..1]));
    }
    let started = Instant::now();
    let now = ipvs.table().map_err(|e| e.to_string())?;
    let plan = reconcile(&first, &now, false);
    let noop = started.elapsed();
    if !plan.ops.is_empty() {
        return Err(format!(
            "a no-op reconcile planned {} changes",
            plan.ops.len()
        ));
    }
    let second = table(edited);
    let plan = reconcile(&second, &now, false);
    if plan.ops.len() != EDITS || !plan.ops.iter().all(|op| matches!(op, Op::EditDest(..))) {
        return Err(format!(
            "expected {EDITS} edits, planned {}",
            plan.ops.len()
        ));
    }
    let started = Instant::now();
    let failures = ipvs.apply(&plan.ops);
    let edit = started.elapsed();
    if !failures.is_empty() {
        return Err(format!("edits failed: {:?}", &failures[..1]));
    }
    ipvs.flush().map_err(|e| e.to_string())?;

    let mut restore = String::new();
    let mut edits = String::new();
    for (service, dests) in &second {
        let ServiceKey::Tcp(at) = service.key else {
            continue;
        };
        restore.push_str(&format!("-A -t {at} -s rr\n"));
        for dest in dests {
            restore.push_str(&format!("-a -t {at} -r {} -m -w 1\n", dest.address));
            if dest.weight != 1 {
                edits.push_str(&format!(
                    "-e -t {at} -r {} -m -w {}\n",
                    dest.address, dest.weight
                ));
            }
        }
    }
    let ipvsadm_apply = ipvsadm_restore(&restore)?;
    let ipvsadm_edit = ipvsadm_restore(&edits)?;
    let listed = ipvs.table().map_err(|e| e.to_string())?;
    let differences = reconcile(&second, &listed, false).ops;
    if let Some(first) = differences.first() {
        return Err(format!(
            "ipvsadm did not build the same table: {} differences, first {first:?}",
            differences.len()
        ));
    }
    println!(
        "BENCH {:<44} {:>10} {:>12} {:>8}",
        "", "director", "ipvsadm -R", "ratio"
    );
    for (name, ours, theirs) in [
        ("apply 10,000 destinations", apply, ipvsadm_apply),
        ("change 1,000 weights", edit, ipvsadm_edit),
    ] {
        println!(
            "BENCH {name:<44} {:>8.0}ms {:>10.0}ms {:>7.1}x",
            ms(ours),
            ms(theirs),
            ms(theirs) / ms(ours).max(0.001)
        );
    }
    println!(
        "BENCH {:<44} {:>8.0}ms   (start-up path: dump 101 lists, compare)",
        "no-op reconcile of the 10,000-entry table",
        ms(noop)
    );
    Ok(())
}

fn main() {
    let result = if std::env::args().nth(1).as_deref() == Some("guest") {
        guest()
    } else {
        host()
    };
    if let Err(why) = result {
        eprintln!("kernel benchmark: {why}");
        std::process::exit(1);
    }
}
