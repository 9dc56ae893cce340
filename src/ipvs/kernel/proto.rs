//! The IPVS generic-netlink protocol (linux/ip_vs.h): commands, attribute
//! numbers, and services and destinations to and from attributes. Pure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::wire::{find, Attr, Parsed};

/// The family name to resolve.
pub const FAMILY: &str = "IPVS";
/// The protocol version requests carry.
pub const VERSION: u8 = 1;

/// `IPVS_CMD_*`.
pub mod cmd {
    /// Add a service.
    pub const NEW_SERVICE: u8 = 1;
    /// Change a service.
    pub const SET_SERVICE: u8 = 2;
    /// Delete a service.
    pub const DEL_SERVICE: u8 = 3;
    /// Get (dump) services.
    pub const GET_SERVICE: u8 = 4;
    /// Add a destination.
    pub const NEW_DEST: u8 = 5;
    /// Change a destination.
    pub const SET_DEST: u8 = 6;
    /// Delete a destination.
    pub const DEL_DEST: u8 = 7;
    /// Get (dump) a service's destinations.
    pub const GET_DEST: u8 = 8;
    /// Start a sync daemon.
    pub const NEW_DAEMON: u8 = 9;
    /// Stop a sync daemon.
    pub const DEL_DAEMON: u8 = 10;
    /// Get the sync daemons.
    pub const GET_DAEMON: u8 = 11;
    /// Set the timeouts.
    pub const SET_CONFIG: u8 = 12;
    /// Get the timeouts.
    pub const GET_CONFIG: u8 = 13;
    /// Version and connection table size.
    pub const GET_INFO: u8 = 15;
    /// Zero counters.
    pub const ZERO: u8 = 16;
    /// Delete every service.
    pub const FLUSH: u8 = 17;
}

/// `IPVS_CMD_ATTR_*`.
pub mod attr {
    /// A nested service.
    pub const SERVICE: u16 = 1;
    /// A nested destination.
    pub const DEST: u16 = 2;
    /// A nested sync daemon.
    pub const DAEMON: u16 = 3;
    /// TCP timeout, seconds.
    pub const TIMEOUT_TCP: u16 = 4;
    /// TCP FIN timeout, seconds.
    pub const TIMEOUT_TCP_FIN: u16 = 5;
    /// UDP timeout, seconds.
    pub const TIMEOUT_UDP: u16 = 6;
}

mod svc {
    pub const AF: u16 = 1;
    pub const PROTOCOL: u16 = 2;
    pub const ADDR: u16 = 3;
    pub const PORT: u16 = 4;
    pub const FWMARK: u16 = 5;
    pub const SCHED_NAME: u16 = 6;
    pub const FLAGS: u16 = 7;
    pub const TIMEOUT: u16 = 8;
    pub const NETMASK: u16 = 9;
    pub const STATS: u16 = 10;
    pub const PE_NAME: u16 = 11;
    pub const STATS64: u16 = 12;
}

mod dest {
    pub const ADDR: u16 = 1;
    pub const PORT: u16 = 2;
    pub const FWD_METHOD: u16 = 3;
    pub const WEIGHT: u16 = 4;
    pub const U_THRESH: u16 = 5;
    pub const L_THRESH: u16 = 6;
    pub const ACTIVE_CONNS: u16 = 7;
    pub const INACT_CONNS: u16 = 8;
    pub const PERSIST_CONNS: u16 = 9;
    pub const STATS: u16 = 10;
    pub const ADDR_FAMILY: u16 = 11;
    pub const STATS64: u16 = 12;
    pub const TUN_TYPE: u16 = 13;
    pub const TUN_PORT: u16 = 14;
    pub const TUN_FLAGS: u16 = 15;
}

