//! The I/O side of one VRRP instance: the socket, the addresses it manages,
//! announcements, and carrying out what the state machine decides.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::deadline::Deadline;
use super::garp_spacing::Spacing;
use super::journal::EventKind;
use super::notify::Notifier;
use super::state::{EngineState, InstanceRuntime};
use crate::config::vip::VirtualAddress;
use crate::config::{AuthType, VrrpInstance, VrrpVersion};
use crate::netlink::address::{AddressError, Addresses, InterfaceAddress};
use crate::netlink::link::{link_local_ipv6, primary_ipv4, Link};
use crate::vrrp::announce::Announcer;
use crate::vrrp::instance::{Action, Instance, Reason, State};
use crate::vrrp::net::{Received, VrrpSocket};
use crate::vrrp::pacer::{AdvertPacer, PacerEvent};
use crate::vrrp::packet::{encode, Advert, Auth, PseudoHeader, Version};
use crate::vrrp::receive::Expectation;

/// One managed address and the interface it lives on.
#[derive(Debug, Clone)]
pub struct ManagedAddress {
    /// The interface (for announcements).
    pub link: Link,
    /// The address (for netlink).
    pub address: InterfaceAddress,
}

/// What an instance's receive task and advert pacer hand the engine,
/// tagged with its shell's key.
#[derive(Debug)]
pub enum ShellReport {
    /// A packet arrived, or receiving failed.
    Packet(std::io::Result<Received>),
    /// The periodic adverts started failing, or work again.
    Pacer(PacerEvent),
}

/// Where shells report, tagged with their keys.
pub type ShellReports = mpsc::Sender<(u64, ShellReport)>;

/// The I/O side of one VRRP instance.
#[derive(Debug)]
pub struct VrrpShell {
    /// The raw socket, shared with the receive task.
    pub socket: Arc<VrrpSocket>,
    /// Our address adverts carry as source (the tie-breaker).
    pub own_address: IpAddr,
    /// What peers' adverts are checked against.
    pub expectation: Expectation,
    /// Tags the packets its receive task hands the engine.
    pub key: u64,
    link: Link,
    managed: Vec<ManagedAddress>,
    receiver: Option<JoinHandle<()>>,
    garp_repeat: u32,
    garp_delay: Duration,
    garp_refresh: Duration,
    announcer: Mutex<Option<JoinHandle<()>>>,
    announcements: Arc<Announcer>,
    spacing: Arc<Spacing>,
    pacer: AdvertPacer,
}

fn managed(
    config: &VrrpInstance,
    vip: &VirtualAddress,
    default: &Link,
) -> Result<ManagedAddress, String> {
    let link = match &vip.dev {
        Some(dev) if *dev != default.name => {
            Link::lookup(dev).map_err(|e| format!("vrrp_instance {}: {vip}: {e}", config.name))?
        }
        _ => default.clone(),
    };
    Ok(ManagedAddress {
        address: InterfaceAddress {
            ifindex: link.index,
            address: vip.address,
            prefix: vip.prefix,
            label: vip.label.clone(),
        },
        link,
    })
}

