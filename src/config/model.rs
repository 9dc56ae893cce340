//! The configuration model shared by native TOML and (later) keepalived.conf.
//! Field names follow keepalived's keywords where one exists.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub use super::track_process::{ParamMatch, VrrpTrackProcess};
use super::values::{DnsType, HexBytes, Port, Seconds, ServicePort, StatusRange, Weight};
pub use super::vrrp::*;

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
    /// TCP connect health checks (keepalived TCP_CHECK). Each checker key
    /// takes one table, or an array of tables for several of its kind.
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tcp_check: Vec<TcpCheck>,
    /// HTTP health checks (keepalived HTTP_GET).
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub http_get: Vec<HttpGet>,
    /// Tracked-file health checks (keepalived FILE_CHECK).
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub file_check: Vec<FileCheck>,
    /// HTTPS health checks (keepalived SSL_GET).
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ssl_get: Vec<HttpGet>,
    /// Script health checks (keepalived MISC_CHECK).
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub misc_check: Vec<MiscCheck>,
    /// ICMP echo health checks (keepalived PING_CHECK).
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ping_check: Vec<PingCheck>,
    /// UDP health checks (keepalived UDP_CHECK).
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub udp_check: Vec<UdpCheck>,
    /// SMTP health checks (keepalived SMTP_CHECK).
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub smtp_check: Vec<SmtpCheck>,
    /// DNS health checks (keepalived DNS_CHECK).
    #[serde(
        default,
        with = "super::one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_check: Vec<DnsCheck>,
}

