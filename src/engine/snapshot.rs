//! The engine's published view of itself: everything a console, `ctl` or
//! metrics need, and nothing they could use to change it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::journal::Event;
use crate::ipvs::model::Health;
use crate::vrrp::instance::State;

/// The snapshot schema version; bumped on incompatible changes.
pub const SNAPSHOT_VERSION: u32 = 1;

/// The whole engine at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Schema version.
    pub version: u32,
    /// This node's name.
    pub node: String,
    /// The data plane carrying the table ("userspace" or "kernel" in JSON).
    pub dataplane: crate::ipvs::model::PlaneKind,
    /// When the snapshot was taken, ms since the Unix epoch.
    pub unix_ms: u64,
    /// VRRP instances.
    pub instances: Vec<InstanceView>,
    /// Virtual services.
    pub services: Vec<ServiceView>,
    /// Recent events, oldest first; shared with the engine's journal and
    /// with other snapshots until the next event.
    pub events: Arc<[Event]>,
    /// Kernel plane: IPVS services director does not manage and leaves
    /// alone, as ipvsadm names them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanaged: Vec<String>,
    /// Operator changes to the configured state, in words (they are kept
    /// across restarts with a state file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// Userspace plane: the connection timeouts in force (the kernel
    /// plane's are the kernel's, read from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<TimeoutsView>,
}

/// Connection timeouts in whole seconds, as `ipvsadm -L --timeout` lists
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeoutsView {
    /// Established TCP.
    pub tcp: u64,
    /// TCP after its first FIN.
    pub tcpfin: u64,
    /// UDP.
    pub udp: u64,
}

/// Who holds an instance's virtual addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    /// This node is master.
    ThisNode,
    /// The peer at this address advertises as master.
    Peer(IpAddr),
    /// Nobody seen yet.
    Unknown,
}

/// A disagreement with a peer, or a suspected split brain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    /// "version", "auth", "interval", "addresses" or "split_brain".
    pub kind: String,
    /// The peer concerned.
    pub peer: IpAddr,
    /// What differs.
    pub detail: String,
    /// First seen, ms since the Unix epoch.
    pub since_unix_ms: u64,
    /// Last seen, ms since the Unix epoch.
    pub last_unix_ms: u64,
}

/// One VRRP instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceView {
    /// Instance name.
    pub name: String,
    /// Interface.
    pub interface: String,
    /// Virtual router id.
    pub vrid: u8,
    /// Protocol version, 2 or 3.
    pub version: u8,
    /// Current state.
    pub state: State,
    /// Effective priority (configured priority adjusted by tracking).
    pub priority: u8,
    /// Configured priority.
    pub base_priority: u8,
    /// Virtual addresses, in keepalived's syntax.
    pub vips: Vec<String>,
    /// Who owns the addresses.
    pub owner: Owner,
    /// Since when the owner is the owner, ms since the Unix epoch.
    pub owner_since_unix_ms: Option<u64>,
    /// Held in backup by an operator failover.
    pub held: bool,
    /// Still holding the addresses after a failover, until the new master speaks.
    pub releasing: bool,
    /// The last transition, as "BACKUP -> MASTER: reason".
    pub last_transition: Option<String>,
    /// Adverts sent.
    pub adverts_sent: u64,
    /// Valid adverts received.
    pub adverts_received: u64,
    /// State transitions since start.
    pub transitions: u64,
    /// Received packets dropped, by reason.
    pub drops: BTreeMap<String, u64>,
    /// The master's advert interval in ms.
    pub advert_interval_ms: u64,
    /// Master_Down_Interval in ms.
    pub master_down_interval_ms: u64,
    /// Current alerts.
    pub alerts: Vec<AlertView>,
    /// The sync group, if any.
    pub sync_group: Option<String>,
    /// What each tracked object contributes, e.g. "eth1 down: -20".
    pub tracking: Vec<String>,
}

/// One virtual service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceView {
    /// Display name.
    pub name: String,
    /// `address:port`.
    pub address: String,
    /// "tcp".
    pub protocol: String,
    /// Scheduler name.
    pub scheduler: String,
    /// Scheduler flags as ipvsadm names them (`sh-fallback`, `mh-port`…).
    pub flags: Vec<String>,
    /// Persistence timeout in seconds, when persistent.
    pub persistence_secs: Option<u64>,
    /// Persistence granularity in prefix bits, when persistent.
    pub persistence_bits: Option<u8>,
    /// Counters and rates of the whole service.
    pub traffic: TrafficView,
    /// Whether the live weight meets the quorum.
    pub quorum_up: bool,
    /// The sorry server, `address:port`, when configured.
    pub sorry_server: Option<String>,
    /// Whether the sorry server is taking connections now.
    pub sorry_active: bool,
    /// Its health checks are suspended: `ha_suspend`, and its address is
    /// not on this host.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub checks_suspended: bool,
    /// The sorry server's row while it is in the table: at weight 1 while it
    /// stands in, at weight 0 while it is inhibited (`inhibit`) and real
    /// servers serve. ipvsadm lists it after the real servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sorry_row: Option<ServerView>,
    /// Taking new connections (an operator may disable a service).
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Real servers, configuration order.
    pub servers: Vec<ServerView>,
}

