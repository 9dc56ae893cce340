//! keepalived's virtual address syntax:
//! `ADDRESS[/PREFIX] [dev IFACE] [label LABEL] [scope SCOPE] [brd BROADCAST]`.

use std::fmt;
use std::net::IpAddr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// One virtual address and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualAddress {
    /// The address.
    pub address: IpAddr,
    /// Prefix length; keepalived's default is the host prefix (/32, /128).
    pub prefix: u8,
    /// Interface to add it to; the instance's interface when absent.
    pub dev: Option<String>,
    /// IPv4 address label (e.g. `eth0:vip`), at most 15 bytes.
    pub label: Option<String>,
}

impl VirtualAddress {
    /// Parse keepalived's syntax.
    pub fn parse(text: &str) -> Result<VirtualAddress, String> {
        let mut words = text.split_whitespace();
        let first = words.next().ok_or("empty virtual address")?;
        let (address, prefix) = match first.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (first, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("{address:?} is not an IP address"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("prefix {p:?} must be 0..={max}"))?,
        };
        let mut vip = VirtualAddress {
            address,
            prefix,
            dev: None,
            label: None,
        };
        while let Some(word) = words.next() {
            let mut value = || {
                words
                    .next()
                    .ok_or_else(|| format!("`{word}` needs a value"))
            };
            match word {
                "dev" => vip.dev = Some(value()?.to_string()),
                "label" => {
                    let label = value()?;
                    if label.len() > 15 || address.is_ipv6() {
                        return Err(format!(
                            "label {label:?} must be at most 15 bytes, IPv4 only"
                        ));
                    }
                    vip.label = Some(label.to_string());
                }
                // Accepted for compatibility; the kernel's defaults are used.
                "scope" | "brd" | "broadcast" => {
                    value()?;
                }
                other => {
                    return Err(format!(
                    "unknown virtual address option `{other}` (expected dev, label, scope or brd)"
                ))
                }
            }
        }
        Ok(vip)
    }
}

impl fmt::Display for VirtualAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.address.is_ipv4() { 32 } else { 128 };
        write!(f, "{}", self.address)?;
        if self.prefix != host {
            write!(f, "/{}", self.prefix)?;
        }
        if let Some(dev) = &self.dev {
            write!(f, " dev {dev}")?;
        }
        if let Some(label) = &self.label {
            write!(f, " label {label}")?;
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for VirtualAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        VirtualAddress::parse(&text).map_err(de::Error::custom)
    }
}

impl Serialize for VirtualAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keepalived_forms() {
        let plain = VirtualAddress::parse("192.0.2.50").unwrap();
        assert_eq!((plain.prefix, plain.dev.as_deref()), (32, None));
        let full = VirtualAddress::parse("192.0.2.50/24 dev eth1 label eth1:vip").unwrap();
        assert_eq!(full.prefix, 24);
        assert_eq!(full.dev.as_deref(), Some("eth1"));
        assert_eq!(full.label.as_deref(), Some("eth1:vip"));
        assert_eq!(full.to_string(), "192.0.2.50/24 dev eth1 label eth1:vip");
        let v6 = VirtualAddress::parse("2001:db8::50/64").unwrap();
        assert_eq!(v6.prefix, 64);
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            VirtualAddress::parse("192.0.2.300").unwrap_err(),
            "\"192.0.2.300\" is not an IP address"
        );
        assert_eq!(
            VirtualAddress::parse("192.0.2.5/33").unwrap_err(),
            "prefix \"33\" must be 0..=32"
        );
        assert_eq!(
            VirtualAddress::parse("192.0.2.5 dev").unwrap_err(),
            "`dev` needs a value"
        );
        assert!(VirtualAddress::parse("192.0.2.5 mtu 9000")
            .unwrap_err()
            .contains("unknown virtual address option `mtu`"));
    }
}
