//! keepalived's `ha_suspend`: a service's health checks run only while its
//! virtual address is on this host (the VRRP master's). The address
//! watcher reports presence; the state decides which services' checks
//! stop or resume, and the engine stops or starts their checkers. While
//! suspended, servers keep the health they had.

use std::net::IpAddr;

use super::journal::EventKind;
use super::run_loop::Engine;
use super::state::EngineState;

impl EngineState {
    /// Note whether `address` is on this host now.
    pub fn set_address_present(&mut self, address: IpAddr, present: bool) {
        if present {
            self.local_addresses.insert(address);
        } else {
            self.local_addresses.remove(&address);
        }
    }

    /// Bring every service's suspension in line with its `ha_suspend` and
    /// where its address is; journal each change and return the
    /// (service, suspended now) pairs that changed.
    pub fn update_suspensions(&mut self) -> Vec<(usize, bool)> {
        let mut changed = Vec::new();
        for (index, service) in self.services.iter_mut().enumerate() {
            let address = service.config.address;
            let suspend = service.config.ha_suspend && !self.local_addresses.contains(&address);
            if suspend == service.checks_suspended {
                continue;
            }
            service.checks_suspended = suspend;
            let name = service.config.display_name();
            let text = match (suspend, service.config.ha_suspend) {
                (true, _) => {
                    format!("{name}: health checks suspended: {address} is not on this host (ha_suspend)")
                }
                (false, true) => format!("{name}: health checks resume: {address} is on this host"),
                (false, false) => format!("{name}: health checks resume: ha_suspend is off"),
            };
            self.journal.record(EventKind::Health, text);
            changed.push((index, suspend));
        }
        changed
    }
}

impl Engine {
    /// Stop or start the checkers of every service whose suspension changed.
    pub(super) fn apply_suspensions(&mut self) {
        for (service, suspended) in self.state.update_suspensions() {
            let servers: Vec<_> = self.state.services[service]
                .servers
                .iter()
                .map(|r| r.id)
                .collect();
            for id in servers {
                if suspended {
                    self.stop_checkers(id);
                } else {
                    self.start_checkers(id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use crate::config::parse_str;
    use crate::engine::state::EngineState;

    const CONFIG: &str = "[[virtual_server]]\nname = \"web\"\naddress = \"192.0.2.100\"\nport = 80\nha_suspend = true\n[[virtual_server.real_server]]\naddress = \"192.0.2.11\"\nport = 80\n[[virtual_server]]\nname = \"dns\"\naddress = \"192.0.2.101\"\nport = 53\nprotocol = \"udp\"\n[[virtual_server.real_server]]\naddress = \"192.0.2.11\"\nport = 53\n";

    #[test]
    fn checks_run_only_while_the_address_is_here() {
        let config = parse_str("t.toml", CONFIG).unwrap();
        let mut s = EngineState::new(&config, "d1".into(), &[], crate::engine::clock::Now::read());
        let vip = Ipv4Addr::new(192, 0, 2, 100).into();
        assert!(s.services[0].checks_suspended, "suspended until seen");
        assert!(!s.services[1].checks_suspended, "no ha_suspend");
        assert!(s.update_suspensions().is_empty(), "nothing changed yet");
        s.set_address_present(vip, true);
        assert_eq!(s.update_suspensions(), [(0, false)]);
        assert!(s.snapshot().services.iter().all(|v| !v.checks_suspended));
        s.set_address_present(Ipv4Addr::new(192, 0, 2, 101).into(), false);
        assert!(s.update_suspensions().is_empty(), "another address");
        s.set_address_present(vip, false);
        assert_eq!(s.update_suspensions(), [(0, true)]);
        assert!(s.snapshot().services[0].checks_suspended);
        let last = s.journal.events().last().unwrap().text.clone();
        assert_eq!(
            last,
            "web: health checks suspended: 192.0.2.100 is not on this host (ha_suspend)"
        );
    }
}
