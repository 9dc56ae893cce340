//! Reloading the configuration: what changed between the running
//! configuration and the new one, and whether it can be applied in place.
//! Pure. Today a reload changes real servers (added, removed, weights,
//! thresholds, notify scripts, inhibit); anything else is refused as a
//! whole with a list of what would need a restart, and nothing is touched.

use std::net::SocketAddr;

use crate::config::{Config, RealServer, VirtualServer};

/// One change to a real server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerChange {
    /// A new real server in service `service`.
    Add(usize, RealServer),
    /// A real server the new configuration no longer has.
    Remove(usize, SocketAddr),
    /// A real server whose weight, thresholds, notify scripts or inhibit
    /// setting changed.
    Update(usize, RealServer),
}

fn address(real: &RealServer) -> SocketAddr {
    SocketAddr::new(real.address, real.port.0)
}

fn without_servers(service: &VirtualServer) -> VirtualServer {
    VirtualServer {
        real_servers: Vec::new(),
        ..service.clone()
    }
}

/// The fields a reload may change in place, cleared.
fn checked_part(real: &RealServer) -> RealServer {
    RealServer {
        name: None,
        weight: crate::config::values::Weight(0),
        uthreshold: 0,
        lthreshold: 0,
        inhibit_on_failure: false,
        notify_up: None,
        notify_down: None,
        ..real.clone()
    }
}

