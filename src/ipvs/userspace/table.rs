//! What the engine hands the data plane: the current services and weights.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::SchedulerName;
use crate::ipvs::model::DestStats;

/// One destination as the data plane sees it.
#[derive(Debug, Clone)]
pub struct PlaneDest {
    /// Where connections go.
    pub address: SocketAddr,
    /// Current effective weight (0 = drained or inhibited).
    pub weight: u32,
    /// Counters shared with the engine.
    pub stats: Arc<DestStats>,
}

/// One virtual service as the data plane sees it.
#[derive(Debug, Clone)]
pub struct PlaneService {
    /// The virtual address and port.
    pub address: SocketAddr,
    /// How to choose a destination.
    pub scheduler: SchedulerName,
    /// Destinations currently in the table.
    pub dests: Vec<PlaneDest>,
}

/// The whole table; replaced wholesale by the engine on every change.
#[derive(Debug, Clone, Default)]
pub struct PlaneTable {
    /// Services in configuration order.
    pub services: Vec<PlaneService>,
}

/// Connection-state timeouts (`ipvsadm --set tcp tcpfin udp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long a closed TCP connection is still counted in InActConn.
    pub tcp_fin: Duration,
    /// How long a backend connect may take before the client is closed.
    pub connect: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            tcp_fin: Duration::from_secs(120),
            connect: Duration::from_secs(5),
        }
    }
}

impl PlaneTable {
    /// The service listening on `address`.
    pub fn service(&self, address: SocketAddr) -> Option<&PlaneService> {
        self.services.iter().find(|s| s.address == address)
    }
}
