//! The userspace data plane against real servers in namespaces: TCP and UDP
//! services sharing traffic by weight, persistence, drain, removal
//! mid-stream, and counters that match exactly what the test opened and
//! closed. Needs root.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::netlab::NetLab;
use common::{attach_retrying, namespaces_available, prefix, snapshot_blocking};
use director::engine::{Answer, Command, EngineHandle, Request, Snapshot};
use director::lab::netns::in_namespace;

const VIP: &str = "192.0.2.100";
const VIP6: &str = "2001:db8::100";
const SERVERS: [(&str, &str); 3] = [
    ("rs1", "192.0.2.11"),
    ("rs2", "192.0.2.12"),
    ("rs3", "192.0.2.13"),
];
/// The same servers' IPv6 addresses.
const SERVERS6: [&str; 3] = ["2001:db8::11", "2001:db8::12", "2001:db8::13"];

/// A director and three real servers, each running a TCP server that
/// answers every line with its name and a UDP server that does the same.
struct Bench {
    lab: NetLab,
    stop: Arc<AtomicBool>,
    engine: EngineHandle,
}

impl Drop for Bench {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve_names(lab: &NetLab, stop: &Arc<AtomicBool>) {
    let both = SERVERS
        .iter()
        .map(|(name, v4)| (*name, v4.to_string()))
        .chain(
            SERVERS
                .iter()
                .zip(SERVERS6)
                .map(|((name, _), v6)| (*name, format!("[{v6}]"))),
        );
    for (name, address) in both {
        let tcp_at: SocketAddr = format!("{address}:80").parse().unwrap();
        let udp_at: SocketAddr = format!("{address}:53").parse().unwrap();
        let alt_at = SocketAddr::new(tcp_at.ip(), 8080);
        let (tcp, alt, udp) = in_namespace(&lab.ns(name), move || {
            (
                TcpListener::bind(tcp_at).unwrap(),
                TcpListener::bind(alt_at).unwrap(),
                UdpSocket::bind(udp_at).unwrap(),
            )
        })
        .unwrap();
        udp.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        for listener in [tcp, alt] {
            listener.set_nonblocking(true).unwrap();
            let stop_tcp = stop.clone();
            std::thread::spawn(move || {
                while !stop_tcp.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            std::thread::spawn(move || echo_name(stream, name));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
        }
        let stop_udp = stop.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 512];
            while !stop_udp.load(Ordering::Relaxed) {
                if let Ok((_, from)) = udp.recv_from(&mut buffer) {
                    let _ = udp.send_to(name.as_bytes(), from);
                }
            }
        });
    }
}

/// Answer each byte received with the server's name and a newline.
fn echo_name(mut stream: TcpStream, name: &str) {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut byte = [0u8; 1];
    while matches!(stream.read(&mut byte), Ok(1)) {
        if stream.write_all(format!("{name}\n").as_bytes()).is_err() {
            return;
        }
    }
}

fn bench(tag: &str, services: &str, extra_args: &[&str]) -> Option<Bench> {
    if !namespaces_available(tag) {
        return None;
    }
    let mut lab = NetLab::new(&prefix(tag));
    lab.node(
        "dir",
        &[
            "192.0.2.1/24",
            &format!("{VIP}/24"),
            "2001:db8::1/64",
            &format!("{VIP6}/64"),
        ],
    );
    for ((name, address), v6) in SERVERS.iter().zip(SERVERS6) {
        lab.node(name, &[&format!("{address}/24"), &format!("{v6}/64")]);
    }
    let mut clients: Vec<String> = (51..=54).map(|i| format!("192.0.2.{i}/24")).collect();
    clients.push("2001:db8::51/64".into());
    let clients: Vec<&str> = clients.iter().map(String::as_str).collect();
    lab.node("client", &clients);
    let stop = Arc::new(AtomicBool::new(false));
    serve_names(&lab, &stop);
    let conf = lab.dir.join("dir.toml");
    std::fs::write(&conf, services).unwrap();
    let socket = lab.dir.join("dir.sock");
    let mut args = vec![
        "run".to_string(),
        "--config".into(),
        conf.display().to_string(),
        "--control".into(),
        socket.display().to_string(),
        "--dataplane".into(),
        "userspace".into(),
    ];
    args.extend(extra_args.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lab.spawn("dir", "dir", env!("CARGO_BIN_EXE_director"), &args);
    let engine = attach_blocking(&socket);
    Some(Bench { lab, stop, engine })
}

fn attach_blocking(socket: &std::path::Path) -> EngineHandle {
    let socket = socket.to_path_buf();
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(attach_retrying(&socket))
    })
}

