//! director and a real keepalived (Debian's 2.2.7) as VRRP peers in network
//! namespaces: election, crash and graceful failover, preemption, alerts,
//! unicast and operator commands, in VRRPv2 and v3, IPv4 and IPv6.
//! Needs root and keepalived (`apt-get install keepalived`).

mod common;

use std::time::{Duration, Instant};

use common::netlab::NetLab;
use common::{attach_retrying, namespaces_available, prefix, snapshot_where, wait_until};
use director::engine::snapshot::Owner;
use director::engine::{Command, EngineHandle, Request};
use director::vrrp::instance::State;

const D4: &str = "192.0.2.11";
const K4: &str = "192.0.2.12";
const VIP4: &str = "192.0.2.50";
const VIP6: &str = "2001:db8::50";

struct Peer {
    version: u8,
    priority: u8,
    advert: &'static str,
    ipv6: bool,
    extra: String,
}

fn peer(version: u8, priority: u8, advert: &'static str) -> Peer {
    Peer {
        version,
        priority,
        advert,
        ipv6: false,
        extra: String::new(),
    }
}

fn director_conf(p: &Peer) -> String {
    let vip = if p.ipv6 { VIP6 } else { VIP4 };
    let auth = if p.version == 2 {
        "[vrrp_instance.authentication]\nauth_type = \"PASS\"\nauth_pass = \"s3cr3t\"\n"
    } else {
        ""
    };
    format!(
        "[global]\nrouter_id = \"d\"\n[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\npriority = {}\nadvert_int = {}\nversion = \"{}\"\nvirtual_ipaddress = [\"{vip}\"]\ngarp_master_delay = 0\n{}{auth}",
        p.priority, p.advert, p.version, p.extra
    )
}

fn keepalived_conf(p: &Peer) -> String {
    let vip = if p.ipv6 {
        format!("{VIP6}/64")
    } else {
        VIP4.to_string()
    };
    let auth = if p.version == 2 {
        "  authentication {\n    auth_type PASS\n    auth_pass s3cr3t\n  }\n"
    } else {
        ""
    };
    format!(
        "global_defs {{\n  router_id k\n  vrrp_version {}\n}}\nvrrp_instance VI_1 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority {}\n  advert_int {}\n{auth}{}\n  virtual_ipaddress {{\n    {vip}\n  }}\n}}\n",
        p.version, p.priority, p.advert, p.extra
    )
}

fn setup(tag: &str) -> NetLab {
    let lab = NetLab::new(&prefix(tag));
    lab.node("d", &[&format!("{D4}/24"), "2001:db8::11/64"]);
    lab.node("k", &[&format!("{K4}/24"), "2001:db8::12/64"]);
    lab
}

async fn state(handle: &EngineHandle, want: State, limit: Duration) {
    snapshot_where(handle, limit, |s| s.instances[0].state == want).await;
}

fn request(command: Command) -> Request {
    Request {
        command,
        origin: "interop test".into(),
    }
}

/// How long until `cond` holds, polling every 5 ms, or None after `limit`.
fn time_until(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    wait_until(limit, &mut cond).then(|| start.elapsed())
}

fn keepalived_installed(test: &str) -> bool {
    let found = std::process::Command::new("keepalived")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: keepalived is not installed, and CI must run it"
        );
        eprintln!("SKIPPED {test}: keepalived is not installed (apt-get install keepalived)");
    }
    found
}

fn ready(test: &str) -> bool {
    namespaces_available(test) && keepalived_installed(test)
}

