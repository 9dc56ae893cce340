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

/// keepalived (priority 100) is master; director (150) starts. With
/// `preempt` it takes over after Master_Down_Interval (plus any
/// preempt_delay); with `preempt = false` it stays backup.
async fn preemption(tag: &str, extra: &str, expect_takeover_after: Option<Duration>) {
    let mut lab = setup(tag);
    lab.keepalived("k", "k", &keepalived_conf(&peer(3, 100, "0.1")));
    assert!(
        wait_until(Duration::from_secs(10), || lab.has_address("k", VIP4)),
        "{}",
        lab.log("k")
    );
    let mut d = peer(3, 150, "0.1");
    d.extra = extra.to_string();
    let started = Instant::now();
    let socket = lab.director("d", "d", &director_conf(&d));
    let handle = attach_retrying(&socket).await;
    match expect_takeover_after {
        Some(at_least) => {
            state(&handle, State::Master, Duration::from_secs(10)).await;
            let took = started.elapsed();
            assert!(
                took >= at_least,
                "preempted after {took:?}, before {at_least:?}"
            );
            assert!(
                wait_until(Duration::from_secs(3), || !lab.has_address("k", VIP4)),
                "keepalived kept the VIP"
            );
        }
        None => {
            std::thread::sleep(Duration::from_secs(2));
            let snap = handle.snapshots.borrow().clone().unwrap();
            assert_eq!(
                snap.instances[0].state,
                State::Backup,
                "nopreempt director took over"
            );
            assert!(lab.has_address("k", VIP4));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preempt_takes_over_from_a_lower_keepalived() {
    if ready("preempt_takes_over_from_a_lower_keepalived") {
        // Master_Down_Interval at 0.1 s and priority 150: 341 ms.
        preemption("kp1", "", Some(Duration::from_millis(300))).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nopreempt_stays_behind_a_lower_keepalived() {
    if ready("nopreempt_stays_behind_a_lower_keepalived") {
        preemption("kp2", "preempt = false\n", None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preempt_delay_waits_before_taking_over() {
    if ready("preempt_delay_waits_before_taking_over") {
        preemption(
            "kp3",
            "preempt_delay = 1.5\n",
            Some(Duration::from_millis(1500)),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_raises_an_alert_and_ends_in_split_brain() {
    if !ready("a_wrong_password_raises_an_alert_and_ends_in_split_brain") {
        return;
    }
    let mut lab = setup("kma");
    let kconf = keepalived_conf(&peer(2, 100, "1")).replace("auth_pass s3cr3t", "auth_pass other");
    lab.keepalived("k", "k", &kconf);
    let socket = lab.director("d", "d", &director_conf(&peer(2, 150, "1")));
    let handle = attach_retrying(&socket).await;
    let snap = snapshot_where(&handle, Duration::from_secs(10), |s| {
        !s.instances[0].alerts.is_empty()
    })
    .await;
    let alert = &snap.instances[0].alerts[0];
    assert_eq!(alert.kind, "auth");
    assert_eq!(alert.peer.to_string(), K4);
    let drops = snap.instances[0]
        .drops
        .get("auth_mismatch")
        .copied()
        .unwrap_or(0);
    assert!(drops >= 1, "auth_mismatch drops: {drops}");
    // Neither accepts the other: both end up master, as keepalived does.
    assert!(wait_until(Duration::from_secs(8), || lab
        .has_address("k", VIP4)
        && lab.has_address("d", VIP4)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_interval_is_an_alert() {
    if !ready("a_different_interval_is_an_alert") {
        return;
    }
    let mut lab = setup("kmi");
    lab.keepalived("k", "k", &keepalived_conf(&peer(3, 150, "0.2")));
    let socket = lab.director("d", "d", &director_conf(&peer(3, 100, "0.1")));
    let handle = attach_retrying(&socket).await;
    let snap = snapshot_where(&handle, Duration::from_secs(10), |s| {
        s.instances[0].alerts.iter().any(|a| a.kind == "interval")
    })
    .await;
    let alert = snap.instances[0]
        .alerts
        .iter()
        .find(|a| a.kind == "interval")
        .unwrap();
    assert_eq!(
        alert.detail,
        "peer advertises every 200 ms, this instance every 100 ms"
    );
    // v3 learns the master's interval: director stays a healthy backup.
    assert_eq!(snap.instances[0].state, State::Backup);
    assert_eq!(snap.instances[0].advert_interval_ms, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicast_peers_elect_and_fail_over() {
    if !ready("unicast_peers_elect_and_fail_over") {
        return;
    }
    let mut lab = setup("kuc");
    let mut k = peer(3, 150, "0.1");
    k.extra = format!("  unicast_src_ip {K4}\n  unicast_peer {{\n    {D4}\n  }}\n");
    lab.keepalived("k", "k", &keepalived_conf(&k));
    let mut d = peer(3, 100, "0.1");
    d.extra = format!("unicast_src_ip = \"{D4}\"\nunicast_peer = [\"{K4}\"]\n");
    let socket = lab.director("d", "d", &director_conf(&d));
    let handle = attach_retrying(&socket).await;
    let snap = snapshot_where(&handle, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Backup && s.instances[0].adverts_received >= 3
    })
    .await;
    assert_eq!(snap.instances[0].owner, Owner::Peer(K4.parse().unwrap()));
    // Nothing went to the multicast group: director joined none.
    lab.stop("k", libc::SIGTERM);
    assert!(
        wait_until(Duration::from_secs(5), || lab.has_address("d", VIP4)),
        "director did not take over by unicast"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_failover_and_takeover_against_keepalived() {
    if !ready("operator_failover_and_takeover_against_keepalived") {
        return;
    }
    let mut lab = setup("kop");
    lab.keepalived("k", "k", &keepalived_conf(&peer(3, 100, "0.1")));
    let socket = lab.director("d", "d", &director_conf(&peer(3, 150, "0.1")));
    let handle = attach_retrying(&socket).await;
    state(&handle, State::Master, Duration::from_secs(10)).await;
    assert!(wait_until(Duration::from_secs(3), || lab.has_address("d", VIP4)));
    std::thread::sleep(Duration::from_millis(500));

    handle
        .request(request(Command::Failover {
            instance: "VI_1".into(),
        }))
        .await
        .expect("failover accepted");
    let took = time_until(Duration::from_secs(3), || lab.has_address("k", VIP4))
        .expect("keepalived never took the VIP");
    assert!(
        took < Duration::from_millis(500),
        "keepalived took {took:?}"
    );
    assert!(
        wait_until(Duration::from_secs(2), || !lab.has_address("d", VIP4)),
        "director kept the VIP after the new master spoke"
    );
    // Held: the higher-priority director does not take it back.
    std::thread::sleep(Duration::from_secs(1));
    let snap = handle.snapshots.borrow().clone().unwrap();
    assert_eq!(snap.instances[0].state, State::Backup);
    assert!(snap.instances[0].held);
    assert!(lab.has_address("k", VIP4) && !lab.has_address("d", VIP4));

    handle
        .request(request(Command::Takeover {
            instance: "VI_1".into(),
        }))
        .await
        .expect("takeover accepted");
    assert!(
        wait_until(Duration::from_secs(3), || lab.has_address("d", VIP4)
            && !lab.has_address("k", VIP4)),
        "takeover did not move the VIP back"
    );
    state(&handle, State::Master, Duration::from_secs(2)).await;
}

/// A migration: the node that ran keepalived now runs director on the same
/// keepalived.conf as its keepalived peer (only the priority differs). They
/// elect director, keepalived takes over when director stops, and director
/// takes the VIP back when it returns.
async fn same_keepalived_conf(tag: &str, peer_of: fn(u8) -> Peer) {
    if !ready(tag) {
        return;
    }
    let vip = if peer_of(100).ipv6 { VIP6 } else { VIP4 };
    let mut lab = setup(tag);
    lab.keepalived("k", "k", &keepalived_conf(&peer_of(100)));
    let director_file = keepalived_conf(&peer_of(150));
    let socket = lab.director_with("d", "d", "keepalived.conf", &director_file);
    let handle = attach_retrying(&socket).await;
    state(&handle, State::Master, Duration::from_secs(10)).await;
    assert!(wait_until(Duration::from_secs(3), || lab.has_address("d", vip)));
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !lab.has_address("k", vip),
        "keepalived rejected director's adverts:\n{}",
        lab.log("k")
    );
    let snap = handle.snapshots.borrow().clone().unwrap();
    assert_eq!(snap.instances[0].version, peer_of(150).version);
    assert!(
        snap.instances[0].alerts.is_empty(),
        "{:?}",
        snap.instances[0].alerts
    );
    drop(handle);

    lab.stop("d", libc::SIGTERM);
    assert!(
        wait_until(Duration::from_secs(10), || lab.has_address("k", vip)),
        "keepalived did not take over from the stopped director:\n{}",
        lab.log("k")
    );
    let socket = lab.director_with("d", "d", "keepalived.conf", &director_file);
    let handle = attach_retrying(&socket).await;
    state(&handle, State::Master, Duration::from_secs(10)).await;
    assert!(
        wait_until(Duration::from_secs(10), || lab.has_address("d", vip)
            && !lab.has_address("k", vip)),
        "director did not take the VIP back:\n{}",
        lab.log("k")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn director_runs_the_same_keepalived_conf_as_its_keepalived_peer() {
    same_keepalived_conf("kcf", |priority| peer(2, priority, "1")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn director_runs_the_same_ipv6_vrrpv3_keepalived_conf_as_its_peer() {
    same_keepalived_conf("kcf6", |priority| Peer {
        ipv6: true,
        ..peer(3, priority, "0.5")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalived_takes_over_from_a_crashed_director() {
    if !ready("keepalived_takes_over_from_a_crashed_director") {
        return;
    }
    let mut lab = setup("kcr");
    lab.keepalived("k", "k", &keepalived_conf(&peer(3, 100, "0.1")));
    let socket = lab.director("d", "d", &director_conf(&peer(3, 150, "0.1")));
    let handle = attach_retrying(&socket).await;
    state(&handle, State::Master, Duration::from_secs(10)).await;
    std::thread::sleep(Duration::from_millis(500));
    assert!(!lab.has_address("k", VIP4));
    // keepalived's Master_Down_Interval at priority 100 and 0.1 s: 361 ms.
    lab.stop("d", libc::SIGKILL);
    lab.sh("d", "ip link set eth0 down");
    let took = time_until(Duration::from_secs(5), || lab.has_address("k", VIP4))
        .expect("keepalived never took over");
    assert!(
        took <= Duration::from_millis(361 + 300),
        "keepalived took {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_configs_pass_keepalived_t_and_mean_the_same() {
    if !ready("exported_configs_pass_keepalived_t_and_mean_the_same") {
        return;
    }
    // keepalived -t checks interfaces: give it the ones the files name.
    let lab = setup("kexp");
    lab.sh(
        "d",
        "ip link add eth1 type veth peer name eth2 && ip link set eth1 up",
    );
    let fixtures = [
        ("keepalived/guide-000.conf", "conf"),
        ("keepalived/guide-001.conf", "conf"),
        ("keepalived/features.conf", "conf"),
        ("ldirectord/guide-002.cf", "cf"),
    ];
    for (index, (fixture, extension)) in fixtures.iter().enumerate() {
        let path = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("ens32", "eth0");
        let original = lab.dir.join(format!("original-{index}.{extension}"));
        std::fs::write(&original, text).unwrap();
        let first = director::config::load_file(&original)
            .unwrap_or_else(|e| panic!("{fixture}: {e:?}"))
            .config;
        let exported = lab.dir.join(format!("exported-{index}.conf"));
        std::fs::write(
            &exported,
            director::config::keepalived::to_keepalived(&first),
        )
        .unwrap();
        let verdict = lab.sh(
            "d",
            &format!("keepalived -t -f {} 2>&1; echo rc=$?", exported.display()),
        );
        assert!(
            verdict.trim_end().ends_with("rc=0"),
            "keepalived -t refused the export of {fixture}:\n{verdict}\n{}",
            std::fs::read_to_string(&exported).unwrap()
        );
        let second = director::config::load_file(&exported)
            .unwrap_or_else(|e| panic!("{fixture} exported: {e:?}"))
            .config;
        assert_eq!(
            second, first,
            "{fixture}: the round trip changed the meaning"
        );
    }
}
