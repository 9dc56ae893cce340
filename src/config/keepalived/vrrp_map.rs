//! Mapping `global_defs`, `vrrp_script`, `vrrp_track_file`,
//! `vrrp_sync_group` and `vrrp_instance` onto the model.

use super::reader::Reader;
use super::tree::Node;
use crate::config::values::{Priority, Seconds, Vrid};
use crate::config::vip::VirtualAddress;
use crate::config::{
    AuthType, Authentication, Global, InitFile, LvsTimeouts, TrackInterface, TrackRef,
    VrrpInstance, VrrpScript, VrrpSyncGroup, VrrpTrackFile, VrrpVersion,
};

/// Settings of `global_defs` that instances inherit.
#[derive(Debug, Clone, Default)]
pub struct VrrpDefaults {
    /// `vrrp_version`.
    pub version: Option<VrrpVersion>,
    /// `vrrp_garp_master_delay`.
    pub garp_delay: Option<Seconds>,
    /// `vrrp_garp_master_repeat`.
    pub garp_repeat: Option<u32>,
    /// `vrrp_garp_master_refresh`.
    pub garp_refresh: Option<Seconds>,
}

/// What `global_defs` maps (the keyword table names the rest).
const GLOBAL_KNOWN: &[&str] = &[
    "router_id",
    "lvs_id",
    "notify_fifo",
    "script_timeout",
    "vrrp_version",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "lvs_flush",
    "vrrp_no_swap",
    "checker_no_swap",
    "lvs_timeouts",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_startup_delay",
];

fn version(reader: &mut Reader, node: &Node) -> Option<VrrpVersion> {
    match reader.value(node)?.text.as_str() {
        "2" => Some(VrrpVersion::V2),
        "3" => Some(VrrpVersion::V3),
        other => {
            let at = node.args[0].at.clone();
            reader.error(&at, format!("VRRP version must be 2 or 3, not {other:?}"));
            None
        }
    }
}

/// `global_defs { … }`.
pub fn global(reader: &mut Reader, node: &Node, global: &mut Global, defaults: &mut VrrpDefaults) {
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "router_id" => global.router_id = reader.value(item).map(|t| t.text.clone()),
            "lvs_id" => {
                reader.deprecated(item, "router_id");
                global.router_id = reader.value(item).map(|t| t.text.clone());
            }
            "notify_fifo" => global.notify_fifo = reader.value(item).map(|t| t.text.clone()),
            "script_timeout" => {
                if let Some(s) = reader.seconds(item) {
                    global.script_timeout = s;
                }
            }
            "vrrp_version" => defaults.version = version(reader, item),
            "vrrp_garp_master_delay" => defaults.garp_delay = reader.seconds(item),
            "vrrp_garp_master_repeat" => defaults.garp_repeat = reader.parse(item, "a count"),
            "vrrp_garp_master_refresh" => defaults.garp_refresh = reader.seconds(item),
            // Flush IPVS at startup: remove the services this file does not name.
            "lvs_flush" => global.remove_unmanaged = true,
            // One process: either keeps all of director in memory.
            "vrrp_no_swap" | "checker_no_swap" => global.lock_memory = true,
            "lvs_timeouts" => lvs_timeouts(reader, item, &mut global.lvs_timeouts),
            "vrrp_garp_interval" => {
                global.garp_interval = reader.seconds(item).unwrap_or(global.garp_interval)
            }
            "vrrp_gna_interval" => {
                global.gna_interval = reader.seconds(item).unwrap_or(global.gna_interval)
            }
            "vrrp_startup_delay" => {
                global.startup_delay = reader.seconds(item).unwrap_or(global.startup_delay)
            }
            _ => reader.unknown(item, "global_defs", GLOBAL_KNOWN),
        }
    }
}

/// `lvs_timeouts [tcp N] [tcpfin N] [udp N]`: whole seconds, at least 1.
fn lvs_timeouts(reader: &mut Reader, node: &Node, timeouts: &mut LvsTimeouts) {
    if node.args.is_empty() {
        reader.error(
            &node.keyword.at,
            "`lvs_timeouts` needs at least one of tcp, tcpfin or udp with its seconds".into(),
        );
    }
    for pair in node.args.chunks(2) {
        let name = &pair[0];
        let slot = match name.text.as_str() {
            "tcp" => &mut timeouts.tcp,
            "tcpfin" => &mut timeouts.tcpfin,
            "udp" => &mut timeouts.udp,
            other => {
                reader.error(
                    &name.at,
                    format!("lvs_timeouts sets tcp, tcpfin and udp, not {other:?}"),
                );
                continue;
            }
        };
        let Some(value) = pair.get(1) else {
            reader.error(
                &name.at,
                format!("lvs_timeouts {} needs its seconds", name.text),
            );
            continue;
        };
        match value.text.parse::<u64>() {
            Ok(secs) if secs > 0 => *slot = Some(Seconds::from_secs(secs)),
            _ => reader.error(
                &value.at,
                format!(
                    "lvs_timeouts {} must be a whole number of seconds, at least 1, not {:?}",
                    name.text, value.text
                ),
            ),
        }
    }
}

