//! The configuration model shared by native TOML and (later) keepalived.conf.
//! Field names follow keepalived's keywords where one exists.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub use super::checker_options::{default_check, CheckTiming, Timed};
pub use super::track_process::{ParamMatch, VrrpTrackProcess};
use super::values::{Seconds, ServicePort, Weight};
pub use super::vrrp::*;
pub use crate::check::dns::DnsCheck;
pub use crate::check::file::FileCheck;
pub use crate::check::http::{HttpGet, HttpUrl, REGEX_OPTIONS};
pub use crate::check::kinds::Checker;
pub use crate::check::misc::MiscCheck;
pub use crate::check::ping::PingCheck;
pub use crate::check::smtp::SmtpCheck;
pub use crate::check::ssl::SslGet;
pub use crate::check::tcp::TcpCheck;
pub use crate::check::udp::UdpCheck;

/// A whole configuration.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Settings for the whole node.
    #[serde(default)]
    pub global: Global,
    /// VRRP instances (keepalived `vrrp_instance`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        rename = "vrrp_instance"
    )]
    pub vrrp_instances: Vec<VrrpInstance>,
    /// Scripts whose result adjusts instance priorities (keepalived `vrrp_script`).
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "vrrp_script")]
    pub vrrp_scripts: Vec<VrrpScript>,
    /// Files whose number adjusts instance priorities (keepalived `vrrp_track_file`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        rename = "vrrp_track_file"
    )]
    pub vrrp_track_files: Vec<VrrpTrackFile>,
    /// Processes whose running adjusts instance priorities (keepalived
    /// `vrrp_track_process`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        rename = "vrrp_track_process"
    )]
    pub vrrp_track_processes: Vec<VrrpTrackProcess>,
    /// Instances that change state together (keepalived `vrrp_sync_group`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        rename = "vrrp_sync_group"
    )]
    pub vrrp_sync_groups: Vec<VrrpSyncGroup>,
    /// Virtual services (keepalived `virtual_server`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        rename = "virtual_server"
    )]
    pub virtual_servers: Vec<VirtualServer>,
}

/// Node-wide settings (keepalived `global_defs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Global {
    /// This node's name in the console and logs; the hostname when absent.
    pub router_id: Option<String>,
    /// A FIFO that receives a line per state change, in keepalived's format.
    pub notify_fifo: Option<String>,
    /// Seconds a notify script may run before it is killed. Default 10.
    #[serde(default = "default_script_timeout")]
    pub script_timeout: Seconds,
    /// Kernel plane: delete IPVS services this configuration does not
    /// name. Off by default: others' services are left alone and shown as
    /// unmanaged.
    #[serde(default, skip_serializing_if = "is_false")]
    pub remove_unmanaged: bool,
    /// Lock the daemon's memory (mlockall), so that a failover never waits
    /// for a page read back from disk (keepalived `vrrp_no_swap`). Read at
    /// start; the whole binary then stays resident.
    #[serde(default, skip_serializing_if = "is_false")]
    pub lock_memory: bool,
    /// Connection timeouts, as `ipvsadm --set` sets them (keepalived
    /// `lvs_timeouts`).
    #[serde(default, skip_serializing_if = "LvsTimeouts::is_unset")]
    pub lvs_timeouts: LvsTimeouts,
    /// Least seconds between two gratuitous ARPs sent on one interface, by
    /// any instance (keepalived `vrrp_garp_interval`). Default 0.
    #[serde(
        default = "super::vrrp::zero",
        skip_serializing_if = "Seconds::is_zero"
    )]
    pub garp_interval: Seconds,
    /// Least seconds between two unsolicited NAs sent on one interface
    /// (keepalived `vrrp_gna_interval`). Default 0.
    #[serde(
        default = "super::vrrp::zero",
        skip_serializing_if = "Seconds::is_zero"
    )]
    pub gna_interval: Seconds,
    /// Seconds after director starts before its VRRP instances do, for a
    /// host whose network comes up late (keepalived `vrrp_startup_delay`).
    /// Default 0.
    #[serde(
        default = "super::vrrp::zero",
        skip_serializing_if = "Seconds::is_zero"
    )]
    pub startup_delay: Seconds,
}