impl VrrpShell {
    /// Resolve interfaces and addresses for `config` and open its socket;
    /// its announcements keep to `spacing`.
    pub fn open(config: &VrrpInstance, spacing: Arc<Spacing>) -> Result<VrrpShell, String> {
        let context =
            |e: std::io::Error| format!("vrrp_instance {}: {}: {e}", config.name, config.interface);
        let link = Link::lookup(&config.interface).map_err(context)?;
        let own_address = match config.unicast_src_ip {
            Some(address) => address,
            None if config.is_ipv6() => {
                IpAddr::V6(link_local_ipv6(&config.interface).map_err(context)?)
            }
            None => IpAddr::V4(primary_ipv4(&config.interface).map_err(context)?),
        };
        let socket = VrrpSocket::open(
            &config.interface,
            link.index,
            own_address,
            &config.unicast_peer,
        )
        .map_err(|e| {
            format!(
                "vrrp_instance {}: raw VRRP socket on {}: {e} (needs root or CAP_NET_RAW)",
                config.name, config.interface
            )
        })?;
        let managed = config
            .virtual_ipaddress
            .iter()
            .chain(&config.virtual_ipaddress_excluded)
            .map(|vip| managed(config, vip, &link))
            .collect::<Result<Vec<_>, _>>()?;
        let socket = Arc::new(socket);
        let pacer = AdvertPacer::start(socket.clone())
            .map_err(|e| format!("vrrp_instance {}: advert timer thread: {e}", config.name))?;
        let announcements = Announcer::open()
            .map_err(|e| format!("vrrp_instance {}: gratuitous ARP socket: {e}", config.name))?;
        Ok(VrrpShell {
            socket,
            own_address,
            expectation: expectation(config),
            key: 0,
            link,
            managed,
            receiver: None,
            garp_repeat: config.garp_master_repeat,
            garp_delay: config.garp_master_delay.0,
            garp_refresh: config.garp_master_refresh.0,
            announcer: Mutex::new(None),
            announcements: Arc::new(announcements),
            spacing,
            pacer,
        })
    }

    /// Start handing received packets and the pacer's send failures to
    /// the engine, tagged with `key`.
    pub fn listen(&mut self, key: u64, reports: ShellReports) {
        self.key = key;
        let socket = self.socket.clone();
        let pacer_reports = reports.clone();
        // Never blocks the pacer: a report the engine has no room for is
        // refused, and the pacer offers it again at its next advert.
        self.pacer.report_to(Box::new(move |event| {
            pacer_reports
                .try_send((key, ShellReport::Pacer(event)))
                .is_ok()
        }));
        self.receiver = Some(tokio::spawn(async move {
            loop {
                let received = ShellReport::Packet(socket.recv().await);
                if reports.send((key, received)).await.is_err() {
                    return;
                }
            }
        }));
    }

    /// The advert this instance sends with `priority`, for each destination.
    fn advert_messages(&self, priority: u8) -> Vec<(IpAddr, Vec<u8>)> {
        let advert = Advert {
            version: self.expectation.version,
            vrid: self.expectation.vrid,
            priority,
            interval_cs: self.expectation.interval_cs,
            addresses: self.expectation.addresses.clone(),
            auth: self.expectation.auth.clone(),
        };
        self.socket.messages(|destination| {
            encode(
                &advert,
                PseudoHeader {
                    source: self.own_address,
                    destination,
                },
            )
        })
    }

    /// Keep the periodic adverts `fsm` asks for, with what this shell's
    /// adverts carry now (a reload may change it).
    pub fn pace(&self, fsm: &Instance) -> Result<(), String> {
        self.pacer
            .follow(fsm.advert_schedule(), |priority| {
                self.advert_messages(priority)
            })
            .map_err(|e| format!("advert timer: {e}"))
    }

    /// Periodic adverts the pacer sent since the last call.
    pub fn take_paced_adverts(&self) -> u64 {
        self.pacer.take_sent()
    }

    /// The addresses `config` asks for, resolved: what can fail in a
    /// reload's in-place change, checked before anything changes.
    pub fn resolve(&self, config: &VrrpInstance) -> Result<Vec<ManagedAddress>, String> {
        config
            .virtual_ipaddress
            .iter()
            .chain(&config.virtual_ipaddress_excluded)
            .map(|vip| managed(config, vip, &self.link))
            .collect()
    }

    /// Take `config`'s settings in place (a reload): what adverts carry and
    /// peers must agree with, the announcement schedule, and the addresses
    /// (`resolved` from `resolve`). While `holding` the addresses, new ones
    /// are added and announced and dropped ones removed. Returns what failed.
    pub fn update(
        &mut self,
        config: &VrrpInstance,
        resolved: Vec<ManagedAddress>,
        addresses: &Addresses,
        holding: bool,
    ) -> Vec<String> {
        self.expectation = expectation(config);
        self.garp_repeat = config.garp_master_repeat;
        self.garp_delay = config.garp_master_delay.0;
        self.garp_refresh = config.garp_master_refresh.0;
        let old = std::mem::replace(&mut self.managed, resolved);
        if !holding {
            return Vec::new();
        }
        let same = |a: &ManagedAddress, b: &ManagedAddress| a.address == b.address;
        let gone = old
            .iter()
            .filter(|o| !self.managed.iter().any(|n| same(n, o)));
        let mut failures = each_failure(gone, |gone| addresses.remove(&gone.address));
        let added: Vec<_> = self
            .managed
            .iter()
            .filter(|n| !old.iter().any(|o| same(n, o)))
            .collect();
        failures.extend(each_failure(&added, |new| addresses.add(&new.address)));
        if !added.is_empty() {
            failures.extend(self.start_announcing().err());
        }
        failures
    }

