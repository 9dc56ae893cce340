//! Mapping `virtual_server`, `real_server` and the checkers onto the model.

use std::net::IpAddr;

use super::check_defaults::CheckDefaults;
use super::groups::Groups;
use super::reader::Reader;
use super::tree::Node;
use crate::check::kinds;
use crate::config::values::{Seconds, ServicePort, Weight};
use crate::config::{Forwarding, Protocol, RealServer, SchedulerName, SorryServer, VirtualServer};

const SERVICE_KNOWN: &[&str] = &[
    "delay_loop",
    "lb_algo",
    "lvs_sched",
    "lb_kind",
    "lvs_method",
    "persistence_timeout",
    "persistence_granularity",
    "protocol",
    "ha_suspend",
    "virtualhost",
    "alpha",
    "omega",
    "quorum",
    "hysteresis",
    "quorum_up",
    "quorum_down",
    "sorry_server",
    "sorry_server_inhibit",
    "sorry_server_lvs_method",
    "real_server",
    "ops",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_timeout",
    "inhibit_on_failure",
    "sh-port",
    "sh-fallback",
    "mh-port",
    "mh-fallback",
];

const REAL_KNOWN: &[&str] = &[
    "weight",
    "inhibit_on_failure",
    "notify_up",
    "notify_down",
    "uthreshold",
    "lthreshold",
    "BFD_CHECK",
    "lvs_method",
    "alpha",
    "retry",
    "delay_before_retry",
    "connect_timeout",
    "delay_loop",
    "warmup",
    "virtualhost",
];

fn endpoint(reader: &mut Reader, node: &Node) -> Option<(IpAddr, ServicePort)> {
    let words = node.words();
    let (Some(address), Some(port)) = (words.first(), words.get(1)) else {
        reader.error(
            &node.keyword.at,
            format!("`{}` needs an address and a port", node.keyword.text),
        );
        return None;
    };
    let address: IpAddr = match address.parse() {
        Ok(a) => a,
        Err(_) => {
            reader.error(
                &node.args[0].at,
                format!("{address:?} is not an IP address"),
            );
            return None;
        }
    };
    let port = match port
        .parse::<i64>()
        .map_err(|_| format!("port {port:?} is not a number"))
        .and_then(ServicePort::new)
    {
        Ok(p) => p,
        Err(message) => {
            reader.error(&node.args[1].at, message);
            return None;
        }
    };
    Some((address, port))
}