/// One checker of a real server, with its kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Checker<'a> {
    /// TCP_CHECK.
    Tcp(&'a TcpCheck),
    /// HTTP_GET.
    Http(&'a HttpGet),
    /// SSL_GET.
    Ssl(&'a HttpGet),
    /// PING_CHECK.
    Ping(&'a PingCheck),
    /// UDP_CHECK.
    Udp(&'a UdpCheck),
    /// SMTP_CHECK.
    Smtp(&'a SmtpCheck),
    /// DNS_CHECK.
    Dns(&'a DnsCheck),
    /// FILE_CHECK.
    File(&'a FileCheck),
    /// MISC_CHECK.
    Misc(&'a MiscCheck),
}

impl Checker<'_> {
    /// Its key in native TOML.
    pub fn key(&self) -> &'static str {
        match self {
            Checker::Tcp(_) => "tcp_check",
            Checker::Http(_) => "http_get",
            Checker::Ssl(_) => "ssl_get",
            Checker::Ping(_) => "ping_check",
            Checker::Udp(_) => "udp_check",
            Checker::Smtp(_) => "smtp_check",
            Checker::Dns(_) => "dns_check",
            Checker::File(_) => "file_check",
            Checker::Misc(_) => "misc_check",
        }
    }

    /// Its keyword in keepalived.conf.
    pub fn keyword(&self) -> &'static str {
        match self {
            Checker::Tcp(_) => "TCP_CHECK",
            Checker::Http(_) => "HTTP_GET",
            Checker::Ssl(_) => "SSL_GET",
            Checker::Ping(_) => "PING_CHECK",
            Checker::Udp(_) => "UDP_CHECK",
            Checker::Smtp(_) => "SMTP_CHECK",
            Checker::Dns(_) => "DNS_CHECK",
            Checker::File(_) => "FILE_CHECK",
            Checker::Misc(_) => "MISC_CHECK",
        }
    }
}

/// The options every network checker has, read alike by the engine and the
/// keepalived.conf writer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckTiming {
    /// Port to probe; the real server's port when absent.
    pub connect_port: Option<Port>,
    /// Seconds a probe may take.
    pub connect_timeout: Seconds,
    /// Retries after a failure before the server is marked down.
    pub retry: u32,
    /// Seconds between a failure and the next attempt.
    pub delay_before_retry: Seconds,
    /// Address probed instead of the real server's.
    pub connect_ip: Option<IpAddr>,
    /// Source address of the probes.
    pub bindto: Option<IpAddr>,
    /// Source port of the probes.
    pub bind_port: Option<Port>,
    /// Longest random delay before the first probe.
    pub warmup: Option<Seconds>,
    /// Seconds between probes; the service's when absent.
    pub delay_loop: Option<Seconds>,
    /// Journal every failed probe.
    pub log_all_failures: bool,
}

impl CheckTiming {
    /// The options of a checker that does not touch the network (MISC_CHECK,
    /// FILE_CHECK): only its retry rules.
    pub fn local(retry: u32, delay_before_retry: Seconds) -> CheckTiming {
        CheckTiming {
            connect_port: None,
            connect_timeout: Seconds(std::time::Duration::ZERO),
            retry,
            delay_before_retry,
            connect_ip: None,
            bindto: None,
            bind_port: None,
            warmup: None,
            delay_loop: None,
            log_all_failures: false,
        }
    }
}

/// A checker with the shared network options.
pub trait Timed {
    /// Its shared options.
    fn timing(&self) -> CheckTiming;
}

macro_rules! timed {
    ($($check:ty),*) => {
        $(impl Timed for $check {
            fn timing(&self) -> CheckTiming {
                CheckTiming {
                    connect_port: self.connect_port,
                    connect_timeout: self.connect_timeout,
                    retry: self.retry,
                    delay_before_retry: self.delay_before_retry,
                    connect_ip: self.connect_ip,
                    bindto: self.bindto,
                    bind_port: self.bind_port,
                    warmup: self.warmup,
                    delay_loop: self.delay_loop,
                    log_all_failures: self.log_all_failures,
                }
            }
        })*
    };
}

timed!(TcpCheck, HttpGet, UdpCheck, SmtpCheck, DnsCheck);

impl Timed for PingCheck {
    fn timing(&self) -> CheckTiming {
        CheckTiming {
            connect_port: None,
            connect_timeout: self.connect_timeout,
            retry: self.retry,
            delay_before_retry: self.delay_before_retry,
            connect_ip: self.connect_ip,
            bindto: self.bindto,
            bind_port: self.bind_port,
            warmup: self.warmup,
            delay_loop: self.delay_loop,
            log_all_failures: self.log_all_failures,
        }
    }
}

/// keepalived's FILE_CHECK: a `vrrp_track_file`'s number decides health or
/// weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCheck {
    /// The name of a `vrrp_track_file`.
    pub track_file: String,
    /// 0: a non-zero value takes the server down; otherwise the weight
    /// moves by value × weight. The track file's own weight when absent.
    pub weight: Option<i32>,
    /// Subtract instead of add.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reverse: bool,
}

/// Adds the options every network checker shares with keepalived's: its
/// timeout and retry rules, where the probe goes and comes from, its
/// warm-up, and failure logging.
macro_rules! with_probe_options {
    ($(#[$meta:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($fields)*
            /// Seconds a probe (connect, or the whole exchange) may take.
            #[serde(default = "default_connect_timeout")]
            pub connect_timeout: Seconds,
            /// Retries after a failure before the server is marked down.
            #[serde(default = "default_retry")]
            pub retry: u32,
            /// Seconds between a failure and the next attempt.
            #[serde(default = "default_delay_before_retry")]
            pub delay_before_retry: Seconds,
            /// Address to probe instead of the real server's (keepalived `connect_ip`).
            pub connect_ip: Option<IpAddr>,
            /// Source address of the probes (keepalived `bindto`).
            pub bindto: Option<IpAddr>,
            /// Source port of the probes (keepalived `bind_port`).
            pub bind_port: Option<Port>,
            /// Longest random delay before the first probe (keepalived
            /// `warmup`); the real server's, else the service's, when absent.
            pub warmup: Option<Seconds>,
            /// Seconds between probes of this checker; the service's
            /// `delay_loop` when absent.
            pub delay_loop: Option<Seconds>,
            /// Journal every failed probe, not only changes of health
            /// (keepalived `log_all_failures`).
            #[serde(default, skip_serializing_if = "is_false")]
            pub log_all_failures: bool,
        }
    };
}

with_probe_options! {
    /// keepalived's PING_CHECK: healthy when the server answers an ICMP echo.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct PingCheck {
    }
}

with_probe_options! {
    /// keepalived's UDP_CHECK: a datagram to the server's port.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct UdpCheck {
        /// Port to send to; the real server's port when absent.
        pub connect_port: Option<Port>,
        /// The datagram, in hex; empty when absent.
        pub payload: Option<HexBytes>,
        /// Require a reply: `""` any reply, or the hex it must start with.
        pub require_reply: Option<HexBytes>,
    }
}

with_probe_options! {
    /// keepalived's SMTP_CHECK: a 220 greeting and a 250 answer to HELO.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct SmtpCheck {
        /// Port to connect to; the real server's port when absent.
        pub connect_port: Option<Port>,
        /// The name given in HELO; this host's name when absent.
        pub helo_name: Option<String>,
    }
}

