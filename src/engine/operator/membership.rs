//! Adding and removing real servers at run time.

use std::net::{IpAddr, SocketAddr};

use super::Effects;
use crate::config::values::{ServicePort, Weight};
use crate::config::RealServer;
use crate::engine::state::{EngineState, ServerRuntime};

impl EngineState {
    /// Add `address:port` to `service`, or bring back a removed server at
    /// that address with the new weight.
    pub(super) fn add_server(
        &mut self,
        service: &str,
        address: IpAddr,
        port: u16,
        weight: u32,
        name: Option<String>,
    ) -> Result<(String, Effects), String> {
        let weight = Weight::new(i64::from(weight))?;
        let port = ServicePort::new(i64::from(port))?;
        let index = self
            .services
            .iter()
            .position(|s| s.config.display_name() == service || s.address().to_string() == service)
            .ok_or_else(|| format!("unknown virtual service {service:?}"))?;
        let vs = &mut self.services[index];
        if address.is_ipv4() != vs.config.address.is_ipv4() {
            return Err(format!(
                "{address} is not of {}'s address family",
                vs.config.display_name()
            ));
        }
        let target = SocketAddr::new(address, port.0);
        let service_name = vs.config.display_name();
        if let Some(existing) = vs.servers.iter_mut().find(|r| r.address() == target) {
            if !existing.removed {
                return Err(format!(
                    "{service_name} already has {}",
                    existing.config.display_name()
                ));
            }
            existing.removed = false;
            existing.drained = false;
            existing.weight = weight.0;
            if name.is_some() {
                existing.config.name = name;
            }
            return Ok((
                format!(
                    "{service_name}/{}: added back with weight {}",
                    existing.config.display_name(),
                    weight.0
                ),
                table_changed(),
            ));
        }
        let mut config = RealServer::new(address, port, weight);
        config.name = name;
        let server = ServerRuntime::new(config, false);
        let message = format!(
            "{service_name}/{}: added with weight {} (no health check: add one to the configuration)",
            server.config.display_name(),
            weight.0
        );
        vs.servers.push(server);
        Ok((message, table_changed()))
    }

    /// Take a server out of `service`; with `force`, close its connections.
    pub(super) fn remove_server(
        &mut self,
        service: &str,
        server: &str,
        force: bool,
    ) -> Result<(String, Effects), String> {
        let vs = self
            .services
            .iter()
            .find(|s| s.config.display_name() == service || s.address().to_string() == service)
            .map(|s| (s.address(), s.config.protocol));
        let (name, real) = self.server_mut(service, server)?;
        real.removed = true;
        let dest = real.address();
        let mut effects = table_changed();
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
