//! The vocabulary both data planes share.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// `address:port`, with IPv6 addresses in brackets, as ipvsadm prints them.
pub fn endpoint(address: IpAddr, port: u16) -> String {
    SocketAddr::new(address, port).to_string()
}

/// What a scheduler knows about one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DestLoad {
    /// Current weight; 0 means no new connections.
    pub weight: u32,
    /// Established connections (ipvsadm ActiveConn).
    pub active: u64,
    /// Other connections (ipvsadm InActConn).
    pub inactive: u64,
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

/// Counters the data plane updates and the engine reads, per destination.
///
/// For the userspace TCP plane "packets" are read and write operations on
/// the proxied sockets, not IP packets.
#[derive(Debug, Default)]
pub struct DestStats {
    /// Established connections now.
    pub active: AtomicU64,
    /// Closing or lingering connections now.
    pub inactive: AtomicU64,
    /// Connections scheduled to this destination, ever.
    pub conns: AtomicU64,
    /// Bytes from clients to the destination.
    pub in_bytes: AtomicU64,
    /// Bytes from the destination to clients.
    pub out_bytes: AtomicU64,
}

/// A point-in-time copy of `DestStats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatsSample {
    /// See `DestStats::active`.
    pub active: u64,
    /// See `DestStats::inactive`.
    pub inactive: u64,
    /// See `DestStats::conns`.
    pub conns: u64,
    /// See `DestStats::in_bytes`.
    pub in_bytes: u64,
    /// See `DestStats::out_bytes`.
    pub out_bytes: u64,
}

impl DestStats {
    /// Read every counter.
    pub fn sample(&self) -> StatsSample {
        StatsSample {
            active: self.active.load(Ordering::Relaxed),
            inactive: self.inactive.load(Ordering::Relaxed),
            conns: self.conns.load(Ordering::Relaxed),
            in_bytes: self.in_bytes.load(Ordering::Relaxed),
            out_bytes: self.out_bytes.load(Ordering::Relaxed),
        }
    }
}
