//! Carrying out VRRP actions for one instance: adverts, addresses, ARP.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::journal::EventKind;
use super::state::{EngineState, InstanceRuntime};
use crate::config::VrrpInstance;
use crate::netlink::address::Addresses;
use crate::netlink::link::{primary_ipv4, Link};
use crate::vrrp::announce::announce;
use crate::vrrp::instance::Action;
use crate::vrrp::net::VrrpSocket;
use crate::vrrp::packet::{encode, Advert, Auth, PseudoHeader, Version, VRRP_GROUP_V4};

/// The I/O side of one VRRP instance.
#[derive(Debug)]
pub struct VrrpShell {
    /// The raw socket, shared with the receive task.
    pub socket: Arc<VrrpSocket>,
    /// The interface.
    pub link: Link,
    /// Our primary address on it.
    pub own_address: Ipv4Addr,
}

impl VrrpShell {
    /// Open the interface and socket for `config`.
    pub fn open(config: &VrrpInstance) -> Result<VrrpShell, String> {
        let context =
            |e: std::io::Error| format!("vrrp_instance {}: {}: {e}", config.name, config.interface);
        let link = Link::lookup(&config.interface).map_err(context)?;
        let own_address = primary_ipv4(&config.interface).map_err(context)?;
        let socket = VrrpSocket::open(&config.interface, link.index, own_address).map_err(|e| {
            format!(
                "vrrp_instance {}: raw VRRP socket on {}: {e} (needs root or CAP_NET_RAW)",
                config.name, config.interface
            )
        })?;
        Ok(VrrpShell {
            socket: Arc::new(socket),
            link,
            own_address,
        })
    }
}

/// Carry out `actions` for instance `index`, journaling transitions and failures.
pub fn execute(
    state: &mut EngineState,
    shell: &VrrpShell,
    addresses: &Addresses,
    index: usize,
    actions: Vec<Action>,
) {
    let EngineState {
        instances, journal, ..
    } = state;
    let vr: &mut InstanceRuntime = &mut instances[index];
    for action in actions {
        let failure = match action {
            Action::SendAdvert { priority } => {
                let advert = Advert {
                    version: Version::V3,
                    vrid: vr.config.virtual_router_id.0,
                    priority,
                    interval_cs: vr.fsm.params().interval_cs,
                    addresses: vr.config.virtual_ipaddress.clone(),
                    auth: Auth::None,
                };
                let pseudo = PseudoHeader {
                    source: shell.own_address,
                    destination: VRRP_GROUP_V4,
                };
                match shell.socket.send(&encode(&advert, pseudo)) {
                    Ok(()) => {
                        vr.adverts_sent += 1;
                        None
                    }
                    Err(e) => Some(format!("send advert: {e}")),
                }
            }
            Action::AddAddresses => vr
                .config
                .virtual_ipaddress
                .iter()
                .find_map(|vip| addresses.add(shell.link.index, *vip, 32).err())
                .map(|e| e.to_string()),
            Action::RemoveAddresses => vr
                .config
                .virtual_ipaddress
                .iter()
                .find_map(|vip| addresses.remove(shell.link.index, *vip, 32).err())
                .map(|e| e.to_string()),
            Action::Announce => announce(&shell.link, &vr.config.virtual_ipaddress)
                .err()
                .map(|e| format!("gratuitous ARP on {}: {e}", shell.link.name)),
            Action::Transition { from, to, reason } => {
                let text = format!("{} -> {}: {reason}", from.name(), to.name());
                journal.record(EventKind::Vrrp, format!("{}: {text}", vr.config.name));
                vr.last_transition = Some(text);
                None
            }
        };
        if let Some(failure) = failure {
            journal.record(EventKind::Engine, format!("{}: {failure}", vr.config.name));
        }
    }
    vr.refresh_owner();
}