impl Default for Global {
    fn default() -> Global {
        Global {
            remove_unmanaged: false,
            lock_memory: false,
            router_id: None,
            notify_fifo: None,
            script_timeout: default_script_timeout(),
            lvs_timeouts: LvsTimeouts::default(),
            garp_interval: super::vrrp::zero(),
            gna_interval: super::vrrp::zero(),
            startup_delay: super::vrrp::zero(),
        }
    }
}

/// Connection timeouts, as `ipvsadm --set tcp tcpfin udp` sets them: each
/// one left out keeps the data plane's own (on the kernel plane the
/// kernel's current value; on the userspace plane 900 s, the
/// `--tcp-fin-timeout` of `director run`, and 300 s). A reload applies a
/// change to connections from then on.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LvsTimeouts {
    /// An idle established TCP connection is dropped after this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<Seconds>,
    /// A closing TCP connection (after its first FIN) idle this long is
    /// dropped; on the userspace plane a closed one also stays counted in
    /// InActConn this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcpfin: Option<Seconds>,
    /// A UDP flow idle this long is forgotten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp: Option<Seconds>,
}

impl LvsTimeouts {
    /// Whether none is set.
    pub fn is_unset(&self) -> bool {
        *self == LvsTimeouts::default()
    }

    /// Each one set, with its name as ipvsadm and keepalived spell it.
    pub fn named(&self) -> [(&'static str, Option<Seconds>); 3] {
        [
            ("tcp", self.tcp),
            ("tcpfin", self.tcpfin),
            ("udp", self.udp),
        ]
    }
}

fn default_script_timeout() -> Seconds {
    Seconds::from_secs(10)
}

/// A transport protocol of a virtual service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// ipvsadm's spelling: `TCP` or `UDP`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

/// How the kernel plane forwards to a real server (keepalived `lb_kind`).
/// The userspace plane always proxies, which is NAT as far as the real
/// server's replies are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Forwarding {
    /// NAT (ipvsadm `-m`, "Masq").
    #[default]
    Nat,
    /// Direct routing (`-g`, "Route").
    Dr,
    /// IP-in-IP tunnelling (`-i`, "Tunnel").
    Tun,
}

/// A scheduler name, as ipvsadm spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchedulerName {
    /// Round robin.
    Rr,
    /// Weighted round robin.
    Wrr,
    /// Least connection.
    Lc,
    /// Weighted least connection (the IPVS default).
    #[default]
    Wlc,
    /// Locality-based least connection.
    Lblc,
    /// Locality-based least connection with replication.
    Lblcr,
    /// Destination hashing.
    Dh,
    /// Source hashing.
    Sh,
    /// Shortest expected delay.
    Sed,
    /// Never queue.
    Nq,
    /// Weighted failover.
    Fo,
    /// Weighted overflow.
    Ovf,
    /// Maglev hashing.
    Mh,
    /// Power of two random choices.
    Twos,
}

impl SchedulerName {
    /// Every scheduler, in the kernel's documentation order.
    pub const ALL: [SchedulerName; 14] = [
        SchedulerName::Rr,
        SchedulerName::Wrr,
        SchedulerName::Lc,
        SchedulerName::Wlc,
        SchedulerName::Lblc,
        SchedulerName::Lblcr,
        SchedulerName::Dh,
        SchedulerName::Sh,
        SchedulerName::Sed,
        SchedulerName::Nq,
        SchedulerName::Fo,
        SchedulerName::Ovf,
        SchedulerName::Mh,
        SchedulerName::Twos,
    ];