/// `IP_VS_SVC_F_HASHED`: set by the kernel on every listed service; not a
/// setting.
const HASHED: u32 = 0x2;
/// Flags a service may set (persistent, one-packet, scheduler flags 1–3).
pub const SETTABLE_FLAGS: u32 = 0x1 | 0x4 | 0x8 | 0x10 | 0x20;

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// What a virtual service matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    /// TCP to an address and port.
    Tcp(SocketAddr),
    /// UDP to an address and port.
    Udp(SocketAddr),
    /// SCTP to an address and port.
    Sctp(SocketAddr),
    /// Packets with a firewall mark, of one address family.
    Fwmark {
        /// The mark.
        mark: u32,
        /// IPv6 rather than IPv4.
        ipv6: bool,
    },
}

impl ServiceKey {
    fn is_ipv6(&self) -> bool {
        match self {
            ServiceKey::Tcp(a) | ServiceKey::Udp(a) | ServiceKey::Sctp(a) => a.is_ipv6(),
            ServiceKey::Fwmark { ipv6, .. } => *ipv6,
        }
    }

    fn af(&self) -> u16 {
        if self.is_ipv6() {
            AF_INET6
        } else {
            AF_INET
        }
    }

    /// The attributes that name the service (enough to find it).
    fn attrs(&self) -> Vec<Attr> {
        let mut attrs = vec![Attr::u16(svc::AF, self.af())];
        let (protocol, address) = match self {
            ServiceKey::Tcp(a) => (6, a),
            ServiceKey::Udp(a) => (17, a),
            ServiceKey::Sctp(a) => (132, a),
            ServiceKey::Fwmark { mark, .. } => {
                attrs.push(Attr::u32(svc::FWMARK, *mark));
                return attrs;
            }
        };
        attrs.push(Attr::u16(svc::PROTOCOL, protocol));
        attrs.push(Attr::bytes(svc::ADDR, &address_bytes(address.ip())));
        attrs.push(Attr::bytes(svc::PORT, &address.port().to_be_bytes()));
        attrs
    }
}

/// Counters (STATS64), cumulative and rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub in_packets: u64,
    /// Packets out.
    pub out_packets: u64,
    /// Bytes in.
    pub in_bytes: u64,
    /// Bytes out.
    pub out_bytes: u64,
    /// Connections per second.
    pub cps: u64,
    /// Packets per second in.
    pub in_pps: u64,
    /// Packets per second out.
    pub out_pps: u64,
    /// Bytes per second in.
    pub in_bps: u64,
    /// Bytes per second out.
    pub out_bps: u64,
}

/// A virtual service as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KService {
    /// What it matches.
    pub key: ServiceKey,
    /// Scheduler name (rr, wlc, mh, …).
    pub scheduler: String,
    /// `IP_VS_SVC_F_*` (persistent 0x1, one-packet 0x4, sched flags 0x8–0x20).
    pub flags: u32,
    /// Persistence timeout, seconds.
    pub timeout: u32,
    /// Persistence netmask: an IPv4 mask (network order bits as a u32
    /// in host order, e.g. 0xffffffff), or an IPv6 prefix length.
    pub netmask: u32,
    /// Persistence engine (`sip`), if any.
    pub pe_name: Option<String>,
    /// Counters (read only).
    pub stats: Stats,
}

/// How IPVS forwards to a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forward {
    /// NAT (`-m`, "Masq").
    Masq,
    /// Local node ("Local").
    Local,
    /// IP-in-IP or another tunnel (`-i`, "Tunnel").
    Tunnel,
    /// Direct routing (`-g`, "Route").
    Route,
    /// Cache bypass ("Bypass").
    Bypass,
}

impl Forward {
    fn code(self) -> u32 {
        match self {
            Forward::Masq => 0,
            Forward::Local => 1,
            Forward::Tunnel => 2,
            Forward::Route => 3,
            Forward::Bypass => 4,
        }
    }

    fn from_code(code: u32) -> Forward {
        match code & 0x7 {
            1 => Forward::Local,
            2 => Forward::Tunnel,
            3 => Forward::Route,
            4 => Forward::Bypass,
            _ => Forward::Masq,
        }
    }

    /// As `ipvsadm -Ln` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Forward::Masq => "Masq",
            Forward::Local => "Local",
            Forward::Tunnel => "Tunnel",
            Forward::Route => "Route",
            Forward::Bypass => "Bypass",
        }
    }
}

