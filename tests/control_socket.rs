//! `director run` headless on loopback (no VRRP, so no root needed): the
//! control socket's protocol and its handling of bad input, and the
//! userspace plane's drain semantics, through the real binary.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::wait_until;

/// A `director run` child; killed and its files removed on every exit path.
struct Daemon {
    child: Child,
    dir: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Daemon {
    fn socket(&self) -> PathBuf {
        self.dir.join("control.sock")
    }
}

/// Backends that answer with their name and count what they accepted.
fn backend(name: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(10_000) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.write_all(format!("{name}\n").as_bytes());
        }
    });
    address
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(tag: &str, backends: &[(&str, SocketAddr)]) -> (Daemon, SocketAddr) {
    start_with(tag, backends, "")
}

/// Start a daemon whose real servers each carry `server_extra` (TOML lines).
fn start_with(
    tag: &str,
    backends: &[(&str, SocketAddr)],
    server_extra: &str,
) -> (Daemon, SocketAddr) {
    start_args(tag, backends, server_extra, &[], &[])
}

/// Start a daemon with extra `director run` arguments.
fn start_args(
    tag: &str,
    backends: &[(&str, SocketAddr)],
    server_extra: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Daemon, SocketAddr) {
    let dir = std::env::temp_dir().join(format!("director-test-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let vip: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut config = format!(
        "[global]\nrouter_id = \"t\"\n[[virtual_server]]\nname = \"web\"\naddress = \"127.0.0.1\"\nport = {}\nscheduler = \"rr\"\ndelay_loop = 0.2\n",
        vip.port()
    );
    for (name, address) in backends {
        config.push_str(&format!(
            "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"127.0.0.1\"\nport = {}\n{server_extra}",
            address.port()
        ));
    }
    std::fs::write(dir.join("director.toml"), config).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_director"))
        .args(["run", "--dataplane", "userspace", "--config"])
        .arg(dir.join("director.toml"))
        .arg("--control")
        .arg(dir.join("control.sock"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let daemon = Daemon { child, dir };
    // Listening, not only bound: the file appears a moment before.
    assert!(
        wait_until(Duration::from_secs(10), || UnixStream::connect(
            daemon.socket()
        )
        .is_ok()),
        "no control socket"
    );
    (daemon, vip)
}

struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Client {
    fn connect(daemon: &Daemon) -> Client {
        Client::connect_to(&daemon.socket())
    }

    /// Connect and read the hello. The socket's file appears at bind(2),
    /// a moment before the daemon listens: a refusal then is retried, for
    /// at most 5 s.
    fn connect_to(socket: &std::path::Path) -> Client {
        let mut attempt = UnixStream::connect(socket);
        let started = std::time::Instant::now();
        while attempt
            .as_ref()
            .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
            && started.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(10));
            attempt = UnixStream::connect(socket);
        }
        let stream = attempt.unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut client = Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        assert!(client.line().contains("\"type\":\"hello\""));
        client
    }

    fn send(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).unwrap();
        self.writer.write_all(b"\n").unwrap();
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line
    }
}

fn fetch(vip: SocketAddr) -> String {
    let mut stream = std::net::TcpStream::connect_timeout(&vip, Duration::from_secs(2)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut body = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut body);
    body.trim().to_string()
}

#[test]
fn garbage_gets_an_error_and_the_connection_survives() {
    let (daemon, _) = start("garbage", &[("a", backend("a"))]);
    let mut client = Client::connect(&daemon);
    client.send("this is not json");
    let reply = client.line();
    assert!(
        reply.contains("\"type\":\"error\"") && reply.contains("cannot parse request"),
        "{reply}"
    );
    client.send(
        r#"{"type":"command","id":7,"command":{"action":"drain","service":"web","server":"zz"}}"#,
    );
    let reply = client.line();
    assert!(
        reply.contains("\"id\":7") && reply.contains("\"ok\":false"),
        "{reply}"
    );
    assert!(
        reply.contains("unknown real server \\\"zz\\\" in web (known: a)"),
        "{reply}"
    );
}