    /// ipvsadm's name for it.
    pub fn name(self) -> &'static str {
        match self {
            SchedulerName::Rr => "rr",
            SchedulerName::Wrr => "wrr",
            SchedulerName::Lc => "lc",
            SchedulerName::Wlc => "wlc",
            SchedulerName::Lblc => "lblc",
            SchedulerName::Lblcr => "lblcr",
            SchedulerName::Dh => "dh",
            SchedulerName::Sh => "sh",
            SchedulerName::Sed => "sed",
            SchedulerName::Nq => "nq",
            SchedulerName::Fo => "fo",
            SchedulerName::Ovf => "ovf",
            SchedulerName::Mh => "mh",
            SchedulerName::Twos => "twos",
        }
    }

    /// The scheduler ipvsadm calls `name`.
    pub fn from_name(name: &str) -> Option<SchedulerName> {
        SchedulerName::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One virtual service: an address and port clients connect to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualServer {
    /// A short name for the console; `address:port` when absent.
    pub name: Option<String>,
    /// The virtual address (usually a VRRP virtual address).
    pub address: IpAddr,
    /// The virtual port; 0 catches every port (persistent services only).
    pub port: ServicePort,
    /// Transport protocol.
    #[serde(default)]
    pub protocol: Protocol,
    /// Scheduler (keepalived `lb_algo`).
    #[serde(default)]
    pub scheduler: SchedulerName,
    /// sh/mh: try other servers when the hashed one is unavailable
    /// (`sh-fallback`, `mh-fallback`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hash_fallback: bool,
    /// sh/mh: hash the client's port too (`sh-port`, `mh-port`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub hash_port: bool,
    /// Forwarding method (keepalived `lb_kind`).
    #[serde(default)]
    pub forwarding: Forwarding,
    /// Keep a client on one real server for this long after its last
    /// connection (keepalived `persistence_timeout`, ipvsadm `-p`).
    pub persistence_timeout: Option<Seconds>,
    /// Clients whose addresses share this many leading bits share a
    /// persistence entry (`persistence_granularity`, ipvsadm `-M`);
    /// 32 (IPv4) or 128 (IPv6) when absent.
    pub persistence_granularity: Option<u8>,
    /// The total weight of live real servers the service needs (keepalived
    /// `quorum`, default 1).
    #[serde(default = "default_quorum")]
    pub quorum: u32,
    /// Lose the quorum below `quorum - hysteresis`, regain it at
    /// `quorum + hysteresis`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hysteresis: u32,
    /// Run when the quorum is gained.
    pub quorum_up: Option<String>,
    /// Run when the quorum is lost (and on stop under `omega`).
    pub quorum_down: Option<String>,
    /// Run `quorum_down` when director stops (keepalived `omega`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub omega: bool,
    /// Where connections go while every real server is down.
    pub sorry_server: Option<SorryServer>,
    /// Run the real servers' checks only while the virtual address is on
    /// this host (the VRRP master's), as keepalived's `ha_suspend` does;
    /// while suspended, servers keep the health they had.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ha_suspend: bool,
    /// Real servers start down until their checks pass (keepalived `alpha`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub alpha: bool,
    /// Delay each checker's first probe by a random time up to this, so
    /// that checks do not all fire together (keepalived `warmup`).
    pub warmup: Option<Seconds>,
    /// Seconds between health checks of each real server.
    #[serde(default = "default_delay_loop")]
    pub delay_loop: Seconds,
    /// The real servers behind the service.
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "real_server")]
    pub real_servers: Vec<RealServer>,
}

/// The server that takes connections while every real server is down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SorryServer {
    /// Its address.
    pub address: IpAddr,
    /// Its port.
    pub port: ServicePort,
    /// Keep it in the table at weight 0 while real servers take the
    /// connections, instead of removing it, so that its connections finish
    /// (keepalived `sorry_server_inhibit`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub inhibit: bool,
    /// Its own forwarding method; the service's when absent (keepalived
    /// `sorry_server_lvs_method`).
    pub forwarding: Option<Forwarding>,
}