/// A TCP connection from `source` in the client namespace to the VIP.
fn connect(bench: &Bench, source: &str) -> TcpStream {
    let source: SocketAddr = format!("{source}:0").parse().unwrap();
    let target: SocketAddr = format!("{VIP}:80").parse().unwrap();
    connect_to(bench, source, target)
}

/// A TCP connection from `source` in the client namespace to `target`.
fn connect_to(bench: &Bench, source: SocketAddr, target: SocketAddr) -> TcpStream {
    in_namespace(&bench.lab.ns("client"), move || {
        let domain = socket2::Domain::for_address(target);
        let socket = socket2::Socket::new(domain, socket2::Type::STREAM, None)?;
        socket.bind(&source.into())?;
        socket.connect_timeout(&target.into(), Duration::from_secs(5))?;
        Ok::<TcpStream, std::io::Error>(socket.into())
    })
    .unwrap()
    .expect("connected to the VIP")
}

/// Which server answers on `stream` (one round trip).
fn ask(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"?").unwrap();
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while stream.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        answer.push(byte[0]);
    }
    String::from_utf8(answer).unwrap()
}

/// One UDP flow (a fresh socket) from the client: which server answers.
/// A new UDP flow: a datagram from a fresh socket, and the answer. The
/// socket is returned so the caller holds its port: a port closed and
/// bound again by the next flow would continue the old flow.
fn ask_udp(bench: &Bench) -> (String, UdpSocket) {
    let target: SocketAddr = format!("{VIP}:53").parse().unwrap();
    let socket = in_namespace(&bench.lab.ns("client"), || {
        UdpSocket::bind("192.0.2.51:0").unwrap()
    })
    .unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket.send_to(b"?", target).unwrap();
    let mut buffer = [0u8; 64];
    let n = socket.recv(&mut buffer).expect("a UDP answer");
    (String::from_utf8_lossy(&buffer[..n]).into_owned(), socket)
}

/// Wait for a snapshot satisfying `condition`; `what` names it in the failure.
fn snapshot_until(
    bench: &Bench,
    what: &str,
    condition: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    snapshot_blocking(&bench.engine, what, condition)
}

fn request(bench: &Bench, command: Command) -> Result<Answer, String> {
    let request = Request {
        command,
        origin: "dataplane test".into(),
    };
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(bench.engine.request(request))
    })
}

fn command(bench: &Bench, command: Command) -> Result<String, String> {
    request(bench, command).map(|answer| answer.to_string())
}

/// The connection table, as the engine answers it.
fn connections(bench: &Bench) -> Vec<director::ipvs::model::ConnRow> {
    match request(bench, Command::Connections) {
        Ok(Answer::Connections(rows)) => rows,
        other => panic!("not the connection table: {other:?}"),
    }
}

fn server<'a>(
    snapshot: &'a Snapshot,
    service: &str,
    name: &str,
) -> &'a director::engine::snapshot::ServerView {
    snapshot
        .services
        .iter()
        .find(|s| s.address == service)
        .and_then(|s| s.servers.iter().find(|r| r.name == name))
        .unwrap_or_else(|| panic!("no {name} in {service}"))
}

