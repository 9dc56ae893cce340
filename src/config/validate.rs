//! Checks that span more than one value: uniqueness and cross-references.
//! Each problem names the path of the value it is about, so the loader can
//! point at its line and column.

use std::collections::HashSet;

use super::model::{Config, Protocol, Tracks, VrrpInstance, VrrpVersion};

/// One step of a path into the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(&'static str),
    /// An array index.
    Index(usize),
}

/// A semantic problem at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the offending value is.
    pub path: Vec<Segment>,
    /// What is wrong with it.
    pub message: String,
}

fn vrrp_instance_rules(
    config: &Config,
    instance: &VrrpInstance,
    at: &dyn Fn(&'static str) -> Vec<Segment>,
    problems: &mut Vec<Problem>,
) {
    let mut problem = |key, message: String| {
        problems.push(Problem {
            path: at(key),
            message,
        })
    };
    let millis = instance.advert_int.0.as_millis();
    match instance.version {
        VrrpVersion::V3 if !(10..=40_950).contains(&millis) || !millis.is_multiple_of(10) => {
            problem(
                "advert_int",
                "advert_int must be 0.01..=40.95 seconds in steps of 0.01 (VRRPv3)".into(),
            )
        }
        VrrpVersion::V2 if !(1_000..=255_000).contains(&millis) || !millis.is_multiple_of(1000) => {
            problem(
                "advert_int",
                "advert_int must be whole seconds 1..=255 (VRRPv2)".into(),
            )
        }
        _ => {}
    }
    let Some(first) = instance.virtual_ipaddress.first() else {
        problem(
            "virtual_ipaddress",
            "virtual_ipaddress needs at least one address".into(),
        );
        return;
    };
    let family = first.address.is_ipv4();
    if instance
        .virtual_ipaddress
        .iter()
        .any(|v| v.address.is_ipv4() != family)
    {
        problem(
            "virtual_ipaddress",
            "virtual_ipaddress mixes IPv4 and IPv6; use one instance per family".into(),
        );
    }
    if !family && instance.version == VrrpVersion::V2 {
        problem("version", "IPv6 needs VRRP version 3".into());
    }
    if instance.authentication.is_some() && instance.version == VrrpVersion::V3 {
        problem(
            "authentication",
            "authentication is VRRPv2 only (RFC 5798 removed it)".into(),
        );
    }
    let peers_family = instance.unicast_src_ip.iter().chain(&instance.unicast_peer);
    if peers_family.into_iter().any(|a| a.is_ipv4() != family) {
        problem(
            "unicast_peer",
            "unicast_src_ip and unicast_peer must be of the virtual addresses' family".into(),
        );
    }
    unknown_tracks(config, instance.tracks(), &mut problem);
}

/// What both `instance` and `group` track, as (key, name).
fn twice_tracked<'a>(instance: Tracks<'a>, group: Tracks<'a>) -> Vec<(&'static str, &'a str)> {
    let mut twice = Vec::new();
    for t in group.interfaces {
        if instance.interfaces.iter().any(|i| i.name == t.name) {
            twice.push(("track_interface", t.name.as_str()));
        }
    }
    for (key, ours, theirs) in [
        ("track_script", instance.scripts, group.scripts),
        ("track_file", instance.files, group.files),
        ("track_process", instance.processes, group.processes),
    ] {
        for t in theirs {
            if ours.iter().any(|r| r.name == t.name) {
                twice.push((key, t.name.as_str()));
            }
        }
    }
    twice
}

