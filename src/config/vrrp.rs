//! The VRRP part of the model: instances, tracking, sync groups.
//! Keywords are keepalived's.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::values::{Priority, Seconds, Vrid};
use super::vip::VirtualAddress;

/// The VRRP protocol version an instance speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum VrrpVersion {
    /// VRRPv2 (RFC 3768): IPv4 only, whole-second adverts, optional PASS auth.
    #[serde(rename = "2", alias = "v2")]
    V2,
    /// VRRPv3 (RFC 5798): IPv4 or IPv6, centisecond adverts.
    #[default]
    #[serde(rename = "3", alias = "v3")]
    V3,
}

/// VRRPv2 authentication (keepalived `authentication { auth_type PASS; auth_pass … }`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authentication {
    /// Only "PASS" is supported; "AH" was removed from RFC 3768's successor.
    pub auth_type: AuthType,
    /// The password; only its first 8 bytes go on the wire, as in keepalived.
    pub auth_pass: String,
}

/// An authentication type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthType {
    /// Simple text password.
    #[serde(rename = "PASS", alias = "pass")]
    Pass,
}

/// A tracked interface, with keepalived's weight rule: weight 0 means the
/// instance goes to FAULT while the interface is down; otherwise a down
/// interface adds `weight` (usually negative) to the priority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackInterface {
    /// Interface name.
    pub name: String,
    /// Priority change while down; 0 = FAULT.
    #[serde(default)]
    pub weight: i32,
}

/// A reference to a `vrrp_script`, `vrrp_track_file` or
/// `vrrp_track_process`, optionally
/// overriding its weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackRef {
    /// The script's or file's name.
    pub name: String,
    /// Overrides the weight declared with the script or file.
    pub weight: Option<i32>,
}

/// One virtual router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VrrpInstance {
    /// Instance name, unique in the file.
    pub name: String,
    /// Interface the instance advertises on and configures addresses on.
    pub interface: String,
    /// Virtual router identifier, 1..=255, shared with the peers.
    pub virtual_router_id: Vrid,
    /// This node's priority; the highest live priority is master, and 255
    /// means this node owns the addresses (it becomes master at once).
    pub priority: Priority,
    /// Seconds between advertisements (v3: 0.01..=40.95; v2: whole seconds).
    #[serde(default = "default_advert_int")]
    pub advert_int: Seconds,
    /// Whether a higher-priority backup takes mastership back (keepalived `nopreempt` = false).
    #[serde(default = "yes")]
    pub preempt: bool,
    /// Seconds a higher-priority backup waits before preempting.
    #[serde(default = "zero")]
    pub preempt_delay: Seconds,
    /// Protocol version.
    #[serde(default)]
    pub version: VrrpVersion,
    /// VRRPv2 authentication.
    pub authentication: Option<Authentication>,
    /// Send adverts from this address instead of the interface's primary one.
    pub unicast_src_ip: Option<IpAddr>,
    /// Send adverts to these peers by unicast instead of multicast.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unicast_peer: Vec<IpAddr>,
    /// The virtual addresses this instance owns when master, in keepalived's
    /// syntax: `"192.0.2.50"`, `"192.0.2.50/24 dev eth1 label eth1:vip"`.
    pub virtual_ipaddress: Vec<VirtualAddress>,
    /// Addresses managed like virtual ones but not carried in adverts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtual_ipaddress_excluded: Vec<VirtualAddress>,
    /// Seconds after becoming master before the second burst of gratuitous ARPs/NAs. Default 5.
    #[serde(default = "five_seconds")]
    pub garp_master_delay: Seconds,
    /// Gratuitous ARPs/NAs per burst. Default 5.
    #[serde(default = "five")]
    pub garp_master_repeat: u32,
    /// Seconds between periodic refresh bursts while master; 0 = none (the default).
    #[serde(default = "zero")]
    pub garp_master_refresh: Seconds,
    /// Script run on becoming master.
    pub notify_master: Option<String>,
    /// Script run on becoming backup.
    pub notify_backup: Option<String>,
    /// Script run on entering fault.
    pub notify_fault: Option<String>,
    /// Script run when the instance stops.
    pub notify_stop: Option<String>,
    /// Script run on every change, with `INSTANCE name state priority`.
    pub notify: Option<String>,
    /// Interfaces whose state changes the priority or faults the instance.
    /// The instance's own `interface` is tracked too (FAULT while it is
    /// down) unless listed here with a weight, or `dont_track_primary`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_interface: Vec<TrackInterface>,
    /// Do not fault when the instance's own interface goes down (keepalived
    /// `dont_track_primary`, for cross-connected pairs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dont_track_primary: bool,
    /// Scripts whose result changes the priority or faults the instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_script: Vec<TrackRef>,
    /// Files whose number changes the priority or faults the instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_file: Vec<TrackRef>,
    /// Processes whose running changes the priority or faults the instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_process: Vec<TrackRef>,
    /// Split-brain guard: before claiming master, this address must answer a
    /// ping; if it does not, the instance goes to FAULT instead.
    pub check_reference: Option<IpAddr>,
    /// RFC 5798 Accept_Mode: whether this router, as master but not the
    /// address owner (priority 255), accepts packets addressed to its
    /// virtual addresses. On by default, as keepalived has it without
    /// `vrrp_strict`; off, director drops them with nftables (ARP and
    /// neighbour discovery still answer). keepalived `accept` / `no_accept`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub accept_mode: bool,
}