/// A tunnel destination's encapsulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tunnel {
    /// 0 IPIP, 1 GUE, 2 GRE.
    pub kind: u8,
    /// GUE's UDP port.
    pub port: u16,
    /// Checksum flags (1 csum, 2 remcsum).
    pub flags: u16,
}

/// A destination (real server) as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KDest {
    /// Address and port.
    pub address: SocketAddr,
    /// Forwarding method.
    pub forward: Forward,
    /// Weight.
    pub weight: u32,
    /// Upper connection threshold (0: none).
    pub upper: u32,
    /// Lower connection threshold.
    pub lower: u32,
    /// Tunnel encapsulation (for `Forward::Tunnel`).
    pub tunnel: Tunnel,
    /// ActiveConn (read only).
    pub active: u32,
    /// InActConn (read only).
    pub inactive: u32,
    /// PersistConn (read only).
    pub persistent: u32,
    /// Counters (read only).
    pub stats: Stats,
}

impl KDest {
    /// A destination to add: no thresholds, no tunnel options, no counters.
    pub fn new(address: SocketAddr, forward: Forward, weight: u32) -> KDest {
        KDest {
            address,
            forward,
            weight,
            upper: 0,
            lower: 0,
            tunnel: Tunnel::default(),
            active: 0,
            inactive: 0,
            persistent: 0,
            stats: Stats::default(),
        }
    }
}

fn address_bytes(ip: IpAddr) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    match ip {
        IpAddr::V4(a) => bytes[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => bytes = a.octets(),
    }
    bytes
}

fn address_from(data: &[u8], ipv6: bool) -> Option<IpAddr> {
    if ipv6 {
        let octets: [u8; 16] = data.get(..16)?.try_into().ok()?;
        Some(IpAddr::V6(Ipv6Addr::from(octets)))
    } else {
        let octets: [u8; 4] = data.get(..4)?.try_into().ok()?;
        Some(IpAddr::V4(Ipv4Addr::from(octets)))
    }
}

fn port_from(attr: Option<Parsed<'_>>) -> Option<u16> {
    Some(u16::from_be_bytes(attr?.data.get(..2)?.try_into().ok()?))
}

/// The nested SERVICE attribute naming `key` only (for deletes and dumps).
pub fn service_key_attr(key: &ServiceKey) -> Attr {
    Attr::nested(attr::SERVICE, key.attrs())
}

/// The nested SERVICE attribute for adding or changing `service`.
pub fn service_attr(service: &KService) -> Attr {
    let mut attrs = service.key.attrs();
    attrs.push(Attr::string(svc::SCHED_NAME, &service.scheduler));
    let mut flags = Vec::with_capacity(8);
    flags.extend_from_slice(&(service.flags & SETTABLE_FLAGS).to_ne_bytes());
    flags.extend_from_slice(&SETTABLE_FLAGS.to_ne_bytes());
    attrs.push(Attr::bytes(svc::FLAGS, &flags));
    attrs.push(Attr::u32(svc::TIMEOUT, service.timeout));
    attrs.push(Attr::u32(svc::NETMASK, service.netmask));
    if let Some(pe) = &service.pe_name {
        attrs.push(Attr::string(svc::PE_NAME, pe));
    }
    Attr::nested(attr::SERVICE, attrs)
}

/// The nested DEST attribute for adding or changing `dest`.
pub fn dest_attr(dest: &KDest) -> Attr {
    let mut attrs = vec![
        Attr::bytes(dest::ADDR, &address_bytes(dest.address.ip())),
        Attr::bytes(dest::PORT, &dest.address.port().to_be_bytes()),
        Attr::u32(dest::FWD_METHOD, dest.forward.code()),
        Attr::u32(dest::WEIGHT, dest.weight),
        Attr::u32(dest::U_THRESH, dest.upper),
        Attr::u32(dest::L_THRESH, dest.lower),
        Attr::u16(
            dest::ADDR_FAMILY,
            if dest.address.is_ipv6() {
                AF_INET6
            } else {
                AF_INET
            },
        ),
    ];
    if dest.forward == Forward::Tunnel {
        attrs.push(Attr::bytes(dest::TUN_TYPE, &[dest.tunnel.kind]));
        attrs.push(Attr::bytes(dest::TUN_PORT, &dest.tunnel.port.to_be_bytes()));
        attrs.push(Attr::u16(dest::TUN_FLAGS, dest.tunnel.flags));
    }
    Attr::nested(attr::DEST, attrs)
}