with_probe_options! {
    /// keepalived's DNS_CHECK: a query that must be answered.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct DnsCheck {
        /// Port to query; the real server's port when absent.
        pub connect_port: Option<Port>,
        /// Record type (A, NS, CNAME, SOA, MX, TXT, AAAA); SOA when absent.
        #[serde(rename = "type")]
        pub record_type: Option<DnsType>,
        /// The name asked for; the root (".") when absent.
        pub name: Option<String>,
    }
}

with_probe_options! {
    /// keepalived's HTTP_GET: healthy when every url answers as expected.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct HttpGet {
        /// The urls to fetch; all must pass.
        #[serde(rename = "url")]
        pub urls: Vec<HttpUrl>,
        /// Port to connect to; the real server's port when absent.
        pub connect_port: Option<Port>,
        /// Host header; the server's address when absent.
        pub virtualhost: Option<String>,
        /// Speak HTTP/1.1 instead of HTTP/1.0 (keepalived `http_protocol 1.1`).
        #[serde(default, skip_serializing_if = "is_false")]
        pub http_1_1: bool,
        /// SSL_GET: send the virtualhost as SNI (keepalived `enable_sni`).
        #[serde(default, skip_serializing_if = "is_false")]
        pub enable_sni: bool,
        /// SSL_GET: verify the server's certificate (for the virtualhost, or its
        /// address). On unless switched off; keepalived.conf imports switch it
        /// off, as keepalived does not verify.
        #[serde(default = "default_true")]
        pub verify_certificate: bool,
        /// SSL_GET: trusted roots (PEM); the system's when absent.
        pub ca_file: Option<String>,
    }
}

fn default_true() -> bool {
    true
}

/// One `url` block of HTTP_GET.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpUrl {
    /// The path to request.
    pub path: String,
    /// Accepted status codes, each a code (`"200"`) or a range
    /// (`"200-299"`); any 2xx when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_code: Vec<StatusRange>,
    /// MD5 of the expected body, as keepalived's `genhash` prints it.
    pub digest: Option<String>,
    /// A pattern the body must contain (keepalived `regex`; PCRE-like
    /// syntax without look-around or back-references).
    pub regex: Option<String>,
    /// Healthy when the pattern is *not* found (keepalived `regex_no_match`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub regex_no_match: bool,
    /// keepalived's `regex_options`: caseless, multiline, dotall,
    /// extended, ungreedy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regex_options: Vec<String>,
    /// Host header (and SNI name) for this url alone; the checker's
    /// `virtualhost` when absent.
    pub virtualhost: Option<String>,
}

/// The `regex_options` director's pattern engine honours, and the inline
/// flag each becomes.
pub const REGEX_OPTIONS: [(&str, char); 5] = [
    ("caseless", 'i'),
    ("multiline", 'm'),
    ("dotall", 's'),
    ("extended", 'x'),
    ("ungreedy", 'U'),
];

impl HttpUrl {
    /// The body pattern with its options, compiled; what is wrong with it
    /// otherwise. `None` without a `regex`.
    pub fn body_regex(&self) -> Result<Option<regex::bytes::Regex>, String> {
        let Some(pattern) = &self.regex else {
            return Ok(None);
        };
        let mut flags = String::new();
        for option in &self.regex_options {
            match REGEX_OPTIONS.iter().find(|(name, _)| name == option) {
                Some((_, flag)) => flags.push(*flag),
                None => {
                    let known: Vec<_> = REGEX_OPTIONS.iter().map(|(n, _)| *n).collect();
                    return Err(format!(
                        "regex_options {option:?} is not one of {}",
                        known.join(", ")
                    ));
                }
            }
        }
        let full = if flags.is_empty() {
            pattern.clone()
        } else {
            format!("(?{flags}){pattern}")
        };
        regex::bytes::RegexBuilder::new(&full)
            .size_limit(1 << 20)
            .build()
            .map(Some)
            .map_err(|e| format!("regex {pattern:?}: {e}"))
    }
}