/// `virtual_server IP PORT { … }`, or `virtual_server group NAME { … }`:
/// one service per entry of the group. The fwmark form is reported.
pub fn services(reader: &mut Reader, node: &Node, groups: &Groups) -> Vec<VirtualServer> {
    match node.args.first().map(|t| t.text.as_str()) {
        Some("fwmark") => {
            reader.error(
                &node.args[0].at,
                "fwmark services need the kernel IPVS plane, which director cannot drive yet"
                    .into(),
            );
            Vec::new()
        }
        Some("group") => {
            let Some(name) = node.args.get(1) else {
                reader.error(
                    &node.args[0].at,
                    "`virtual_server group` needs a group name".into(),
                );
                return Vec::new();
            };
            let Some(entries) = groups.get(&name.text) else {
                let mut known: Vec<_> = groups.keys().cloned().collect();
                known.sort();
                reader.error(
                    &name.at,
                    format!(
                        "no virtual_server_group named {:?} (declared: {})",
                        name.text,
                        if known.is_empty() {
                            "none".into()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
                return Vec::new();
            };
            let Some(&(address, port)) = entries.first() else {
                reader.warn(
                    &name.at,
                    format!("group {:?} has no entries: no services", name.text),
                );
                return Vec::new();
            };
            let template = service_at(reader, node, address, port);
            entries
                .iter()
                .map(|&(address, port)| VirtualServer {
                    address,
                    port,
                    ..template.clone()
                })
                .collect()
        }
        _ => match endpoint(reader, node) {
            Some((address, port)) => vec![service_at(reader, node, address, port)],
            None => Vec::new(),
        },
    }
}

/// The service a `virtual_server` block describes, at `address:port`.
fn service_at(
    reader: &mut Reader,
    node: &Node,
    address: IpAddr,
    port: ServicePort,
) -> VirtualServer {
    let mut service = VirtualServer {
        name: None,
        address,
        port,
        protocol: Protocol::Tcp,
        scheduler: SchedulerName::Wlc,
        hash_fallback: false,
        hash_port: false,
        forwarding: Forwarding::Nat,
        persistence_timeout: None,
        persistence_granularity: None,
        quorum: 1,
        hysteresis: 0,
        quorum_up: None,
        quorum_down: None,
        omega: false,
        sorry_server: None,
        ha_suspend: false,
        alpha: false,
        warmup: None,
        delay_loop: Seconds::from_secs(60),
        real_servers: Vec::new(),
    };
    // Real servers are read once the whole block is, with what it sets
    // for their checkers.
    let mut reals = Vec::new();
    let mut defaults = CheckDefaults::default();
    let mut inhibit_on_failure = false;
    // The sorry server's options may stand before it in the block.
    let (mut sorry_inhibit, mut sorry_forwarding, mut sorry_option) = (false, None, None);
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "delay_loop" => service.delay_loop = reader.seconds(item).unwrap_or(service.delay_loop),
            "lb_algo" | "lvs_sched" => {
                if item.keyword.text == "lb_algo" {
                    reader.deprecated(item, "lvs_sched");
                }
                if let Some(name) = reader.value(item).map(|t| t.text.clone()) {
                    match SchedulerName::from_name(&name) {
                        Some(scheduler) => service.scheduler = scheduler,
                        None => {
                            let at = item.args[0].at.clone();
                            reader.error(&at, format!("unknown scheduler {name:?}; IPVS has rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh and twos"));
                        }
                    }
                }
            }
            "lb_kind" | "lvs_method" => {
                if item.keyword.text == "lb_kind" {
                    reader.deprecated(item, "lvs_method");
                }
                if let Some(method) = forwarding(reader, item) {
                    service.forwarding = method;
                }
            }
            "protocol" => match reader.value(item).map(|t| t.text.to_uppercase()) {
                Some(p) if p == "TCP" => service.protocol = Protocol::Tcp,
                Some(p) if p == "UDP" => service.protocol = Protocol::Udp,
                Some(p) if p == "SCTP" => {
                    let at = item.args[0].at.clone();
                    reader.error(
                        &at,
                        "SCTP services need the kernel IPVS plane, which director cannot drive yet"
                            .into(),
                    );
                }
                Some(p) => {
                    let at = item.args[0].at.clone();
                    reader.error(&at, format!("protocol must be TCP, UDP or SCTP, not {p:?}"));
                }
                None => {}
            },
            "persistence_timeout" => service.persistence_timeout = reader.seconds(item),
            "persistence_granularity" => {
                service.persistence_granularity = granularity(reader, item)
            }
            "sh-port" | "mh-port" => service.hash_port = true,
            "sh-fallback" | "mh-fallback" => service.hash_fallback = true,
            "real_server" => reals.push(item),
            "inhibit_on_failure" => inhibit_on_failure = flag(reader, item),
            "alpha" => service.alpha = true,
            "omega" => service.omega = true,
            "ha_suspend" => service.ha_suspend = true,
            "quorum" => service.quorum = reader.parse(item, "a weight").unwrap_or(1),
            "hysteresis" => service.hysteresis = reader.parse(item, "a weight").unwrap_or(0),
            "quorum_up" => service.quorum_up = reader.rest(item),
            "quorum_down" => service.quorum_down = reader.rest(item),
            "sorry_server" => {
                if let Some((address, port)) = endpoint(reader, item) {
                    service.sorry_server = Some(SorryServer {
                        address,
                        port,
                        inhibit: false,
                        forwarding: None,
                    });
                }
            }
            "sorry_server_inhibit" => {
                sorry_inhibit = flag(reader, item);
                sorry_option = Some(item);
            }
            "sorry_server_lvs_method" => {
                sorry_forwarding = forwarding(reader, item);
                sorry_option = Some(item);
            }
            "warmup" => service.warmup = reader.seconds(item),
            _ => {
                if !defaults.take(reader, item) {
                    reader.unknown(item, "virtual_server", SERVICE_KNOWN)
                }
            }
        }
    }
    match (&mut service.sorry_server, sorry_option) {
        (Some(sorry), _) => {
            sorry.inhibit = sorry_inhibit;
            sorry.forwarding = sorry_forwarding;
        }
        (None, Some(item)) => reader.warn(
            &item.keyword.at,
            format!(
                "`{}` does nothing: this virtual_server has no sorry_server",
                item.keyword.text
            ),
        ),
        (None, None) => {}
    }
    service.real_servers = reals
        .into_iter()
        .filter_map(|item| real_server(reader, item, &defaults, inhibit_on_failure))
        .collect();
    service
}

/// A keepalived boolean option: on its own it means true, else its value
/// says (`true`/`on`/`yes`, `false`/`off`/`no`).
fn flag(reader: &mut Reader, item: &Node) -> bool {
    let Some(value) = item.args.first() else {
        return true;
    };
    match value.text.to_lowercase().as_str() {
        "true" | "on" | "yes" => true,
        "false" | "off" | "no" => false,
        other => {
            reader.error(
                &value.at,
                format!(
                    "`{}` takes true, false, on, off, yes or no, not {other:?}",
                    item.keyword.text
                ),
            );
            true
        }
    }
}

/// `persistence_granularity`: an IPv4 netmask (`255.255.255.0`) or a
/// prefix length, as keepalived takes it; kept as a prefix length.
fn granularity(reader: &mut Reader, node: &Node) -> Option<u8> {
    let token = reader.value(node)?.clone();
    let bits = match token.text.parse::<std::net::Ipv4Addr>() {
        Ok(mask) => {
            let bits = u32::from(mask);
            (bits.leading_ones() + bits.trailing_zeros() == 32).then_some(bits.leading_ones() as u8)
        }
        Err(_) => token.text.parse::<u8>().ok().filter(|b| *b <= 128),
    };
    if bits.is_none() {
        reader.error(
            &token.at,
            format!(
                "persistence_granularity {:?} is neither a contiguous netmask nor a prefix length",
                token.text
            ),
        );
    }
    bits
}

/// `lvs_method NAT|DR|TUN` (or `lb_kind`); DR and TUN with the warning
/// that only the kernel plane forwards that way.
fn forwarding(reader: &mut Reader, item: &Node) -> Option<Forwarding> {
    let kind = reader.value(item)?.text.to_uppercase();
    let method = match kind.as_str() {
        "NAT" => return Some(Forwarding::Nat),
        "DR" => Forwarding::Dr,
        "TUN" => Forwarding::Tun,
        _ => {
            let at = item.args[0].at.clone();
            reader.error(
                &at,
                format!("lvs_method must be NAT, DR or TUN, not {kind:?}"),
            );
            return None;
        }
    };
    let at = item.args[0].at.clone();
    reader.warn(&at, format!("{kind} forwarding needs the kernel plane; the userspace plane proxies connections (full NAT), so real servers see director's address as the client"));
    Some(method)
}

/// A `real_server` block, with what its virtual server sets for checkers
/// (`service`) and `inhibit_on_failure`.
fn real_server(
    reader: &mut Reader,
    node: &Node,
    service: &CheckDefaults,
    inhibit_on_failure: bool,
) -> Option<RealServer> {
    let (address, port) = endpoint(reader, node)?;
    let mut real = RealServer::new(address, port, Weight(1));
    real.inhibit_on_failure = inhibit_on_failure;
    // Checkers are read once the whole block is, with what it sets for them.
    let mut checkers = Vec::new();
    let mut defaults = service.clone();
    for item in reader.block(node) {
        match item.keyword.text.as_str() {
            "weight" => real.weight = reader.ranged(item, Weight::new).unwrap_or(real.weight),
            "inhibit_on_failure" => real.inhibit_on_failure = flag(reader, item),
            checker if kinds::KEYWORDS.contains(&checker) => checkers.push(item),
            "uthreshold" => real.uthreshold = reader.parse(item, "a connection count").unwrap_or(0),
            "lthreshold" => real.lthreshold = reader.parse(item, "a connection count").unwrap_or(0),
            "alpha" => real.alpha = Some(true),
            "notify_up" => real.notify_up = reader.rest(item),
            "notify_down" => real.notify_down = reader.rest(item),
            "warmup" => real.warmup = reader.seconds(item),
            "lvs_method" => real.forwarding = forwarding(reader, item).or(real.forwarding),
            _ => {
                if !defaults.take(reader, item) {
                    reader.unknown(item, "real_server", &[REAL_KNOWN, kinds::KEYWORDS].concat())
                }
            }
        }
    }
    // Every block is a checker of its own, as in keepalived: a second
    // TCP_CHECK (another port, say) runs beside the first.
    for item in checkers {
        kinds::read_keepalived(reader, item, &defaults, &mut real);
    }
    Some(real)
}