fn default_quorum() -> u32 {
    1
}
/// Define [`RealServer`] with one field per checker kind, from the registry
/// (`check::kinds`): TOML keys its checkers by kind, and a derived
/// deserializer keeps every error's place (serde's `flatten` would lose it).
macro_rules! real_server {
    ($($(#[$doc:meta])* $key:ident: $variant:ident($kind:ty),)*) => {
        /// One real server (backend).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct RealServer {
            /// A short name for the console; `address:port` when absent.
            pub name: Option<String>,
            /// Backend address.
            pub address: IpAddr,
            /// Backend port; 0 on a port-0 service means the port the client asked for.
            pub port: ServicePort,
            /// Scheduling weight; 0 sends it no new connections.
            #[serde(default = "default_weight")]
            pub weight: Weight,
            /// When its check fails, set weight 0 instead of removing it.
            #[serde(default)]
            pub inhibit_on_failure: bool,
            /// Its own forwarding method (ipvsadm allows one per destination); the
            /// service's `forwarding` when absent.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub forwarding: Option<Forwarding>,
            /// Stop sending new connections at this many connections (0 = no limit;
            /// keepalived `uthreshold`, ipvsadm `-x`).
            #[serde(default, skip_serializing_if = "is_zero")]
            pub uthreshold: u32,
            /// After hitting `uthreshold`, resume below this many (0 = below three
            /// quarters of `uthreshold`; keepalived `lthreshold`, ipvsadm `-y`).
            #[serde(default, skip_serializing_if = "is_zero")]
            pub lthreshold: u32,
            /// Run when its checks bring it up.
            pub notify_up: Option<String>,
            /// Run when its checks take it down.
            pub notify_down: Option<String>,
            /// Random first-probe delay for its checkers; the service's when absent.
            pub warmup: Option<Seconds>,
            /// Consecutive passing checks to come back up (1 when absent).
            pub rise: Option<u32>,
            /// Consecutive failing checks to go down (the checker's retry + 1 when absent).
            pub fall: Option<u32>,
            /// Start down until the checks pass (keepalived `alpha`); the
            /// service's `alpha` when absent.
            pub alpha: Option<bool>,
            $(
                $(#[$doc])*
                /// One table, or an array of tables for several of its kind.
                #[serde(
                    default,
                    with = "super::one_or_many",
                    skip_serializing_if = "Vec::is_empty"
                )]
                pub $key: Vec<$kind>,
            )*
        }

        impl RealServer {
            /// Every checker, each with its kind: the one list that the
            /// engine, the validation and the keepalived.conf writer walk.
            /// The order is the checkers' numbering (kinds in the registry's
            /// order, each kind in file order).
            pub fn checkers(&self) -> impl Iterator<Item = Checker<'_>> {
                std::iter::empty()$(.chain(self.$key.iter().map(Checker::$variant)))*
            }

            /// A real server with `weight` and no checker or threshold.
            pub fn new(address: IpAddr, port: ServicePort, weight: Weight) -> RealServer {
                RealServer {
                    name: None,
                    address,
                    port,
                    weight,
                    inhibit_on_failure: false,
                    forwarding: None,
                    uthreshold: 0,
                    lthreshold: 0,
                    notify_up: None,
                    notify_down: None,
                    warmup: None,
                    rise: None,
                    fall: None,
                    alpha: None,
                    $($key: Vec::new(),)*
                }
            }
        }
    };
}

crate::check::kinds::with_kinds!(real_server);

fn is_false(value: &bool) -> bool {
    !*value
}
fn is_zero(value: &u32) -> bool {
    *value == 0
}
fn default_delay_loop() -> Seconds {
    Seconds::from_secs(60)
}
fn default_weight() -> Weight {
    Weight(1)
}

impl VirtualServer {
    /// The service's own settings, its real servers left out.
    pub fn without_servers(&self) -> VirtualServer {
        VirtualServer {
            real_servers: Vec::new(),
            ..self.clone()
        }
    }

    /// The persistence granularity in prefix bits, when persistent: the
    /// configured one, or the whole address.
    pub fn persistence_bits(&self) -> Option<u8> {
        let whole = if self.address.is_ipv4() { 32 } else { 128 };
        self.persistence_timeout
            .map(|_| self.persistence_granularity.unwrap_or(whole))
    }

    /// The scheduler flags as ipvsadm and keepalived name them
    /// (`sh-fallback`, `mh-port`…).
    pub fn scheduler_flags(&self) -> Vec<String> {
        let prefix = if self.scheduler == SchedulerName::Mh {
            "mh"
        } else {
            "sh"
        };
        [(self.hash_fallback, "fallback"), (self.hash_port, "port")]
            .into_iter()
            .filter(|(set, _)| *set)
            .map(|(_, flag)| format!("{prefix}-{flag}"))
            .collect()
    }

    /// The name shown to operators.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| crate::ipvs::model::endpoint(self.address, self.port.0))
    }
}

impl RealServer {
    /// Whether it starts down (its own `alpha`, else the service's).
    pub fn starts_down(&self, service: &VirtualServer) -> bool {
        self.alpha.unwrap_or(service.alpha) && self.checker_count() > 0
    }

    /// How many checkers it has.
    pub fn checker_count(&self) -> usize {
        self.checkers().count()
    }

    /// The name shown to operators.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| crate::ipvs::model::endpoint(self.address, self.port.0))
    }
}