#[test]
fn an_oversized_line_is_refused_and_other_clients_are_unharmed() {
    let (daemon, _) = start("oversized", &[("a", backend("a"))]);
    let mut bad = Client::connect(&daemon);
    let mut good = Client::connect(&daemon);
    bad.send(&"x".repeat(100_000));
    let reply = bad.line();
    assert!(reply.contains("longer than 65536 bytes"), "{reply}");
    assert_eq!(bad.line(), "", "server closes after an oversized line");
    good.send(r#"{"type":"subscribe"}"#);
    assert!(good.line().contains("\"type\":\"snapshot\""));
}

#[test]
fn drain_over_the_socket_stops_new_connections_to_that_server() {
    let (daemon, vip) = start("drain", &[("a", backend("a")), ("b", backend("b"))]);
    let first: Vec<String> = (0..4).map(|_| fetch(vip)).collect();
    assert_eq!(first, ["a", "b", "a", "b"], "rr alternates");
    let mut client = Client::connect(&daemon);
    client.send(r#"{"type":"command","id":1,"command":{"action":"drain","service":"web","server":"a"},"origin":"test"}"#);
    let reply = client.line();
    assert!(
        reply.contains("\"ok\":true") && reply.contains("web/a: drained"),
        "{reply}"
    );
    let after: Vec<String> = (0..4).map(|_| fetch(vip)).collect();
    assert_eq!(after, ["b", "b", "b", "b"]);
    client.send(r#"{"type":"subscribe"}"#);
    let snapshot = client.line();
    assert!(
        snapshot.contains("test [control (uid"),
        "audit names the client and its uid: {snapshot}"
    );
}

#[test]
fn sigterm_stops_the_daemon_cleanly_and_removes_the_socket() {
    let (mut daemon, _) = start("sigterm", &[("a", backend("a"))]);
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(daemon.child.id() as i32, libc::SIGTERM) };
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!daemon.socket().exists());
}

fn snapshot_line(daemon: &Daemon, until: impl Fn(&str) -> bool) -> String {
    let mut client = Client::connect(daemon);
    client.send(r#"{"type":"subscribe"}"#);
    for _ in 0..100 {
        let line = client.line();
        if until(&line) {
            return line;
        }
    }
    panic!("no snapshot matched within 100 snapshots");
}

#[test]
fn a_failed_check_takes_the_server_out_and_a_passing_one_brings_it_back() {
    // "b" points at a port nobody listens on yet.
    let dead = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let check = "inhibit_on_failure = false\n[virtual_server.real_server.tcp_check]\nconnect_timeout = 1\nretry = 1\ndelay_before_retry = 0.1\n";
    let (daemon, vip) = start_with("health", &[("a", backend("a")), ("b", dead)], check);
    let down = snapshot_line(&daemon, |l| l.contains("web/b is Down"));
    assert!(down.contains("removed from the table"), "{down}");
    let answers: Vec<String> = (0..4).map(|_| fetch(vip)).collect();
    assert_eq!(
        answers,
        ["a", "a", "a", "a"],
        "a down server gets no connections"
    );

    // Bring b to life on the same port: one passing check restores it.
    let listener = TcpListener::bind(dead).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(10_000) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.write_all(b"b\n");
        }
    });
    snapshot_line(&daemon, |l| l.contains("web/b is Up"));
    let answers: Vec<String> = (0..4).map(|_| fetch(vip)).collect();
    assert!(answers.contains(&"b".to_string()), "{answers:?}");
}

/// A listener that counts the connections it accepts, until `open` is
/// cleared: then it closes, and connects to its port are refused.
struct CountingListener {
    address: SocketAddr,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicBool>,
}