/// keepalived's MISC_CHECK: healthy when a script exits 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MiscCheck {
    /// The command line (no shell; quote words with spaces).
    pub misc_path: String,
    /// Seconds it may run before it is killed with its process group;
    /// the service's delay_loop when absent, as keepalived does.
    pub misc_timeout: Option<Seconds>,
    /// The exit code sets the weight: 0 healthy, 1 down, 2–255 weight code-2.
    #[serde(default, skip_serializing_if = "is_false")]
    pub misc_dynamic: bool,
    /// Retries after a failure before the server is marked down.
    #[serde(default)]
    pub retry: u32,
    /// Seconds between a failure and the next attempt.
    #[serde(default = "default_delay_before_retry")]
    pub delay_before_retry: Seconds,
    /// Longest random delay before the first run (keepalived `warmup`);
    /// the real server's, else the service's, when absent.
    pub warmup: Option<Seconds>,
    /// Seconds between runs; the service's `delay_loop` when absent.
    pub delay_loop: Option<Seconds>,
    /// Journal every failed run, not only changes of health.
    #[serde(default, skip_serializing_if = "is_false")]
    pub log_all_failures: bool,
}

with_probe_options! {
    /// keepalived's TCP_CHECK: the server is healthy when a TCP connect succeeds.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct TcpCheck {
        /// Port to connect to; the real server's port when absent.
        pub connect_port: Option<Port>,
    }
}

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
/// A checker with every option at its default, as an empty TOML table
/// reads: keepalived's 5 s connect timeout, 1 retry, 1 s before a retry.
pub fn default_check<T: serde::de::DeserializeOwned>() -> T {
    toml::from_str("").expect("every option of a checker has a default")
}

impl HttpGet {
    /// An HTTP_GET of `urls` with every other option at its default.
    pub fn with_urls(urls: Vec<HttpUrl>) -> HttpGet {
        let mut check: HttpGet =
            toml::from_str("url = []").expect("every option but url has a default");
        check.urls = urls;
        check
    }
}

impl HttpUrl {
    /// A url check of `path`: any 2xx, no digest, no pattern.
    pub fn at(path: &str) -> HttpUrl {
        HttpUrl {
            path: path.into(),
            status_code: Vec::new(),
            digest: None,
            regex: None,
            regex_no_match: false,
            regex_options: Vec::new(),
            virtualhost: None,
        }
    }
}

fn default_connect_timeout() -> Seconds {
    Seconds::from_secs(5)
}
fn default_retry() -> u32 {
    1
}
fn default_delay_before_retry() -> Seconds {
    Seconds::from_secs(1)
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

    /// Every checker, each with its kind: the one list of kinds that the
    /// engine, the validation and the keepalived.conf writer walk. The
    /// order is the checkers' numbering (kinds in this order, each kind in
    /// file order).
    pub fn checkers(&self) -> impl Iterator<Item = Checker<'_>> {
        let tcp = self.tcp_check.iter().map(Checker::Tcp);
        let http = self.http_get.iter().map(Checker::Http);
        let ssl = self.ssl_get.iter().map(Checker::Ssl);
        let ping = self.ping_check.iter().map(Checker::Ping);
        let udp = self.udp_check.iter().map(Checker::Udp);
        let smtp = self.smtp_check.iter().map(Checker::Smtp);
        let dns = self.dns_check.iter().map(Checker::Dns);
        let file = self.file_check.iter().map(Checker::File);
        let misc = self.misc_check.iter().map(Checker::Misc);
        tcp.chain(http)
            .chain(ssl)
            .chain(ping)
            .chain(udp)
            .chain(smtp)
            .chain(dns)
            .chain(file)
            .chain(misc)
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
            tcp_check: Vec::new(),
            http_get: Vec::new(),
            ssl_get: Vec::new(),
            file_check: Vec::new(),
            misc_check: Vec::new(),
            ping_check: Vec::new(),
            udp_check: Vec::new(),
            smtp_check: Vec::new(),
            dns_check: Vec::new(),
        }
    }

    /// The name shown to operators.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| crate::ipvs::model::endpoint(self.address, self.port.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_checks_carry_keepalived_timing() {
        let tcp: TcpCheck = default_check();
        assert_eq!(
            (tcp.connect_timeout, tcp.retry, tcp.delay_before_retry),
            (Seconds::from_secs(5), 1, Seconds::from_secs(1))
        );
        let _: (PingCheck, UdpCheck, SmtpCheck, DnsCheck) = (
            default_check(),
            default_check(),
            default_check(),
            default_check(),
        );
        let http = HttpGet::with_urls(vec![HttpUrl::at("/health")]);
        assert_eq!(http.urls[0].path, "/health");
        assert!(
            http.verify_certificate,
            "certificates are verified by default"
        );
    }
}
