//! Carrying out the virtual-server side of a reload on the engine state.
//! Operator overrides stay: a drained server stays drained, a weight the
//! operator set is kept over the file's, and a server an operator added
//! stays unless the file now names it.

use std::net::SocketAddr;

use super::services::{ServerChange, ServiceKey, ServiceStep};
use crate::config::{RealServer, VirtualServer};
use crate::engine::state::{EngineState, ServerRuntime, ServiceRuntime};
use crate::ids::ServerId;

/// What applying the service steps did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// In words, one entry per kind of change, for the reply and the journal.
    pub summary: Vec<String>,
    /// Real servers whose checkers must start (again).
    pub start_checks: Vec<ServerId>,
    /// Real servers whose checkers must stop: they are gone.
    pub stop_checks: Vec<ServerId>,
}

#[derive(Default)]
struct Counts {
    services_added: usize,
    services_removed: usize,
    services_changed: usize,
    servers_added: usize,
    servers_removed: usize,
    servers_changed: usize,
    checks_restarted: usize,
}

fn address(real: &RealServer) -> SocketAddr {
    SocketAddr::new(real.address, real.port.0)
}

impl EngineState {
    fn service_with_key(&self, key: ServiceKey) -> Option<usize> {
        self.services
            .iter()
            .position(|s| ServiceKey::of(&s.config) == key)
    }

    /// Carry out the service steps of a reload.
    pub fn apply_service_steps(&mut self, steps: Vec<ServiceStep>) -> Applied {
        let mut applied = Applied::default();
        let mut counts = Counts::default();
        for step in steps {
            match step {
                ServiceStep::Add(config) => {
                    let fresh = ServiceRuntime::new(config);
                    applied
                        .start_checks
                        .extend(fresh.servers.iter().map(|r| r.id));
                    self.services.push(fresh);
                    counts.services_added += 1;
                }
                ServiceStep::Remove(key) => {
                    let Some(index) = self.service_with_key(key) else {
                        continue;
                    };
                    let gone = self.services.remove(index);
                    counts.services_removed += 1;
                    applied
                        .stop_checks
                        .extend(gone.servers.iter().map(|r| r.id));
                }
                ServiceStep::Update { config, servers } => {
                    let Some(index) = self.service_with_key(ServiceKey::of(&config)) else {
                        continue;
                    };
                    let service = &mut self.services[index];
                    if (service.config.quorum, service.config.hysteresis)
                        != (config.quorum, config.hysteresis)
                    {
                        service.quorum =
                            crate::check::quorum::Quorum::new(config.quorum, config.hysteresis);
                    }
                    if service.config.without_servers() != config.without_servers() {
                        counts.services_changed += 1;
                    }
                    for change in servers {
                        update_server(service, &config, change, &mut applied, &mut counts);
                    }
                    service.config = config;
                }
            }
        }
        self.reindex();
        applied.summary = summary(&counts);
        applied
    }
}

fn update_server(
    service: &mut ServiceRuntime,
    config: &VirtualServer,
    change: ServerChange,
    applied: &mut Applied,
    counts: &mut Counts,
) {
    match change {
        ServerChange::Add(real) => {
            let starts_down = real.starts_down(config);
            let at = address(&real);
            match service.servers.iter_mut().find(|r| r.address() == at) {
                // An operator added it before the file named it.
                Some(was) => {
                    was.config = real;
                    was.reset_checkers(config);
                    applied.start_checks.push(was.id);
                }
                None => {
                    let fresh = ServerRuntime::new(real, starts_down);
                    applied.start_checks.push(fresh.id);
                    service.servers.push(fresh);
                }
            }
            counts.servers_added += 1;
        }
        ServerChange::Remove(at) => {
            if let Some(slot) = service.servers.iter().position(|r| r.address() == at) {
                let gone = service.servers.remove(slot);
                applied.stop_checks.push(gone.id);
                counts.servers_removed += 1;
            }
        }
        ServerChange::Update {
            config: real,
            restart_checks,
        } => {
            // Absent when an operator removed it: it stays removed.
            let Some(server) = service
                .servers
                .iter_mut()
                .find(|r| r.address() == address(&real))
            else {
                return;
            };
            let operator_set = server.weight != server.config.weight.0;
            if !operator_set {
                server.weight = real.weight.0;
            }
            server.config = real;
            counts.servers_changed += 1;
            if restart_checks {
                server.reset_checkers(config);
                counts.checks_restarted += 1;
                applied.start_checks.push(server.id);
            }
        }
    }
}

fn summary(counts: &Counts) -> Vec<String> {
    super::counted(&[
        (counts.services_added, "virtual service(s) added"),
        (counts.services_removed, "virtual service(s) removed"),
        (counts.services_changed, "virtual service(s) changed"),
        (counts.servers_added, "real server(s) added"),
        (counts.servers_removed, "real server(s) removed"),
        (counts.servers_changed, "real server(s) changed"),
        (counts.checks_restarted, "real server(s) with new checks"),
    ])
}