impl CountingListener {
    fn start() -> CountingListener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicBool::new(true));
        let (count, running) = (accepted.clone(), open.clone());
        std::thread::spawn(move || {
            // Bounded: at most 60 s of 5 ms turns, and it ends when closed.
            for _ in 0..12_000 {
                if !running.load(Ordering::Relaxed) {
                    return;
                }
                match listener.accept() {
                    Ok(_) => {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        CountingListener {
            address,
            accepted,
            open,
        }
    }

    fn count(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

#[test]
fn two_tcp_checks_on_different_ports_both_probe_and_either_failing_takes_the_server_down() {
    let service_port = CountingListener::start();
    let status_port = CountingListener::start();
    // One real server checked twice, as keepalived runs every TCP_CHECK of
    // a real server: its own port, and a status port beside it.
    let checks = format!(
        "[[virtual_server.real_server.tcp_check]]\nconnect_timeout = 1\nretry = 0\n\
         [[virtual_server.real_server.tcp_check]]\nconnect_port = {}\nconnect_timeout = 1\nretry = 0\n",
        status_port.address.port()
    );
    let (daemon, _vip) = start_with("twotcp", &[("a", service_port.address)], &checks);
    snapshot_line(&daemon, |l| l.contains("web/a is Up"));
    assert!(
        wait_until(Duration::from_secs(10), || {
            service_port.count() >= 2 && status_port.count() >= 2
        }),
        "both ports probed: service {} status {}",
        service_port.count(),
        status_port.count()
    );
    // The status port alone fails: the server goes down, naming it.
    status_port.open.store(false, Ordering::Relaxed);
    let down = snapshot_line(&daemon, |l| l.contains("web/a is Down"));
    let refused = format!("connect {}", status_port.address);
    assert!(down.contains(&refused), "{down}");
    let probes = service_port.count();
    assert!(
        wait_until(Duration::from_secs(5), || service_port.count() > probes),
        "the service port is still probed while the other checker fails"
    );
}

#[test]
fn inhibit_on_failure_keeps_a_failed_server_at_weight_zero() {
    let dead = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let check = "inhibit_on_failure = true\n[virtual_server.real_server.tcp_check]\nconnect_timeout = 1\nretry = 0\n";
    let (daemon, vip) = start_with("inhibit", &[("a", backend("a")), ("b", dead)], check);
    let line = snapshot_line(&daemon, |l| l.contains("web/b is Down"));
    assert!(line.contains("weight 0 (inhibit_on_failure)"), "{line}");
    let inhibited = format!(
        r#""name":"b","address":"{dead}","weight":0,"configured_weight":1,"drained":false,"in_table":true"#
    );
    assert!(line.contains(&inhibited), "{line}");
    let answers: Vec<String> = (0..3).map(|_| fetch(vip)).collect();
    assert_eq!(answers, ["a", "a", "a"]);
}

fn ctl(daemon: &Daemon, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_director"))
        .arg("ctl")
        .arg("--socket")
        .arg(daemon.socket())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn ctl_lists_drains_reweights_and_reports_refusals_by_exit_code() {
    let (daemon, vip) = start("ctl", &[("a", backend("a")), ("b", backend("b"))]);
    let listed = ctl(&daemon, &["list"]);
    assert_eq!(listed.status.code(), Some(0));
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(text.contains(&format!("TCP  {vip} rr")), "{text}");
    assert!(
        text.contains("Forward Weight ActiveConn InActConn"),
        "{text}"
    );

    let drained = ctl(&daemon, &["drain", "web", "a"]);
    assert_eq!(drained.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&drained.stdout).contains("web/a: drained"));
    let answers: Vec<String> = (0..3).map(|_| fetch(vip)).collect();
    assert_eq!(answers, ["b", "b", "b"]);

    let weighted = ctl(&daemon, &["--json", "weight", "web", "b", "7"]);
    let reply: serde_json::Value = serde_json::from_slice(&weighted.stdout).unwrap();
    assert_eq!(reply["ok"], true);
    let status = ctl(&daemon, &["status"]);
    assert!(
        String::from_utf8_lossy(&status.stdout).contains("b 127.0.0.1:"),
        "status names servers"
    );
    let json = ctl(&daemon, &["--json", "status"]);
    let snapshot: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(snapshot["services"][0]["servers"][1]["weight"], 7);
    // Flags are global: after the subcommand as before it.
    let after = ctl(&daemon, &["status", "--json"]);
    assert_eq!(
        after.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    let snapshot: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(snapshot["services"][0]["servers"][1]["weight"], 7);

    let refused = ctl(&daemon, &["drain", "web", "nosuch"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("unknown real server \"nosuch\""));

    let events = ctl(&daemon, &["events"]);
    let log = String::from_utf8_lossy(&events.stdout);
    assert!(
        log.contains("operator") && log.contains("web/a: drained"),
        "{log}"
    );
}

#[test]
fn ctl_without_a_daemon_exits_69() {
    let out = Command::new(env!("CARGO_BIN_EXE_director"))
        .args(["ctl", "status", "--socket", "/nonexistent/director.sock"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(69));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("no director answers at /nonexistent/director.sock"));
}

#[test]
fn metrics_are_valid_prometheus_text_with_live_counters() {
    let address = format!("127.0.0.1:{}", free_port());
    let (_daemon, vip) = start_args(
        "metrics",
        &[("a", backend("a"))],
        "",
        &["--metrics", &address],
        &[],
    );
    for _ in 0..3 {
        assert_eq!(fetch(vip), "a");
    }
    let scrape = || {
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
        let mut response = String::new();
        std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
        response
    };
    let mut response = String::new();
    let counted = wait_until(Duration::from_secs(5), || {
        response = scrape();
        response.lines().any(|l| {
            l.starts_with("director_real_server_connections_total{service=\"web\",server=\"a\"")
                && l.ends_with(" 3")
        })
    });
    assert!(counted, "{response}");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4"));
    let body = response.split_once("\r\n\r\n").unwrap().1.to_string();
    assert!(body.contains("director_build_info{version="));
    let promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    match promtool {
        Ok(mut promtool) => {
            promtool
                .stdin
                .take()
                .unwrap()
                .write_all(body.as_bytes())
                .unwrap();
            let out = promtool.wait_with_output().unwrap();
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(out.status.success(), "promtool: {said}");
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "promtool is missing and CI must run it: {e}"
            );
            eprintln!("SKIPPED promtool check: {e} (apt-get install prometheus)");
        }
    }
}

#[test]
fn systemd_readiness_watchdog_and_stopping_are_notified() {
    let dir = std::env::temp_dir().join(format!("director-notify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notify.sock");
    let _ = std::fs::remove_file(&path);
    let socket = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let notify = path.display().to_string();
    let env = [
        ("NOTIFY_SOCKET", notify.as_str()),
        ("WATCHDOG_USEC", "200000"),
    ];
    let (mut daemon, _) = start_args("notify", &[("a", backend("a"))], "", &[], &env);
    let mut buffer = [0u8; 512];
    let mut receive = || {
        let n = socket.recv(&mut buffer).expect("a notification within 5 s");
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    };
    assert_eq!(receive(), "READY=1\nSTATUS=running on t");
    for _ in 0..3 {
        assert_eq!(receive(), "WATCHDOG=1");
    }
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(daemon.child.id() as i32, libc::SIGTERM) };
    let mut last = String::new();
    for _ in 0..10 {
        last = receive();
        if last != "WATCHDOG=1" {
            break;
        }
    }
    assert_eq!(last, "STOPPING=1");
    assert!(daemon.child.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigterm_works_even_when_the_parent_blocked_it() {
    use std::os::unix::process::CommandExt;
    let dir = std::env::temp_dir().join(format!("director-blocked-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("d.toml"), "[global]\nrouter_id = \"t\"\n").unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_director"));
    command
        .args(["run", "--dataplane", "userspace", "--config"])
        .arg(dir.join("d.toml"))
        .arg("--control")
        .arg(dir.join("c.sock"))
        .stderr(Stdio::null());
    // SAFETY: only signal-mask calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let mut daemon_child = KillOnDrop(&mut child);
    assert!(wait_until(Duration::from_secs(10), || dir
        .join("c.sock")
        .exists()));
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(daemon_child.id() as i32, libc::SIGTERM) };
    let exited = wait_until(Duration::from_secs(5), || {
        daemon_child.try_wait().ok().flatten().is_some()
    });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(exited, "a blocked-at-birth SIGTERM was never heard");
}

/// Kills the child if the test fails before it exits.
struct KillOnDrop<'a>(&'a mut std::process::Child);

impl std::ops::Deref for KillOnDrop<'_> {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl std::ops::DerefMut for KillOnDrop<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0
    }
}

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn other_users_may_read_but_not_change() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must run this test"
        );
        eprintln!("SKIPPED other_users_may_read_but_not_change: needs root to act as another user");
        return;
    }
    let (daemon, _) = start("readonly", &[("a", backend("a"))]);
    // Open the socket file itself to everyone; the server still checks who asks.
    std::fs::set_permissions(
        daemon.socket(),
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    let as_nobody = |args: &[&str]| {
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                env!("CARGO_BIN_EXE_director"),
                "ctl",
                "--socket",
            ])
            .arg(daemon.socket())
            .args(args)
            .output()
            .expect("setpriv (util-linux) is installed")
    };
    let status = as_nobody(&["status"]);
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let drain = as_nobody(&["drain", "web", "a"]);
    assert_eq!(drain.status.code(), Some(1));
    let said = String::from_utf8_lossy(&drain.stderr);
    assert!(
        said.contains("permission denied: control (uid 65534"),
        "{said}"
    );
    assert!(
        said.contains("changes need root or the director group"),
        "{said}"
    );
    // Root still may.
    assert_eq!(ctl(&daemon, &["drain", "web", "a"]).status.code(), Some(0));
}

fn snapshot_of(daemon: &Daemon) -> director::engine::Snapshot {
    let out = ctl(daemon, &["--json", "status"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn overrides_survive_a_restart_and_a_corrupt_state_file_is_set_aside() {
    let keep = std::env::temp_dir().join(format!("director-state-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&keep);
    let state = keep.join("state.json");
    let state_arg = state.display().to_string();
    let backends = [("rs1", backend("rs1")), ("rs2", backend("rs2"))];
    let args = ["--state-file", state_arg.as_str()];
    let (daemon, _) = start_args("state-a", &backends, "", &args, &[]);
    assert!(ctl(&daemon, &["drain", "web", "rs1"]).status.success());
    assert!(ctl(&daemon, &["weight", "web", "rs2", "5"])
        .status
        .success());
    // Killed, not stopped: each change was already written.
    drop(daemon);
    let kept = std::fs::read_to_string(&state).unwrap();
    assert!(
        kept.contains("\"drain\"") && kept.contains("\"set_weight\""),
        "{kept}"
    );

    let (daemon, _) = start_args("state-b", &backends, "", &args, &[]);
    assert!(wait_until(Duration::from_secs(10), || {
        let snapshot = snapshot_of(&daemon);
        snapshot.server("web", "rs1").is_some_and(|r| r.drained)
            && snapshot.server("web", "rs2").is_some_and(|r| r.weight == 5)
    }));
    let snapshot = snapshot_of(&daemon);
    assert!(snapshot
        .events
        .iter()
        .any(|e| e.text.starts_with("restored 2 operator override(s) from")));
    assert_eq!(snapshot.overrides, ["web/rs1 drained", "web/rs2 weight 5"]);
    let status = String::from_utf8_lossy(&ctl(&daemon, &["status"]).stdout).into_owned();
    assert!(
        status.contains("operator overrides (over the configuration)\n  web/rs1 drained\n"),
        "{status}"
    );
    drop(daemon);

    std::fs::write(&state, "{ this is not json").unwrap();
    let (daemon, _) = start_args("state-c", &backends, "", &args, &[]);
    assert!(wait_until(Duration::from_secs(10), || snapshot_of(&daemon)
        .events
        .iter()
        .any(|e| e.text.contains("not a director state file"))));
    let snapshot = snapshot_of(&daemon);
    assert!(
        !snapshot.server("web", "rs1").unwrap().drained,
        "a corrupt file was trusted"
    );
    assert!(keep.join("state.json.corrupt").exists());
    drop(daemon);
    std::fs::remove_dir_all(&keep).unwrap();
}

#[test]
fn a_thousand_commands_from_ten_clients_are_answered_while_a_garbage_client_is_cut_off() {
    let (daemon, _) = start("load", &[("a", backend("a")), ("b", backend("b"))]);
    let socket = daemon.socket();
    let spewer = {
        let mut bad = Client::connect(&daemon);
        std::thread::spawn(move || {
            let mut closed_with = String::new();
            for _ in 0..10_000 {
                if bad.writer.write_all(b"{{{ garbage garbage\n").is_err() {
                    break;
                }
            }
            // Everything the server said, up to its close.
            loop {
                let line = bad.line();
                if line.is_empty() {
                    break;
                }
                closed_with = line;
            }
            closed_with
        })
    };
    let clients: Vec<_> = (0..10)
        .map(|n| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                let mut client = Client::connect_to(&socket);
                // Pipelined: all 100 requests, then all 100 answers.
                for id in 0..100 {
                    let action = if id % 10 == 0 { "connections" } else { "ping" };
                    client.send(&format!(
                        r#"{{"type":"command","id":{},"command":{{"action":"{action}"}}}}"#,
                        n * 1000 + id
                    ));
                }
                (0..100)
                    .filter(|_| {
                        let reply = client.line();
                        reply.contains("\"type\":\"reply\"") && reply.contains("\"ok\":true")
                    })
                    .count()
            })
        })
        .collect();
    let answered: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(answered, 1000, "every command is answered");
    let last = spewer.join().unwrap();
    assert!(
        last.contains("unparsable lines in a row; closing"),
        "{last}"
    );
    // And the daemon still serves.
    let mut after = Client::connect(&daemon);
    after.send(r#"{"type":"command","id":1,"command":{"action":"ping"}}"#);
    assert!(after.line().contains("\"ok\":true"));
}

#[test]
fn reload_applies_server_changes_keeps_overrides_and_refuses_bad_files_whole() {
    let (a, b, c) = (backend("a"), backend("b"), backend("c"));
    let (daemon, vip) = start("reload", &[("a", a), ("b", b)]);
    let config = daemon.dir.join("director.toml");
    assert!(ctl(&daemon, &["drain", "web", "a"]).status.success());
    // Traffic through the VIP all along: a reload drops nothing.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let traffic = std::thread::spawn(move || {
        let mut answers = Vec::new();
        while !flag.load(std::sync::atomic::Ordering::Relaxed) && answers.len() < 2_000 {
            answers.push(fetch(vip));
        }
        answers
    });

    let original = std::fs::read_to_string(&config).unwrap();
    let b_port = format!("port = {}\n", b.port());
    let changed = original.replace(&b_port, &format!("{b_port}weight = 3\n"))
        + &format!(
            "[[virtual_server.real_server]]\nname = \"c\"\naddress = \"127.0.0.1\"\nport = {}\n",
            c.port()
        );
    std::fs::write(&config, &changed).unwrap();
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(daemon.child.id() as i32, libc::SIGHUP) };
    assert!(
        wait_until(Duration::from_secs(10), || {
            let snapshot = snapshot_of(&daemon);
            snapshot.server("web", "c").is_some()
                && snapshot.server("web", "b").is_some_and(|r| r.weight == 3)
        }),
        "SIGHUP did not apply the new servers"
    );
    let snapshot = snapshot_of(&daemon);
    assert!(
        snapshot.server("web", "a").unwrap().drained,
        "the operator's drain was lost"
    );
    assert!(snapshot
        .events
        .iter()
        .any(|e| e.text.contains("SIGHUP: reloaded")
            && e.text
                .contains("1 real server(s) added, 1 real server(s) changed")));

    // A file that does not parse is refused whole, with its line.
    std::fs::write(
        &config,
        changed.replace("scheduler = \"rr\"", "scheduler = rr"),
    )
    .unwrap();
    let refused = ctl(&daemon, &["reload"]);
    assert_eq!(refused.status.code(), Some(1));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("refused, nothing changed") && why.contains("director.toml:"),
        "{why}"
    );
    // A service's settings change in place.
    std::fs::write(
        &config,
        changed.replace("scheduler = \"rr\"", "scheduler = \"wlc\""),
    )
    .unwrap();
    let applied = ctl(&daemon, &["reload"]);
    assert!(applied.status.success());
    let said = String::from_utf8_lossy(&applied.stdout);
    assert!(said.contains("1 virtual service(s) changed"), "{said}");
    assert_eq!(snapshot_of(&daemon).services[0].scheduler, "wlc");
    // A change that needs a restart is refused whole.
    std::fs::write(
        &config,
        changed.replace(
            "router_id = \"t\"",
            "router_id = \"t\"\nremove_unmanaged = true",
        ),
    )
    .unwrap();
    let refused = ctl(&daemon, &["reload"]);
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("a restart is needed to change [global] remove_unmanaged"),
        "{why}"
    );
    assert_eq!(snapshot_of(&daemon).services[0].scheduler, "wlc");
    assert!(
        snapshot_of(&daemon).server("web", "c").is_some(),
        "a refused reload changed the table"
    );

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let answers = traffic.join().unwrap();
    assert!(!answers.is_empty());
    let failed = answers
        .iter()
        .filter(|a| !["a", "b", "c"].contains(&a.as_str()))
        .count();
    assert_eq!(
        failed, 0,
        "connections failed across the reloads: {answers:?}"
    );
}

