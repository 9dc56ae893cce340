//! Gratuitous ARPs on the wire: with `garp_interval` a new master's
//! announcements for all its addresses go out in rounds, one at a time,
//! at least that far apart on the interface (keepalived's
//! `vrrp_garp_interval`). Needs root.

mod common;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use common::netlab::NetLab;
use common::{attach_retrying, namespaces_available, prefix, snapshot_where};
use director::lab::netns::in_namespace;
use director::vrrp::instance::State;

/// Gratuitous ARPs (sender address = target address) seen on `eth0` of
/// namespace `ns`: (when, address), until `count` or `limit`.
fn capture_garps(
    ns: &str,
    count: usize,
    limit: Duration,
) -> std::thread::JoinHandle<Vec<(Instant, Ipv4Addr)>> {
    let ns = ns.to_string();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        in_namespace(&ns, move || {
            let protocol = (libc::ETH_P_ARP as u16).to_be();
            // SAFETY: plain socket(2); closed below.
            let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(protocol)) };
            assert!(
                fd >= 0,
                "AF_PACKET socket: {}",
                std::io::Error::last_os_error()
            );
            let timeout = libc::timeval {
                tv_sec: 0,
                tv_usec: 100_000,
            };
            // SAFETY: timeout outlives the call; the length is its own.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_RCVTIMEO,
                    std::ptr::addr_of!(timeout).cast(),
                    std::mem::size_of::<libc::timeval>() as u32,
                )
            };
            ready_tx.send(()).unwrap();
            let mut seen = Vec::new();
            let mut frame = [0u8; 128];
            let started = Instant::now();
            while seen.len() < count && started.elapsed() < limit {
                // SAFETY: frame outlives the call; the length is its own.
                let n = unsafe { libc::recv(fd, frame.as_mut_ptr().cast(), frame.len(), 0) };
                if n < 42 {
                    continue;
                }
                // Ethernet (14) + ARP: sender IP at 28..32, target IP at 38..42.
                let sender = Ipv4Addr::new(frame[28], frame[29], frame[30], frame[31]);
                let target = Ipv4Addr::new(frame[38], frame[39], frame[40], frame[41]);
                if sender == target {
                    seen.push((Instant::now(), sender));
                }
            }
            // SAFETY: our own descriptor.
            unsafe { libc::close(fd) };
            seen
        })
        .unwrap()
    });
    ready_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("capture started");
    handle
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garp_interval_spaces_a_new_masters_announcements() {
    if !namespaces_available("garp_interval_spaces_a_new_masters_announcements") {
        return;
    }
    let mut lab = NetLab::new(&prefix("garp"));
    lab.node("a", &["192.0.2.11/24"]);
    lab.node("b", &["192.0.2.12/24"]);
    let capture = capture_garps(&lab.ns("b"), 6, Duration::from_secs(15));
    let conf = "[global]\ngarp_interval = 0.2\n[[vrrp_instance]]\nname = \"VI_1\"\ninterface = \"eth0\"\nvirtual_router_id = 51\npriority = 150\nadvert_int = 0.1\nvirtual_ipaddress = [\"192.0.2.50\", \"192.0.2.51\"]\ngarp_master_repeat = 3\ngarp_master_delay = 0\n";
    let a = attach_retrying(&lab.director("a", "a", conf)).await;
    snapshot_where(&a, Duration::from_secs(10), |s| {
        s.instances[0].state == State::Master
    })
    .await;
    let seen = tokio::task::spawn_blocking(move || capture.join().unwrap())
        .await
        .unwrap();
    let addresses: Vec<String> = seen.iter().map(|(_, a)| a.to_string()).collect();
    assert_eq!(
        addresses,
        ["192.0.2.50", "192.0.2.51"].repeat(3),
        "three rounds over both addresses"
    );
    let gaps: Vec<Duration> = seen.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(
        gaps.iter().all(|gap| *gap >= Duration::from_millis(180)),
        "gaps under garp_interval: {gaps:?}"
    );
}
