//! Planning the virtual-server side of a reload: services and real servers
//! added, removed or changed, and which servers' checkers must restart.

use std::net::SocketAddr;

use crate::config::{Config, Protocol, RealServer, VirtualServer};
use crate::engine::check_specs::server_specs;

/// What identifies a virtual service across reloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceKey {
    /// Virtual address and port.
    pub address: SocketAddr,
    /// TCP or UDP.
    pub protocol: Protocol,
}

impl ServiceKey {
    /// The key of `service`.
    pub fn of(service: &VirtualServer) -> ServiceKey {
        ServiceKey {
            address: SocketAddr::new(service.address, service.port.0),
            protocol: service.protocol,
        }
    }
}

/// One change to a real server of a changed service.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerChange {
    /// A new real server.
    Add(RealServer),
    /// A real server the new configuration no longer has.
    Remove(SocketAddr),
    /// A real server whose settings changed.
    Update {
        /// Its new configuration.
        config: RealServer,
        /// Whether its checkers differ and must start afresh.
        restart_checks: bool,
    },
}

/// What happens to one virtual service.
#[derive(Debug, Clone, PartialEq)]
pub enum ServiceStep {
    /// A new service, with its real servers.
    Add(VirtualServer),
    /// A service the new configuration no longer has.
    Remove(ServiceKey),
    /// A service whose settings or real servers changed.
    Update {
        /// Its new configuration.
        config: VirtualServer,
        /// Its real servers' changes.
        servers: Vec<ServerChange>,
    },
}

fn address(real: &RealServer) -> SocketAddr {
    SocketAddr::new(real.address, real.port.0)
}

/// The steps from `old`'s services to `new`'s. A real server's checkers
/// are compared as they would run (service-level `delay_loop`, `warmup`
/// and `alpha`, and the track files a FILE_CHECK reads, included).
pub fn plan(old: &Config, new: &Config) -> Vec<ServiceStep> {
    let find = |services: &[VirtualServer], key| {
        services.iter().find(|s| ServiceKey::of(s) == key).cloned()
    };
    let mut steps: Vec<ServiceStep> = old
        .virtual_servers
        .iter()
        .map(ServiceKey::of)
        .filter(|key| find(&new.virtual_servers, *key).is_none())
        .map(ServiceStep::Remove)
        .collect();
    for service in &new.virtual_servers {
        let Some(before) = find(&old.virtual_servers, ServiceKey::of(service)) else {
            steps.push(ServiceStep::Add(service.clone()));
            continue;
        };
        if before == *service && old.vrrp_track_files == new.vrrp_track_files {
            continue;
        }
        let servers = server_changes((old, &before), (new, service));
        if before != *service || !servers.is_empty() {
            steps.push(ServiceStep::Update {
                config: service.clone(),
                servers,
            });
        }
    }
    steps
}

fn server_changes(
    (old, before): (&Config, &VirtualServer),
    (new, after): (&Config, &VirtualServer),
) -> Vec<ServerChange> {
    // One identity for both sides: only what the checkers do is compared.
    let id = crate::ids::CheckerId {
        server: crate::ids::ServerId::fresh(),
        run: crate::ids::CheckerRun::fresh(),
        slot: 0,
    };
    let specs = |config: &Config, service, real| {
        server_specs(&config.vrrp_track_files, service, real, |slot| {
            crate::ids::CheckerId { slot, ..id }
        })
    };
    let mut changes: Vec<ServerChange> = before
        .real_servers
        .iter()
        .filter(|real| {
            !after
                .real_servers
                .iter()
                .any(|r| address(r) == address(real))
        })
        .map(|real| ServerChange::Remove(address(real)))
        .collect();
    for real in &after.real_servers {
        match before
            .real_servers
            .iter()
            .find(|r| address(r) == address(real))
        {
            None => changes.push(ServerChange::Add(real.clone())),
            Some(was) => {
                let restart_checks = specs(old, before, was) != specs(new, after, real);
                if was != real || restart_checks {
                    changes.push(ServerChange::Update {
                        config: real.clone(),
                        restart_checks,
                    });
                }
            }
        }
    }
    changes
}