/// Director wins the election; keepalived backs it; a graceful stop hands over fast.
async fn director_master_keepalived_backup(
    tag: &str,
    version: u8,
    advert: &'static str,
    ipv6: bool,
) {
    let mut lab = setup(tag);
    let vip = if ipv6 { VIP6 } else { VIP4 };
    let mut k = peer(version, 100, advert);
    k.ipv6 = ipv6;
    lab.keepalived("k", "k", &keepalived_conf(&k));
    let mut d = peer(version, 150, advert);
    d.ipv6 = ipv6;
    let socket = lab.director("d", "d", &director_conf(&d));
    let handle = attach_retrying(&socket).await;
    state(&handle, State::Master, Duration::from_secs(10)).await;
    assert!(
        wait_until(Duration::from_secs(5), || lab.has_address("d", vip)),
        "director master lacks the VIP"
    );
    // keepalived stays backup: give it several master-down intervals.
    std::thread::sleep(Duration::from_millis(if version == 2 {
        4500
    } else {
        1000
    }));
    assert!(
        !lab.has_address("k", vip),
        "keepalived took the VIP from a higher-priority director:\n{}",
        lab.log("k")
    );
    let snap = handle.snapshots.borrow().clone().unwrap();
    assert!(
        snap.instances[0].alerts.is_empty(),
        "unexpected alerts: {:?}",
        snap.instances[0].alerts
    );
    // Graceful stop: priority 0, keepalived takes over at its skew time.
    lab.stop("d", libc::SIGTERM);
    let took = time_until(Duration::from_secs(5), || lab.has_address("k", vip));
    assert!(
        took.is_some(),
        "keepalived did not take over after a graceful stop:\n{}",
        lab.log("k")
    );
    assert!(
        !lab.has_address("d", vip),
        "director left its VIP behind on a graceful stop"
    );
}

/// keepalived wins; director backs it and sees it as owner; a crash hands over within Master_Down_Interval.
async fn keepalived_master_director_backup(
    tag: &str,
    version: u8,
    advert: &'static str,
    ipv6: bool,
) {
    let mut lab = setup(tag);
    let vip = if ipv6 { VIP6 } else { VIP4 };
    let mut k = peer(version, 150, advert);
    k.ipv6 = ipv6;
    lab.keepalived("k", "k", &keepalived_conf(&k));
    assert!(
        wait_until(Duration::from_secs(10), || lab.has_address("k", vip)),
        "keepalived never became master:\n{}",
        lab.log("k")
    );
    let mut d = peer(version, 100, advert);
    d.ipv6 = ipv6;
    let socket = lab.director("d", "d", &director_conf(&d));
    let handle = attach_retrying(&socket).await;
    let snap = snapshot_where(&handle, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Backup && s.instances[0].adverts_received >= 2
    })
    .await;
    match snap.instances[0].owner {
        Owner::Peer(owner) => {
            let expected = if ipv6 { "fe80:" } else { K4 };
            assert!(owner.to_string().starts_with(expected), "owner {owner}");
        }
        other => panic!("owner should be the keepalived peer, not {other:?}"),
    }
    assert!(
        snap.instances[0].drops.is_empty(),
        "drops: {:?}",
        snap.instances[0].drops
    );
    assert!(!lab.has_address("d", vip));
    // Crash: kill keepalived and take its link down (it leaves the VIP behind).
    let mdi = Duration::from_millis(snap.instances[0].master_down_interval_ms);
    lab.stop("k", libc::SIGKILL);
    lab.sh("k", "ip link set eth0 down");
    let took = time_until(Duration::from_secs(10), || lab.has_address("d", vip))
        .expect("director never took over");
    assert!(
        took <= mdi + Duration::from_millis(300),
        "takeover took {took:?}; Master_Down_Interval {mdi:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_director_master_keepalived_backup() {
    if ready("v2_director_master_keepalived_backup") {
        director_master_keepalived_backup("k2a", 2, "1", false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_keepalived_master_director_backup() {
    if ready("v2_keepalived_master_director_backup") {
        keepalived_master_director_backup("k2b", 2, "1", false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_director_master_keepalived_backup() {
    if ready("v3_director_master_keepalived_backup") {
        director_master_keepalived_backup("k3a", 3, "0.1", false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_keepalived_master_director_backup() {
    if ready("v3_keepalived_master_director_backup") {
        keepalived_master_director_backup("k3b", 3, "0.1", false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_ipv6_director_master_keepalived_backup() {
    if ready("v3_ipv6_director_master_keepalived_backup") {
        director_master_keepalived_backup("k6a", 3, "0.1", true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_ipv6_keepalived_master_director_backup() {
    if ready("v3_ipv6_keepalived_master_director_backup") {
        keepalived_master_director_backup("k6b", 3, "0.1", true).await;
    }
}