const SCRIPT_KNOWN: &[&str] = &[
    "script",
    "interval",
    "timeout",
    "weight",
    "rise",
    "fall",
    "user",
    "init_fail",
];

/// `vrrp_script NAME { … }`.
pub fn script(reader: &mut Reader, node: &Node) -> Option<VrrpScript> {
    let name = reader.value(node)?.text.clone();
    let mut script = VrrpScript {
        name,
        script: String::new(),
        interval: Seconds::from_secs(1),
        timeout: None,
        weight: 0,
        rise: 1,
        fall: 1,
        init_fail: false,
    };
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "script" => script.script = reader.rest(item).unwrap_or_default(),
            "interval" => script.interval = reader.seconds(item).unwrap_or(script.interval),
            "timeout" => script.timeout = reader.seconds(item),
            "weight" => script.weight = reader.parse(item, "a weight").unwrap_or(0),
            "rise" => script.rise = reader.parse(item, "a count").unwrap_or(1),
            "fall" => script.fall = reader.parse(item, "a count").unwrap_or(1),
            "init_fail" => script.init_fail = true,
            _ => reader.unknown(item, "vrrp_script", SCRIPT_KNOWN),
        }
    }
    if script.script.is_empty() {
        reader.error(
            &node.keyword.at,
            format!("vrrp_script {} has no `script`", script.name),
        );
    }
    Some(script)
}

/// `vrrp_track_file NAME { … }`.
pub fn track_file(reader: &mut Reader, node: &Node) -> Option<VrrpTrackFile> {
    let name = reader.value(node)?.text.clone();
    let mut track = VrrpTrackFile {
        name,
        file: String::new(),
        weight: 1,
        init_file: None,
    };
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "file" => {
                track.file = reader
                    .value(item)
                    .map(|t| t.text.clone())
                    .unwrap_or_default()
            }
            "weight" => track.weight = reader.parse(item, "a weight").unwrap_or(1),
            "init_file" => track.init_file = init_file(reader, item),
            _ => reader.unknown(item, "vrrp_track_file", &["file", "weight", "init_file"]),
        }
    }
    Some(track)
}

/// `init_file [VALUE] [overwrite]`.
fn init_file(reader: &mut Reader, node: &Node) -> Option<InitFile> {
    let mut init = InitFile {
        value: 0,
        overwrite: false,
    };
    for (index, token) in node.args.iter().enumerate() {
        match token.text.parse::<i64>() {
            _ if token.text == "overwrite" => init.overwrite = true,
            Ok(value) if index == 0 => init.value = value,
            _ => {
                reader.error(
                    &token.at,
                    format!(
                        "init_file takes a number and then overwrite, not {:?}",
                        token.text
                    ),
                );
                return None;
            }
        }
    }
    Some(init)
}

/// `vrrp_sync_group NAME { … }`.
pub fn sync_group(reader: &mut Reader, node: &Node) -> Option<VrrpSyncGroup> {
    let name = reader.value(node)?.text.clone();
    let mut group = VrrpSyncGroup {
        name,
        group: Vec::new(),
        notify_master: None,
        notify_backup: None,
        notify_fault: None,
        notify: None,
        track_interface: Vec::new(),
        track_script: Vec::new(),
        track_file: Vec::new(),
        track_process: Vec::new(),
    };
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "track_interface" => {
                group
                    .track_interface
                    .extend(
                        tracks(reader, item)
                            .into_iter()
                            .map(|(name, weight)| TrackInterface {
                                name,
                                weight: weight.unwrap_or(0),
                            }),
                    )
            }
            "track_script" => group.track_script.extend(refs(reader, item)),
            "track_file" => group.track_file.extend(refs(reader, item)),
            "track_process" => group.track_process.extend(refs(reader, item)),
            "group" => {
                for member in reader.block(item) {
                    group.group.push(member.keyword.text.clone());
                    group
                        .group
                        .extend(member.args.iter().map(|t| t.text.clone()));
                }
            }
            "notify_master" => group.notify_master = reader.rest(item),
            "notify_backup" => group.notify_backup = reader.rest(item),
            "notify_fault" => group.notify_fault = reader.rest(item),
            "notify" => group.notify = reader.rest(item),
            _ => reader.unknown(
                item,
                "vrrp_sync_group",
                &[
                    "group",
                    "notify_master",
                    "notify_backup",
                    "notify_fault",
                    "notify",
                    "track_interface",
                    "track_script",
                    "track_file",
                    "track_process",
                ],
            ),
        }
    }
    Some(group)
}

