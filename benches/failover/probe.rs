//! The client's view during a trial: an ICMP echo to the VIP every 10 ms, and
//! every VRRP advert seen on the segment, all timestamped in this process.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use director::check::ping::{echo_request, is_reply};
use director::lab::netns::in_namespace;
use director::vrrp::net::parse_ipv4;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// One advert seen: when, from whom, at what priority.
#[derive(Debug, Clone, Copy)]
pub struct AdvertSeen {
    pub at: Instant,
    pub from: Ipv4Addr,
    pub priority: u8,
}

/// What the probe recorded.
#[derive(Debug, Default)]
pub struct Record {
    /// Send time of each echo request, by sequence number.
    pub sent: Vec<Instant>,
    /// (sequence, reply time).
    pub replies: Vec<(u16, Instant)>,
    /// Every advert.
    pub adverts: Vec<AdvertSeen>,
}

/// A running probe; `finish` stops it and returns the record.
pub struct Probe {
    stop: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

const INTERVAL: Duration = Duration::from_millis(10);
const ID: u16 = 0x4242;

impl Probe {
    /// Start probing `vip` from namespace `ns`.
    pub fn start(ns: &str, vip: Ipv4Addr) -> Probe {
        let (icmp, vrrp) = in_namespace(ns, || {
            let icmp = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)).unwrap();
            icmp.set_read_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            let vrrp = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(112))).unwrap();
            let eth0 = director::netlink::link::Link::lookup("eth0").unwrap();
            vrrp.join_multicast_v4_n(
                &Ipv4Addr::new(224, 0, 0, 18),
                &socket2::InterfaceIndexOrAddress::Index(eth0.index),
            )
            .unwrap();
            vrrp.set_read_timeout(Some(Duration::from_millis(50)))
                .unwrap();
            (icmp, vrrp)
        })
        .expect("enter the client namespace");
        let stop = Arc::new(AtomicBool::new(false));
        let record = Arc::new(Mutex::new(Record::default()));
        let icmp = Arc::new(icmp);
        let mut threads = Vec::new();
        {
            let (stop, record, icmp) = (stop.clone(), record.clone(), icmp.clone());
            threads.push(std::thread::spawn(move || {
                let to = SockAddr::from(SocketAddrV4::new(vip, 0));
                let start = Instant::now();
                let mut sequence: u16 = 0;
                while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(120) {
                    let due = start + INTERVAL * u32::from(sequence);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let now = Instant::now();
                    let _ = icmp.send_to(&echo_request(false, ID, sequence), &to);
                    record.lock().unwrap().sent.push(now);
                    sequence = sequence.wrapping_add(1);
                }
            }));
        }
        {
            let (stop, record, icmp) = (stop.clone(), record.clone(), icmp.clone());
            threads.push(std::thread::spawn(move || {
                let mut buffer = [0u8; 1500];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(n) = (&*icmp).read(&mut buffer) {
                        let now = Instant::now();
                        let header = usize::from(buffer[0] & 0x0f) * 4;
                        if n >= header + 8 {
                            let sequence =
                                u16::from_be_bytes([buffer[header + 6], buffer[header + 7]]);
                            if is_reply(&buffer[..n], false, ID, sequence) {
                                record.lock().unwrap().replies.push((sequence, now));
                            }
                        }
                    }
                }
            }));
        }
        {
            let (stop, record) = (stop.clone(), record.clone());
            threads.push(std::thread::spawn(move || {
                let mut buffer = [0u8; 1500];
                let mut vrrp = vrrp;
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(n) = vrrp.read(&mut buffer) {
                        let now = Instant::now();
                        if let Ok(packet) = parse_ipv4(&buffer[..n]) {
                            if let (std::net::IpAddr::V4(from), Some(priority)) =
                                (packet.source, packet.payload.get(2))
                            {
                                record.lock().unwrap().adverts.push(AdvertSeen {
                                    at: now,
                                    from,
                                    priority: *priority,
                                });
                            }
                        }
                    }
                }
            }));
        }
        Probe {
            stop,
            record,
            threads,
        }
    }

    /// Stop and hand back what was recorded.
    pub fn finish(self) -> Record {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
        std::mem::take(&mut *self.record.lock().unwrap())
    }
}

impl Record {
    /// The outage after `t`: from the first request sent after `t` that got
    /// no reply, to the reply of the first answered request after it. Returns
    /// (when the VIP answered again, requests lost); `None` when every
    /// request after `t` was answered (a hitless change).
    pub fn outage_after(&self, t: Instant) -> Option<(Instant, usize)> {
        let answered = |seq: usize| {
            self.replies
                .iter()
                .find(|(s, _)| usize::from(*s) == seq % 65536)
                .map(|(_, at)| *at)
        };
        let first_lost =
            (0..self.sent.len()).find(|&seq| self.sent[seq] > t && answered(seq).is_none())?;
        let back =
            (first_lost..self.sent.len()).find_map(|seq| answered(seq).map(|at| (seq, at)))?;
        Some((back.1, back.0 - first_lost))
    }

    /// The last advert from `from` before `t`.
    pub fn last_advert_before(&self, from: Ipv4Addr, t: Instant) -> Option<Instant> {
        self.adverts
            .iter()
            .filter(|a| a.from == from && a.at <= t && a.priority > 0)
            .map(|a| a.at)
            .max()
    }

    /// The first advert from `from` after `t`.
    pub fn first_advert_after(&self, from: Ipv4Addr, t: Instant) -> Option<Instant> {
        self.adverts
            .iter()
            .filter(|a| a.from == from && a.at > t && a.priority > 0)
            .map(|a| a.at)
            .min()
    }
}
