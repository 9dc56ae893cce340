//! Applying operator commands to the engine state.

use std::net::SocketAddr;
use std::time::Instant;

use super::command::{Answer, Command, Reply, Request};
use super::journal::EventKind;
use super::state::{EngineState, ServerRuntime};
use crate::config::Protocol;
use crate::vrrp::instance::{Action, Input, Instance, Refusal};
use membership::NewServer;

/// What a command changed, beyond its reply.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// The data-plane table must be pushed again.
    pub table_changed: bool,
    /// VRRP actions to carry out for instance index.
    pub vrrp: Option<(usize, Vec<Action>)>,
    /// Close every connection of (service, real server) now.
    pub close: Option<(SocketAddr, Protocol, SocketAddr)>,
    /// Stop the checkers of this real server (it was removed).
    pub stop_checks: Option<crate::ids::ServerId>,
    /// Start the checkers of this real server.
    pub start_checks: Option<crate::ids::ServerId>,
}

impl EngineState {
    /// Apply one operator request, recording it in the journal when it changes anything.
    pub fn apply(&mut self, request: &Request, now: Instant) -> (Reply, Effects) {
        let result = match &request.command {
            Command::Ping => return (Ok(Answer::Done("pong".into())), Effects::default()),
            // The run loop answers these: from the data plane, and from the
            // configuration file. The state alone cannot, and must not
            // pretend to.
            Command::Connections => {
                return (
                    Err("the connection table is read from the data plane".into()),
                    Effects::default(),
                )
            }
            Command::Reload => {
                return (
                    Err("a reload is carried out by the engine loop".into()),
                    Effects::default(),
                )
            }
            Command::Zero { service } => self.zero(service.as_deref()),
            Command::AddServer {
                service,
                server,
                weight,
                name,
                forwarding,
                check,
            } => self.add_server(
                service,
                NewServer {
                    address: server.ip(),
                    port: server.port(),
                    weight: *weight,
                    name: name.clone(),
                    forwarding: *forwarding,
                    check: check.clone(),
                },
            ),
            Command::Disable { service } => self.set_service_enabled(service, false),
            Command::Enable { service } => self.set_service_enabled(service, true),
            Command::RemoveServer {
                service,
                server,
                force,
            } => self.remove_server(service, server, *force),
            Command::Drain { service, server } => self
                .server_mut(service, server)
                .map(|(name, r)| drain(name, r, true)),
            Command::Undrain { service, server } => self
                .server_mut(service, server)
                .map(|(name, r)| drain(name, r, false)),
            Command::SetWeight {
                service,
                server,
                weight,
            } => {
                if *weight > 65535 {
                    Err(format!("weight must be 0..=65535, not {weight}"))
                } else {
                    self.server_mut(service, server).map(|(name, r)| {
                        let before = r.weight;
                        r.weight = *weight;
                        (
                            format!("{name}: weight {before} -> {weight}"),
                            Effects {
                                table_changed: before != *weight,
                                ..Effects::default()
                            },
                        )
                    })
                }
            }
            Command::Failover { instance } => self.vrrp_request(
                instance,
                |fsm| fsm.failover(now),
                (
                    "failover, handing the addresses to the peer",
                    "cannot fail over",
                ),
            ),
            Command::Release { instance } => self.vrrp_request(
                instance,
                |fsm| {
                    if fsm.held() {
                        Ok(fsm.handle(Input::Release, now))
                    } else {
                        Err(Refusal::NotHeld)
                    }
                },
                ("hold released; preemption allowed again", "cannot release"),
            ),
            Command::Hold { instance } => self.vrrp_request(
                instance,
                |fsm| fsm.hold(),
                (
                    "held: it stays backup and does not preempt until released",
                    "cannot hold",
                ),
            ),
            Command::Takeover { instance } => self.vrrp_request(
                instance,
                |fsm| fsm.takeover(now),
                ("takeover", "cannot take over"),
            ),
        };
        match result {
            Ok((message, effects)) => {
                self.journal.record(
                    EventKind::Operator,
                    format!("{}: {message}", request.origin),
                );
                (Ok(Answer::Done(message)), effects)
            }
            Err(e) => (Err(e), Effects::default()),
        }
    }