const INSTANCE_KNOWN: &[&str] = &[
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "nopreempt",
    "accept",
    "no_accept",
    "preempt",
    "preempt_delay",
    "version",
    "authentication",
    "unicast_src_ip",
    "mcast_src_ip",
    "unicast_peer",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "garp_master_delay",
    "garp_master_repeat",
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify",
    "track_interface",
    "track_script",
    "track_process",
    "track_file",
    "smtp_alert",
    "dont_track_primary",
    "use_vmac",
    "vmac_xmit_base",
    "native_ipv6",
    "accept",
    "no_accept",
    "strict_mode",
    "virtual_routes",
    "virtual_rules",
    "track_process",
    "debug",
    "lvs_sync_daemon_interface",
    "skip_check_adv_addr",
    "check_unicast_src",
    "kernel_rx_buf_size",
];

fn vips(reader: &mut Reader, node: &Node) -> Vec<VirtualAddress> {
    let mut out = Vec::new();
    for line in reader.block(node) {
        let text = std::iter::once(line.keyword.text.as_str())
            .chain(line.words())
            .collect::<Vec<_>>()
            .join(" ");
        match VirtualAddress::parse(&text) {
            Ok(vip) => out.push(vip),
            Err(e) => reader.error(&line.keyword.at, e),
        }
    }
    out
}

fn tracks(reader: &mut Reader, node: &Node) -> Vec<(String, Option<i32>)> {
    let mut out = Vec::new();
    for line in reader.block(node) {
        let weight = match line.words().as_slice() {
            [] => None,
            ["weight", w] | ["weight", w, ..] => match w.parse() {
                Ok(w) => Some(w),
                Err(_) => {
                    reader.error(&line.args[1].at, format!("weight {w:?} is not an integer"));
                    None
                }
            },
            _ => {
                reader.warn(
                    &line.args[0].at,
                    "only `weight N` may follow a tracked name; the rest is ignored".into(),
                );
                None
            }
        };
        out.push((line.keyword.text.clone(), weight));
    }
    out
}

/// A `track_script`/`track_file`/`track_process` block's references.
fn refs(reader: &mut Reader, node: &Node) -> Vec<TrackRef> {
    tracks(reader, node)
        .into_iter()
        .map(|(name, weight)| TrackRef { name, weight })
        .collect()
}