/// keepalived's `vrrp_script`: run periodically; exit 0 is success.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VrrpScript {
    /// Name instances refer to.
    pub name: String,
    /// Command line (split on whitespace; no shell).
    pub script: String,
    /// Seconds between runs. Default 1.
    #[serde(default = "one_second")]
    pub interval: Seconds,
    /// Seconds a run may take before it counts as a failure and is killed. Default: the interval.
    pub timeout: Option<Seconds>,
    /// Priority change: added on success when positive, on failure when negative; 0 = FAULT on failure.
    #[serde(default)]
    pub weight: i32,
    /// Successes needed to count as up. Default 1.
    #[serde(default = "one")]
    pub rise: u32,
    /// Failures needed to count as down. Default 1.
    #[serde(default = "one")]
    pub fall: u32,
    /// Start as failed, not as succeeding: `rise` successes are needed
    /// before it counts as up (keepalived `init_fail`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init_fail: bool,
}

/// keepalived's `vrrp_track_file`: the file holds a number; the priority
/// changes by number × weight, and a negative result (or -254 and below) faults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VrrpTrackFile {
    /// Name instances refer to.
    pub name: String,
    /// Path of the file.
    pub file: String,
    /// Multiplier. Default 1.
    #[serde(default = "one_i32")]
    pub weight: i32,
    /// Write a value to the file when director starts (or a reload brings
    /// this block): if it is missing, or always with `overwrite`
    /// (keepalived `init_file`).
    pub init_file: Option<InitFile>,
}

/// keepalived's `init_file [VALUE] [overwrite]` of a `vrrp_track_file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitFile {
    /// The number written. Default 0.
    #[serde(default)]
    pub value: i64,
    /// Write it even over an existing file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overwrite: bool,
}

/// keepalived's `vrrp_sync_group`: its instances move between states together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VrrpSyncGroup {
    /// Group name.
    pub name: String,
    /// Member instance names.
    pub group: Vec<String>,
    /// Scripts run on the group's transitions, with `GROUP name state priority`.
    pub notify_master: Option<String>,
    /// See `notify_master`.
    pub notify_backup: Option<String>,
    /// See `notify_master`.
    pub notify_fault: Option<String>,
    /// See `notify_master`.
    pub notify: Option<String>,
    /// Interfaces tracked for every member, as a member's own are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_interface: Vec<TrackInterface>,
    /// Scripts tracked for every member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_script: Vec<TrackRef>,
    /// Files tracked for every member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_file: Vec<TrackRef>,
    /// Processes tracked for every member.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub track_process: Vec<TrackRef>,
}

/// What an instance or a sync group tracks, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Tracks<'a> {
    /// Interfaces.
    pub interfaces: &'a [TrackInterface],
    /// `vrrp_script`s.
    pub scripts: &'a [TrackRef],
    /// `vrrp_track_file`s.
    pub files: &'a [TrackRef],
    /// `vrrp_track_process`es.
    pub processes: &'a [TrackRef],
}

/// `tracks()` for a type with the four `track_*` lists.
macro_rules! tracks {
    ($type:ty, $doc:literal) => {
        impl $type {
            #[doc = $doc]
            pub fn tracks(&self) -> Tracks<'_> {
                Tracks {
                    interfaces: &self.track_interface,
                    scripts: &self.track_script,
                    files: &self.track_file,
                    processes: &self.track_process,
                }
            }
        }
    };
}

tracks!(VrrpInstance, "What it tracks itself.");
tracks!(VrrpSyncGroup, "What it tracks for its members.");

fn is_true(value: &bool) -> bool {
    *value
}

fn yes() -> bool {
    true
}
fn one() -> u32 {
    1
}
fn one_i32() -> i32 {
    1
}
fn five() -> u32 {
    5
}
/// No time (a serde default).
pub(super) fn zero() -> Seconds {
    Seconds::from_secs(0)
}
fn one_second() -> Seconds {
    Seconds::from_secs(1)
}
fn five_seconds() -> Seconds {
    Seconds::from_secs(5)
}
fn default_advert_int() -> Seconds {
    Seconds::from_secs(1)
}

impl VrrpInstance {
    /// Whether the instance runs over IPv6 (its addresses are IPv6).
    pub fn is_ipv6(&self) -> bool {
        self.virtual_ipaddress
            .first()
            .is_some_and(|v| v.address.is_ipv6())
    }

    /// The advert interval in centiseconds as it goes on the wire: VRRPv2
    /// carries whole seconds, so a v2 interval is rounded down to them (at
    /// least 1 s).
    pub fn interval_cs(&self) -> u16 {
        let cs = (self.advert_int.0.as_millis() / 10).min(4095) as u16;
        match self.version {
            VrrpVersion::V2 => (cs / 100).max(1) * 100,
            VrrpVersion::V3 => cs,
        }
    }
}
