//! Port-0 ("all ports") TCP services. IPVS catches every port of a
//! persistent port-0 service in the kernel; a proxy cannot listen on every
//! port, so director asks nftables to hand those connections to one
//! transparent listener with TPROXY, which keeps the port the client asked
//! for as the accepted socket's local address. Ports that have a service of
//! their own on the same address are left to it, as IPVS prefers the more
//! specific service. The rules live in their own table, replaced as a whole
//! when the plane starts and deleted when it stops.

use std::net::IpAddr;

/// The nftables table director owns.
pub const TABLE: &str = "director_all_ports";

/// One port-0 service's redirection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The virtual address.
    pub address: IpAddr,
    /// The port of the transparent listener serving it.
    pub listener_port: u16,
    /// Ports of this address that belong to other TCP services.
    pub excluded: Vec<u16>,
}

/// The nftables script that installs `redirects` (replacing any earlier table).
pub fn ruleset(redirects: &[Redirect]) -> String {
    let mut rules = String::new();
    for r in redirects {
        let (family, address) = match r.address {
            IpAddr::V4(a) => ("ip", a.to_string()),
            IpAddr::V6(a) => ("ip6", format!("[{a}]")),
        };
        let ports = if r.excluded.is_empty() {
            "meta l4proto tcp".to_string()
        } else {
            let list: Vec<String> = r.excluded.iter().map(u16::to_string).collect();
            format!("tcp dport != {{ {} }}", list.join(", "))
        };
        rules.push_str(&format!(
            "        {family} daddr {} {ports} tproxy {family} to {address}:{} accept\n",
            r.address, r.listener_port
        ));
    }
    crate::nft::replace_table(
        TABLE,
        &format!("    chain prerouting {{\n        type filter hook prerouting priority mangle; policy accept;\n{rules}    }}\n"),
    )
}

/// The installed redirections; deleted on drop.
#[derive(Debug)]
pub struct AllPorts;

impl AllPorts {
    /// Install `redirects`.
    pub fn install(redirects: &[Redirect]) -> Result<AllPorts, String> {
        crate::nft::apply(&ruleset(redirects), "port-0 rules")?;
        Ok(AllPorts)
    }
}

impl Drop for AllPorts {
    fn drop(&mut self) {
        let _ = crate::nft::apply(&format!("delete table inet {TABLE}\n"), "port-0 rules");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_leave_specific_services_alone_and_keep_the_family() {
        let script = ruleset(&[
            Redirect {
                address: "192.0.2.100".parse().unwrap(),
                listener_port: 40000,
                excluded: vec![80, 443],
            },
            Redirect {
                address: "2001:db8::100".parse().unwrap(),
                listener_port: 40001,
                excluded: Vec::new(),
            },
        ]);
        assert!(script.contains(
            "ip daddr 192.0.2.100 tcp dport != { 80, 443 } tproxy ip to 192.0.2.100:40000 accept"
        ));
        assert!(script.contains(
            "ip6 daddr 2001:db8::100 meta l4proto tcp tproxy ip6 to [2001:db8::100]:40001 accept"
        ));
        assert!(script.starts_with(
            "table inet director_all_ports {}\ndelete table inet director_all_ports\n"
        ));
    }
}
