//! The kernel's table as `ipvsadm -Ln` lists it: ipvsadm's order (its
//! `service_cmp` and `dest_cmp`, quirks included) and its header, turned
//! into the views `director list` formats.

use std::cmp::Ordering;
use std::net::IpAddr;

use super::client::Info;
use super::proto::{Forward, KDest, KService, ServiceKey, Stats};
use crate::engine::snapshot::{ServerView, ServiceView, TrafficView, TunnelView};

/// ipvsadm's first line.
pub fn header(info: &Info) -> String {
    let (major, minor, patch) = info.version;
    format!(
        "IP Virtual Server version {major}.{minor}.{patch} (size={})",
        info.table_size
    )
}

/// Addresses as ipvsadm (libipvs) compares them: 32-bit words in host
/// order, first word first, by subtraction cast to int. So addresses more
/// than 2^31 apart compare backwards (10.0.0.1 after 198.51.100.1), which
/// `ipvsadm -Ln` shows and `director list` must too.
fn compare_addresses(a: IpAddr, b: IpAddr) -> Ordering {
    let words = |ip: IpAddr| -> Vec<u32> {
        match ip {
            IpAddr::V4(v4) => vec![u32::from(v4)],
            IpAddr::V6(v6) => v6
                .octets()
                .chunks(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        }
    };
    for (x, y) in words(a).iter().zip(words(b).iter()) {
        let r = x.wrapping_sub(*y) as i32;
        if r != 0 {
            return r.cmp(&0);
        }
    }
    Ordering::Equal
}

fn parts(key: &ServiceKey) -> (u32, u16, u16, Option<std::net::SocketAddr>) {
    // (fwmark, af, protocol, address)
    match key {
        ServiceKey::Tcp(a) => (0, if a.is_ipv6() { 10 } else { 2 }, 6, Some(*a)),
        ServiceKey::Udp(a) => (0, if a.is_ipv6() { 10 } else { 2 }, 17, Some(*a)),
        ServiceKey::Sctp(a) => (0, if a.is_ipv6() { 10 } else { 2 }, 132, Some(*a)),
        ServiceKey::Fwmark { mark, ipv6 } => (*mark, if *ipv6 { 10 } else { 2 }, 0, None),
    }
}

/// ipvsadm's service order.
fn service_order(a: &KService, b: &KService) -> Ordering {
    let (fa, afa, pa, aa) = parts(&a.key);
    let (fb, afb, pb, ab) = parts(&b.key);
    fa.cmp(&fb)
        .then(afa.cmp(&afb))
        .then(pa.cmp(&pb))
        .then_with(|| match (aa, ab) {
            (Some(x), Some(y)) => compare_addresses(x.ip(), y.ip()).then(x.port().cmp(&y.port())),
            _ => Ordering::Equal,
        })
}

/// ipvsadm's destination order.
fn dest_order(a: &KDest, b: &KDest) -> Ordering {
    a.address
        .is_ipv6()
        .cmp(&b.address.is_ipv6())
        .then_with(|| compare_addresses(a.address.ip(), b.address.ip()))
        .then(a.address.port().cmp(&b.address.port()))
}

fn traffic(stats: &Stats) -> TrafficView {
    TrafficView {
        conns: stats.conns,
        in_packets: stats.in_packets,
        out_packets: stats.out_packets,
        in_bytes: stats.in_bytes,
        out_bytes: stats.out_bytes,
        cps: stats.cps as f64,
        in_pps: stats.in_pps as f64,
        out_pps: stats.out_pps as f64,
        in_bps: stats.in_bps as f64,
        out_bps: stats.out_bps as f64,
    }
}

/// The scheduler-flag names ipvsadm prints for `scheduler`.
fn sched_flags(scheduler: &str, flags: u32) -> Vec<String> {
    let names: [String; 3] = match scheduler {
        "sh" | "mh" => [
            format!("{scheduler}-fallback"),
            format!("{scheduler}-port"),
            "flag-3".into(),
        ],
        _ => ["flag-1".into(), "flag-2".into(), "flag-3".into()],
    };
    [0x8, 0x10, 0x20]
        .iter()
        .zip(names)
        .filter(|(bit, _)| flags & **bit != 0)
        .map(|(_, name)| name)
        .collect()
}

fn server_view(dest: &KDest) -> ServerView {
    ServerView {
        weight: dest.weight,
        configured_weight: dest.weight,
        active: u64::from(dest.active),
        inactive: u64::from(dest.inactive),
        persistent: u64::from(dest.persistent),
        uthreshold: dest.upper,
        lthreshold: dest.lower,
        tunnel: (dest.forward == Forward::Tunnel).then(|| TunnelView {
            kind: match dest.tunnel.kind {
                1 => "gue",
                2 => "gre",
                _ => "ipip",
            }
            .into(),
            port: dest.tunnel.port,
            checksum: match dest.tunnel.flags {
                1 => "csum",
                2 => "remcsum",
                _ => "nocsum",
            }
            .into(),
        }),
        ..ServerView::listed(
            dest.address.to_string(),
            dest.forward.name(),
            traffic(&dest.stats),
        )
    }
}

/// The kernel's services in ipvsadm's order, as the views `director list`
/// formats (destinations sorted as ipvsadm sorts them).
pub fn views(table: &[(KService, Vec<KDest>)]) -> Vec<ServiceView> {
    let mut sorted: Vec<&(KService, Vec<KDest>)> = table.iter().collect();
    sorted.sort_by(|a, b| service_order(&a.0, &b.0));
    sorted
        .into_iter()
        .map(|(service, dests)| {
            let (protocol, address, ipv6) = match service.key {
                ServiceKey::Tcp(a) => ("tcp", a.to_string(), a.is_ipv6()),
                ServiceKey::Udp(a) => ("udp", a.to_string(), a.is_ipv6()),
                ServiceKey::Sctp(a) => ("sctp", a.to_string(), a.is_ipv6()),
                ServiceKey::Fwmark { mark, ipv6 } => (
                    "fwm",
                    if ipv6 {
                        format!("{mark} IPv6")
                    } else {
                        mark.to_string()
                    },
                    ipv6,
                ),
            };
            let persistent = service.flags & 0x1 != 0;
            let bits = if ipv6 {
                service.netmask.min(128) as u8
            } else {
                u32::from_be_bytes(service.netmask.to_ne_bytes()).leading_ones() as u8
            };
            let mut dests: Vec<&KDest> = dests.iter().collect();
            dests.sort_by(|a, b| dest_order(a, b));
            ServiceView {
                name: address.clone(),
                address,
                protocol: protocol.into(),
                scheduler: service.scheduler.clone(),
                flags: sched_flags(&service.scheduler, service.flags),
                persistence_secs: persistent.then_some(u64::from(service.timeout)),
                persistence_bits: persistent.then_some(bits),
                traffic: traffic(&service.stats),
                quorum_up: true,
                sorry_server: None,
                sorry_active: false,
                sorry_row: None,
                checks_suspended: false,
                enabled: true,
                servers: dests.into_iter().map(server_view).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipvsadm_orders_addresses_numerically_until_they_are_far_apart() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert_eq!(
            compare_addresses(ip("192.0.2.60"), ip("198.51.100.50")),
            Ordering::Less
        );
        assert_eq!(
            compare_addresses(ip("192.0.2.50"), ip("203.0.113.1")),
            Ordering::Less
        );
        // More than 2^31 apart: the int subtraction wraps.
        assert_eq!(
            compare_addresses(ip("10.0.0.1"), ip("198.51.100.1")),
            Ordering::Greater
        );
        assert_eq!(
            compare_addresses(ip("2001:db8::1"), ip("2001:db8::2")),
            Ordering::Less
        );
    }

    #[test]
    fn scheduler_flags_are_named_as_ipvsadm_names_them() {
        assert_eq!(sched_flags("sh", 0x18), ["sh-fallback", "sh-port"]);
        assert_eq!(sched_flags("wlc", 0x20), ["flag-3"]);
        assert!(sched_flags("rr", 0x1).is_empty());
    }
}
