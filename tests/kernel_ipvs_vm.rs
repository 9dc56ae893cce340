//! The kernel IPVS netlink client against a real kernel: this test binary
//! boots a Debian kernel under qemu with itself in the initramfs, and runs
//! its `guest` test in there, with ipvsadm beside it as the reference.
//! Needs qemu-system-x86, busybox-static, ipvsadm and apt access to the
//! kernel package (cached in /var/cache/director-vm).

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::vm;
use director::ctl::{render, rules, Columns};
use director::ipvs::kernel::{
    header, reconcile, views, Forward, Ipvs, KDest, KService, Op, ServiceKey, Stats, SyncDaemon,
    SyncRole, Timeouts, Tunnel,
};

/// The schedulers the 6.1 kernel ships (twos arrived in 6.7).
const SCHEDULERS: [&str; 13] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
];

#[test]
fn the_netlink_client_drives_a_real_kernel_ipvs() {
    if let Err(why) = vm::require_tools() {
        if std::env::var_os("CI").is_some() {
            panic!("the kernel IPVS test must run in CI: {why}");
        }
        eprintln!("SKIPPED the_netlink_client_drives_a_real_kernel_ipvs: {why}");
        return;
    }
    let kernel = vm::kernel().unwrap_or_else(|e| panic!("no kernel to boot: {e}"));
    let mut modules = vec!["crc32c_generic", "ip_vs", "veth"];
    let schedulers: Vec<String> = SCHEDULERS.iter().map(|s| format!("ip_vs_{s}")).collect();
    modules.extend(schedulers.iter().map(String::as_str));
    let me = std::env::current_exe().unwrap();
    let guest = vm::Guest {
        program: &me,
        args: "--ignored --nocapture --test-threads=1",
        modules: &modules,
        programs: &[
            (vm::which("ipvsadm"), "/sbin/ipvsadm"),
            (PathBuf::from(env!("CARGO_BIN_EXE_director")), "/director"),
            // iproute2's ip: busybox's has no network namespaces.
            (vm::which("ip"), "/usr/sbin/ip"),
        ],
        limit: Duration::from_secs(300),
    };
    let console = vm::run_guest(&kernel, &guest).unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{console}");
    assert!(
        console.contains("GUEST RESULT 0") && console.contains("test result: ok. 4 passed"),
        "the guest test failed:\n{console}"
    );
}

