//! The guides operators learned from (`../shared/seeds`, their configs kept
//! in `tests/fixtures`) run as the guides say, in network namespaces: each
//! file passes `config check` with exactly the warnings stated here, then
//! runs with its addresses rewritten to the lab's ranges — the VIP comes
//! up on the MASTER, the real servers are checked, and a client reaches
//! them through the VIP. Needs root.

mod common;

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::netlab::NetLab;
use common::{attach_retrying, namespaces_available, prefix, snapshot_where};
use director::config::diagnostic::Severity;
use director::ipvs::model::Health;
use director::lab::netns::in_namespace;
use director::vrrp::instance::State;

const VIP: &str = "192.0.2.50";

/// One guide's configuration and how it maps onto the lab.
struct Seed {
    fixture: &'static str,
    /// (the guide's text, the lab's) replacements, in order.
    rewrites: &'static [(&'static str, &'static str)],
    /// The real servers' lab addresses.
    reals: &'static [&'static str],
    port: u16,
    /// Whether the guide checks its real servers (ldirectord's checktype=on does not).
    checked: bool,
    /// Every distinct warning `config check` gives, `//` comments aside.
    warnings: &'static [&'static str],
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `config check` on the guide's file as it is: no error, and exactly the
/// stated warnings (the `//` comments are counted separately).
fn check_warnings(seed: &Seed) {
    let path = format!(
        "{}/tests/fixtures/{}",
        env!("CARGO_MANIFEST_DIR"),
        seed.fixture
    );
    let loaded = director::config::load_file(std::path::Path::new(&path))
        .unwrap_or_else(|e| panic!("{}: {e:?}", seed.fixture));
    assert!(loaded
        .warnings
        .iter()
        .all(|w| w.severity == Severity::Warning));
    let mut warnings: Vec<String> = loaded
        .warnings
        .iter()
        .filter(|w| !w.message.starts_with("`//` starts a comment"))
        .map(|w| w.message.clone())
        .collect();
    warnings.sort();
    warnings.dedup();
    let mut expected: Vec<String> = seed.warnings.iter().map(|w| w.to_string()).collect();
    expected.sort();
    assert_eq!(warnings, expected, "{}", seed.fixture);
}

/// Real servers that answer each connection with their address.
fn serve(lab: &NetLab, seed: &Seed, stop: &Arc<AtomicBool>) {
    for (i, address) in seed.reals.iter().enumerate() {
        let at: SocketAddr = format!("{address}:{}", seed.port).parse().unwrap();
        let listener = in_namespace(&lab.ns(&format!("rs{}", i + 1)), move || {
            TcpListener::bind(at)
        })
        .unwrap()
        .unwrap();
        listener.set_nonblocking(true).unwrap();
        let (stop, name) = (stop.clone(), address.to_string());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        use std::io::Write;
                        let _ = stream.write_all(name.as_bytes());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
    }
}

/// What the client gets through the VIP.
fn through_the_vip(lab: &NetLab, port: u16) -> Result<String, String> {
    let target: SocketAddr = format!("{VIP}:{port}").parse().unwrap();
    let mut stream = in_namespace(&lab.ns("client"), move || {
        TcpStream::connect_timeout(&target, Duration::from_secs(3))
    })
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(answer)
}

/// A lab for `seed`: a director node, its real servers (answering), a client.
fn lab_for(tag: &str, seed: &Seed, stop: &Arc<AtomicBool>) -> NetLab {
    let lab = NetLab::new(&prefix(tag));
    lab.node("dir", &["192.0.2.1/24"]);
    for (i, address) in seed.reals.iter().enumerate() {
        lab.node(&format!("rs{}", i + 1), &[&format!("{address}/24")]);
    }
    lab.node("client", &["192.0.2.100/24"]);
    serve(&lab, seed, stop);
    lab
}

/// Start director on `node` with `seed`'s file, rewritten to the lab.
async fn start(lab: &mut NetLab, node: &str, seed: &Seed) -> director::engine::EngineHandle {
    let text = seed
        .rewrites
        .iter()
        .fold(fixture(seed.fixture), |text, (from, to)| {
            text.replace(from, to)
        });
    let file = seed.fixture.rsplit('/').next().unwrap();
    let socket = lab.director_with(node, node, file, &text);
    attach_retrying(&socket).await
}

/// Until the VIP serves: MASTER (with `vrrp`), every real server known and
/// checked (or unchecked and in the table).
async fn serving(
    engine: &director::engine::EngineHandle,
    seed: &Seed,
    vrrp: bool,
) -> Arc<director::engine::Snapshot> {
    snapshot_where(engine, Duration::from_secs(20), |s| {
        let master = !vrrp
            || s.instances
                .first()
                .is_some_and(|i| i.state == State::Master);
        let servers: Vec<_> = s.services.iter().flat_map(|v| &v.servers).collect();
        let checked = servers
            .iter()
            .all(|r| r.health == Health::Up || (r.checks_run == 0 && r.in_table));
        master && servers.len() == seed.reals.len() && checked
    })
    .await
}

/// Every answer through the VIP comes from one of the real servers.
fn clients_are_served(lab: &NetLab, tag: &str, seed: &Seed) -> Vec<String> {
    (0..seed.reals.len() * 2)
        .map(|_| {
            let answer = through_the_vip(lab, seed.port).unwrap_or_else(|e| panic!("{tag}: {e}"));
            assert!(seed.reals.contains(&answer.as_str()), "{tag}: {answer:?}");
            answer
        })
        .collect()
}