/// Each `track_script`/`track_file`/`track_process` reference to a block
/// the configuration does not declare, as (key, message).
fn unknown_tracks(
    config: &Config,
    tracks: Tracks<'_>,
    problem: &mut dyn FnMut(&'static str, String),
) {
    for track in tracks.scripts {
        if !config.vrrp_scripts.iter().any(|s| s.name == track.name) {
            problem(
                "track_script",
                format!("track_script names unknown vrrp_script {:?}", track.name),
            );
        }
    }
    for track in tracks.files {
        if !config.vrrp_track_files.iter().any(|f| f.name == track.name) {
            problem(
                "track_file",
                format!("track_file names unknown vrrp_track_file {:?}", track.name),
            );
        }
    }
    for track in tracks.processes {
        if !config
            .vrrp_track_processes
            .iter()
            .any(|p| p.name == track.name)
        {
            problem(
                "track_process",
                format!(
                    "track_process names unknown vrrp_track_process {:?}",
                    track.name
                ),
            );
        }
    }
}

/// Every semantic problem in `config`, in document order.
pub fn validate(config: &Config) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (name, timeout) in config.global.lvs_timeouts.named() {
        let Some(timeout) = timeout else { continue };
        if timeout.0.subsec_nanos() != 0 || timeout.0.as_secs() == 0 {
            problems.push(Problem {
                path: vec![
                    Segment::Key("global"),
                    Segment::Key("lvs_timeouts"),
                    Segment::Key(name),
                ],
                message: format!(
                    "lvs_timeouts {name} must be a whole number of seconds, at least 1 (IPVS counts them in seconds), not {timeout}"
                ),
            });
        }
    }
    for (i, process) in config.vrrp_track_processes.iter().enumerate() {
        for (key, message) in process.problems() {
            problems.push(Problem {
                path: vec![
                    Segment::Key("vrrp_track_process"),
                    Segment::Index(i),
                    Segment::Key(key),
                ],
                message,
            });
        }
    }
    let mut names = HashSet::new();
    let mut vrids = HashSet::new();
    for (i, instance) in config.vrrp_instances.iter().enumerate() {
        let at = |key| {
            vec![
                Segment::Key("vrrp_instance"),
                Segment::Index(i),
                Segment::Key(key),
            ]
        };
        if !names.insert(instance.name.as_str()) {
            problems.push(Problem {
                path: at("name"),
                message: format!("vrrp_instance name {:?} is used twice", instance.name),
            });
        }
        if !vrids.insert((instance.interface.as_str(), instance.virtual_router_id)) {
            problems.push(Problem {
                path: at("virtual_router_id"),
                message: format!(
                    "virtual_router_id {} is already used on {}",
                    instance.virtual_router_id, instance.interface
                ),
            });
        }
        vrrp_instance_rules(config, instance, &at, &mut problems);
    }
    for (g, group) in config.vrrp_sync_groups.iter().enumerate() {
        unknown_tracks(config, group.tracks(), &mut |key, message| {
            problems.push(Problem {
                path: vec![
                    Segment::Key("vrrp_sync_group"),
                    Segment::Index(g),
                    Segment::Key(key),
                ],
                message,
            })
        });
        for member in config
            .vrrp_instances
            .iter()
            .filter(|i| group.group.contains(&i.name))
        {
            for (key, name) in twice_tracked(member.tracks(), group.tracks()) {
                problems.push(Problem {
                    path: vec![
                        Segment::Key("vrrp_sync_group"),
                        Segment::Index(g),
                        Segment::Key(key),
                    ],
                    message: format!(
                        "{key} {name} is tracked by vrrp_instance {} and by its sync group {}; track it in one of them (keepalived refuses both)",
                        member.name, group.name
                    ),
                });
            }
        }
        for (m, member) in group.group.iter().enumerate() {
            let path = vec![
                Segment::Key("vrrp_sync_group"),
                Segment::Index(g),
                Segment::Key("group"),
                Segment::Index(m),
            ];
            if !config.vrrp_instances.iter().any(|i| &i.name == member) {
                problems.push(Problem {
                    path,
                    message: format!(
                        "sync group {} names unknown vrrp_instance {member:?}",
                        group.name
                    ),
                });
            } else if config.vrrp_sync_groups[..g]
                .iter()
                .any(|other| other.group.contains(member))
            {
                problems.push(Problem {
                    path,
                    message: format!("vrrp_instance {member:?} is already in another sync group"),
                });
            }
        }
    }
    let mut services = HashSet::new();
    for (i, service) in config.virtual_servers.iter().enumerate() {
        let at = |tail: Vec<Segment>| {
            let mut path = vec![Segment::Key("virtual_server"), Segment::Index(i)];
            path.extend(tail);
            path
        };
        if !services.insert((service.address, service.port, service.protocol)) {
            problems.push(Problem {
                path: at(vec![Segment::Key("port")]),
                message: format!("virtual_server {} is defined twice", service.display_name()),
            });
        }
        if service.port.0 == 0 && service.persistence_timeout.is_none() {
            problems.push(Problem {
                path: at(vec![Segment::Key("port")]),
                message: "a port-0 (all ports) service must be persistent: set persistence_timeout, as IPVS requires".into(),
            });
        }
        if service.port.0 == 0 && service.protocol == Protocol::Udp {
            problems.push(Problem {
                path: at(vec![Segment::Key("protocol")]),
                message: "port-0 UDP services need the kernel plane; the userspace plane catches all ports for TCP only".into(),
            });
        }
        if service
            .sorry_server
            .as_ref()
            .is_some_and(|sorry| sorry.address.is_ipv4() != service.address.is_ipv4())
        {
            problems.push(Problem {
                path: at(vec![Segment::Key("sorry_server")]),
                message: "the sorry server's address family must match its virtual server's".into(),
            });
        }
        let family_bits = if service.address.is_ipv4() { 32 } else { 128 };
        if service
            .persistence_granularity
            .is_some_and(|bits| bits > family_bits)
        {
            problems.push(Problem {
                path: at(vec![Segment::Key("persistence_granularity")]),
                message: format!("persistence_granularity must be at most {family_bits} bits for this address family"),
            });
        }
        let mut reals = HashSet::new();
        for (j, real) in service.real_servers.iter().enumerate() {
            let real_at = |key| {
                at(vec![
                    Segment::Key("real_server"),
                    Segment::Index(j),
                    Segment::Key(key),
                ])
            };
            if !reals.insert((real.address, real.port)) {
                problems.push(Problem {
                    path: real_at("address"),
                    message: format!(
                        "real_server {} appears twice in virtual_server {}",
                        real.display_name(),
                        service.display_name()
                    ),
                });
            }
            let around = crate::check::kind::Around {
                track_files: &config.vrrp_track_files,
                service,
                real,
            };
            for checker in real.checkers() {
                for message in checker.problems(&around) {
                    problems.push(Problem {
                        path: real_at(checker.key()),
                        message,
                    });
                }
            }
            if real.uthreshold > 0 && real.lthreshold > real.uthreshold {
                problems.push(Problem {
                    path: real_at("lthreshold"),
                    message: format!(
                        "lthreshold {} is above uthreshold {}: the server would never leave overload",
                        real.lthreshold, real.uthreshold
                    ),
                });
            }
            if real.address.is_ipv4() != service.address.is_ipv4() {
                problems.push(Problem {
                    path: real_at("address"),
                    message: "a real server's address family must match its virtual server's"
                        .into(),
                });
            }
        }
    }
    problems
}
