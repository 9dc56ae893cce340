//! The vocabulary both data planes share.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Which data plane carries the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaneKind {
    /// The embedded userspace proxy (full NAT).
    #[default]
    Userspace,
    /// The kernel's IPVS, over generic netlink.
    Kernel,
}

impl PlaneKind {
    /// "userspace" or "kernel", as listings and metrics say it.
    pub fn name(self) -> &'static str {
        match self {
            PlaneKind::Userspace => "userspace",
            PlaneKind::Kernel => "kernel",
        }
    }
}

impl std::fmt::Display for PlaneKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A reading of the connection table, finished off the engine task (the
/// kernel's comes from a file).
pub type ConnectionReading = Box<dyn FnOnce() -> Result<Vec<ConnRow>, String> + Send>;

/// What a plane got ready for a reload (the userspace plane's bound
/// sockets), for the same plane to adopt once the whole reload is ready.
pub struct Prepared(Box<dyn std::any::Any + Send>);

impl Prepared {
    /// Something `T` got ready.
    pub fn new<T: std::any::Any + Send>(ready: T) -> Prepared {
        Prepared(Box::new(ready))
    }

    /// Nothing to adopt.
    pub fn nothing() -> Prepared {
        Prepared::new(())
    }

    /// What was got ready, if it is a `T`.
    pub fn take<T: std::any::Any>(self) -> Option<T> {
        self.0.downcast().ok().map(|ready| *ready)
    }
}

/// What the engine asks of a running data plane. Each plane follows the
/// table the engine publishes (`ipvs::table::PlaneTable`, over a watch
/// channel) on its own; this is the rest, so the engine holds one plane and
/// never asks which it is.
pub trait DataPlane: Send {
    /// Which plane this is.
    fn kind(&self) -> PlaneKind;

    /// Every connection and persistence template (`ipvsadm -Lnc`), as a
    /// reading to finish off the engine task.
    fn connections(&self) -> ConnectionReading;

    /// Close every connection of `service` to `dest` now (a forced
    /// removal); why not, when the plane cannot.
    fn close_connections(
        &self,
        service: SocketAddr,
        protocol: crate::config::Protocol,
        dest: SocketAddr,
    ) -> Result<(), &'static str>;

    /// Get ready to serve `added` services and stop `removed` ones without
    /// changing anything yet (a reload's prepare step).
    fn prepare(
        &self,
        added: &[(SocketAddr, crate::config::Protocol)],
        removed: &[(SocketAddr, crate::config::Protocol)],
    ) -> Result<Prepared, String>;

    /// Carry out what `prepare` got ready.
    fn adopt(&mut self, prepared: Prepared);

    /// What the plane was refused since last asked, for the journal.
    fn take_problems(&self) -> Vec<String>;

    /// Services in the plane that director does not manage (ipvsadm's
    /// words: "TCP 203.0.113.1:80").
    fn unmanaged(&self) -> Vec<String>;
}

/// `address:port`, with IPv6 addresses in brackets, as ipvsadm prints them.
pub fn endpoint(address: IpAddr, port: u16) -> String {
    SocketAddr::new(address, port).to_string()
}

/// `address` with all but its first `bits` bits cleared.
pub fn mask(address: IpAddr, bits: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let keep = u32::MAX
                .checked_shl(32 - u32::from(bits.min(32)))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & keep))
        }
        IpAddr::V6(v6) => {
            let keep = u128::MAX
                .checked_shl(128 - u32::from(bits.min(128)))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & keep))
        }
    }
}

/// A persistence granularity as ipvsadm and keepalived write it: a dotted
/// netmask for IPv4, a prefix length for IPv6.
pub fn netmask_text(ipv6: bool, bits: u8) -> String {
    if ipv6 {
        bits.to_string()
    } else {
        mask(Ipv4Addr::BROADCAST.into(), bits).to_string()
    }
}

/// A real server's health as its checker last judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Health {
    /// Not yet checked, or no checker configured; treated as up.
    #[default]
    Unknown,
    /// The last verdict was healthy.
    Up,
    /// The checker gave up on it.
    Down,
}

