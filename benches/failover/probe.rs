//! The client's view during a trial: an ICMP echo to the VIP every 10 ms,
//! every VRRP advert seen on the segment, and every gratuitous ARP for the
//! VIP, all timestamped in this process.

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
    /// Arrival of every gratuitous ARP announcing the VIP: the moment a new
    /// master has the address and tells the segment, to the microsecond
    /// (the echo probes only see it to the next 10 ms).
    pub announcements: Vec<Instant>,
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
        let (icmp, vrrp, arp) = in_namespace(ns, || {
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
            (icmp, vrrp, arp_socket())
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
        threads.push(receive(&stop, &record, icmp, |packet, now, record| {
            let header = usize::from(packet[0] & 0x0f) * 4;
            if packet.len() >= header + 8 {
                let sequence = u16::from_be_bytes([packet[header + 6], packet[header + 7]]);
                if is_reply(packet, false, ID, sequence) {
                    record.replies.push((sequence, now));
                }
            }
        }));
        threads.push(receive(
            &stop,
            &record,
            Arc::new(vrrp),
            |packet, now, record| {
                if let Ok(packet) = parse_ipv4(packet) {
                    if let (std::net::IpAddr::V4(from), Some(priority)) =
                        (packet.source, packet.payload.get(2))
                    {
                        record.adverts.push(AdvertSeen {
                            at: now,
                            from,
                            priority: *priority,
                        });
                    }
                }
            },
        ));
        threads.push(receive(
            &stop,
            &record,
            Arc::new(arp),
            move |packet, now, record| {
                if announces(packet, vip) {
                    record.announcements.push(now);
                }
            },
        ));
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

/// A thread reading `socket` until `stop`, handing each packet and its
/// arrival time to `on_packet` with the record locked.
fn receive(
    stop: &Arc<AtomicBool>,
    record: &Arc<Mutex<Record>>,
    socket: Arc<Socket>,
    on_packet: impl Fn(&[u8], Instant, &mut Record) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    let (stop, record) = (stop.clone(), record.clone());
    std::thread::spawn(move || {
        let mut buffer = [0u8; 1500];
        while !stop.load(Ordering::Relaxed) {
            if let Ok(n) = (&*socket).read(&mut buffer) {
                let now = Instant::now();
                on_packet(&buffer[..n], now, &mut record.lock().unwrap());
            }
        }
    })
}

/// A packet socket receiving every ARP packet of the namespace, without
/// link-layer headers.
fn arp_socket() -> Socket {
    let protocol = i32::from((libc::ETH_P_ARP as u16).to_be());
    let arp = Socket::new(Domain::PACKET, Type::DGRAM, Some(Protocol::from(protocol))).unwrap();
    arp.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    arp
}

/// Whether an ARP packet (no link-layer header) is gratuitous for `vip`:
/// IPv4 over Ethernet, sender and target address both `vip`.
fn announces(arp: &[u8], vip: Ipv4Addr) -> bool {
    arp.len() >= 28
        && arp[0..2] == [0, 1]
        && arp[2..4] == [0x08, 0x00]
        && arp[14..18] == vip.octets()
        && arp[24..28] == vip.octets()
}

impl Record {
    /// The first gratuitous ARP for the VIP after `t`.
    pub fn first_announcement_after(&self, t: Instant) -> Option<Instant> {
        self.announcements.iter().copied().filter(|&a| a > t).min()
    }

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