/// Run `seed` in a lab: a director, its real servers, a client.
async fn run(tag: &str, seed: &Seed, vrrp: bool) {
    if !namespaces_available(tag) {
        return;
    }
    check_warnings(seed);
    let stop = Arc::new(AtomicBool::new(false));
    let mut lab = lab_for(tag, seed, &stop);
    if !vrrp {
        // ldirectord leaves the VIP to heartbeat; the lab plays heartbeat.
        lab.sh("dir", &format!("ip addr add {VIP}/24 dev eth0"));
    }
    let engine = start(&mut lab, "dir", seed).await;
    let ready = serving(&engine, seed, vrrp).await;
    if vrrp {
        assert!(lab.has_address("dir", VIP), "the MASTER holds the VIP");
    }
    let checked = ready.services[0].servers.iter().all(|r| r.checks_run > 0);
    assert_eq!(
        checked, seed.checked,
        "{tag}: were the real servers checked?"
    );
    let answers = clients_are_served(&lab, tag, seed);
    stop.store(true, Ordering::Relaxed);
    eprintln!("{tag}: VIP served by {answers:?}; real servers checked: {checked}");
}

const DR_WARNING: &str = "DR forwarding needs the kernel plane; the userspace plane proxies connections (full NAT), so real servers see director's address as the client";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_000_keepalived_master_with_a_checked_real_server() {
    let seed = Seed {
        fixture: "keepalived/guide-000.conf",
        rewrites: &[
            ("192.168.100.254", VIP),
            ("192.168.100.10", "192.0.2.21"),
            ("ens32", "eth0"),
        ],
        reals: &["192.0.2.21"],
        port: 80,
        checked: true,
        warnings: &[
            "`lb_algo` is deprecated; keepalived now calls it `lvs_sched`",
            "`lb_kind` is deprecated; keepalived now calls it `lvs_method`",
            "`nb_get_retry` is deprecated; keepalived now calls it `retry`",
            DR_WARNING,
        ],
    };
    run("seed000", &seed, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_001_keepalived_master_with_two_checked_real_servers() {
    let seed = Seed {
        fixture: "keepalived/guide-001.conf",
        rewrites: &[
            ("192.168.22.195", VIP),
            ("192.168.22.193", "192.0.2.21"),
            ("192.168.22.194", "192.0.2.22"),
        ],
        reals: &["192.0.2.21", "192.0.2.22"],
        port: 80,
        checked: true,
        warnings: &[
            "`lb_algo` is deprecated; keepalived now calls it `lvs_sched`",
            "`lb_kind` is deprecated; keepalived now calls it `lvs_method`",
            DR_WARNING,
            // The guide's own mistake (keepalived's old keyword is nat_mask).
            "unknown keyword `net_mask` in virtual_server; ignored",
            // Shell lines pasted after the config, as the guide prints them.
            "unknown keyword `.启动keepalived` in the top level; ignored",
            "unknown keyword `[root@localhost` in the top level; ignored",
        ],
    };
    run("seed001", &seed, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_002_ldirectord_serves_its_virtual_service() {
    let seed = Seed {
        fixture: "ldirectord/guide-002.cf",
        rewrites: &[
            ("192.168.34.41", VIP),
            ("192.168.34.26", "192.0.2.21"),
            ("192.168.34.27", "192.0.2.22"),
        ],
        reals: &["192.0.2.21", "192.0.2.22"],
        port: 443,
        checked: false,
        warnings: &[
            "`autoreload` does not apply here (director re-reads its configuration on SIGHUP or `director ctl reload`); ignored",
            "`logfile` does not apply here (director logs to stderr, for journald); ignored",
            DR_WARNING,
        ],
    };
    run("seed002", &seed, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guide_001_master_and_backup_fail_over_as_the_guide_says() {
    let tag = "seed001pair";
    if !namespaces_available(tag) {
        return;
    }
    let rewrites: &[(&str, &str)] = &[
        ("192.168.22.195", VIP),
        ("192.168.22.193", "192.0.2.21"),
        ("192.168.22.194", "192.0.2.22"),
    ];
    let master = Seed {
        fixture: "keepalived/guide-001.conf",
        rewrites,
        reals: &["192.0.2.21", "192.0.2.22"],
        port: 80,
        checked: true,
        warnings: &[],
    };
    let backup = Seed {
        fixture: "keepalived/guide-001-backup.conf",
        warnings: &[
            "`lb_algo` is deprecated; keepalived now calls it `lvs_sched`",
            "`lb_kind` is deprecated; keepalived now calls it `lvs_method`",
            DR_WARNING,
            "unknown keyword `net_mask` in virtual_server; ignored",
            // The guide's "state SLAVE": keepalived says so and runs it as BACKUP.
            "unknown state \"SLAVE\" (MASTER or BACKUP); taken as BACKUP, as keepalived does",
        ],
        ..master
    };
    check_warnings(&backup);
    let stop = Arc::new(AtomicBool::new(false));
    let mut lab = lab_for(tag, &master, &stop);
    lab.node("dir2", &["192.0.2.2/24"]);
    let first = start(&mut lab, "dir", &master).await;
    serving(&first, &master, true).await;
    let second = start(&mut lab, "dir2", &backup).await;
    serving(&second, &backup, false).await;
    snapshot_where(&second, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Backup
    })
    .await;
    assert!(lab.has_address("dir", VIP) && !lab.has_address("dir2", VIP));
    clients_are_served(&lab, tag, &master);

    // The master goes away: the backup takes the VIP and serves.
    lab.stop("dir", libc::SIGTERM);
    serving(&second, &backup, true).await;
    assert!(lab.has_address("dir2", VIP), "the backup took the VIP");
    let answers = clients_are_served(&lab, tag, &backup);
    stop.store(true, Ordering::Relaxed);
    eprintln!("{tag}: after failover the VIP is served by {answers:?}");
}
