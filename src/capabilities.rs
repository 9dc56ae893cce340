//! Whether this process holds the capabilities a director needs, read from
//! /proc/self/status (CapEff), so that a missing one is reported up front
//! with its name and a distinct exit code instead of a failing socket call.

/// `CAP_NET_ADMIN`: addresses, links, IPVS, nftables.
pub const NET_ADMIN: u32 = 12;
/// `CAP_NET_RAW`: VRRP, ARP and ICMP sockets.
pub const NET_RAW: u32 = 13;

/// The effective capability set, as a bit mask.
pub fn effective() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("CapEff:"))?;
    u64::from_str_radix(line.split_whitespace().nth(1)?, 16).ok()
}

/// The names of the capabilities in `needed` that `mask` lacks.
pub fn missing(mask: u64, needed: &[(u32, &'static str)]) -> Vec<&'static str> {
    needed
        .iter()
        .filter(|(bit, _)| mask & (1 << bit) == 0)
        .map(|(_, name)| *name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_capabilities_are_named() {
        let needed = [(NET_ADMIN, "CAP_NET_ADMIN"), (NET_RAW, "CAP_NET_RAW")];
        assert_eq!(missing(1 << NET_RAW, &needed), ["CAP_NET_ADMIN"]);
        assert!(missing(u64::MAX, &needed).is_empty());
        assert!(effective().is_some(), "Linux reports CapEff");
    }
}
