//! RFC 5798 Accept_Mode off: a master that is not the address owner does
//! not accept packets addressed to its virtual addresses. director drops
//! them in its own nftables table, ahead of IPVS and of local sockets; ARP
//! and IPv6 neighbour discovery still answer, so the addresses stay
//! reachable at layer 2 for the peers and the routers. A router that does
//! not hold an address receives nothing for it anyway, so the rules stand
//! whatever the state.

use std::net::IpAddr;

use crate::config::Config;

/// The nftables table director owns for accept mode.
pub const TABLE: &str = "director_accept";

/// The addresses whose packets are dropped: every virtual address of an
/// instance with `accept_mode = false` that is not the address owner.
pub fn dropped(config: &Config) -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = config
        .vrrp_instances
        .iter()
        .filter(|i| !i.accept_mode && i.priority.0 != 255)
        .flat_map(|i| {
            i.virtual_ipaddress
                .iter()
                .chain(&i.virtual_ipaddress_excluded)
        })
        .map(|v| v.address)
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

/// The script that makes the table drop exactly `addresses` (and removes
/// it when there are none).
pub fn ruleset(addresses: &[IpAddr]) -> String {
    let list = |v6: bool| {
        addresses
            .iter()
            .filter(|a| a.is_ipv6() == v6)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (v4, v6) = (list(false), list(true));
    let mut rules = String::new();
    if !v4.is_empty() {
        rules.push_str(&format!("        ip daddr {{ {v4} }} drop\n"));
    }
    if !v6.is_empty() {
        rules.push_str(&format!(
            "        ip6 daddr {{ {v6} }} icmpv6 type != {{ nd-neighbor-solicit, nd-neighbor-advert }} drop\n"
        ));
    }
    let body = if rules.is_empty() {
        String::new()
    } else {
        format!("    chain input {{\n        type filter hook input priority filter; policy accept;\n{rules}    }}\n")
    };
    crate::nft::replace_table(TABLE, &body)
}

/// The installed rules; removed on drop.
#[derive(Debug)]
pub struct AcceptRules {
    installed: Vec<IpAddr>,
}

impl AcceptRules {
    /// Install the rules `config` asks for (none: nothing runs).
    pub fn install(config: &Config) -> Result<AcceptRules, String> {
        let mut rules = AcceptRules {
            installed: Vec::new(),
        };
        rules.update(config)?;
        Ok(rules)
    }

    /// Follow a new configuration (a reload); unchanged rules are left be.
    pub fn update(&mut self, config: &Config) -> Result<(), String> {
        let wanted = dropped(config);
        if wanted == self.installed {
            return Ok(());
        }
        crate::host_guard::check(format_args!("install nftables accept-mode rules"));
        crate::nft::apply(&ruleset(&wanted), "accept-mode rules")?;
        self.installed = wanted;
        Ok(())
    }
}

impl Drop for AcceptRules {
    fn drop(&mut self) {
        if !self.installed.is_empty() {
            let _ = crate::nft::apply(&ruleset(&[]), "accept-mode rules");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_non_owners_with_accept_mode_off_drop_and_nd_still_answers() {
        let config = crate::config::parse_str(
            "t.toml",
            r#"
[[vrrp_instance]]
name = "strict"
interface = "eth0"
virtual_router_id = 1
priority = 100
accept_mode = false
virtual_ipaddress = ["192.0.2.50"]
[[vrrp_instance]]
name = "strict6"
interface = "eth0"
virtual_router_id = 4
priority = 100
accept_mode = false
virtual_ipaddress = ["2001:db8::50"]
[[vrrp_instance]]
name = "owner"
interface = "eth0"
virtual_router_id = 2
priority = 255
accept_mode = false
virtual_ipaddress = ["192.0.2.60"]
[[vrrp_instance]]
name = "default"
interface = "eth0"
virtual_router_id = 3
priority = 100
virtual_ipaddress = ["192.0.2.70"]
"#,
        )
        .unwrap();
        let addresses = dropped(&config);
        assert_eq!(
            addresses,
            [
                "192.0.2.50".parse::<IpAddr>().unwrap(),
                "2001:db8::50".parse().unwrap()
            ]
        );
        let script = ruleset(&addresses);
        assert!(script.contains("ip daddr { 192.0.2.50 } drop"), "{script}");
        assert!(script.contains(
            "ip6 daddr { 2001:db8::50 } icmpv6 type != { nd-neighbor-solicit, nd-neighbor-advert } drop"
        ));
        assert_eq!(
            ruleset(&[]),
            "table inet director_accept {}\ndelete table inet director_accept\n"
        );
    }
}
