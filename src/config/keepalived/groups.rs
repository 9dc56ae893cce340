//! `virtual_server_group NAME { … }` and `virtual_server group NAME { … }`:
//! a group's entries (addresses with a port, address ranges, firewall
//! marks) each become a virtual service with the group's settings and real
//! servers.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::reader::Reader;
use super::tree::Node;
use crate::config::values::ServicePort;

/// The most addresses one range entry may expand to.
const MAX_RANGE: u32 = 256;

/// Every group's (address, port) entries, by name.
pub type Groups = HashMap<String, Vec<(IpAddr, ServicePort)>>;

/// Expand `first-last` (the last IPv4 octet, or the last IPv6 group in
/// hex), or a plain address, into addresses.
fn addresses(text: &str) -> Result<Vec<IpAddr>, String> {
    let Some((base, last)) = text.rsplit_once('-') else {
        return text
            .parse()
            .map(|a| vec![a])
            .map_err(|_| format!("{text:?} is not an IP address"));
    };
    let start: IpAddr = base
        .parse()
        .map_err(|_| format!("{base:?} is not an IP address"))?;
    let (first, end) = match start {
        IpAddr::V4(v4) => {
            let first = u32::from(v4);
            let end = last
                .parse::<u8>()
                .map_err(|_| format!("{last:?} is not an octet"))?;
            (first, (first & !0xff) | u32::from(end))
        }
        IpAddr::V6(_) => {
            let end = u16::from_str_radix(last, 16)
                .map_err(|_| format!("{last:?} is not a hex group"))?;
            let IpAddr::V6(v6) = start else {
                unreachable!()
            };
            let segments = v6.segments();
            let first = u32::from(segments[7]);
            let range = first..=u32::from(end);
            if range.is_empty() || u32::from(end) - first + 1 > MAX_RANGE {
                return Err(format!(
                    "range {text:?} runs backwards or is longer than {MAX_RANGE}"
                ));
            }
            return Ok(range
                .map(|g| {
                    let mut s = segments;
                    s[7] = g as u16;
                    IpAddr::V6(Ipv6Addr::from(s))
                })
                .collect());
        }
    };
    if end < first || end - first + 1 > MAX_RANGE {
        return Err(format!(
            "range {text:?} runs backwards or is longer than {MAX_RANGE}"
        ));
    }
    Ok((first..=end)
        .map(|v| IpAddr::V4(Ipv4Addr::from(v)))
        .collect())
}

/// Read one `virtual_server_group` block.
pub fn group(reader: &mut Reader, node: &Node, groups: &mut Groups) {
    let Some(name) = reader.value(node).map(|t| t.text.clone()) else {
        return;
    };
    let mut entries = Vec::new();
    for item in reader.block(node) {
        if item.keyword.text == "fwmark" {
            reader.warn(
                &item.keyword.at,
                "a firewall-mark entry needs fwmark services, which director cannot configure yet; skipped"
                    .into(),
            );
            continue;
        }
        let ips = match addresses(&item.keyword.text) {
            Ok(ips) => ips,
            Err(why) => {
                reader.error(&item.keyword.at, why);
                continue;
            }
        };
        let Some(port) = item.args.first() else {
            reader.error(
                &item.keyword.at,
                format!("group entry {:?} needs a port", item.keyword.text),
            );
            continue;
        };
        match port
            .text
            .parse::<i64>()
            .map_err(|_| format!("port {:?} is not a number", port.text))
            .and_then(ServicePort::new)
        {
            Ok(port) => entries.extend(ips.into_iter().map(|ip| (ip, port))),
            Err(why) => reader.error(&port.at, why),
        }
    }
    groups.insert(name, entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_expand_on_the_last_octet_or_hex_group() {
        let v4 = addresses("192.0.2.51-53").unwrap();
        assert_eq!(v4.len(), 3);
        assert_eq!(v4[2].to_string(), "192.0.2.53");
        let v6 = addresses("2001:db8::a-c").unwrap();
        assert_eq!(
            v6.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["2001:db8::a", "2001:db8::b", "2001:db8::c"]
        );
        assert_eq!(addresses("192.0.2.50").unwrap().len(), 1);
        assert!(addresses("192.0.2.60-50")
            .unwrap_err()
            .contains("runs backwards"));
        assert!(addresses("192.0.2.1-300")
            .unwrap_err()
            .contains("not an octet"));
    }
}
