//! Every checker against real servers in namespaces (HTTP(S), UDP, DNS,
//! SMTP, ping, TCP, scripts, files): each server is stopped or made to
//! misbehave (wrong status, body or pattern, a slow reply, a reset, a
//! refused port, a hung script) and the test checks the check round on
//! which it leaves and re-enters the table. Needs root.

mod common;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::netlab::NetLab;
use common::{attach_retrying, namespaces_available, prefix, snapshot_blocking};
use director::check::md5;
use director::engine::snapshot::ServerView;
use director::engine::Snapshot;
use director::ipvs::model::Health;
use director::lab::netns::in_namespace;

/// An HTTP server whose status and body the test changes, and which
/// remembers where its clients came from.
struct Backend {
    status: Arc<AtomicU16>,
    body: Arc<Mutex<String>>,
    clients: Arc<Mutex<Vec<std::net::IpAddr>>>,
    /// How it answers: `ANSWER`, `SLOW` (2 s late) or `RESET`.
    manner: Arc<AtomicU8>,
}

/// The backend answers at once.
const ANSWER: u8 = 0;
/// The backend answers after 2 s.
const SLOW: u8 = 1;
/// The backend resets the connection instead of answering.
const RESET: u8 = 2;

fn http_backend(lab: &NetLab, node: &str, address: &str, stop: &Arc<AtomicBool>) -> Backend {
    let at = format!("{address}:80");
    let listener = in_namespace(&lab.ns(node), move || TcpListener::bind(at).unwrap()).unwrap();
    listener.set_nonblocking(true).unwrap();
    let backend = Backend {
        status: Arc::new(AtomicU16::new(200)),
        body: Arc::new(Mutex::new(format!("{node} ok\n"))),
        clients: Arc::new(Mutex::new(Vec::new())),
        manner: Arc::new(AtomicU8::new(ANSWER)),
    };
    let (status, body, stop) = (backend.status.clone(), backend.body.clone(), stop.clone());
    let (clients, manner) = (backend.clients.clone(), backend.manner.clone());
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let Ok((mut stream, peer)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            clients.lock().unwrap().push(peer.ip());
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(2)))
                .unwrap();
            let mut request = [0u8; 1024];
            let _ = stream.read(&mut request);
            match manner.load(Ordering::Relaxed) {
                SLOW => std::thread::sleep(Duration::from_secs(2)),
                RESET => {
                    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                    continue;
                }
                _ => {}
            }
            let body = body.lock().unwrap().clone();
            let code = status.load(Ordering::Relaxed);
            let reply = format!(
                "HTTP/1.0 {code} X\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    backend
}

/// Run `director run` on `config` (TOML) in the lab's "dir" node and
/// attach to it.
async fn start_director(lab: &mut NetLab, config: &str) -> director::engine::EngineHandle {
    let conf = lab.dir.join("dir.toml");
    std::fs::write(&conf, config).unwrap();
    let socket = lab.dir.join("dir.sock");
    lab.spawn(
        "dir",
        "dir",
        env!("CARGO_BIN_EXE_director"),
        &[
            "run",
            "--dataplane",
            "userspace",
            "--config",
            &conf.display().to_string(),
            "--control",
            &socket.display().to_string(),
        ],
    );
    attach_retrying(&socket).await
}

fn rs<'a>(snapshot: &'a Snapshot, name: &str) -> &'a ServerView {
    snapshot.server("web", name).unwrap()
}

