//! `/proc/net/ip_vs_conn`, the kernel's connection table (netlink has no
//! dump of it), as the rows `director list -c` prints.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::ipvs::model::ConnRow;

fn address(text: &str) -> Option<IpAddr> {
    if text.len() == 8 && !text.contains(':') {
        return u32::from_str_radix(text, 16)
            .ok()
            .map(|v| IpAddr::V4(Ipv4Addr::from(v)));
    }
    text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

fn endpoint(ip: &str, port: &str) -> Option<SocketAddr> {
    Some(SocketAddr::new(
        address(ip)?,
        u16::from_str_radix(port, 16).ok()?,
    ))
}

/// The rows of the file's text; lines that do not parse are skipped.
pub fn parse(text: &str) -> Vec<ConnRow> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 9 {
                return None;
            }
            Some(ConnRow {
                protocol: f[0].to_string(),
                source: endpoint(f[1], f[2])?,
                virtual_address: endpoint(f[3], f[4])?,
                destination: endpoint(f[5], f[6])?,
                state: f[7].to_string(),
                expires_secs: f[8].parse().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_and_ipv6_entries_parse() {
        let text = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n\
                    TCP C6336407 D4A3 C0000232 0050 C0000215 0050 ESTABLISHED     895\n\
                    TCP 2001:0db8:0000:0000:0000:0000:0000:0007 9C40 2001:0db8:0000:0000:0000:0000:0000:0050 01BB 2001:0db8:0000:0000:0000:0000:0000:0021 01BB TIME_WAIT        60\n\
                    garbage\n";
        let rows = parse(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].source, "198.51.100.7:54435".parse().unwrap());
        assert_eq!(rows[0].destination, "192.0.2.21:80".parse().unwrap());
        assert_eq!(
            (rows[0].state.as_str(), rows[0].expires_secs),
            ("ESTABLISHED", 895)
        );
        assert_eq!(
            rows[1].virtual_address,
            "[2001:db8::50]:443".parse().unwrap()
        );
    }
}