fn weighted_config() -> String {
    let mut config = String::new();
    for (protocol, port) in [("tcp", 80), ("udp", 53)] {
        config.push_str(&format!(
            "[[virtual_server]]\naddress = \"{VIP}\"\nport = {port}\nprotocol = \"{protocol}\"\nscheduler = \"wrr\"\n"
        ));
        for (i, (name, address)) in SERVERS.iter().enumerate() {
            config.push_str(&format!(
                "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"{address}\"\nport = {port}\nweight = {}\n",
                i + 1
            ));
        }
    }
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_and_udp_services_share_traffic_by_weight_with_exact_counts() {
    let Some(bench) = bench("dp-weights", &weighted_config(), &[]) else {
        return;
    };
    let tcp_service = format!("{VIP}:80");
    let udp_service = format!("{VIP}:53");
    snapshot_until(&bench, "services", |s| s.services.len() == 2);

    // 60 TCP connections held open: wrr 1:2:3 places them 10/20/30.
    let mut open: Vec<TcpStream> = (0..60).map(|_| connect(&bench, "192.0.2.51")).collect();
    let mut answers: BTreeMap<String, u32> = BTreeMap::new();
    for stream in &mut open {
        *answers.entry(ask(stream)).or_default() += 1;
    }
    assert_eq!(
        answers,
        BTreeMap::from([("rs1".into(), 10), ("rs2".into(), 20), ("rs3".into(), 30)])
    );
    let snap = snapshot_until(&bench, "60 active", |s| {
        SERVERS
            .iter()
            .map(|(n, _)| server(s, &tcp_service, n).active)
            .sum::<u64>()
            == 60
    });
    for (i, (name, _)) in SERVERS.iter().enumerate() {
        let r = server(&snap, &tcp_service, name);
        let expected = 10 * (i as u64 + 1);
        assert_eq!(
            (r.active, r.inactive, r.conns),
            (expected, 0, expected),
            "{name}"
        );
    }

    // Close 15 of them, noting which server each was on.
    let mut closed: BTreeMap<String, u64> = BTreeMap::new();
    for mut stream in open.drain(..15) {
        *closed.entry(ask(&mut stream)).or_default() += 1;
        drop(stream);
    }
    let snap = snapshot_until(&bench, "15 closed", |s| {
        SERVERS
            .iter()
            .map(|(n, _)| server(s, &tcp_service, n).inactive)
            .sum::<u64>()
            == 15
    });
    for (i, (name, _)) in SERVERS.iter().enumerate() {
        let r = server(&snap, &tcp_service, name);
        let gone = closed.get(*name).copied().unwrap_or(0);
        let placed = 10 * (i as u64 + 1);
        assert_eq!(
            (r.active, r.inactive),
            (placed - gone, gone),
            "{name}: closed connections linger in InActConn"
        );
    }

    // 60 UDP flows: 10/20/30, all counted inactive as IPVS counts UDP.
    let mut udp_answers: BTreeMap<String, u32> = BTreeMap::new();
    let mut flows = Vec::new();
    for _ in 0..60 {
        let (answer, socket) = ask_udp(&bench);
        *udp_answers.entry(answer).or_default() += 1;
        flows.push(socket);
    }
    assert_eq!(
        udp_answers,
        BTreeMap::from([("rs1".into(), 10), ("rs2".into(), 20), ("rs3".into(), 30)])
    );
    let snap = snapshot_until(&bench, "udp flows", |s| {
        server(s, &udp_service, "rs3").inactive == 30
    });
    for (i, (name, _)) in SERVERS.iter().enumerate() {
        let r = server(&snap, &udp_service, name);
        let expected = 10 * (i as u64 + 1);
        assert_eq!(
            (r.active, r.inactive, r.conns),
            (0, expected, expected),
            "{name}"
        );
        assert_eq!(
            (r.in_packets, r.out_packets),
            (expected, expected),
            "{name}"
        );
    }

    // The connection listing agrees with the counters.
    let rows = connections(&bench);
    let count = |state: &str| rows.iter().filter(|r| r.state == state).count();
    assert_eq!(count("ESTABLISHED"), 45);
    assert_eq!(count("TIME_WAIT") + count("FIN_WAIT"), 15);
    assert_eq!(count("UDP"), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persistence_holds_a_client_until_the_timeout() {
    let mut config = format!(
        "[[virtual_server]]\naddress = \"{VIP}\"\nport = 80\nscheduler = \"rr\"\npersistence_timeout = 2\n"
    );
    for (name, address) in SERVERS {
        config.push_str(&format!(
            "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"{address}\"\nport = 80\n"
        ));
    }
    let Some(bench) = bench("dp-persist", &config, &["--tcp-fin-timeout", "1"]) else {
        return;
    };
    let service = format!("{VIP}:80");
    snapshot_until(&bench, "service", |s| s.services.len() == 1);
    let first = ask(&mut connect(&bench, "192.0.2.51"));
    let other = ask(&mut connect(&bench, "192.0.2.52"));
    assert_ne!(first, other, "rr placed two new clients on two servers");
    for _ in 0..9 {
        assert_eq!(ask(&mut connect(&bench, "192.0.2.51")), first);
        assert_eq!(ask(&mut connect(&bench, "192.0.2.52")), other);
    }
    let snap = snapshot_until(&bench, "templates", |s| {
        server(s, &service, &first).persistent == 1
    });
    assert_eq!(server(&snap, &service, &other).persistent, 1);
    let rows = connections(&bench);
    assert!(
        rows.iter().any(|r| r.state == "NONE"),
        "templates listed: {rows:?}"
    );

    // Connections linger 1 s, then the templates 2 s more: then gone.
    let snap = snapshot_until(&bench, "templates expire", |s| {
        SERVERS
            .iter()
            .all(|(n, _)| server(s, &service, n).persistent == 0)
    });
    assert_eq!(server(&snap, &service, &first).inactive, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_lets_active_fall_to_zero_while_others_take_new_connections() {
    let mut config =
        format!("[[virtual_server]]\naddress = \"{VIP}\"\nport = 80\nscheduler = \"rr\"\n");
    for (name, address) in SERVERS {
        config.push_str(&format!(
            "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"{address}\"\nport = 80\n"
        ));
    }
    let Some(bench) = bench("dp-drain", &config, &[]) else {
        return;
    };
    let service = format!("{VIP}:80");
    snapshot_until(&bench, "service", |s| s.services.len() == 1);
    let mut open: Vec<(String, TcpStream)> = (0..6)
        .map(|_| {
            let mut s = connect(&bench, "192.0.2.51");
            (ask(&mut s), s)
        })
        .collect();
    snapshot_until(&bench, "rs1 has 2", |s| {
        server(s, &service, "rs1").active == 2
    });
    command(
        &bench,
        Command::Drain {
            service: service.clone(),
            server: "rs1".into(),
        },
    )
    .unwrap();
    // New connections avoid rs1; its established ones still work.
    for _ in 0..6 {
        assert_ne!(ask(&mut connect(&bench, "192.0.2.53")), "rs1");
    }
    for (name, stream) in &mut open {
        assert_eq!(
            ask(stream),
            *name,
            "an established connection survives the drain"
        );
    }
    let snap = snapshot_until(&bench, "rs1 still 2", |s| {
        server(s, &service, "rs1").active == 2
    });
    assert_eq!(server(&snap, &service, "rs1").weight, 0);
    open.retain(|(name, _)| name != "rs1");
    snapshot_until(&bench, "rs1 empties", |s| {
        server(s, &service, "rs1").active == 0
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_server_mid_stream_closes_nothing() {
    // rs1 is removed from the table when its health check (a separate port
    // the test controls) fails; its open connection keeps flowing.
    let mut config = format!(
        "[[virtual_server]]\naddress = \"{VIP}\"\nport = 80\nscheduler = \"rr\"\ndelay_loop = 1\n"
    );
    for (name, address) in SERVERS {
        config.push_str(&format!(
            "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"{address}\"\nport = 80\n"
        ));
        if name == "rs1" {
            config.push_str("[virtual_server.real_server.tcp_check]\nconnect_port = 9090\nconnect_timeout = 1\nretry = 0\ndelay_before_retry = 1\n");
        }
    }
    let Some(bench) = bench("dp-remove", &config, &[]) else {
        return;
    };
    let check_port = in_namespace(&bench.lab.ns("rs1"), || {
        TcpListener::bind("192.0.2.11:9090").unwrap()
    })
    .unwrap();
    let service = format!("{VIP}:80");
    snapshot_until(&bench, "rs1 up", |s| {
        server(s, &service, "rs1").health == director::ipvs::model::Health::Up
    });
    let mut on_rs1 = loop {
        let mut s = connect(&bench, "192.0.2.51");
        if ask(&mut s) == "rs1" {
            break s;
        }
    };
    drop(check_port);
    snapshot_until(&bench, "rs1 removed", |s| {
        !server(s, &service, "rs1").in_table
    });
    for _ in 0..5 {
        assert_eq!(
            ask(&mut on_rs1),
            "rs1",
            "the removed server's connection still carries data"
        );
        assert_ne!(ask(&mut connect(&bench, "192.0.2.52")), "rs1");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_half_close_reaches_the_server_and_the_answer_still_comes_back() {
    let Some(bench) = bench("dp-halfclose", &weighted_config(), &[]) else {
        return;
    };
    // The client asks and half-closes at once. The real server answers,
    // reads on, and closes only once it sees the end, that is once the
    // proxy has passed the client's FIN on; the client reads the answer
    // and then the end. Were the FIN lost, the server would wait its
    // 30 s and the client's 5 s read would fail.
    for source in ["192.0.2.51", "192.0.2.52", "192.0.2.53"] {
        let mut stream = connect(&bench, source);
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(b"?").unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .expect("the answer and then the end, within 5 s");
        assert!(
            SERVERS
                .iter()
                .any(|(name, _)| answer == format!("{name}\n")),
            "answer {answer:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_removal_keeps_connections_unless_forced() {
    let mut config = format!(
        "[[virtual_server]]\nname = \"web\"\naddress = \"{VIP}\"\nport = 80\nscheduler = \"rr\"\n"
    );
    for (name, address) in SERVERS {
        config.push_str(&format!(
            "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"{address}\"\nport = 80\n"
        ));
    }
    let Some(bench) = bench("dp-operator", &config, &[]) else {
        return;
    };
    snapshot_until(&bench, "service", |s| s.services.len() == 1);
    let mut open: Vec<(String, TcpStream)> = (0..6)
        .map(|_| {
            let mut s = connect(&bench, "192.0.2.51");
            (ask(&mut s), s)
        })
        .collect();
    let remove = |server: &str, force: bool| Command::RemoveServer {
        service: "web".into(),
        server: server.into(),
        force,
    };
    command(&bench, remove("rs1", false)).unwrap();
    for (name, stream) in &mut open {
        assert_eq!(ask(stream), *name, "nothing closed by a plain removal");
    }
    for _ in 0..4 {
        assert_ne!(ask(&mut connect(&bench, "192.0.2.52")), "rs1");
    }
    command(&bench, remove("rs2", true)).unwrap();
    for (name, stream) in &mut open {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let _ = stream.write_all(b"?");
        let mut byte = [0u8; 1];
        let answered = matches!(stream.read(&mut byte), Ok(1));
        assert_eq!(
            answered,
            name != "rs2",
            "{name}: a forced removal closes only rs2's connections"
        );
    }
    let snap = snapshot_until(&bench, "rs1 and rs2 gone", |s| {
        s.services[0].servers.len() == 1
    });
    assert_eq!(snap.services[0].servers[0].name, "rs3");
    // rs2 is back with a new weight; its old connections stay closed.
    command(
        &bench,
        Command::AddServer {
            service: "web".into(),
            server: "192.0.2.12:80".parse().unwrap(),
            weight: 2,
            name: None,
            forwarding: Default::default(),
            check: None,
        },
    )
    .unwrap();
    let answers: Vec<String> = (0..3)
        .map(|_| ask(&mut connect(&bench, "192.0.2.53")))
        .collect();
    assert!(answers.iter().any(|a| a == "rs2"), "{answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_services_hash_clients_and_list_bracketed_addresses() {
    let mut config = String::new();
    for (protocol, port, scheduler) in [("tcp", 80, "sh"), ("udp", 53, "mh")] {
        config.push_str(&format!(
            "[[virtual_server]]\naddress = \"{VIP6}\"\nport = {port}\nprotocol = \"{protocol}\"\nscheduler = \"{scheduler}\"\n"
        ));
        for ((name, _), v6) in SERVERS.iter().zip(SERVERS6) {
            config.push_str(&format!(
                "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"{v6}\"\nport = {port}\n"
            ));
        }
    }
    let Some(bench) = bench("dp-v6", &config, &[]) else {
        return;
    };
    snapshot_until(&bench, "services", |s| s.services.len() == 2);
    let source: SocketAddr = "[2001:db8::51]:0".parse().unwrap();
    let target: SocketAddr = format!("[{VIP6}]:80").parse().unwrap();
    let first = ask(&mut connect_to(&bench, source, target));
    for _ in 0..5 {
        assert_eq!(
            ask(&mut connect_to(&bench, source, target)),
            first,
            "sh keeps one client on one server"
        );
    }
    let udp_target: SocketAddr = format!("[{VIP6}]:53").parse().unwrap();
    let socket = in_namespace(&bench.lab.ns("client"), || {
        UdpSocket::bind("[2001:db8::51]:0").unwrap()
    })
    .unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket.send_to(b"?", udp_target).unwrap();
    let mut buffer = [0u8; 64];
    let n = socket.recv(&mut buffer).expect("a UDP answer over IPv6");
    assert!(String::from_utf8_lossy(&buffer[..n]).starts_with("rs"));
    let rows = connections(&bench);
    assert!(rows
        .iter()
        .any(|r| r.virtual_address == target && r.state == "TIME_WAIT"));
    let listing = director::ctl::connections(&rows);
    assert!(listing.contains(&format!("[{VIP6}]:80")), "{listing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upper_threshold_overflows_to_the_next_server_until_connections_end() {
    let mut config = format!(
        "[[virtual_server]]\nname = \"web\"\naddress = \"{VIP}\"\nport = 80\nscheduler = \"fo\"\n"
    );
    for ((name, address), weight) in SERVERS.iter().zip([10, 5, 1]) {
        config.push_str(&format!(
            "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"{address}\"\nport = 80\nweight = {weight}\n"
        ));
        if *name == "rs1" {
            config.push_str("uthreshold = 2\n");
        }
    }
    let Some(bench) = bench("dp-threshold", &config, &["--tcp-fin-timeout", "1"]) else {
        return;
    };
    snapshot_until(&bench, "service", |s| s.services.len() == 1);
    let mut held: Vec<(String, TcpStream)> = (0..3)
        .map(|_| {
            let mut s = connect(&bench, "192.0.2.51");
            (ask(&mut s), s)
        })
        .collect();
    let names: Vec<&str> = held.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["rs1", "rs1", "rs2"],
        "fo fills rs1 to its threshold, then rs2"
    );
    let snap = snapshot_until(&bench, "rs1 overloaded", |s| {
        s.server("web", "rs1").is_some_and(|r| r.overloaded)
    });
    assert_eq!(snap.server("web", "rs1").unwrap().uthreshold, 2);
    held.retain(|(name, _)| name != "rs1");
    // Closed connections count until TIME_WAIT ends (1 s here); then rs1
    // falls below 3/4 of its threshold and takes connections again.
    snapshot_until(&bench, "rs1 empty and clear", |s| {
        s.server("web", "rs1")
            .is_some_and(|r| r.inactive == 0 && r.active == 0 && !r.overloaded)
    });
    assert_eq!(ask(&mut connect(&bench, "192.0.2.51")), "rs1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_zero_service_catches_every_port_and_keeps_clients_across_ports() {
    // Port 0 takes every TCP port of the VIP except 80, which has a service
    // of its own (rs3 only); clients stay on one server whatever the port.
    let mut config = format!(
        "[[virtual_server]]\naddress = \"{VIP}\"\nport = 0\nscheduler = \"rr\"\npersistence_timeout = 30\n"
    );
    for (name, address) in &SERVERS[..2] {
        config.push_str(&format!(
            "[[virtual_server.real_server]]\nname = \"{name}\"\naddress = \"{address}\"\nport = 0\n"
        ));
    }
    config.push_str(&format!(
        "[[virtual_server]]\naddress = \"{VIP}\"\nport = 80\n[[virtual_server.real_server]]\nname = \"rs3\"\naddress = \"192.0.2.13\"\nport = 80\n"
    ));
    let Some(mut bench) = bench("dp-port0", &config, &[]) else {
        return;
    };
    snapshot_until(&bench, "services", |s| s.services.len() == 2);
    let via = |bench: &Bench, source: &str, port: u16| {
        let source: SocketAddr = format!("{source}:0").parse().unwrap();
        let target: SocketAddr = format!("{VIP}:{port}").parse().unwrap();
        ask(&mut connect_to(bench, source, target))
    };
    let first = via(&bench, "192.0.2.51", 8080);
    let second = via(&bench, "192.0.2.52", 8080);
    assert!(["rs1", "rs2"].contains(&first.as_str()), "{first}");
    assert_ne!(first, second, "rr placed two new clients apart");
    for _ in 0..3 {
        assert_eq!(via(&bench, "192.0.2.51", 8080), first);
        assert_eq!(via(&bench, "192.0.2.52", 8080), second);
    }
    assert_eq!(
        via(&bench, "192.0.2.51", 80),
        "rs3",
        "port 80 belongs to its own service"
    );
    let rows = connections(&bench);
    let template_vip: SocketAddr = format!("{VIP}:0").parse().unwrap();
    let asked: SocketAddr = format!("{VIP}:8080").parse().unwrap();
    assert!(rows
        .iter()
        .any(|r| r.state == "NONE" && r.virtual_address == template_vip));
    assert!(rows
        .iter()
        .any(|r| r.virtual_address == asked && r.destination.port() == 8080));
    let tables = bench.lab.sh("dir", "nft list tables");
    assert!(tables.contains("director_all_ports"), "{tables}");
    bench.lab.stop("dir", libc::SIGTERM);
    let tables = bench.lab.sh("dir", "nft list tables");
    assert!(
        !tables.contains("director_all_ports"),
        "rules removed on stop: {tables}"
    );
}

/// One connection from `source` in the client namespace to `target` and
/// one round trip on it, errors as text (for traffic that must not fail).
fn try_ask(client_ns: &str, source: SocketAddr, target: SocketAddr) -> Result<String, String> {
    let mut stream = in_namespace(client_ns, move || {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(target),
            socket2::Type::STREAM,
            None,
        )?;
        socket.bind(&source.into())?;
        socket.connect_timeout(&target.into(), Duration::from_secs(5))?;
        Ok::<TcpStream, std::io::Error>(socket.into())
    })
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    stream.write_all(b"?").map_err(|e| format!("write: {e}"))?;
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(1) if byte[0] != b'\n' => answer.push(byte[0]),
            Ok(1) => return Ok(String::from_utf8_lossy(&answer).into_owned()),
            Ok(_) => return Err("closed before answering".into()),
            Err(e) => return Err(format!("read: {e}")),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_under_load_loses_no_connection_on_unchanged_services() {
    let web = |rs2_weight: u32| {
        format!(
            "[[virtual_server]]\nname = \"web\"\naddress = \"{VIP}\"\nport = 80\nscheduler = \"wrr\"\n\
             [[virtual_server.real_server]]\nname = \"rs1\"\naddress = \"192.0.2.11\"\nport = 80\n\
             [[virtual_server.real_server]]\nname = \"rs2\"\naddress = \"192.0.2.12\"\nport = 80\nweight = {rs2_weight}\n"
        )
    };
    let alt = "[[virtual_server]]\nname = \"alt\"\naddress = \"192.0.2.100\"\nport = 8080\n\
               [[virtual_server.real_server]]\nname = \"rs3\"\naddress = \"192.0.2.13\"\nport = 8080\n";
    let Some(bench) = bench("dp-reload", &web(1), &[]) else {
        return;
    };
    let conf = bench.lab.dir.join("dir.toml");
    let reload = || command(&bench, Command::Reload);
    // Connections established before the reloads, held open across them.
    let mut held: Vec<TcpStream> = (0..20).map(|_| connect(&bench, "192.0.2.51")).collect();
    for stream in &mut held {
        assert!(["rs1", "rs2"].contains(&ask(stream).as_str()));
    }
    // New connections to the unchanged service all along.
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = {
        let (stop, ns) = (stop.clone(), bench.lab.ns("client"));
        let source: SocketAddr = "192.0.2.52:0".parse().unwrap();
        let web_at: SocketAddr = format!("{VIP}:80").parse().unwrap();
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            while !stop.load(Ordering::Relaxed) && answers.len() < 20_000 {
                answers.push(try_ask(&ns, source, web_at));
            }
            answers
        })
    };

    // A service added, another's scheduler weights changed: in place.
    std::fs::write(&conf, format!("{}{alt}", web(3))).unwrap();
    let said = reload().expect("the reload applies");
    assert!(
        said.contains("1 virtual service(s) added") && said.contains("1 real server(s) changed"),
        "{said}"
    );
    let alt_at: SocketAddr = format!("{VIP}:8080").parse().unwrap();
    let client = bench.lab.ns("client");
    let source: SocketAddr = "192.0.2.53:0".parse().unwrap();
    assert_eq!(try_ask(&client, source, alt_at), Ok("rs3".into()));
    // The added service goes again: its socket closes.
    std::fs::write(&conf, web(3)).unwrap();
    let said = reload().expect("the reload applies");
    assert!(said.contains("1 virtual service(s) removed"), "{said}");
    let gone = try_ask(&client, source, alt_at);
    assert!(
        gone.as_ref().is_err_and(|e| e.contains("refused")),
        "{gone:?}"
    );
    // Twenty more reloads back and forth while the traffic runs.
    for round in 0..20 {
        let text = if round % 2 == 0 {
            format!("{}{alt}", web(2))
        } else {
            web(3)
        };
        std::fs::write(&conf, text).unwrap();
        reload().expect("the reload applies");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A broken file is refused whole.
    std::fs::write(&conf, format!("{}{alt}port = oops\n", web(5))).unwrap();
    let refused = reload().expect_err("a broken file is refused");
    assert!(refused.contains("refused, nothing changed"), "{refused}");
    let snapshot = snapshot_until(&bench, "rs2 at weight 3", |s| {
        server(s, &format!("{VIP}:80"), "rs2").weight == 3
    });
    assert_eq!(snapshot.services.len(), 1, "the refused file added nothing");

    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let answers = traffic.join().unwrap();
    let failed: Vec<_> = answers.iter().filter(|a| a.is_err()).collect();
    eprintln!("{} connections during the reloads", answers.len());
    assert!(
        answers.len() > 10,
        "too little traffic to tell: {answers:?}"
    );
    assert!(
        failed.is_empty(),
        "{} of {} connections to the unchanged service failed across the reloads: {:?}",
        failed.len(),
        answers.len(),
        &failed[..failed.len().min(5)]
    );
    for stream in &mut held {
        assert!(
            ["rs1", "rs2"].contains(&ask(stream).as_str()),
            "a connection held across the reloads broke"
        );
    }
}

/// The UDP service's flows (InActConn over its servers).
fn udp_flows(snapshot: &Snapshot) -> u64 {
    let service = format!("{VIP}:53");
    SERVERS
        .iter()
        .map(|(name, _)| server(snapshot, &service, name).inactive)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lvs_timeouts_expire_idle_flows_and_a_reload_changes_them() {
    let config = |timeouts: &str| {
        format!(
            "[global]\nlvs_timeouts = {{ {timeouts} }}\n{}",
            weighted_config()
        )
    };
    let Some(bench) = bench("dp-timeouts", &config("udp = 2"), &[]) else {
        return;
    };
    let listed = |expected: [u64; 3]| {
        let socket = bench.lab.dir.join("dir.sock");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_director"))
            .args(["list", "--timeout", "--socket"])
            .arg(&socket)
            .output()
            .unwrap();
        let [tcp, tcpfin, udp] = expected;
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("Timeout (tcp tcpfin udp): {tcp} {tcpfin} {udp}\n"),
            "director list --timeout, as ipvsadm -L --timeout prints it"
        );
    };
    snapshot_until(&bench, "services", |s| s.services.len() == 2);
    listed([900, 120, 2]);

    // An idle flow is forgotten after 2 s, not the plane's 300.
    let (_, _held) = ask_udp(&bench);
    snapshot_until(&bench, "the flow counted", |s| udp_flows(s) == 1);
    snapshot_until(&bench, "the idle flow forgotten", |s| udp_flows(s) == 0);

    // A reload sets them anew, and the listing and new flows follow.
    let conf = bench.lab.dir.join("dir.toml");
    std::fs::write(&conf, config("tcp = 7200, udp = 300")).unwrap();
    command(&bench, Command::Reload).expect("the reload is applied");
    snapshot_until(&bench, "the new timeouts", |s| {
        s.timeouts.is_some_and(|t| (t.tcp, t.udp) == (7200, 300))
    });
    listed([7200, 120, 300]);
    let (_, _held) = ask_udp(&bench);
    snapshot_until(&bench, "the flow counted", |s| udp_flows(s) == 1);
    std::thread::sleep(Duration::from_secs(4));
    let snap = snapshot_until(&bench, "a fresh snapshot", |_| true);
    assert_eq!(
        udp_flows(&snap),
        1,
        "a flow idle for 4 s of 300 was forgotten"
    );
}