    /// Stop or resume scheduling new connections to a service.
    fn set_service_enabled(
        &mut self,
        service: &str,
        enabled: bool,
    ) -> Result<(String, Effects), String> {
        let index = self.service_index(service)?;
        let vs = &mut self.services[index];
        let name = vs.config.display_name();
        if vs.enabled == enabled {
            let already = if enabled { "enabled" } else { "disabled" };
            return Err(format!("{name} is already {already}"));
        }
        vs.enabled = enabled;
        let message = if enabled {
            format!("{name}: enabled; new connections are scheduled again")
        } else {
            format!("{name}: disabled; no new connections, established ones finish")
        };
        Ok((
            message,
            Effects {
                table_changed: true,
                ..Effects::default()
            },
        ))
    }

    /// Zero the counters of the named service, or of all.
    fn zero(&mut self, service: Option<&str>) -> Result<(String, Effects), String> {
        let mut zeroed = Vec::new();
        for s in &self.services {
            let name = s.config.display_name();
            let address = s.address().to_string();
            if service.is_some_and(|want| want != name && want != address) {
                continue;
            }
            s.stats.zero();
            s.sorry_stats.zero();
            for r in &s.servers {
                r.stats.zero();
            }
            zeroed.push(name);
        }
        match (zeroed.is_empty(), service) {
            (true, Some(want)) => Err(format!("no virtual service named {want:?}")),
            _ => Ok((
                format!("counters zeroed: {}", zeroed.join(", ")),
                Effects::default(),
            )),
        }
    }

    /// Run an operator request on the named instance's state machine;
    /// `wording` is (what was done, how a refusal starts).
    fn vrrp_request(
        &mut self,
        name: &str,
        request: impl FnOnce(&mut Instance) -> Result<Vec<Action>, Refusal>,
        wording: (&str, &str),
    ) -> Result<(String, Effects), String> {
        let index = self.instance_index(name)?;
        let vr = &mut self.instances[index];
        let (done, refused) = wording;
        match request(&mut vr.fsm) {
            Ok(actions) => Ok((
                format!("{}: {done}", vr.config.name),
                Effects {
                    vrrp: Some((index, actions)),
                    ..Effects::default()
                },
            )),
            Err(refusal) => Err(format!("{refused} {}: {refusal}", vr.config.name)),
        }
    }

    fn instance_index(&self, name: &str) -> Result<usize, String> {
        self.instances
            .iter()
            .position(|i| i.config.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = self
                    .instances
                    .iter()
                    .map(|i| i.config.name.as_str())
                    .collect();
                format!(
                    "unknown VRRP instance {name:?} (known: {})",
                    known.join(", ")
                )
            })
    }

    pub(super) fn server_mut(
        &mut self,
        service: &str,
        server: &str,
    ) -> Result<(String, &mut ServerRuntime), String> {
        let index = self.service_index(service)?;
        let vs = &mut self.services[index];
        let service_name = vs.config.display_name();
        let known: Vec<String> = vs.servers.iter().map(|r| r.config.display_name()).collect();
        let real = vs
            .servers
            .iter_mut()
            .find(|r| r.config.display_name() == server || r.address().to_string() == server)
            .ok_or_else(|| {
                format!(
                    "unknown real server {server:?} in {service_name} (known: {})",
                    known.join(", ")
                )
            })?;
        Ok((
            format!("{service_name}/{}", real.config.display_name()),
            real,
        ))
    }
}

fn drain(name: String, server: &mut ServerRuntime, drained: bool) -> (String, Effects) {
    let changed = server.drained != drained;
    server.drained = drained;
    let message = match (drained, changed) {
        (true, true) => format!("{name}: drained (weight 0; established connections finish)"),
        (false, true) => format!("{name}: undrained (weight {})", server.weight),
        (true, false) => format!("{name}: already drained"),
        (false, false) => format!("{name}: was not drained"),
    };
    (
        message,
        Effects {
            table_changed: changed,
            ..Effects::default()
        },
    )
}

mod membership;
#[cfg(test)]
mod tests;
