//! The operator's actions: each becomes an engine command waiting for a
//! yes, with a sentence that names exactly what will happen.

use std::sync::Arc;

use super::form::AddForm;
use super::{App, Mode, Outcome, Pending, ServerKey, Tone, View};
use crate::engine::snapshot::InstanceView;
use crate::engine::{Command, Snapshot};
use crate::tui::keymap::Action;
use crate::vrrp::instance::State;

impl App {
    /// Start an action that changes the engine.
    pub(super) fn operate(&mut self, action: Action, nodes: &[Option<Arc<Snapshot>>]) -> Outcome {
        let Some(snapshot) = self.focused(nodes) else {
            self.tell(Tone::Error, "no state from the director yet");
            return Outcome::Redraw;
        };
        let node = self.node;
        let prefix = self.node_prefix(node);
        let planned = match action {
            Action::Drain => self.drain(snapshot),
            Action::Reweight => self.reweight(snapshot),
            Action::AddServer => self.add_server(snapshot),
            Action::RemoveServer => self.remove_server(snapshot),
            Action::ToggleService => self.toggle_service(snapshot),
            Action::Zero => Ok(self.zero(snapshot)),
            Action::Failover | Action::Takeover | Action::Release => {
                self.vrrp_action(action, snapshot)
            }
            _ => Err(format!("{} is not an engine action", action.describe())),
        };
        match planned {
            Ok(Some((command, what))) => {
                self.mode = Mode::Confirm(Pending {
                    node,
                    command,
                    what: format!("{prefix}{what}"),
                })
            }
            Ok(None) => {}
            Err(why) => self.tell(Tone::Error, why),
        }
        Outcome::Redraw
    }

    fn server_target(&self, snapshot: &Snapshot) -> Result<(String, ServerKey, u64), String> {
        let (service, server) = self.selected_server(snapshot).ok_or_else(|| {
            if self.view == View::Services {
                "select a real server first (j/k on the services view)".to_string()
            } else {
                "real-server actions work on the services view".to_string()
            }
        })?;
        Ok((
            server.address.clone(),
            ServerKey {
                service: service.to_string(),
                server: server.name.clone(),
            },
            server.active,
        ))
    }

    fn drain(&self, snapshot: &Snapshot) -> Result<Option<(Command, String)>, String> {
        let (address, key, active) = self.server_target(snapshot)?;
        let server = self.selected_server(snapshot).map(|(_, s)| s);
        let drained = server.is_some_and(|s| s.drained);
        let configured = server.map_or(0, |s| s.configured_weight);
        let ServerKey { service, server } = key;
        Ok(Some(if drained {
            (
                Command::Undrain {
                    service: service.clone(),
                    server: server.clone(),
                },
                format!(
                    "undrain {service}/{server} ({address}): weight 0 -> {configured}; \
                     it takes new connections again"
                ),
            )
        } else {
            (
                Command::Drain {
                    service: service.clone(),
                    server: server.clone(),
                },
                format!(
                    "drain {service}/{server} ({address}): weight {configured} -> 0; \
                     no new connections, its {active} active connections finish"
                ),
            )
        }))
    }

    fn reweight(&mut self, snapshot: &Snapshot) -> Result<Option<(Command, String)>, String> {
        let (_, target, _) = self.server_target(snapshot)?;
        let current = self
            .selected_server(snapshot)
            .map_or(0, |(_, s)| s.configured_weight);
        self.mode = Mode::Weight {
            target,
            current,
            input: String::new(),
            error: None,
        };
        Ok(None)
    }

    fn add_server(&mut self, snapshot: &Snapshot) -> Result<Option<(Command, String)>, String> {
        let service = self
            .selected_service(snapshot)
            .filter(|_| self.view == View::Services)
            .ok_or("select the virtual service to add to (services view)")?;
        self.mode = Mode::Form(AddForm::new(&snapshot.services[service]));
        Ok(None)
    }

    fn remove_server(&self, snapshot: &Snapshot) -> Result<Option<(Command, String)>, String> {
        let (address, key, active) = self.server_target(snapshot)?;
        let ServerKey { service, server } = key;
        Ok(Some((
            Command::RemoveServer {
                service: service.clone(),
                server: server.clone(),
                force: false,
            },
            format!(
                "remove {service}/{server} ({address}) from {service}; \
                 its {active} active connections finish"
            ),
        )))
    }

    fn toggle_service(&self, snapshot: &Snapshot) -> Result<Option<(Command, String)>, String> {
        let index = self
            .selected_service(snapshot)
            .filter(|_| self.view == View::Services)
            .ok_or("select a virtual service first (services view)")?;
        let service = &snapshot.services[index];
        let active: u64 = service.servers.iter().map(|r| r.active).sum();
        let what = if service.enabled {
            format!(
                "disable {} ({}): no new connections; its {active} active connections finish",
                service.name, service.address
            )
        } else {
            format!(
                "enable {} ({}): new connections are scheduled again",
                service.name, service.address
            )
        };
        Ok(Some((
            if service.enabled {
                Command::Disable {
                    service: service.name.clone(),
                }
            } else {
                Command::Enable {
                    service: service.name.clone(),
                }
            },
            what,
        )))
    }

    fn zero(&self, snapshot: &Snapshot) -> Option<(Command, String)> {
        let service = self
            .selected_service(snapshot)
            .filter(|_| self.view == View::Services)
            .map(|s| snapshot.services[s].name.clone());
        let what = match &service {
            Some(name) => format!("zero the counters of {name} and its real servers"),
            None => "zero the counters of every virtual service".into(),
        };
        Some((Command::Zero { service }, what))
    }

    /// The instance a VRRP action is about: the one selected on the
    /// overview, else the first in the state the action needs.
    fn instance_for<'a>(
        &self,
        snapshot: &'a Snapshot,
        wanted: impl Fn(&InstanceView) -> bool,
    ) -> Option<&'a InstanceView> {
        if self.view == View::Overview {
            return snapshot.instances.get(self.instance);
        }
        snapshot.instances.iter().find(|i| wanted(i))
    }

    fn vrrp_action(
        &self,
        action: Action,
        snapshot: &Snapshot,
    ) -> Result<Option<(Command, String)>, String> {
        let wanted: fn(&InstanceView) -> bool = match action {
            Action::Failover => |i| i.state == State::Master,
            Action::Takeover => |i| i.state == State::Backup,
            _ => |i| i.held,
        };
        let instance = self.instance_for(snapshot, wanted).ok_or_else(|| {
            match action {
                Action::Failover => "no VRRP instance is master on this director",
                Action::Takeover => "no VRRP instance is backup on this director",
                _ => "no VRRP instance is held on this director",
            }
            .to_string()
        })?;
        let name = instance.name.clone();
        let vips = instance.vips.join(", ");
        let group = instance
            .sync_group
            .as_ref()
            .map(|g| format!(" (with the rest of sync group {g})"))
            .unwrap_or_default();
        Ok(Some(match action {
            Action::Failover => (
                Command::Failover {
                    instance: name.clone(),
                },
                format!(
                    "fail over {name}{group}: hand {vips} to the peer; this director stays \
                     backup until released or taken over"
                ),
            ),
            Action::Takeover => (
                Command::Takeover {
                    instance: name.clone(),
                },
                format!("take over {name}{group}: claim {vips} from the peer now"),
            ),
            _ => (
                Command::Release {
                    instance: name.clone(),
                },
                format!("release the hold on {name}: it may preempt again"),
            ),
        }))
    }
}