#[test]
fn a_burst_of_reloads_is_answered_whole_and_ends_on_the_file_as_last_written() {
    let (a, b) = (backend("a"), backend("b"));
    let (daemon, _vip) = start("reloadburst", &[("a", a)]);
    let config = daemon.dir.join("director.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    let with_b = original.clone()
        + &format!(
            "[[virtual_server.real_server]]\nname = \"b\"\naddress = \"127.0.0.1\"\nport = {}\nweight = 4\n",
            b.port()
        );
    std::fs::write(&config, &with_b).unwrap();
    // Twenty reloads on one connection, none waited for: the files are
    // read off the engine task, those asked meanwhile are served together.
    let mut client = Client::connect(&daemon);
    for id in 1..=20 {
        client.send(&format!(
            r#"{{"type":"command","id":{id},"command":{{"action":"reload"}},"origin":"burst"}}"#
        ));
    }
    let mut answered = std::collections::HashSet::new();
    for _ in 0..200 {
        let line = client.line();
        if line.contains(r#""type":"reply""#) {
            let reply: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(reply["ok"], true, "{line}");
            answered.insert(reply["id"].as_u64().unwrap());
        }
        if answered.len() == 20 {
            break;
        }
    }
    assert_eq!(answered.len(), 20, "every reload is answered");
    let snapshot = snapshot_of(&daemon);
    assert_eq!(snapshot.server("web", "b").map(|r| r.weight), Some(4));
    // The engine answered other commands while it reloaded, and the last
    // file written is the one that runs.
    std::fs::write(&config, with_b.replace("weight = 4", "weight = 6")).unwrap();
    assert!(ctl(&daemon, &["reload"]).status.success());
    assert_eq!(
        snapshot_of(&daemon).server("web", "b").map(|r| r.weight),
        Some(6)
    );
}