/// The changes from `old` to `new`, or what keeps them from being applied
/// without a restart.
pub fn plan(old: &Config, new: &Config) -> Result<Vec<ServerChange>, Vec<String>> {
    let mut blocked = Vec::new();
    let sections: [(&str, bool); 6] = [
        ("[global]", old.global != new.global),
        (
            "the VRRP instances",
            old.vrrp_instances != new.vrrp_instances,
        ),
        (
            "the vrrp_script blocks",
            old.vrrp_scripts != new.vrrp_scripts,
        ),
        (
            "the vrrp_track_file blocks",
            old.vrrp_track_files != new.vrrp_track_files,
        ),
        (
            "the sync groups",
            old.vrrp_sync_groups != new.vrrp_sync_groups,
        ),
        (
            "the list of virtual services",
            old.virtual_servers.len() != new.virtual_servers.len()
                || old
                    .virtual_servers
                    .iter()
                    .zip(&new.virtual_servers)
                    .any(|(a, b)| {
                        (a.address, a.port, a.protocol) != (b.address, b.port, b.protocol)
                    }),
        ),
    ];
    blocked.extend(
        sections
            .iter()
            .filter(|(_, changed)| *changed)
            .map(|(what, _)| what.to_string()),
    );
    if !blocked.is_empty() {
        return Err(blocked);
    }
    let mut changes = Vec::new();
    for (index, (before, after)) in old
        .virtual_servers
        .iter()
        .zip(&new.virtual_servers)
        .enumerate()
    {
        let name = after.display_name();
        if without_servers(before) != without_servers(after) {
            blocked.push(format!("the settings of virtual service {name}"));
            continue;
        }
        for real in &before.real_servers {
            if !after
                .real_servers
                .iter()
                .any(|r| address(r) == address(real))
            {
                changes.push(ServerChange::Remove(index, address(real)));
            }
        }
        for real in &after.real_servers {
            match before
                .real_servers
                .iter()
                .find(|r| address(r) == address(real))
            {
                None => changes.push(ServerChange::Add(index, real.clone())),
                Some(was) if was == real => {}
                Some(was) if checked_part(was) == checked_part(real) => {
                    changes.push(ServerChange::Update(index, real.clone()))
                }
                Some(_) => blocked.push(format!(
                    "the checks of {name}/{} (remove and add the server to change them)",
                    real.display_name()
                )),
            }
        }
    }
    if blocked.is_empty() {
        Ok(changes)
    } else {
        Err(blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_str;

    const BASE: &str = r#"
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 150
virtual_ipaddress = ["192.0.2.50"]
[[virtual_server]]
name = "web"
address = "192.0.2.50"
port = 80
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.21"
port = 80
[virtual_server.real_server.tcp_check]
[[virtual_server.real_server]]
name = "rs2"
address = "192.0.2.22"
port = 80
"#;

    fn config(text: &str) -> Config {
        parse_str("t.toml", text).unwrap()
    }

    #[test]
    fn an_unchanged_configuration_plans_nothing() {
        assert_eq!(plan(&config(BASE), &config(BASE)), Ok(vec![]));
    }

    #[test]
    fn real_servers_are_added_removed_and_reweighted_in_place() {
        let new = BASE
            .replace(
                "name = \"rs2\"\naddress = \"192.0.2.22\"",
                "name = \"rs3\"\naddress = \"192.0.2.23\"",
            )
            .replace(
                "port = 80\n[virtual_server.real_server.tcp_check]",
                "port = 80\nweight = 4\n[virtual_server.real_server.tcp_check]",
            );
        let changes = plan(&config(BASE), &config(&new)).unwrap();
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert!(
            matches!(&changes[0], ServerChange::Remove(0, a) if a.to_string() == "192.0.2.22:80")
        );
        assert!(matches!(&changes[1], ServerChange::Update(0, r) if r.weight.0 == 4));
        assert!(
            matches!(&changes[2], ServerChange::Add(0, r) if r.address.to_string() == "192.0.2.23")
        );
    }

    #[test]
    fn what_needs_a_restart_is_named_and_nothing_is_planned() {
        let new = BASE
            .replace("priority = 150", "priority = 140")
            .replace("port = 80\n[[", "port = 80\nscheduler = \"rr\"\n[[");
        let blocked = plan(&config(BASE), &config(&new)).unwrap_err();
        assert_eq!(blocked, ["the VRRP instances"]);
        let checks = BASE.replace(
            "[virtual_server.real_server.tcp_check]",
            "[virtual_server.real_server.tcp_check]\nretry = 5",
        );
        let blocked = plan(&config(BASE), &config(&checks)).unwrap_err();
        assert!(
            blocked[0].starts_with("the checks of web/rs1"),
            "{blocked:?}"
        );
    }
}

/// What applying a reload did.
#[derive(Debug, Default)]
pub struct Applied {
    /// In words, for the reply and the journal.
    pub summary: String,
    /// (service, server) whose checkers must start.
    pub start_checks: Vec<(usize, usize)>,
}

impl crate::engine::state::EngineState {
    /// Carry out `changes` and adopt `new` as the configuration. Operator
    /// overrides stay: a drained server stays drained, and a weight the
    /// operator set is kept over the file's.
    pub fn apply_reload(&mut self, new: &Config, changes: Vec<ServerChange>) -> Applied {
        use crate::engine::state::ServerRuntime;
        let mut applied = Applied::default();
        let (mut added, mut removed, mut updated) = (0, 0, 0);
        for change in changes {
            match change {
                ServerChange::Add(s, real) => {
                    let service = &mut self.services[s];
                    let at = address(&real);
                    let starts_down = real.starts_down(&new.virtual_servers[s]);
                    if let Some(j) = service.servers.iter().position(|r| r.address() == at) {
                        // Back after an operator's or an earlier reload's removal.
                        service.servers[j].removed = false;
                        service.servers[j].config = real;
                    } else {
                        service.servers.push(ServerRuntime::new(real, starts_down));
                        applied.start_checks.push((s, service.servers.len() - 1));
                    }
                    added += 1;
                }
                ServerChange::Remove(s, at) => {
                    if let Some(r) = self.services[s]
                        .servers
                        .iter_mut()
                        .find(|r| r.address() == at)
                    {
                        r.removed = true;
                        removed += 1;
                    }
                }
                ServerChange::Update(s, real) => {
                    if let Some(r) = self.services[s]
                        .servers
                        .iter_mut()
                        .find(|r| r.address() == address(&real))
                    {
                        let operator_set = r.weight != r.config.weight.0;
                        if !operator_set {
                            r.weight = real.weight.0;
                        }
                        r.config = real;
                        updated += 1;
                    }
                }
            }
        }
        for (service, config) in self.services.iter_mut().zip(&new.virtual_servers) {
            service.config = config.clone();
        }
        applied.summary = if added + removed + updated == 0 {
            "nothing to change".into()
        } else {
            format!("{added} real server(s) added, {removed} removed, {updated} changed")
        };
        applied
    }
}
