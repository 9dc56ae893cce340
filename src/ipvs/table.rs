//! What the engine hands the data plane, whichever plane it is: the
//! current services and weights. Both planes read it; neither owns it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{LvsTimeouts, Protocol, SchedulerName};
use crate::ipvs::model::DestStats;
use crate::ipvs::sched::SchedFlags;
use crate::ipvs::userspace::Thresholds;

/// One destination as the data plane sees it.
#[derive(Debug, Clone)]
pub struct PlaneDest {
    /// Where connections go.
    pub address: SocketAddr,
    /// Current effective weight (0 = drained or inhibited).
    pub weight: u32,
    /// The last weight above 0 (for mh).
    pub last_weight: u32,
    /// Connection thresholds.
    pub thresholds: Thresholds,
    /// How the kernel plane forwards to it (the userspace plane proxies).
    pub forwarding: crate::config::Forwarding,
    /// Counters shared with the engine.
    pub stats: Arc<DestStats>,
}

/// Persistence settings of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Persistence {
    /// How long a client stays tied to its server after its last connection.
    pub timeout: Duration,
    /// Leading bits of the client address that identify it.
    pub granularity: u8,
}

/// One virtual service as the data plane sees it.
#[derive(Debug, Clone)]
pub struct PlaneService {
    /// The virtual address and port.
    pub address: SocketAddr,
    /// TCP or UDP.
    pub protocol: Protocol,
    /// How to choose a destination.
    pub scheduler: SchedulerName,
    /// Scheduler flags.
    pub flags: SchedFlags,
    /// Persistence, when the service is persistent.
    pub persistence: Option<Persistence>,
    /// Counters for the whole service, shared with the engine.
    pub stats: Arc<DestStats>,
    /// Destinations currently in the table.
    pub dests: Vec<PlaneDest>,
}

/// The whole table; replaced wholesale by the engine on every change.
#[derive(Debug, Clone, Default)]
pub struct PlaneTable {
    /// Services in configuration order.
    pub services: Vec<PlaneService>,
    /// The connection timeouts the configuration sets.
    pub timeouts: LvsTimeouts,
}

impl PlaneTable {
    /// The service for `protocol` on `address`.
    pub fn service(&self, address: SocketAddr, protocol: Protocol) -> Option<&PlaneService> {
        self.services
            .iter()
            .find(|s| s.address == address && s.protocol == protocol)
    }
}

impl PlaneService {
    /// The destination at `address`.
    pub fn dest(&self, address: SocketAddr) -> Option<&PlaneDest> {
        self.dests.iter().find(|d| d.address == address)
    }
}