/// The nested DEST attribute naming `address` only (for deletes).
pub fn dest_key_attr(address: SocketAddr) -> Attr {
    Attr::nested(
        attr::DEST,
        vec![
            Attr::bytes(dest::ADDR, &address_bytes(address.ip())),
            Attr::bytes(dest::PORT, &address.port().to_be_bytes()),
        ],
    )
}

fn stats(attrs: &[Parsed<'_>], stats64: u16, stats32: u16) -> Stats {
    let (nested, wide) = match find(attrs, stats64) {
        Some(s) => (s.children(), true),
        None => (
            find(attrs, stats32)
                .map(|s| s.children())
                .unwrap_or_default(),
            false,
        ),
    };
    let value = |kind: u16| {
        find(&nested, kind)
            .and_then(|a| {
                if wide {
                    a.u64()
                } else {
                    a.u32().map(u64::from)
                }
            })
            .unwrap_or(0)
    };
    Stats {
        conns: value(1),
        in_packets: value(2),
        out_packets: value(3),
        in_bytes: value(4),
        out_bytes: value(5),
        cps: value(6),
        in_pps: value(7),
        out_pps: value(8),
        in_bps: value(9),
        out_bps: value(10),
    }
}

/// A service from a GET_SERVICE dump entry's attributes.
pub fn parse_service(message_attrs: &[u8]) -> Result<KService, String> {
    let outer = Parsed::all(message_attrs);
    let attrs = find(&outer, attr::SERVICE)
        .ok_or("a service entry without its SERVICE attribute")?
        .children();
    let ipv6 = find(&attrs, svc::AF).and_then(|a| a.u16()) == Some(AF_INET6);
    let key = match find(&attrs, svc::FWMARK)
        .and_then(|a| a.u32())
        .filter(|m| *m != 0)
    {
        Some(mark) => ServiceKey::Fwmark { mark, ipv6 },
        None => {
            let address = find(&attrs, svc::ADDR)
                .and_then(|a| address_from(a.data, ipv6))
                .ok_or("a service without an address")?;
            let port = port_from(find(&attrs, svc::PORT)).ok_or("a service without a port")?;
            let at = SocketAddr::new(address, port);
            match find(&attrs, svc::PROTOCOL).and_then(|a| a.u16()) {
                Some(6) => ServiceKey::Tcp(at),
                Some(17) => ServiceKey::Udp(at),
                Some(132) => ServiceKey::Sctp(at),
                other => return Err(format!("a service with unknown protocol {other:?}")),
            }
        }
    };
    let flags = find(&attrs, svc::FLAGS).and_then(|a| a.u32()).unwrap_or(0) & !HASHED;
    Ok(KService {
        key,
        scheduler: find(&attrs, svc::SCHED_NAME)
            .map(|a| a.string())
            .unwrap_or_default(),
        flags,
        timeout: find(&attrs, svc::TIMEOUT)
            .and_then(|a| a.u32())
            .unwrap_or(0),
        netmask: find(&attrs, svc::NETMASK)
            .and_then(|a| a.u32())
            .unwrap_or(0),
        pe_name: find(&attrs, svc::PE_NAME)
            .map(|a| a.string())
            .filter(|p| !p.is_empty()),
        stats: stats(&attrs, svc::STATS64, svc::STATS),
    })
}

/// A destination from a GET_DEST dump entry's attributes.
pub fn parse_dest(message_attrs: &[u8], service_ipv6: bool) -> Result<KDest, String> {
    let outer = Parsed::all(message_attrs);
    let attrs = find(&outer, attr::DEST)
        .ok_or("a destination entry without its DEST attribute")?
        .children();
    let ipv6 = match find(&attrs, dest::ADDR_FAMILY).and_then(|a| a.u16()) {
        Some(family) => family == AF_INET6,
        None => service_ipv6,
    };
    let address = find(&attrs, dest::ADDR)
        .and_then(|a| address_from(a.data, ipv6))
        .ok_or("a destination without an address")?;
    let port = port_from(find(&attrs, dest::PORT)).ok_or("a destination without a port")?;
    let number = |kind: u16| find(&attrs, kind).and_then(|a| a.u32()).unwrap_or(0);
    Ok(KDest {
        address: SocketAddr::new(address, port),
        forward: Forward::from_code(number(dest::FWD_METHOD)),
        weight: number(dest::WEIGHT),
        upper: number(dest::U_THRESH),
        lower: number(dest::L_THRESH),
        tunnel: Tunnel {
            kind: find(&attrs, dest::TUN_TYPE)
                .and_then(|a| a.data.first().copied())
                .unwrap_or(0),
            port: port_from(find(&attrs, dest::TUN_PORT)).unwrap_or(0),
            flags: find(&attrs, dest::TUN_FLAGS)
                .and_then(|a| a.u16())
                .unwrap_or(0),
        },
        active: number(dest::ACTIVE_CONNS),
        inactive: number(dest::INACT_CONNS),
        persistent: number(dest::PERSIST_CONNS),
        stats: stats(&attrs, dest::STATS64, dest::STATS),
    })
}

#[cfg(test)]
mod tests {
    use super::super::wire::Value;
    use super::*;

    fn encoded(attr: &Attr) -> Vec<u8> {
        // The attribute as it sits in a message, after the genl header.
        super::super::wire::request(1, 0, 0, 0, 0, std::slice::from_ref(attr))[20..].to_vec()
    }

    fn service() -> KService {
        KService {
            key: ServiceKey::Tcp("192.0.2.50:80".parse().unwrap()),
            scheduler: "wlc".into(),
            flags: 0x1,
            timeout: 300,
            netmask: 0xffffffff,
            pe_name: None,
            stats: Stats::default(),
        }
    }

    #[test]
    fn services_round_trip_and_ports_go_in_network_order() {
        let attr = service_attr(&service());
        let Value::Nested(children) = &attr.value else {
            panic!()
        };
        let port = children.iter().find(|a| a.kind == svc::PORT).unwrap();
        assert_eq!(port.value, Value::Bytes(vec![0, 80]));
        let sched = children.iter().find(|a| a.kind == svc::SCHED_NAME).unwrap();
        assert_eq!(
            sched.value,
            Value::Bytes(b"wlc\0".to_vec()),
            "NUL-terminated"
        );
        assert_eq!(parse_service(&encoded(&attr)).unwrap(), service());
    }

    #[test]
    fn fwmark_and_ipv6_services_round_trip() {
        let mut marked = service();
        marked.key = ServiceKey::Fwmark {
            mark: 7,
            ipv6: true,
        };
        marked.netmask = 128;
        assert_eq!(
            parse_service(&encoded(&service_attr(&marked))).unwrap(),
            marked
        );
        let mut udp6 = service();
        udp6.key = ServiceKey::Udp("[2001:db8::50]:53".parse().unwrap());
        assert_eq!(parse_service(&encoded(&service_attr(&udp6))).unwrap(), udp6);
    }

    #[test]
    fn destinations_round_trip_tunnels_included() {
        let dest = KDest {
            address: "[2001:db8::21]:8080".parse().unwrap(),
            forward: Forward::Tunnel,
            weight: 5,
            upper: 100,
            lower: 10,
            tunnel: Tunnel {
                kind: 1,
                port: 6080,
                flags: 1,
            },
            active: 0,
            inactive: 0,
            persistent: 0,
            stats: Stats::default(),
        };
        assert_eq!(parse_dest(&encoded(&dest_attr(&dest)), true).unwrap(), dest);
    }

    #[test]
    fn entries_without_their_attribute_are_errors() {
        assert!(parse_service(&[]).unwrap_err().contains("SERVICE"));
        assert!(parse_dest(&[], false).unwrap_err().contains("DEST"));
    }
}