/// `vrrp_instance NAME { … }`.
pub fn instance(reader: &mut Reader, node: &Node, defaults: &VrrpDefaults) -> Option<VrrpInstance> {
    let name = reader.value(node)?.text.clone();
    let mut interface = None;
    let mut vrid = None;
    let mut priority = Priority(100);
    let mut instance = VrrpInstance {
        name: name.clone(),
        interface: String::new(),
        virtual_router_id: Vrid(1),
        priority,
        advert_int: Seconds::from_secs(1),
        preempt: true,
        preempt_delay: Seconds::from_secs(0),
        version: defaults.version.unwrap_or(VrrpVersion::V2),
        authentication: None,
        unicast_src_ip: None,
        unicast_peer: Vec::new(),
        virtual_ipaddress: Vec::new(),
        virtual_ipaddress_excluded: Vec::new(),
        garp_master_delay: defaults.garp_delay.unwrap_or(Seconds::from_secs(5)),
        garp_master_repeat: defaults.garp_repeat.unwrap_or(5),
        garp_master_refresh: defaults.garp_refresh.unwrap_or(Seconds::from_secs(0)),
        notify_master: None,
        notify_backup: None,
        notify_fault: None,
        notify_stop: None,
        notify: None,
        track_interface: Vec::new(),
        dont_track_primary: false,
        track_script: Vec::new(),
        track_file: Vec::new(),
        track_process: Vec::new(),
        check_reference: None,
        accept_mode: true,
    };
    let mut state_master = None;
    for item in reader.block(node) {
        let i = &mut instance;
        match item.keyword.text.as_str() {
            // keepalived 2.2: MASTER is taken at once only by an address
            // owner (priority 255), which director does anyway; any other
            // instance waits Master_Down_Interval either way.
            "state" => match reader.value(item).map(|t| t.text.as_str()) {
                Some("MASTER") => state_master = Some(item.keyword.at.clone()),
                Some("BACKUP") => {}
                // keepalived reports it and carries on as BACKUP; so does director.
                Some(other) => {
                    let at = item.args[0].at.clone();
                    reader.warn(
                        &at,
                        format!("unknown state {other:?} (MASTER or BACKUP); taken as BACKUP, as keepalived does"),
                    );
                }
                None => {}
            },
            "interface" => interface = reader.value(item).map(|t| t.text.clone()),
            "virtual_router_id" => vrid = Some(reader.ranged(item, Vrid::new)),
            "priority" => priority = reader.ranged(item, Priority::new).unwrap_or(priority),
            "advert_int" => i.advert_int = reader.seconds(item).unwrap_or(i.advert_int),
            "nopreempt" => i.preempt = false,
            "dont_track_primary" => i.dont_track_primary = true,
            "accept" => i.accept_mode = true,
            "no_accept" => i.accept_mode = false,
            "preempt" => i.preempt = true,
            "preempt_delay" => i.preempt_delay = reader.seconds(item).unwrap_or(i.preempt_delay),
            "version" => i.version = version(reader, item).unwrap_or(i.version),
            "authentication" => {
                let (mut kind, mut pass) = (None, None);
                for a in reader.block(item) {
                    match a.keyword.text.as_str() {
                        "auth_type" => match reader.value(a).map(|t| t.text.to_uppercase()) {
                            Some(t) if t == "PASS" => kind = Some(AuthType::Pass),
                            Some(t) if t == "AH" => {
                                reader.not_applicable(a, "AH authentication was dropped from VRRP")
                            }
                            Some(t) => {
                                let at = a.args[0].at.clone();
                                reader.error(&at, format!("auth_type must be PASS, not {t:?}"));
                            }
                            None => {}
                        },
                        "auth_pass" => {
                            let value = reader.value(a).map(|t| t.text.clone());
                            if value.as_ref().is_some_and(|p| p.len() > 8) {
                                reader.warn(&a.args[0].at, "auth_pass is longer than 8 characters; only the first 8 are used, as in keepalived".into());
                            }
                            pass = value;
                        }
                        _ => reader.unknown(a, "authentication", &["auth_type", "auth_pass"]),
                    }
                }
                if let (Some(auth_type), Some(auth_pass)) = (kind, pass) {
                    i.authentication = Some(Authentication {
                        auth_type,
                        auth_pass,
                    });
                }
            }
            "unicast_src_ip" => i.unicast_src_ip = reader.parse(item, "an IP address"),
            "mcast_src_ip" => i.unicast_src_ip = reader.parse(item, "an IP address"),
            "unicast_peer" => {
                for peer in reader.block(item) {
                    match peer.keyword.text.parse() {
                        Ok(address) => i.unicast_peer.push(address),
                        Err(_) => reader.error(
                            &peer.keyword.at,
                            format!("{:?} is not an IP address", peer.keyword.text),
                        ),
                    }
                }
            }
            "virtual_ipaddress" => i.virtual_ipaddress = vips(reader, item),
            "virtual_ipaddress_excluded" => i.virtual_ipaddress_excluded = vips(reader, item),
            "garp_master_delay" => {
                i.garp_master_delay = reader.seconds(item).unwrap_or(i.garp_master_delay)
            }
            "garp_master_repeat" => {
                i.garp_master_repeat = reader
                    .parse(item, "a count")
                    .unwrap_or(i.garp_master_repeat)
            }
            "garp_master_refresh" => {
                i.garp_master_refresh = reader.seconds(item).unwrap_or(i.garp_master_refresh)
            }
            "notify_master" => i.notify_master = reader.rest(item),
            "notify_backup" => i.notify_backup = reader.rest(item),
            "notify_fault" => i.notify_fault = reader.rest(item),
            "notify_stop" => i.notify_stop = reader.rest(item),
            "notify" => i.notify = reader.rest(item),
            "track_interface" => {
                for (name, weight) in tracks(reader, item) {
                    i.track_interface.push(TrackInterface {
                        name,
                        weight: weight.unwrap_or(0),
                    });
                }
            }
            "track_script" => i.track_script.extend(refs(reader, item)),
            "track_file" => i.track_file.extend(refs(reader, item)),
            "track_process" => i.track_process.extend(refs(reader, item)),
            _ => reader.unknown(item, "vrrp_instance", INSTANCE_KNOWN),
        }
    }
    instance.priority = priority;
    if let Some(at) = state_master.filter(|_| !instance.preempt_delay.0.is_zero()) {
        // As keepalived: "preempt delay will not work with initial state MASTER".
        reader.warn(
            &at,
            "preempt_delay does not work with state MASTER (keepalived clears it); cleared".into(),
        );
        instance.preempt_delay = Seconds::from_secs(0);
    }
    match (interface, vrid) {
        (Some(interface), Some(Some(vrid))) => {
            instance.interface = interface;
            instance.virtual_router_id = vrid;
            Some(instance)
        }
        // Present but invalid: already reported where it stands.
        (Some(_), Some(None)) => None,
        (interface, _) => {
            let missing = if interface.is_none() {
                "interface"
            } else {
                "virtual_router_id"
            };
            reader.error(
                &node.keyword.at,
                format!("vrrp_instance {name} has no `{missing}`"),
            );
            None
        }
    }
}
