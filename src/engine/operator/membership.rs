//! Adding and removing real servers at run time.

use crate::config::default_check;
use std::net::{IpAddr, SocketAddr};

use super::Effects;
use crate::config::values::{ServicePort, Weight};
use crate::config::{Forwarding, HttpGet, HttpUrl, RealServer};
use crate::engine::command::AddCheck;
use crate::engine::state::{EngineState, ServerRuntime};

/// What an operator asks for when adding a real server.
#[derive(Debug)]
pub(in crate::engine) struct NewServer {
    /// Its address.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
    /// Its weight.
    pub weight: u32,
    /// A name for the console.
    pub name: Option<String>,
    /// How the kernel plane forwards to it.
    pub forwarding: Forwarding,
    /// A check to run on it.
    pub check: Option<AddCheck>,
}

impl EngineState {
    /// Add `address:port` to `service`; a configured server an operator
    /// removed comes back as configured, checks included, with the new
    /// weight.
    pub(in crate::engine) fn add_server(
        &mut self,
        service: &str,
        new: NewServer,
    ) -> Result<(String, Effects), String> {
        let NewServer {
            address,
            port,
            weight,
            name,
            forwarding,
            check,
        } = new;
        let weight = Weight::new(i64::from(weight))?;
        let port = ServicePort::new(i64::from(port))?;
        let index = self.service_index(service)?;
        let vs = &mut self.services[index];
        if address.is_ipv4() != vs.config.address.is_ipv4() {
            return Err(format!(
                "{address} is not of {}'s address family",
                vs.config.display_name()
            ));
        }
        let target = SocketAddr::new(address, port.0);
        let service_name = vs.config.display_name();
        if let Some(existing) = vs.servers.iter().find(|r| r.address() == target) {
            return Err(format!(
                "{service_name} already has {}",
                existing.config.display_name()
            ));
        }
        let configured = vs
            .config
            .real_servers
            .iter()
            .find(|r| SocketAddr::new(r.address, r.port.0) == target);
        let back = configured.is_some();
        let mut config = match configured {
            Some(configured) if check.is_some() && configured.checker_count() > 0 => {
                return Err(format!(
                    "{service_name}/{} comes back with the checks it had; add it without a check",
                    configured.display_name()
                ));
            }
            Some(configured) => configured.clone(),
            None => RealServer::new(address, port, weight),
        };
        config.forwarding = Some(forwarding);
        if name.is_some() {
            config.name = name;
        }
        if let Some(check) = &check {
            attach_check(&mut config, check);
        }
        let starts_down = config.starts_down(&vs.config);
        let mut server = ServerRuntime::new(config, starts_down);
        server.weight = weight.0;
        let message = format!(
            "{service_name}/{}: {} with weight {}{}",
            server.config.display_name(),
            if back { "added back" } else { "added" },
            weight.0,
            if back && check.is_none() && server.config.checker_count() > 0 {
                ", checked as configured".to_string()
            } else {
                check_words(check.as_ref())
            }
        );
        let mut effects = table_changed();
        if server.config.checker_count() > 0 {
            effects.start_checks = Some(server.id);
        }
        vs.servers.push(server);
        self.reindex();
        Ok((message, effects))
    }

    /// Take a server out of `service` and stop its checkers; with `force`,
    /// close its connections.
    pub(super) fn remove_server(
        &mut self,
        service: &str,
        server: &str,
        force: bool,
    ) -> Result<(String, Effects), String> {
        let vs = self
            .service_index(service)
            .ok()
            .map(|i| (self.services[i].address(), self.services[i].config.protocol));
        let (name, real) = self.server_mut(service, server)?;
        let (id, dest) = (real.id, real.address());
        if let Some((s, r)) = self.locate(id) {
            self.services[s].servers.remove(r);
        }
        self.reindex();
        let mut effects = table_changed();
        effects.stop_checks = Some(id);
        let message = if force {
            effects.close = vs.map(|(address, protocol)| (address, protocol, dest));
            format!("{name}: removed; its connections are closed")
        } else {
            format!("{name}: removed; established connections finish")
        };
        Ok((message, effects))
    }
}

fn table_changed() -> Effects {
    Effects {
        table_changed: true,
        ..Effects::default()
    }
}

/// Give `config` the check an operator asked for, with keepalived's default timing.
/// The server starts down (`alpha`): it takes traffic only once the check
/// has passed, which is what an operator adding a backend expects.
fn attach_check(config: &mut RealServer, check: &AddCheck) {
    config.alpha = Some(true);
    match check {
        AddCheck::Tcp => config.tcp_check = vec![default_check()],
        AddCheck::Http { path } => {
            config.http_get = vec![HttpGet::with_urls(vec![HttpUrl::at(path)])]
        }
    }
}

/// How the reply describes the check.
fn check_words(check: Option<&AddCheck>) -> String {
    match check {
        Some(check) => format!(", checked by {check}; it takes traffic once the check passes"),
        None => " (no health check)".into(),
    }
}