/// Cumulative counters and their estimated rates.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct TrafficView {
    /// Connections scheduled, ever (since the last zeroing).
    pub conns: u64,
    /// Packets from clients (reads, for the TCP proxy).
    pub in_packets: u64,
    /// Packets to clients.
    pub out_packets: u64,
    /// Bytes from clients.
    pub in_bytes: u64,
    /// Bytes to clients.
    pub out_bytes: u64,
    /// Connections per second.
    pub cps: f64,
    /// Packets per second from clients.
    pub in_pps: f64,
    /// Packets per second to clients.
    pub out_pps: f64,
    /// Bytes per second from clients.
    pub in_bps: f64,
    /// Bytes per second to clients.
    pub out_bps: f64,
}

/// One real server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerView {
    /// Display name.
    pub name: String,
    /// `address:port`.
    pub address: String,
    /// Effective weight now.
    pub weight: u32,
    /// Weight from the configuration (or an operator's reweight).
    pub configured_weight: u32,
    /// Drained by an operator.
    pub drained: bool,
    /// In the data-plane table (false when removed by a failed check).
    pub in_table: bool,
    /// ActiveConn.
    pub active: u64,
    /// InActConn.
    pub inactive: u64,
    /// Connections ever scheduled here.
    pub conns: u64,
    /// Bytes carried to the server, ever.
    pub in_bytes: u64,
    /// Bytes carried back to clients, ever.
    pub out_bytes: u64,
    /// Connections per second.
    pub cps: f64,
    /// Bytes per second towards the server.
    pub in_bps: f64,
    /// Bytes per second back to clients.
    pub out_bps: f64,
    /// PersistConn: persistence templates pointing here.
    pub persistent: u64,
    /// Packets from clients, ever.
    pub in_packets: u64,
    /// Packets to clients, ever.
    pub out_packets: u64,
    /// Packets per second from clients.
    pub in_pps: f64,
    /// Packets per second to clients.
    pub out_pps: f64,
    /// Connects to this server that failed.
    pub connect_failures: u64,
    /// Over its upper threshold: no new connections.
    pub overloaded: bool,
    /// Upper connection threshold (0 = none).
    pub uthreshold: u32,
    /// Lower connection threshold (0 = none).
    pub lthreshold: u32,
    /// Forwarding as ipvsadm prints it ("Masq" for the proxy).
    pub forwarding: String,
    /// A tunnel destination's encapsulation (kernel plane only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<TunnelView>,
    /// Health verdict.
    pub health: Health,
    /// Probes reported, all checkers together.
    pub checks_run: u64,
    /// Failed probes since the last pass: the check round a server is in.
    pub failures_in_a_row: u32,
    /// Passed probes since the last failure.
    pub passes_in_a_row: u32,
    /// The last check's result ("ok" or the failure).
    pub last_check: Option<String>,
    /// When the last check ran, ms since the Unix epoch.
    pub last_check_unix_ms: Option<u64>,
    /// How long the last probe took, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check_seconds: Option<f64>,
}

impl ServerView {
    /// A destination as a listing shows it: named by its address, with its
    /// forwarding and traffic; weight 0, no connections, thresholds or
    /// checks until the caller fills in what it knows.
    pub fn listed(address: String, forwarding: &str, traffic: TrafficView) -> ServerView {
        ServerView {
            name: address.clone(),
            address,
            weight: 0,
            configured_weight: 0,
            drained: false,
            in_table: true,
            active: 0,
            inactive: 0,
            conns: traffic.conns,
            in_bytes: traffic.in_bytes,
            out_bytes: traffic.out_bytes,
            cps: traffic.cps,
            in_bps: traffic.in_bps,
            out_bps: traffic.out_bps,
            persistent: 0,
            in_packets: traffic.in_packets,
            out_packets: traffic.out_packets,
            in_pps: traffic.in_pps,
            out_pps: traffic.out_pps,
            connect_failures: 0,
            overloaded: false,
            uthreshold: 0,
            lthreshold: 0,
            forwarding: forwarding.into(),
            tunnel: None,
            health: Health::Unknown,
            checks_run: 0,
            failures_in_a_row: 0,
            passes_in_a_row: 0,
            last_check: None,
            last_check_unix_ms: None,
            last_check_seconds: None,
        }
    }
}

impl Snapshot {
    /// Find a server by service and server name or address.
    pub fn server(&self, service: &str, server: &str) -> Option<&ServerView> {
        self.services
            .iter()
            .find(|s| s.name == service || s.address == service)?
            .servers
            .iter()
            .find(|r| r.name == server || r.address == server)
    }
}

/// How a tunnel destination encapsulates, in ipvsadm's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelView {
    /// `ipip`, `gue` or `gre`.
    pub kind: String,
    /// GUE's UDP port.
    pub port: u16,
    /// `nocsum`, `csum` or `remcsum`.
    pub checksum: String,
}

fn enabled_by_default() -> bool {
    true
}