fn ipvsadm(args: &[&str]) -> String {
    let out = Command::new("/sbin/ipvsadm")
        .args(args)
        .output()
        .expect("ipvsadm");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn service(key: ServiceKey, scheduler: &str) -> KService {
    KService {
        key,
        scheduler: scheduler.into(),
        flags: 0,
        timeout: 0,
        netmask: if matches!(key, ServiceKey::Tcp(a) | ServiceKey::Udp(a) | ServiceKey::Sctp(a) if a.is_ipv6())
            || matches!(key, ServiceKey::Fwmark { ipv6: true, .. })
        {
            128
        } else {
            0xffffffff
        },
        pe_name: None,
        stats: Stats::default(),
    }
}

fn dest(address: &str, forward: Forward, weight: u32) -> KDest {
    KDest::new(address.parse().unwrap(), forward, weight)
}

fn at(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// The table every kind of service and destination makes.
fn table() -> Vec<(KService, Vec<KDest>)> {
    let mut persistent = service(ServiceKey::Udp(at("192.0.2.50:53")), "rr");
    persistent.flags = 0x1;
    persistent.timeout = 300;
    persistent.netmask = u32::from_ne_bytes([255, 255, 255, 0]);
    let mut hashed = service(ServiceKey::Sctp(at("192.0.2.50:9")), "sh");
    hashed.flags = 0x8 | 0x10;
    let mut marked6 = service(
        ServiceKey::Fwmark {
            mark: 8,
            ipv6: true,
        },
        "wlc",
    );
    marked6.flags = 0x1;
    marked6.timeout = 60;
    marked6.netmask = 64;
    let mut thresholds = dest("192.0.2.23:80", Forward::Route, 3);
    thresholds.upper = 100;
    thresholds.lower = 50;
    let mut gue = dest("192.0.2.24:80", Forward::Tunnel, 1);
    gue.tunnel = Tunnel {
        kind: 1,
        port: 6080,
        flags: 1,
    };
    let mut gre = dest("192.0.2.26:80", Forward::Tunnel, 1);
    gre.tunnel.kind = 2;
    vec![
        (
            service(ServiceKey::Tcp(at("192.0.2.50:80")), "wlc"),
            vec![
                dest("192.0.2.21:80", Forward::Masq, 1),
                dest("192.0.2.22:8080", Forward::Tunnel, 2),
                thresholds,
                gue,
                gre,
            ],
        ),
        (persistent, vec![dest("192.0.2.21:53", Forward::Masq, 1)]),
        (hashed, vec![dest("192.0.2.21:9", Forward::Route, 1)]),
        (
            service(
                ServiceKey::Fwmark {
                    mark: 7,
                    ipv6: false,
                },
                "mh",
            ),
            vec![dest("192.0.2.25:0", Forward::Route, 4)],
        ),
        (
            service(ServiceKey::Tcp(at("[2001:db8::50]:443")), "lc"),
            vec![dest("[2001:db8::21]:443", Forward::Masq, 1)],
        ),
        (marked6, vec![dest("[2001:db8::22]:0", Forward::Route, 1)]),
    ]
}

/// Services and destinations as the kernel lists them, sorted like the table.
fn observed(ipvs: &mut Ipvs) -> Vec<(KService, Vec<KDest>)> {
    let mut found = ipvs.table().unwrap();
    for (_, dests) in &mut found {
        dests.sort_by_key(|d| d.address);
    }
    found.sort_by_key(|(s, _)| s.key);
    found
}

fn without_counters(mut table: Vec<(KService, Vec<KDest>)>) -> Vec<(KService, Vec<KDest>)> {
    for (service, dests) in &mut table {
        service.stats = Stats::default();
        for dest in dests {
            (dest.active, dest.inactive, dest.persistent, dest.stats) = (0, 0, 0, Stats::default());
        }
    }
    table
}

#[test]
#[ignore = "runs inside the VM that the_netlink_client_drives_a_real_kernel_ipvs boots"]
fn guest() {
    assert!(
        Path::new("/modules.order").exists(),
        "not inside the test VM"
    );
    let mut ipvs = Ipvs::connect().expect("IPVS resolves");
    let info = ipvs.info().unwrap();
    assert_eq!(info.version, (1, 2, 1));
    assert!(info.table_size > 0);
    println!("IPVS {:?}, {} buckets", info.version, info.table_size);

    // Every kind of service and destination, in one batch.
    let mut want = table();
    let plan = reconcile(&want, &[], false);
    let failures = ipvs.apply(&plan.ops);
    assert!(failures.is_empty(), "{failures:?}");
    want.sort_by_key(|(s, _)| s.key);
    for (_, dests) in &mut want {
        dests.sort_by_key(|d| d.address);
    }
    assert_eq!(without_counters(observed(&mut ipvs)), want);
    let listing = ipvsadm(&["-Ln"]);
    println!("{listing}");
    for line in [
        "TCP  192.0.2.50:80 wlc",
        "UDP  192.0.2.50:53 rr persistent 300 mask 255.255.255.0",
        "SCTP 192.0.2.50:9 sh",
        "FWM  7 mh",
        "TCP  [2001:db8::50]:443 lc",
        "FWM  8 IPv6 wlc persistent 60 mask 64",
        "-> 192.0.2.21:80                Masq    1",
        "-> 192.0.2.22:8080              Tunnel  2",
        "-> 192.0.2.23:80                Route   3",
        "-> [2001:db8::21]:443           Masq    1",
    ] {
        assert!(listing.contains(line), "ipvsadm lacks {line:?}:\n{listing}");
    }
    let thresholds = ipvsadm(&["-Ln", "--thresholds"]);
    assert!(
        thresholds.contains("-> 192.0.2.23:80                100        50"),
        "{thresholds}"
    );

    // director's listing of the kernel table is ipvsadm's, byte for byte.
    let raw = ipvs.table().unwrap();
    let views = views(&raw);
    for (columns, args) in [
        (Columns::Plain, vec!["-Ln"]),
        (Columns::Stats, vec!["-Ln", "--stats"]),
        (Columns::Rate, vec!["-Ln", "--rate"]),
        (Columns::Thresholds, vec!["-Ln", "--thresholds"]),
        (Columns::PersistentConn, vec!["-Ln", "--persistent-conn"]),
    ] {
        let ours = render(&header(&info), &views, columns, false);
        assert_eq!(ours, ipvsadm(&args), "ipvsadm {args:?} differs");
    }
    let saved = ipvsadm(&["-Sn"]);
    println!("{saved}");
    assert_eq!(rules(&views), saved, "ipvsadm -Sn differs");

    // Adopting what is there changes nothing.
    let again = reconcile(&table(), &observed(&mut ipvs), false);
    assert_eq!(again.ops, Vec::<Op>::new());

    // A drain (weight 0) is one edit, and ipvsadm sees it.
    let mut drained = table();
    drained[0].1[0].weight = 0;
    let plan = reconcile(&drained, &observed(&mut ipvs), false);
    assert_eq!(plan.ops.len(), 1, "{:?}", plan.ops);
    assert!(ipvs.apply(&plan.ops).is_empty());
    assert!(ipvsadm(&["-Ln"]).contains("-> 192.0.2.21:80                Masq    0"));

    // Hostile cases come back as typed, explained errors.
    let key = ServiceKey::Tcp(at("198.51.100.9:80"));
    let bad = [
        Op::AddService(service(key, "nosuch")),
        Op::AddService(table()[0].0.clone()),
        Op::AddDest(key, dest("198.51.100.20:80", Forward::Masq, 1)),
    ];
    let failures = ipvs.apply(&bad);
    let texts: Vec<String> = failures.iter().map(|(_, e)| e.to_string()).collect();
    assert_eq!(failures.len(), 3, "{texts:?}");
    assert!(texts[0].contains("no scheduler \"nosuch\""), "{texts:?}");
    assert!(texts[1].contains("already exists"), "{texts:?}");
    assert!(texts[2].contains("no such virtual service"), "{texts:?}");

    // A service made by someone else is left alone and reported.
    ipvsadm(&["-A", "-t", "203.0.113.1:80", "-s", "rr"]);
    let plan = reconcile(&drained, &observed(&mut ipvs), false);
    assert!(plan.ops.is_empty(), "{:?}", plan.ops);
    assert_eq!(plan.unmanaged, vec![ServiceKey::Tcp(at("203.0.113.1:80"))]);

    // Timeouts, zero, and many changes in few sends.
    ipvs.set_timeouts(Timeouts {
        tcp: 900,
        tcp_fin: 60,
        udp: 200,
    })
    .unwrap();
    assert_eq!(
        ipvs.timeouts().unwrap(),
        Timeouts {
            tcp: 900,
            tcp_fin: 60,
            udp: 200
        }
    );
    ipvs.zero(None).unwrap();
    let many: Vec<Op> = (0..100u16)
        .flat_map(|s| {
            let key = ServiceKey::Tcp(SocketAddr::from(([198, 51, 100, 1], 1000 + s)));
            std::iter::once(Op::AddService(service(key, "rr"))).chain((0..10u8).map(move |d| {
                Op::AddDest(
                    key,
                    dest(&format!("203.0.113.{}:80", d + 1), Forward::Route, 1),
                )
            }))
        })
        .collect();
    let failures = ipvs.apply(&many);
    assert!(
        failures.is_empty(),
        "{:?}",
        &failures[..failures.len().min(3)]
    );
    assert_eq!(ipvs.services().unwrap().len(), table().len() + 1 + 100);
    ipvs.flush().unwrap();
    assert!(ipvs.services().unwrap().is_empty());
}

const DAEMON_CONFIG: &str = r#"
[global]
lvs_timeouts = { tcp = 7200, udp = 60 }
[[virtual_server]]
name = "web"
address = "192.0.2.50"
port = 80
scheduler = "wlc"
forwarding = "dr"
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.21"
port = 80
[[virtual_server.real_server]]
name = "rs2"
address = "192.0.2.22"
port = 80
weight = 2
forwarding = "tun"
[[virtual_server]]
name = "dns"
address = "192.0.2.50"
port = 53
protocol = "udp"
scheduler = "rr"
persistence_timeout = 300
[[virtual_server.real_server]]
name = "ns1"
address = "192.0.2.21"
port = 53
"#;

/// `director run --dataplane kernel` in the VM, until dropped.
struct Daemon(std::process::Child);

impl Daemon {
    fn start() -> Daemon {
        Daemon::start_with(&[])
    }

    fn start_with(extra: &[&str]) -> Daemon {
        let _ = std::fs::remove_file("/run/d.sock");
        Daemon(
            Command::new("/director")
                .args(["run", "--dataplane", "kernel", "--config", "/tmp/d.toml"])
                .args(["--control", "/run/d.sock"])
                .args(extra)
                .spawn()
                .expect("director starts"),
        )
    }

    fn stop(mut self) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let started = std::time::Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {what} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const WEB: [&str; 3] = [
    "TCP  192.0.2.50:80 wlc",
    "  -> 192.0.2.21:80                Route   1      0          0",
    "  -> 192.0.2.22:80                Tunnel  2      0          0",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside the VM that the_netlink_client_drives_a_real_kernel_ipvs boots"]
async fn guest_daemon() {
    assert!(
        Path::new("/modules.order").exists(),
        "not inside the test VM"
    );
    Ipvs::connect().unwrap().flush().unwrap();
    std::fs::create_dir_all("/run").unwrap();
    std::fs::write("/tmp/d.toml", DAEMON_CONFIG).unwrap();
    // Someone else's service, there before director starts.
    ipvsadm(&["-A", "-t", "203.0.113.1:80", "-s", "rr"]);

    let daemon = Daemon::start();
    wait_for("the configured table in the kernel", || {
        let listing = ipvsadm(&["-Ln"]);
        WEB.iter().all(|l| listing.contains(l))
            && listing.contains("UDP  192.0.2.50:53 rr persistent 300")
    });
    let listing = ipvsadm(&["-Ln"]);
    assert!(
        listing.contains("TCP  203.0.113.1:80 rr"),
        "the unmanaged service was removed:\n{listing}"
    );
    let quiescent =
        std::fs::read_to_string("/proc/sys/net/ipv4/vs/expire_quiescent_template").unwrap();
    assert_eq!(quiescent.trim(), "1");
    // lvs_timeouts reach the kernel; tcpfin, left out, is left as it was.
    wait_for("lvs_timeouts in the kernel", || {
        let timeouts = ipvsadm(&["-L", "--timeout"]);
        let words: Vec<&str> = timeouts.split_whitespace().collect();
        (words.get(4), words.get(6)) == (Some(&"7200"), Some(&"60"))
    });

    // `director list` on the kernel plane is `ipvsadm -Ln`, byte for byte.
    for (ours, theirs) in [
        (vec!["list"], vec!["-Ln"]),
        (vec!["list", "--stats"], vec!["-Ln", "--stats"]),
        (vec!["list", "-S"], vec!["-Sn"]),
        (vec!["list", "--thresholds"], vec!["-Ln", "--thresholds"]),
        (vec!["list", "--timeout"], vec!["-L", "--timeout"]),
    ] {
        let out = Command::new("/director")
            .args(&ours)
            .args(["--socket", "/run/d.sock"])
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            listed,
            ipvsadm(&theirs),
            "director {ours:?} differs from ipvsadm {theirs:?}"
        );
    }

    let handle = common::attach_retrying(Path::new("/run/d.sock")).await;
    let snapshot = common::snapshot_where(&handle, Duration::from_secs(10), |s| {
        s.dataplane == director::ipvs::model::PlaneKind::Kernel
    })
    .await;
    assert_eq!(snapshot.server("web", "rs2").unwrap().forwarding, "Tunnel");
    let shown = common::snapshot_where(&handle, Duration::from_secs(10), |s| {
        !s.unmanaged.is_empty()
    })
    .await;
    assert_eq!(
        shown.unmanaged,
        ["TCP 203.0.113.1:80"],
        "unmanaged services are shown"
    );
    let reply = handle
        .request(director::engine::Request {
            command: director::engine::Command::Drain {
                service: "web".into(),
                server: "rs1".into(),
            },
            origin: "test".into(),
        })
        .await;
    assert!(reply.is_ok(), "{reply:?}");
    wait_for("rs1 drained in the kernel", || {
        ipvsadm(&["-Ln"]).contains("  -> 192.0.2.21:80                Route   0")
    });
    drop(handle);

    // A stop leaves the table in the kernel (connections keep flowing);
    // a restart adopts it and changes only what differs.
    daemon.stop();
    let after_stop = ipvsadm(&["-Ln"]);
    assert!(
        after_stop.contains("  -> 192.0.2.21:80                Route   0"),
        "{after_stop}"
    );
    assert!(
        after_stop.contains("UDP  192.0.2.50:53"),
        "the table went with director:\n{after_stop}"
    );
    let daemon = Daemon::start();
    wait_for("rs1 back at its configured weight", || {
        ipvsadm(&["-Ln"]).contains(WEB[1])
    });
    let listing = ipvsadm(&["-Ln"]);
    assert!(listing.contains("TCP  203.0.113.1:80 rr"), "{listing}");
    assert_eq!(
        listing.matches("TCP  192.0.2.50:80").count(),
        1,
        "{listing}"
    );
    println!("{listing}");
    daemon.stop();

    // Asked to, a stop clears the kernel table.
    let daemon = Daemon::start_with(&["--flush-on-stop"]);
    let handle = common::attach_retrying(Path::new("/run/d.sock")).await;
    common::snapshot_where(&handle, Duration::from_secs(10), |s| {
        s.dataplane == director::ipvs::model::PlaneKind::Kernel
    })
    .await;
    drop(handle);
    daemon.stop();
    let listing = ipvsadm(&["-Ln"]);
    assert!(
        !listing.contains("TCP "),
        "--flush-on-stop left:\n{listing}"
    );
}

#[test]
#[ignore = "runs inside the VM that the_netlink_client_drives_a_real_kernel_ipvs boots"]
fn guest_sync_daemons() {
    assert!(
        Path::new("/modules.order").exists(),
        "not inside the test VM"
    );
    let status = Command::new("ip")
        .args(["link", "set", "dev", "lo", "multicast", "on"])
        .status()
        .unwrap();
    assert!(status.success());
    let mut ipvs = Ipvs::connect().unwrap();
    let master = SyncDaemon {
        role: SyncRole::Master,
        interface: "lo".into(),
        sync_id: 7,
        max_len: 1400,
        group: Some("224.0.0.81".parse().unwrap()),
        port: 8848,
        ttl: 1,
    };
    ipvs.start_daemon(&master).unwrap();
    let backup = SyncDaemon {
        role: SyncRole::Backup,
        ..master.clone()
    };
    ipvs.start_daemon(&backup).unwrap();
    let running = ipvs.daemons().unwrap();
    assert_eq!(running.len(), 2, "{running:?}");
    assert!(running.contains(&master), "{running:?}");
    let listed = ipvsadm(&["-L", "--daemon"]);
    println!("{listed}");
    assert!(
        listed.contains("master sync daemon (mcast=lo, syncid=7"),
        "{listed}"
    );
    assert!(
        listed.contains("backup sync daemon (mcast=lo, syncid=7"),
        "{listed}"
    );
    let again = ipvs.start_daemon(&master).unwrap_err();
    assert!(
        again
            .to_string()
            .starts_with("start the Master sync daemon on lo (syncid 7)"),
        "{again}"
    );
    ipvs.stop_daemon(SyncRole::Master).unwrap();
    ipvs.stop_daemon(SyncRole::Backup).unwrap();
    assert!(ipvs.daemons().unwrap().is_empty());
}

fn ip(args: &str) {
    let out = Command::new("/usr/sbin/ip")
        .args(args.split_whitespace())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ip {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const NAT_CONFIG: &str = r#"
[[virtual_server]]
name = "web"
address = "192.0.2.60"
port = 80
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.31"
port = 80
"#;

/// Send a line on `stream` and read its echo.
fn echo(stream: &mut std::net::TcpStream, line: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    stream.write_all(format!("{line}\n").as_bytes()).unwrap();
    let mut reply = String::new();
    BufReader::new(stream.try_clone().unwrap())
        .read_line(&mut reply)
        .unwrap();
    reply.trim_end().to_string()
}

#[test]
#[ignore = "runs inside the VM that the_netlink_client_drives_a_real_kernel_ipvs boots"]
fn guest_a_nat_connection_survives_a_director_restart() {
    use director::lab::netns::in_namespace;
    assert!(
        Path::new("/modules.order").exists(),
        "not inside the test VM"
    );
    Ipvs::connect().unwrap().flush().unwrap();
    // client (198.51.100.7) -- director (VIP 192.0.2.60) -- rs1 (192.0.2.31)
    for setup in [
        "netns add rs",
        "netns add cl",
        "link add v-rs type veth peer name eth0 netns rs",
        "link add v-cl type veth peer name eth0 netns cl",
        "addr add 192.0.2.1/24 dev v-rs",
        "link set dev v-rs up",
        "addr add 198.51.100.1/24 dev v-cl",
        "link set dev v-cl up",
        "addr add 192.0.2.60/32 dev lo",
        "-n rs addr add 192.0.2.31/24 dev eth0",
        "-n rs link set dev eth0 up",
        "-n rs route add default via 192.0.2.1",
        "-n cl addr add 198.51.100.7/24 dev eth0",
        "-n cl link set dev eth0 up",
        "-n cl route add default via 198.51.100.1",
    ] {
        ip(setup);
    }
    std::fs::write("/proc/sys/net/ipv4/ip_forward", "1").unwrap();
    let listener = in_namespace("rs", || {
        std::net::TcpListener::bind("192.0.2.31:80").unwrap()
    })
    .unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                use std::io::{BufRead, BufReader, Write};
                let mut writer = stream.try_clone().unwrap();
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = writer.write_all(format!("rs1 {line}\n").as_bytes());
                }
            });
        }
    });

    std::fs::write("/tmp/d.toml", NAT_CONFIG).unwrap();
    let daemon = Daemon::start();
    wait_for("the NAT service in the kernel", || {
        ipvsadm(&["-Ln"]).contains("  -> 192.0.2.31:80                Masq    1")
    });
    let mut client = in_namespace("cl", || {
        std::net::TcpStream::connect_timeout(&at("192.0.2.60:80"), Duration::from_secs(5))
    })
    .unwrap()
    .expect("the client reaches the VIP");
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(echo(&mut client, "one"), "rs1 one");
    let entries = ipvsadm(&["-Lnc"]);
    assert!(
        entries.contains("ESTABLISHED") && entries.contains("192.0.2.31:80"),
        "{entries}"
    );
    let ours = Command::new("/director")
        .args(["list", "-c", "--socket", "/run/d.sock"])
        .output()
        .unwrap();
    let ours = String::from_utf8_lossy(&ours.stdout).into_owned();
    assert!(
        ours.contains("ESTABLISHED")
            && ours.contains("192.0.2.60:80")
            && ours.contains("192.0.2.31:80"),
        "director list -c:\n{ours}"
    );

    daemon.stop();
    assert_eq!(
        echo(&mut client, "two"),
        "rs1 two",
        "the connection died with director"
    );
    let daemon = Daemon::start();
    wait_for("director back", || Path::new("/run/d.sock").exists());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        echo(&mut client, "three"),
        "rs1 three",
        "the restart broke the connection"
    );
    assert!(ipvsadm(&["-Lnc"]).contains("ESTABLISHED"));
    daemon.stop();
}