    /// Apply `change` (add or remove) to every managed address, each one
    /// attempted whatever happened to the others; the failures, each naming
    /// its address.
    fn change_addresses(
        &self,
        addresses: &Addresses,
        change: impl Fn(&Addresses, &InterfaceAddress) -> Result<(), AddressError>,
    ) -> Vec<String> {
        each_failure(self.managed.iter(), |m| change(addresses, &m.address))
    }

    fn stop_announcing(&self) {
        if let Some(task) = self
            .announcer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            task.abort();
        }
    }

    /// Announce now, again after `garp_master_delay`, then every
    /// `garp_master_refresh` while master (keepalived's schedule). The
    /// waits are on a timerfd: tokio's timer wheel would wake an idle
    /// master four times on the way to a 5 s deadline.
    fn start_announcing(&self) -> Result<(), String> {
        self.stop_announcing();
        let targets = self.announce_targets();
        let announcer = self.announcements.clone();
        let (repeat, delay, refresh) = (self.garp_repeat, self.garp_delay, self.garp_refresh);
        let spacing = self.spacing.clone();
        // Unspaced, the first burst leaves now and a failure is reported;
        // spaced, it leaves from the task at the times the spacing gives.
        let first_sent = spacing.is_off();
        if first_sent {
            burst(&announcer, &targets, repeat)?;
        }
        let task = tokio::spawn(async move {
            let mut timer = Deadline::new();
            let round = Round {
                announcer: &announcer,
                targets: &targets,
                repeat,
                spacing: &spacing,
            };
            if !first_sent {
                round.send(&mut timer).await;
            }
            if !delay.is_zero() {
                timer.until(Some(Instant::now() + delay)).await;
                round.send(&mut timer).await;
            }
            while !refresh.is_zero() {
                timer.until(Some(Instant::now() + refresh)).await;
                round.send(&mut timer).await;
            }
        });
        *self.announcer.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        Ok(())
    }

    fn announce_targets(&self) -> Vec<(Link, Vec<IpAddr>)> {
        let mut targets: Vec<(Link, Vec<IpAddr>)> = Vec::new();
        for m in &self.managed {
            match targets
                .iter_mut()
                .find(|(link, _)| link.index == m.link.index)
            {
                Some((_, addresses)) => addresses.push(m.address.address),
                None => targets.push((m.link.clone(), vec![m.address.address])),
            }
        }
        targets
    }
}

impl Drop for VrrpShell {
    fn drop(&mut self) {
        self.stop_announcing();
        if let Some(receiver) = self.receiver.take() {
            receiver.abort();
        }
    }
}

fn burst(
    announcer: &Announcer,
    targets: &[(Link, Vec<IpAddr>)],
    repeat: u32,
) -> Result<(), String> {
    for (link, addresses) in targets {
        announcer
            .announce(link, addresses, repeat)
            .map_err(|e| format!("announce on {}: {e}", link.name))?;
    }
    Ok(())
}

/// One burst of a running announcement schedule.
#[derive(Clone, Copy)]
struct Round<'a> {
    announcer: &'a Announcer,
    targets: &'a [(Link, Vec<IpAddr>)],
    repeat: u32,
    spacing: &'a Spacing,
}