/// Counters the data plane updates and the engine reads, per destination
/// and per service.
///
/// For the userspace TCP plane "packets" are read operations on the proxied
/// sockets (a read from the client is an incoming packet, a read from the
/// real server an outgoing one), not IP packets; for UDP they are datagrams.
#[derive(Debug, Default)]
pub struct DestStats {
    /// Established connections now (ActiveConn).
    pub active: AtomicU64,
    /// Other connections now: connecting, closing, lingering, UDP (InActConn).
    pub inactive: AtomicU64,
    /// Persistence templates now (PersistConn).
    pub persistent: AtomicU64,
    /// Connections scheduled here, ever.
    pub conns: AtomicU64,
    /// Packets from clients.
    pub in_packets: AtomicU64,
    /// Packets to clients.
    pub out_packets: AtomicU64,
    /// Bytes from clients to the destination.
    pub in_bytes: AtomicU64,
    /// Bytes from the destination to clients.
    pub out_bytes: AtomicU64,
    /// Connects to the real server that failed or timed out.
    pub connect_failures: AtomicU64,
    /// Over its upper threshold (`IP_VS_DEST_F_OVERLOAD`).
    pub overloaded: AtomicBool,
}

/// A point-in-time copy of `DestStats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatsSample {
    /// See `DestStats::active`.
    pub active: u64,
    /// See `DestStats::inactive`.
    pub inactive: u64,
    /// See `DestStats::persistent`.
    pub persistent: u64,
    /// See `DestStats::conns`.
    pub conns: u64,
    /// See `DestStats::in_packets`.
    pub in_packets: u64,
    /// See `DestStats::out_packets`.
    pub out_packets: u64,
    /// See `DestStats::in_bytes`.
    pub in_bytes: u64,
    /// See `DestStats::out_bytes`.
    pub out_bytes: u64,
    /// See `DestStats::connect_failures`.
    pub connect_failures: u64,
}

impl DestStats {
    /// Read every counter.
    pub fn sample(&self) -> StatsSample {
        StatsSample {
            active: self.active.load(Ordering::Relaxed),
            inactive: self.inactive.load(Ordering::Relaxed),
            persistent: self.persistent.load(Ordering::Relaxed),
            conns: self.conns.load(Ordering::Relaxed),
            in_packets: self.in_packets.load(Ordering::Relaxed),
            out_packets: self.out_packets.load(Ordering::Relaxed),
            in_bytes: self.in_bytes.load(Ordering::Relaxed),
            out_bytes: self.out_bytes.load(Ordering::Relaxed),
            connect_failures: self.connect_failures.load(Ordering::Relaxed),
        }
    }

    /// Zero the cumulative counters (`ipvsadm -Z`); the gauges of open
    /// connections are left alone.
    pub fn zero(&self) {
        for counter in [
            &self.conns,
            &self.in_packets,
            &self.out_packets,
            &self.in_bytes,
            &self.out_bytes,
            &self.connect_failures,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// Count a connect to the real server that failed.
    pub fn connect_failed(&self) {
        self.connect_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Count traffic in one direction: `packets` packets of `bytes` in all.
    pub fn carried(&self, inbound: bool, packets: u64, bytes: u64) {
        let (packet_count, octets) = if inbound {
            (&self.in_packets, &self.in_bytes)
        } else {
            (&self.out_packets, &self.out_bytes)
        };
        packet_count.fetch_add(packets, Ordering::Relaxed);
        octets.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// One entry of the connection listing (`ipvsadm -Lnc`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnRow {
    /// `TCP` or `UDP`.
    pub protocol: String,
    /// Seconds until the entry expires.
    pub expires_secs: u64,
    /// IPVS's state name: ESTABLISHED, FIN_WAIT, TIME_WAIT, SYN_SENT,
    /// CLOSE, UDP, or NONE for a persistence template.
    pub state: String,
    /// The client.
    pub source: SocketAddr,
    /// The virtual service.
    pub virtual_address: SocketAddr,
    /// The real server.
    pub destination: SocketAddr,
}