/// For each of `names`, (failures in a row, passes in a row) in the first
/// snapshot that shows it at `health`: the check round on which it flipped.
fn rounds_at_flip(
    engine: &director::engine::EngineHandle,
    names: &[&str],
    health: Health,
) -> HashMap<String, (u32, u32)> {
    let seen = Mutex::new(HashMap::new());
    snapshot_blocking(engine, &format!("{names:?} {health:?}"), |s| {
        let mut seen = seen.lock().unwrap();
        for name in names {
            let server = rs(s, name);
            if server.health == health && !seen.contains_key(*name) {
                let rounds = (server.failures_in_a_row, server.passes_in_a_row);
                seen.insert(name.to_string(), rounds);
            }
        }
        seen.len() == names.len()
    });
    seen.into_inner().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_get_and_misc_check_follow_the_servers() {
    if !namespaces_available("http_get_and_misc_check_follow_the_servers") {
        return;
    }
    let mut lab = NetLab::new(&prefix("chk"));
    lab.node("dir", &["192.0.2.1/24", "192.0.2.100/24"]);
    lab.node("rs1", &["192.0.2.11/24"]);
    lab.node("rs2", &["192.0.2.12/24"]);
    let stop = Arc::new(AtomicBool::new(false));
    let rs1 = http_backend(&lab, "rs1", "192.0.2.11", &stop);
    let _rs2 = http_backend(&lab, "rs2", "192.0.2.12", &stop);
    let code = lab.dir.join("code");
    std::fs::write(&code, "0").unwrap();
    let script = lab.dir.join("check.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nexit $(cat {})\n", code.display()),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["755", &script.display().to_string()])
        .status()
        .unwrap();
    let digest = md5::hex(b"rs1 ok\n");
    let config = format!(
        r#"
[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 80
delay_loop = 0.5
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.11"
port = 80
[virtual_server.real_server.http_get]
connect_timeout = 1
retry = 0
delay_before_retry = 0.5
[[virtual_server.real_server.http_get.url]]
path = "/health"
status_code = ["200-299"]
digest = "{digest}"
[[virtual_server.real_server]]
name = "rs2"
address = "192.0.2.12"
port = 80
weight = 3
[virtual_server.real_server.misc_check]
misc_path = "{}"
misc_timeout = 1
misc_dynamic = true
delay_before_retry = 0.5
"#,
        script.display()
    );
    let engine = start_director(&mut lab, &config).await;
    snapshot_blocking(&engine, "both up", |s| {
        rs(s, "rs1").health == Health::Up && rs(s, "rs2").health == Health::Up
    });

    // HTTP_GET: a 503 takes rs1 out; a changed body fails the digest; back.
    rs1.status.store(503, Ordering::Relaxed);
    // retry 0: out on the first failure.
    assert_eq!(
        rounds_at_flip(&engine, &["rs1"], Health::Down)["rs1"],
        (1, 0)
    );
    let snap = snapshot_blocking(&engine, "rs1 down on 503", |s| {
        rs(s, "rs1").health == Health::Down
    });
    assert!(!rs(&snap, "rs1").in_table);
    assert!(rs(&snap, "rs1")
        .last_check
        .as_deref()
        .unwrap()
        .contains("status 503"));
    rs1.status.store(200, Ordering::Relaxed);
    *rs1.body.lock().unwrap() = "rs1 changed\n".into();
    let snap = snapshot_blocking(&engine, "digest mismatch", |s| {
        rs(s, "rs1")
            .last_check
            .as_deref()
            .is_some_and(|c| c.contains("body digest"))
    });
    assert_eq!(rs(&snap, "rs1").health, Health::Down);
    *rs1.body.lock().unwrap() = "rs1 ok\n".into();
    snapshot_blocking(&engine, "rs1 back", |s| rs(s, "rs1").health == Health::Up);

    // MISC_CHECK with misc_dynamic: 1 is down, 7 is up with weight 5.
    std::fs::write(&code, "1").unwrap();
    assert_eq!(
        rounds_at_flip(&engine, &["rs2"], Health::Down)["rs2"],
        (1, 0)
    );
    std::fs::write(&code, "7").unwrap();
    snapshot_blocking(&engine, "rs2 up at weight 5", |s| {
        rs(s, "rs2").health == Health::Up && rs(s, "rs2").weight == 5
    });

    // A hung script is killed at misc_timeout and counts as a failure.
    std::fs::write(&script, "#!/bin/sh\nsleep 30\n").unwrap();
    let snap = snapshot_blocking(&engine, "hung script fails", |s| {
        rs(s, "rs2").health == Health::Down
    });
    assert!(rs(&snap, "rs2")
        .last_check
        .as_deref()
        .unwrap()
        .contains("timed out"));
    stop.store(true, Ordering::Relaxed);
}

/// Serve UDP on `at` in `node` with `answer` until `stop`; `None` from
/// `answer` closes the socket (so the port is unreachable).
fn udp_server(
    lab: &NetLab,
    node: &str,
    at: &str,
    stop: &Arc<AtomicBool>,
    answer: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + 'static,
) {
    let at = at.to_string();
    let socket = in_namespace(&lab.ns(node), move || {
        std::net::UdpSocket::bind(at).unwrap()
    })
    .unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let stop = stop.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 512];
        while !stop.load(Ordering::Relaxed) {
            let Ok((n, from)) = socket.recv_from(&mut buffer) else {
                continue;
            };
            match answer(&buffer[..n]) {
                Some(reply) => {
                    let _ = socket.send_to(&reply, from);
                }
                None => return, // dropping the socket closes the port
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_udp_smtp_and_dns_checks_follow_the_servers() {
    if !namespaces_available("ping_udp_smtp_and_dns_checks_follow_the_servers") {
        return;
    }
    let mut lab = NetLab::new(&prefix("chk2"));
    lab.node("dir", &["192.0.2.1/24", "192.0.2.100/24", "2001:db8::1/64"]);
    lab.node("rs3", &["192.0.2.13/24"]);
    lab.node("rs4", &["192.0.2.14/24", "2001:db8::14/64"]);
    let stop = Arc::new(AtomicBool::new(false));
    let udp_up = Arc::new(AtomicBool::new(true));
    let up = udp_up.clone();
    udp_server(&lab, "rs3", "192.0.2.13:53", &stop, move |_| {
        up.load(Ordering::Relaxed).then(|| b"ok".to_vec())
    });
    let dns_ok = Arc::new(AtomicBool::new(true));
    let ok = dns_ok.clone();
    udp_server(&lab, "rs3", "192.0.2.13:5353", &stop, move |query| {
        let mut reply = query[..2].to_vec();
        if ok.load(Ordering::Relaxed) {
            reply.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
        } else {
            reply.extend_from_slice(&[0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0]);
        }
        Some(reply)
    });
    let greeting = Arc::new(Mutex::new("220 mx ESMTP\r\n".to_string()));
    let smtp = in_namespace(&lab.ns("rs3"), || {
        TcpListener::bind("192.0.2.13:25").unwrap()
    })
    .unwrap();
    smtp.set_nonblocking(true).unwrap();
    let (words, stop_smtp) = (greeting.clone(), stop.clone());
    std::thread::spawn(move || {
        while !stop_smtp.load(Ordering::Relaxed) {
            let Ok((mut stream, _)) = smtp.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            stream.set_nonblocking(false).unwrap();
            let hello = words.lock().unwrap().clone();
            let _ = stream.write_all(hello.as_bytes());
            let mut buffer = [0u8; 256];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"250 hello\r\n");
        }
    });
    let config = r#"
[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 80
delay_loop = 0.5
[[virtual_server.real_server]]
name = "udp"
address = "192.0.2.13"
port = 53
[virtual_server.real_server.udp_check]
connect_timeout = 0.5
retry = 1
delay_before_retry = 0.3
payload = "3f"
[[virtual_server.real_server]]
name = "dns"
address = "192.0.2.13"
port = 5353
[virtual_server.real_server.dns_check]
connect_timeout = 1
retry = 1
delay_before_retry = 0.3
type = "A"
name = "www.example.org"
[[virtual_server.real_server]]
name = "smtp"
address = "192.0.2.13"
port = 25
[virtual_server.real_server.smtp_check]
connect_timeout = 1
retry = 1
delay_before_retry = 0.3
helo_name = "director.test"
[[virtual_server.real_server]]
name = "ping"
address = "192.0.2.14"
port = 80
[virtual_server.real_server.ping_check]
connect_timeout = 0.5
retry = 1
delay_before_retry = 0.3
[[virtual_server]]
name = "web6"
address = "2001:db8::100"
port = 80
delay_loop = 0.5
[[virtual_server.real_server]]
name = "ping6"
address = "2001:db8::14"
port = 80
[virtual_server.real_server.ping_check]
connect_timeout = 0.5
retry = 1
delay_before_retry = 0.3
"#;
    let engine = start_director(&mut lab, config).await;
    let all = ["udp", "dns", "smtp", "ping"];
    snapshot_blocking(&engine, "all up", |s| {
        all.iter().all(|n| rs(s, n).health == Health::Up)
            && s.server("web6", "ping6").unwrap().health == Health::Up
    });
    udp_up.store(false, Ordering::Relaxed);
    dns_ok.store(false, Ordering::Relaxed);
    *greeting.lock().unwrap() = "421 go away\r\n".into();
    lab.sh("rs4", "ip link set dev eth0 down");
    // retry 1: each goes down on exactly its second failure in a row.
    let down = rounds_at_flip(&engine, &all, Health::Down);
    // ICMPv6 echo too.
    let ping6 = |s: &Snapshot| s.server("web6", "ping6").unwrap().health;
    snapshot_blocking(&engine, "ping6 down", |s| ping6(s) == Health::Down);
    for name in all {
        assert_eq!(down[name], (2, 0), "{name} left on the wrong round");
    }
    let snap = snapshot_blocking(&engine, "all down", |s| {
        all.iter().all(|n| rs(s, n).health == Health::Down)
    });
    let why = |n: &str| rs(&snap, n).last_check.clone().unwrap_or_default();
    assert!(why("dns").contains("response code 3"), "{}", why("dns"));
    assert!(why("smtp").contains("greeting 421"), "{}", why("smtp"));
    assert!(why("udp").contains("udp 192.0.2.13:53"), "{}", why("udp"));
    assert!(snap.services[0].servers.iter().all(|r| !r.in_table));

    // Healed, each comes back on exactly its first pass (no rise).
    udp_up.store(true, Ordering::Relaxed);
    dns_ok.store(true, Ordering::Relaxed);
    *greeting.lock().unwrap() = "220 mx ESMTP\r\n".into();
    // A link going down drops its IPv6 addresses (keep_addr_on_down=0).
    lab.sh(
        "rs4",
        "ip link set dev eth0 up && ip addr replace 2001:db8::14/64 dev eth0 nodad",
    );
    let up = rounds_at_flip(&engine, &all, Health::Up);
    snapshot_blocking(&engine, "ping6 back", |s| ping6(s) == Health::Up);
    for name in all {
        assert_eq!(up[name], (0, 1), "{name} came back on the wrong round");
    }
    stop.store(true, Ordering::Relaxed);
}

/// The body of `GET /` through `target`, fetched from the client namespace.
fn fetch(lab: &NetLab, target: &str) -> String {
    let target: std::net::SocketAddr = target.parse().unwrap();
    in_namespace(&lab.ns("client"), move || {
        let mut stream = std::net::TcpStream::connect_timeout(&target, Duration::from_secs(3))?;
        stream.set_read_timeout(Some(Duration::from_secs(3)))?;
        stream.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok::<String, std::io::Error>(
            response
                .split("\r\n\r\n")
                .nth(1)
                .unwrap_or_default()
                .to_string(),
        )
    })
    .unwrap()
    .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sorry_server_stands_in_and_quorum_scripts_run() {
    if !namespaces_available("the_sorry_server_stands_in_and_quorum_scripts_run") {
        return;
    }
    let mut lab = NetLab::new(&prefix("sorry"));
    lab.node("dir", &["192.0.2.1/24", "192.0.2.100/24"]);
    lab.node("rs1", &["192.0.2.11/24"]);
    lab.node("rs2", &["192.0.2.12/24"]);
    lab.node("client", &["192.0.2.50/24"]);
    let stop = Arc::new(AtomicBool::new(false));
    let rs1 = http_backend(&lab, "rs1", "192.0.2.11", &stop);
    let _sorry = http_backend(&lab, "rs2", "192.0.2.12", &stop);
    let mark = |name: &str| lab.dir.join(name);
    let (down, up, notified) = (mark("quorum-down"), mark("quorum-up"), mark("rs1-down"));
    let config = format!(
        r#"
[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 80
delay_loop = 0.5
omega = true
quorum_up = "/usr/bin/touch {up}"
quorum_down = "/usr/bin/touch {down}"
sorry_server = {{ address = "192.0.2.12", port = 80, inhibit = true }}
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.11"
port = 80
notify_down = "/usr/bin/touch {notified}"
[virtual_server.real_server.http_get]
connect_timeout = 1
retry = 0
[[virtual_server.real_server.http_get.url]]
path = "/"
"#,
        up = up.display(),
        down = down.display(),
        notified = notified.display()
    );
    let engine = start_director(&mut lab, &config).await;
    snapshot_blocking(&engine, "rs1 up", |s| rs(s, "rs1").health == Health::Up);
    assert_eq!(fetch(&lab, "192.0.2.100:80"), "rs1 ok\n");
    // Inhibited: listed at weight 0 while rs1 serves, as ipvsadm shows it.
    let rows = |lab: &NetLab| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_director"))
            .args(["list", "--socket"])
            .arg(lab.dir.join("dir.sock"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|line| line.starts_with("  -> 192"))
            .map(|line| {
                line.split_whitespace()
                    .take(4)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rows(&lab),
        ["-> 192.0.2.11:80 Masq 1", "-> 192.0.2.12:80 Masq 0"]
    );

    rs1.status.store(500, Ordering::Relaxed);
    let snap = snapshot_blocking(&engine, "sorry server in", |s| s.services[0].sorry_active);
    assert!(!snap.services[0].quorum_up);
    assert_eq!(rows(&lab), ["-> 192.0.2.12:80 Masq 1"]);
    assert_eq!(
        fetch(&lab, "192.0.2.100:80"),
        "rs2 ok\n",
        "the sorry server answers"
    );
    let sorry = snapshot_blocking(&engine, "the sorry server counted", |s| {
        s.services[0]
            .sorry_row
            .as_ref()
            .is_some_and(|r| r.conns > 0)
    });
    assert_eq!(sorry.services[0].sorry_row.as_ref().unwrap().conns, 1);
    let appeared =
        |path: &std::path::Path| common::wait_until(Duration::from_secs(5), || path.exists());
    assert!(appeared(&down), "quorum_down ran");
    assert!(appeared(&notified), "notify_down ran");

    rs1.status.store(200, Ordering::Relaxed);
    snapshot_blocking(&engine, "rs1 back", |s| !s.services[0].sorry_active);
    assert!(appeared(&up), "quorum_up ran");
    assert_eq!(fetch(&lab, "192.0.2.100:80"), "rs1 ok\n");
    assert_eq!(
        rows(&lab),
        ["-> 192.0.2.11:80 Masq 1", "-> 192.0.2.12:80 Masq 0"],
        "inhibited again, not removed"
    );
    // omega: stopping director with the quorum up runs quorum_down.
    std::fs::remove_file(&down).unwrap();
    lab.stop("dir", libc::SIGTERM);
    assert!(down.exists(), "quorum_down ran on stop (omega)");
    stop.store(true, Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ha_suspend_runs_checks_only_while_the_vip_is_here() {
    if !namespaces_available("ha_suspend_runs_checks_only_while_the_vip_is_here") {
        return;
    }
    let mut lab = NetLab::new(&prefix("hasusp"));
    lab.node("dir", &["192.0.2.1/24"]);
    lab.node("rs1", &["192.0.2.11/24"]);
    let stop = Arc::new(AtomicBool::new(false));
    let _rs1 = http_backend(&lab, "rs1", "192.0.2.11", &stop);
    let config = r#"
[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 80
delay_loop = 0.2
ha_suspend = true
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.11"
port = 80
[virtual_server.real_server.tcp_check]
connect_timeout = 1
"#;
    let engine = start_director(&mut lab, config).await;
    let journaled = |s: &Snapshot, text: &str| s.events.iter().any(|e| e.text.contains(text));
    snapshot_blocking(&engine, "suspended at start", |s| {
        s.services[0].checks_suspended
    });
    // Five check rounds' time: none runs while the VIP is elsewhere.
    std::thread::sleep(Duration::from_secs(1));
    let idle = snapshot_blocking(&engine, "a fresh snapshot", |_| true);
    assert_eq!(rs(&idle, "rs1").checks_run, 0, "no check without the VIP");

    lab.sh("dir", "ip addr add 192.0.2.100/24 dev eth0");
    let resumed = snapshot_blocking(&engine, "checks resume with the VIP", |s| {
        !s.services[0].checks_suspended && rs(s, "rs1").health == Health::Up
    });
    assert!(journaled(
        &resumed,
        "web: health checks resume: 192.0.2.100 is on this host"
    ));

    lab.sh("dir", "ip addr del 192.0.2.100/24 dev eth0");
    let suspended = snapshot_blocking(&engine, "suspended again", |s| {
        s.services[0].checks_suspended
    });
    assert!(journaled(
        &suspended,
        "web: health checks suspended: 192.0.2.100 is not on this host (ha_suspend)"
    ));
    let ran = rs(&suspended, "rs1").checks_run;
    std::thread::sleep(Duration::from_secs(1));
    let later = snapshot_blocking(&engine, "a fresh snapshot", |_| true);
    assert!(
        rs(&later, "rs1").checks_run <= ran + 1,
        "at most a probe already under way finishes"
    );
    assert_eq!(rs(&later, "rs1").health, Health::Up, "health is kept");
    stop.store(true, Ordering::Relaxed);
}

/// Serve HTTPS with `cert`/`key` on `address` ports in `node`.
fn https_server(
    lab: &NetLab,
    node: &str,
    address: &str,
    ports: &[u16],
    (cert, key): (&std::path::Path, &std::path::Path),
    healthy: &Arc<AtomicBool>,
    stop: &Arc<AtomicBool>,
) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = vec![CertificateDer::from_pem_file(cert).unwrap()];
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap(),
    );
    for port in ports {
        let at = format!("{address}:{port}");
        let listener = in_namespace(&lab.ns(node), move || TcpListener::bind(at).unwrap()).unwrap();
        listener.set_nonblocking(true).unwrap();
        let (config, stop, healthy) = (config.clone(), stop.clone(), healthy.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let Ok((socket, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                socket.set_nonblocking(false).unwrap();
                socket
                    .set_read_timeout(Some(Duration::from_secs(2)))
                    .unwrap();
                let connection = rustls::ServerConnection::new(config.clone()).unwrap();
                let mut stream = rustls::StreamOwned::new(connection, socket);
                let mut request = [0u8; 1024];
                if stream.read(&mut request).is_ok() {
                    let status = if healthy.load(Ordering::Relaxed) {
                        "200 OK"
                    } else {
                        "503 Unavailable"
                    };
                    let reply = format!("HTTP/1.0 {status}\r\nContent-Length: 7\r\n\r\nsecure\n");
                    let _ = stream.write_all(reply.as_bytes());
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                }
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_get_verifies_certificates_unless_told_not_to() {
    if !namespaces_available("ssl_get_verifies_certificates_unless_told_not_to") {
        return;
    }
    let mut lab = NetLab::new(&prefix("ssl"));
    lab.node("dir", &["192.0.2.1/24", "192.0.2.100/24"]);
    lab.node("rs1", &["192.0.2.11/24"]);
    // A self-signed certificate for rs1.test, made here.
    let (cert, key) = (lab.dir.join("cert.pem"), lab.dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=rs1.test",
            "-addext",
            "subjectAltName=DNS:rs1.test",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let stop = Arc::new(AtomicBool::new(false));
    let healthy = Arc::new(AtomicBool::new(true));
    https_server(
        &lab,
        "rs1",
        "192.0.2.11",
        &[443, 8443, 9443],
        (&cert, &key),
        &healthy,
        &stop,
    );
    let url = "[[virtual_server.real_server.ssl_get.url]]\npath = \"/\"\ndigest = \"";
    let digest = md5::hex(b"secure\n");
    let config = format!(
        r#"
[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 443
delay_loop = 0.5
[[virtual_server.real_server]]
name = "trusted"
address = "192.0.2.11"
port = 443
[virtual_server.real_server.ssl_get]
connect_timeout = 1
retry = 0
virtualhost = "rs1.test"
enable_sni = true
ca_file = "{cert}"
{url}{digest}"
[[virtual_server.real_server]]
name = "untrusted"
address = "192.0.2.11"
port = 8443
[virtual_server.real_server.ssl_get]
connect_timeout = 1
retry = 0
virtualhost = "rs1.test"
{url}{digest}"
[[virtual_server.real_server]]
name = "unverified"
address = "192.0.2.11"
port = 9443
[virtual_server.real_server.ssl_get]
connect_timeout = 1
retry = 0
verify_certificate = false
{url}{digest}"
"#,
        cert = cert.display()
    );
    let engine = start_director(&mut lab, &config).await;
    // retry 0: judged on the very first probe.
    let down = rounds_at_flip(&engine, &["untrusted"], Health::Down);
    assert_eq!(down["untrusted"], (1, 0));
    let up = rounds_at_flip(&engine, &["trusted", "unverified"], Health::Up);
    assert_eq!((up["trusted"], up["unverified"]), ((0, 1), (0, 1)));
    let snap = snapshot_blocking(&engine, "all three judged", |s| {
        ["trusted", "untrusted", "unverified"]
            .iter()
            .all(|n| rs(s, n).health != Health::Unknown)
    });
    assert_eq!(
        rs(&snap, "trusted").health,
        Health::Up,
        "{:?}",
        rs(&snap, "trusted").last_check
    );
    assert_eq!(
        rs(&snap, "unverified").health,
        Health::Up,
        "{:?}",
        rs(&snap, "unverified").last_check
    );
    assert_eq!(rs(&snap, "untrusted").health, Health::Down);
    let why = rs(&snap, "untrusted")
        .last_check
        .clone()
        .unwrap_or_default();
    assert!(why.to_lowercase().contains("certificate"), "{why}");

    // A wrong status over TLS takes the trusted servers out on the first
    // failure (retry 0) and the first pass brings them back.
    healthy.store(false, Ordering::Relaxed);
    let down = rounds_at_flip(&engine, &["trusted", "unverified"], Health::Down);
    assert_eq!((down["trusted"], down["unverified"]), ((1, 0), (1, 0)));
    let snap = snapshot_blocking(&engine, "the reason", |_| true);
    let why = rs(&snap, "trusted").last_check.clone().unwrap_or_default();
    assert!(why.contains("status 503"), "{why}");
    healthy.store(true, Ordering::Relaxed);
    let up = rounds_at_flip(&engine, &["trusted", "unverified"], Health::Up);
    assert_eq!((up["trusted"], up["unverified"]), ((0, 1), (0, 1)));
    stop.store(true, Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_leaves_and_returns_on_the_exact_check_round() {
    if !namespaces_available("a_server_leaves_and_returns_on_the_exact_check_round") {
        return;
    }
    let mut lab = NetLab::new(&prefix("rounds"));
    lab.node("dir", &["192.0.2.1/24", "192.0.2.100/24"]);
    lab.node("rs1", &["192.0.2.11/24"]);
    let stop = Arc::new(AtomicBool::new(false));
    let rs1 = http_backend(&lab, "rs1", "192.0.2.11", &stop);
    // retry 2: down on the third failure in a row; rise 2: up on the second pass.
    let config = r#"
[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 80
delay_loop = 0.3
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.11"
port = 80
rise = 2
[virtual_server.real_server.http_get]
connect_timeout = 1
retry = 2
delay_before_retry = 0.3
[[virtual_server.real_server.http_get.url]]
path = "/"
"#;
    let engine = start_director(&mut lab, config).await;
    snapshot_blocking(&engine, "rs1 up", |s| rs(s, "rs1").health == Health::Up);
    rs1.status.store(503, Ordering::Relaxed);
    let failing = snapshot_blocking(&engine, "first failure", |s| {
        rs(s, "rs1").failures_in_a_row >= 1
    });
    assert_eq!(
        rs(&failing, "rs1").health,
        Health::Up,
        "one failure is not enough"
    );
    let down = snapshot_blocking(&engine, "rs1 down", |s| rs(s, "rs1").health == Health::Down);
    assert_eq!(
        rs(&down, "rs1").failures_in_a_row,
        3,
        "down exactly on the third failure"
    );
    assert!(!rs(&down, "rs1").in_table);
    rs1.status.store(200, Ordering::Relaxed);
    let passing = snapshot_blocking(&engine, "first pass", |s| rs(s, "rs1").passes_in_a_row >= 1);
    assert_eq!(
        rs(&passing, "rs1").health,
        Health::Down,
        "one pass is not enough under rise 2"
    );
    let up = snapshot_blocking(&engine, "rs1 back", |s| rs(s, "rs1").health == Health::Up);
    assert_eq!(
        rs(&up, "rs1").passes_in_a_row,
        2,
        "up exactly on the second pass"
    );
    stop.store(true, Ordering::Relaxed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_check_reads_the_tracked_number() {
    if !namespaces_available("file_check_reads_the_tracked_number") {
        return;
    }
    let mut lab = NetLab::new(&prefix("file"));
    lab.node("dir", &["192.0.2.1/24", "192.0.2.100/24"]);
    let (scaled, gate) = (lab.dir.join("scaled"), lab.dir.join("gate"));
    std::fs::write(&scaled, "0\n").unwrap();
    std::fs::write(&gate, "0\n").unwrap();
    let config = format!(
        r#"
[[vrrp_track_file]]
name = "scaled"
file = "{}"
weight = 3
[[vrrp_track_file]]
name = "gate"
file = "{}"
weight = 0

[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 80
delay_loop = 0.3
[[virtual_server.real_server]]
name = "scaled"
address = "192.0.2.11"
port = 80
weight = 1
[virtual_server.real_server.file_check]
track_file = "scaled"
[[virtual_server.real_server]]
name = "gate"
address = "192.0.2.12"
port = 80
[virtual_server.real_server.file_check]
track_file = "gate"
"#,
        scaled.display(),
        gate.display()
    );
    let engine = start_director(&mut lab, &config).await;
    snapshot_blocking(&engine, "both up", |s| {
        rs(s, "scaled").health == Health::Up && rs(s, "gate").health == Health::Up
    });
    std::fs::write(&scaled, "2\n").unwrap();
    std::fs::write(&gate, "1\n").unwrap();
    let snap = snapshot_blocking(&engine, "scaled and gated", |s| {
        rs(s, "scaled").weight == 7 && rs(s, "gate").health == Health::Down
    });
    assert_eq!(rs(&snap, "scaled").health, Health::Up);
    std::fs::write(&scaled, "0\n").unwrap();
    snapshot_blocking(&engine, "scaled back to 1", |s| rs(s, "scaled").weight == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_ip_bindto_regex_and_log_all_failures() {
    if !namespaces_available("connect_ip_bindto_regex_and_log_all_failures") {
        return;
    }
    let mut lab = NetLab::new(&prefix("src"));
    lab.node("dir", &["192.0.2.1/24", "192.0.2.2/24", "192.0.2.100/24"]);
    // The health endpoint listens on a management address only.
    lab.node("rs1", &["192.0.2.11/24", "192.0.2.111/24"]);
    let stop = Arc::new(AtomicBool::new(false));
    let rs1 = http_backend(&lab, "rs1", "192.0.2.111", &stop);
    let config = r#"
[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 80
delay_loop = 0.3
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.11"
port = 80
[virtual_server.real_server.http_get]
connect_ip = "192.0.2.111"
bindto = "192.0.2.2"
connect_timeout = 1
retry = 1
delay_before_retry = 0.3
log_all_failures = true
[[virtual_server.real_server.http_get.url]]
path = "/"
regex = "rs1 (ok|degraded)"
"#;
    let engine = start_director(&mut lab, config).await;
    snapshot_blocking(&engine, "rs1 up", |s| rs(s, "rs1").health == Health::Up);
    let clients = rs1.clients.lock().unwrap().clone();
    assert!(!clients.is_empty());
    assert!(
        clients.iter().all(|ip| ip.to_string() == "192.0.2.2"),
        "probes must come from bindto: {clients:?}"
    );

    // A body without the pattern fails; retry 1 takes it down on the second
    // failure, and log_all_failures journals the first one too.
    *rs1.body.lock().unwrap() = "rs1 broken\n".into();
    let down = rounds_at_flip(&engine, &["rs1"], Health::Down);
    assert_eq!(down["rs1"], (2, 0));
    let snap = snapshot_blocking(&engine, "the journal", |s| {
        s.events
            .iter()
            .any(|e| e.text.starts_with("web/rs1 is Down"))
    });
    let why = rs(&snap, "rs1").last_check.clone().unwrap_or_default();
    assert!(
        why.contains("body does not contain /rs1 (ok|degraded)/"),
        "{why}"
    );
    assert!(
        snap.events.iter().any(|e| e
            .text
            .starts_with("web/rs1: check failed (1 in a row): GET /")),
        "log_all_failures did not journal the first failure"
    );
    *rs1.body.lock().unwrap() = "rs1 degraded\n".into();
    let up = rounds_at_flip(&engine, &["rs1"], Health::Up);
    assert_eq!(up["rs1"], (0, 1));
    stop.store(true, Ordering::Relaxed);
}

/// A TCP listener on `at` in `node` that accepts (and drops) connections
/// while `open` holds, and is closed (connections refused) while it does
/// not; until `stop`.
fn tcp_listener(
    lab: &NetLab,
    node: &str,
    at: &str,
    open: &Arc<AtomicBool>,
    stop: &Arc<AtomicBool>,
) {
    let (ns, at, open, stop) = (lab.ns(node), at.to_string(), open.clone(), stop.clone());
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            if !open.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            let bind = at.clone();
            let listener = in_namespace(&ns, move || TcpListener::bind(bind).unwrap()).unwrap();
            listener.set_nonblocking(true).unwrap();
            while open.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
                let _ = listener.accept();
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_slow_replies_and_resets_count_as_failures_on_the_right_round() {
    if !namespaces_available(
        "refusals_slow_replies_and_resets_count_as_failures_on_the_right_round",
    ) {
        return;
    }
    let mut lab = NetLab::new(&prefix("bad"));
    lab.node("dir", &["192.0.2.1/24", "192.0.2.100/24"]);
    lab.node("rs1", &["192.0.2.11/24"]);
    lab.node("rs2", &["192.0.2.12/24"]);
    let stop = Arc::new(AtomicBool::new(false));
    let rs1 = http_backend(&lab, "rs1", "192.0.2.11", &stop);
    let open = Arc::new(AtomicBool::new(true));
    tcp_listener(&lab, "rs2", "192.0.2.12:8080", &open, &stop);
    let config = r#"
[[virtual_server]]
name = "web"
address = "192.0.2.100"
port = 80
delay_loop = 0.3
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.11"
port = 80
[virtual_server.real_server.http_get]
connect_timeout = 1
retry = 1
delay_before_retry = 0.3
[[virtual_server.real_server.http_get.url]]
path = "/"
[[virtual_server.real_server]]
name = "rs2"
address = "192.0.2.12"
port = 8080
[virtual_server.real_server.tcp_check]
connect_timeout = 1
retry = 1
delay_before_retry = 0.3
"#;
    let engine = start_director(&mut lab, config).await;
    rounds_at_flip(&engine, &["rs1", "rs2"], Health::Up);
    let why = |name: &str| {
        let snap = snapshot_blocking(&engine, "a fresh snapshot", |_| true);
        rs(&snap, name).last_check.clone().unwrap_or_default()
    };

    // A reply later than connect_timeout: out on the second slow probe.
    rs1.manner.store(SLOW, Ordering::Relaxed);
    assert_eq!(
        rounds_at_flip(&engine, &["rs1"], Health::Down)["rs1"],
        (2, 0)
    );
    assert!(
        why("rs1").contains("no complete answer within 1s"),
        "{}",
        why("rs1")
    );
    rs1.manner.store(ANSWER, Ordering::Relaxed);
    assert_eq!(rounds_at_flip(&engine, &["rs1"], Health::Up)["rs1"], (0, 1));

    // A reset instead of an answer.
    rs1.manner.store(RESET, Ordering::Relaxed);
    assert_eq!(
        rounds_at_flip(&engine, &["rs1"], Health::Down)["rs1"],
        (2, 0)
    );
    assert!(
        why("rs1").to_lowercase().contains("reset"),
        "{}",
        why("rs1")
    );
    rs1.manner.store(ANSWER, Ordering::Relaxed);
    assert_eq!(rounds_at_flip(&engine, &["rs1"], Health::Up)["rs1"], (0, 1));

    // TCP_CHECK: a closed port is refused.
    open.store(false, Ordering::Relaxed);
    assert_eq!(
        rounds_at_flip(&engine, &["rs2"], Health::Down)["rs2"],
        (2, 0)
    );
    assert!(why("rs2").contains("refused"), "{}", why("rs2"));
    open.store(true, Ordering::Relaxed);
    assert_eq!(rounds_at_flip(&engine, &["rs2"], Health::Up)["rs2"], (0, 1));
    stop.store(true, Ordering::Relaxed);
}