impl Round<'_> {
    /// Send it: at once without spacing, else `repeat` rounds over every
    /// address, each announcement at the time the spacing gives it on its
    /// interface. A failure is journaled by nobody: the next burst tries
    /// again.
    async fn send(self, timer: &mut Deadline) {
        if self.spacing.is_off() {
            let _ = burst(self.announcer, self.targets, self.repeat);
            return;
        }
        for _ in 0..self.repeat {
            for (link, addresses) in self.targets {
                for address in addresses {
                    let at = self
                        .spacing
                        .reserve(link.index, address.is_ipv6(), Instant::now());
                    timer.until(Some(at)).await;
                    let _ = self
                        .announcer
                        .announce(link, std::slice::from_ref(address), 1);
                }
            }
        }
    }
}

/// What this instance's peers must agree with.
pub fn expectation(config: &VrrpInstance) -> Expectation {
    Expectation {
        vrid: config.virtual_router_id.0,
        version: match config.version {
            VrrpVersion::V2 => Version::V2,
            VrrpVersion::V3 => Version::V3,
        },
        auth: match &config.authentication {
            Some(a) if a.auth_type == AuthType::Pass && config.version == VrrpVersion::V2 => {
                Auth::pass(&a.auth_pass)
            }
            _ => Auth::None,
        },
        interval_cs: config.interval_cs(),
        addresses: config.virtual_ipaddress.iter().map(|v| v.address).collect(),
    }
}

/// Carry out `actions` for instance `index`, journaling transitions and failures.
pub fn execute(
    state: &mut EngineState,
    shell: &VrrpShell,
    addresses: &Addresses,
    notifier: &Notifier,
    index: usize,
    actions: Vec<Action>,
) {
    let EngineState {
        instances, journal, ..
    } = state;
    let wall = journal.clock();
    let vr: &mut InstanceRuntime = &mut instances[index];
    // The periodic adverts follow the state machine before anything is
    // sent: a resigning master's pacer stops before its priority 0 leaves.
    // The schedule changes only with actions (a transition, an advert sent
    // at once), so a packet that changed nothing costs the pacer nothing.
    if actions.is_empty() {
        vr.refresh_owner(wall);
        return;
    }
    if let Err(failure) = shell.pace(&vr.fsm) {
        journal.record(EventKind::Engine, format!("{}: {failure}", vr.config.name));
    }
    for action in actions {
        let failures: Vec<String> = match action {
            Action::SendAdvert { priority } => {
                match shell.socket.send(&shell.advert_messages(priority)) {
                    Ok(()) => {
                        vr.adverts_sent += 1;
                        Vec::new()
                    }
                    Err(e) => vec![format!("send advert: {e}")],
                }
            }
            // Every address is attempted: one that fails (a vanished
            // interface, a clash) must not leave the others unadded or
            // still held, and each failure is reported.
            Action::AddAddresses => shell.change_addresses(addresses, Addresses::add),
            Action::RemoveAddresses => {
                shell.stop_announcing();
                shell.change_addresses(addresses, Addresses::remove)
            }
            Action::Announce => shell.start_announcing().err().into_iter().collect(),
            Action::Transition { from, to, reason } => {
                if to != State::Master {
                    shell.stop_announcing();
                }
                let text = format!("{} -> {}: {reason}", from.name(), to.name());
                journal.record(EventKind::Vrrp, format!("{}: {text}", vr.config.name));
                vr.last_transition = Some(text);
                vr.transitions += 1;
                // As keepalived, a stopping instance notifies STOP only, not
                // the BACKUP it passes through while handing over.
                if reason != Reason::Shutdown || to == State::Init {
                    notifier.instance(&vr.config, to, vr.fsm.priority());
                }
                Vec::new()
            }
        };
        for failure in failures {
            journal.record(EventKind::Engine, format!("{}: {failure}", vr.config.name));
        }
    }
    vr.refresh_owner(wall);
}

/// Run `attempt` on every item, never stopping at a failure; the failures
/// in order.
fn each_failure<T, E: std::fmt::Display>(
    items: impl IntoIterator<Item = T>,
    mut attempt: impl FnMut(T) -> Result<(), E>,
) -> Vec<String> {
    items
        .into_iter()
        .filter_map(|item| attempt(item).err())
        .map(|e| e.to_string())
        .collect()
}
