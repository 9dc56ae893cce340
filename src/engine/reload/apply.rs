//! Carrying out the virtual-server side of a reload on the engine state.
//! Operator overrides stay: a drained server stays drained, a weight the
//! operator set is kept over the file's, and a server an operator added
//! stays unless the file now names it.

use std::net::SocketAddr;

use super::services::{ServerChange, ServiceKey, ServiceStep};
use crate::config::{RealServer, VirtualServer};
use crate::engine::state::{EngineState, ServerRuntime, ServiceRuntime};

/// What applying the service steps did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// In words, one entry per kind of change, for the reply and the journal.
    pub summary: Vec<String>,
    /// (service, server) whose checkers must start (again).
    pub start_checks: Vec<(usize, usize)>,
    /// (service, server) whose checkers must stop.
    pub stop_checks: Vec<(usize, usize)>,
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
                    let index = self.add_service(config);
                    counts.services_added += 1;
                    for server in 0..self.services[index].servers.len() {
                        applied.start_checks.push((index, server));
                    }
                }
                ServiceStep::Remove(key) => {
                    let Some(index) = self
                        .service_with_key(key)
                        .filter(|i| !self.services[*i].removed)
                    else {
                        continue;
                    };
                    self.services[index].removed = true;
                    counts.services_removed += 1;
                    for server in 0..self.services[index].servers.len() {
                        applied.stop_checks.push((index, server));
                    }
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
                        update_server(service, index, &config, change, &mut applied, &mut counts);
                    }
                    service.config = config;
                }
            }
        }
        applied.summary = summary(&counts);
        applied
    }

    /// A new service (or one back after an earlier reload removed it, in
    /// its old place); returns its index.
    fn add_service(&mut self, config: VirtualServer) -> usize {
        let fresh = ServiceRuntime::new(config.clone());
        match self.service_with_key(ServiceKey::of(&config)) {
            Some(index) => {
                self.services[index] = fresh;
                index
            }
            None => {
                self.services.push(fresh);
                self.services.len() - 1
            }
        }
    }
}

fn update_server(
    service: &mut ServiceRuntime,
    index: usize,
    config: &VirtualServer,
    change: ServerChange,
    applied: &mut Applied,
    counts: &mut Counts,
) {
    match change {
        ServerChange::Add(real) => {
            let starts_down = real.starts_down(config);
            let at = address(&real);
            let slot = match service.servers.iter().position(|r| r.address() == at) {
                // An operator added it, or an operator or earlier reload removed it.
                Some(slot) => {
                    let was = &mut service.servers[slot];
                    if was.removed {
                        *was = ServerRuntime::new(real, starts_down);
                    } else {
                        was.config = real;
                        was.reset_checkers(config);
                    }
                    slot
                }
                None => {
                    service.servers.push(ServerRuntime::new(real, starts_down));
                    service.servers.len() - 1
                }
            };
            applied.start_checks.push((index, slot));
            counts.servers_added += 1;
        }
        ServerChange::Remove(at) => {
            if let Some(slot) = service
                .servers
                .iter()
                .position(|r| r.address() == at && !r.removed)
            {
                service.servers[slot].removed = true;
                applied.stop_checks.push((index, slot));
                counts.servers_removed += 1;
            }
        }
        ServerChange::Update {
            config: real,
            restart_checks,
        } => {
            let Some(slot) = service
                .servers
                .iter()
                .position(|r| r.address() == address(&real))
            else {
                return;
            };
            let server = &mut service.servers[slot];
            let operator_set = server.weight != server.config.weight.0;
            if !operator_set {
                server.weight = real.weight.0;
            }
            server.config = real;
            counts.servers_changed += 1;
            if restart_checks {
                server.reset_checkers(config);
                counts.checks_restarted += 1;
                if !server.removed {
                    applied.start_checks.push((index, slot));
                }
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
