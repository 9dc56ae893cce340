//! One virtual service at run time: placing new connections (persistence
//! first, then the scheduler), and the table of its connections. One mutex
//! per service guards placement; nothing is shared between services.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::clock::Clock;
use super::conns::{Activity, Binding, ConnState, ConnTable, Timeouts};
use super::persistence::{TemplateKey, Templates};
use crate::config::{Protocol, SchedulerName};
use crate::ipvs::model::{mask, ConnRow, DestStats};
use crate::ipvs::sched::{scheduler, DestLoad, Request, SchedFlags, Scheduler};
use crate::ipvs::table::{PlaneDest, PlaneService, PlaneTable};

/// Why a connection was not placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The service is no longer in the table.
    NoService,
    /// The scheduler found no server that may take it.
    NoDestination,
}

/// A placed connection.
#[derive(Debug)]
pub struct Placed {
    /// Its id in the connection table.
    pub id: u64,
    /// Where it goes.
    pub dest: PlaneDest,
    /// The address to connect to: the real server's, with the port the
    /// client asked for when the real server's port is 0.
    pub connect_to: SocketAddr,
    /// The service's counters.
    pub service_stats: Arc<DestStats>,
    /// What its task updates as it carries data.
    pub activity: Arc<Activity>,
    /// Whether, should the connect fail, another server may be tried.
    pub may_retry: bool,
}

struct Core {
    scheduler: Option<(SchedulerName, SchedFlags, Box<dyn Scheduler>)>,
    loads: Vec<DestLoad>,
    templates: Templates,
    conns: ConnTable,
    /// The timeouts in force: the plane's, with the table's in their place.
    timeouts: Timeouts,
}

/// The run-time state of one virtual service.
pub struct ServiceRuntime {
    /// The virtual address and port.
    pub address: SocketAddr,
    /// TCP or UDP.
    pub protocol: Protocol,
    table: watch::Receiver<Arc<PlaneTable>>,
    core: Mutex<Core>,
    clock: Arc<Clock>,
    /// The plane's own timeouts, which the table's `lvs_timeouts` override.
    pub timeouts: Timeouts,
}

/// Whether a connect that failed may be retried on another server: not
/// when the client is tied to a server (persistence), nor where the rule
/// names one server for the client (dh; sh and mh without fallback).
pub fn may_retry(service: &PlaneService) -> bool {
    if service.persistence.is_some() {
        return false;
    }
    match service.scheduler {
        SchedulerName::Dh => false,
        SchedulerName::Sh | SchedulerName::Mh => service.flags.fallback,
        _ => true,
    }
}

impl ServiceRuntime {
    /// Run-time state for the service at `address`.
    pub fn new(
        address: SocketAddr,
        protocol: Protocol,
        table: watch::Receiver<Arc<PlaneTable>>,
        clock: Arc<Clock>,
        timeouts: Timeouts,
    ) -> ServiceRuntime {
        // In force from the first connection; sweeps follow reloads.
        let in_force = timeouts.with(&table.borrow().timeouts);
        ServiceRuntime {
            address,
            protocol,
            table,
            core: Mutex::new(Core {
                scheduler: None,
                loads: Vec::new(),
                templates: Templates::default(),
                conns: ConnTable::default(),
                timeouts: in_force,
            }),
            clock,
            timeouts,
        }
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        // A panic while holding the lock leaves consistent data behind
        // (every update is a single step), so poisoning is not fatal.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The plane's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Place a connection from `client` that asked for `target`, skipping
    /// the servers in `tried`, and record it in `state`.
    pub fn place(
        &self,
        client: SocketAddr,
        asked: SocketAddr,
        state: ConnState,
        tried: &[SocketAddr],
    ) -> Result<Placed, Refusal> {
        let target = asked.ip();
        let current = self.table.borrow().clone();
        let service = current
            .service(self.address, self.protocol)
            .ok_or(Refusal::NoService)?;
        let now_ms = self.clock.now_ms();
        let now = self.clock.instant(now_ms);
        let mut core = self.core();
        let core = &mut *core;
        let key = service.persistence.map(|p| TemplateKey {
            client: mask(client.ip(), p.granularity),
            service: self.address,
        });
        let persisted = key.as_ref().and_then(|k| {
            core.templates
                .lookup(k, |a| service.dest(a).map(|d| d.weight))
                .filter(|a| !tried.contains(a))
        });
        let dest = match persisted {
            Some(address) => service.dest(address).ok_or(Refusal::NoDestination)?,
            None => {
                // Reused between placements: no allocation per connection.
                core.loads.clear();
                core.loads.extend(service.dests.iter().map(|d| {
                    let excluded = tried.contains(&d.address);
                    DestLoad {
                        address: d.address,
                        weight: if excluded { 0 } else { d.weight },
                        last_weight: d.last_weight,
                        active: d.stats.active.load(Ordering::Relaxed),
                        inactive: d.stats.inactive.load(Ordering::Relaxed),
                        overloaded: d.stats.overloaded.load(Ordering::Relaxed),
                    }
                }));
                let chooser = match &mut core.scheduler {
                    Some((name, flags, s))
                        if *name == service.scheduler && *flags == service.flags =>
                    {
                        s
                    }
                    slot => {
                        &mut slot
                            .insert((
                                service.scheduler,
                                service.flags,
                                scheduler(service.scheduler, service.flags),
                            ))
                            .2
                    }
                };
                let request = Request {
                    client,
                    target,
                    now,
                };
                let index = chooser
                    .pick(&request, &core.loads)
                    .ok_or(Refusal::NoDestination)?;
                &service.dests[index]
            }
        };
        if let (Some(key), Some(p)) = (key, service.persistence) {
            core.templates.bind(key, dest.address, now, p.timeout);
        }
        service.stats.conns.fetch_add(1, Ordering::Relaxed);
        // A real server on port 0 takes the port the client asked for.
        let connect_to = if dest.address.port() == 0 {
            SocketAddr::new(dest.address.ip(), asked.port())
        } else {
            dest.address
        };
        let binding = Binding {
            protocol: self.protocol,
            client,
            virtual_address: asked,
            dest: connect_to,
            stats: dest.stats.clone(),
            thresholds: dest.thresholds,
            template: key,
        };
        let (id, activity) = core.conns.open(binding, state, now_ms);
        Ok(Placed {
            id,
            connect_to,
            dest: dest.clone(),
            service_stats: service.stats.clone(),
            activity,
            may_retry: may_retry(service),
        })
    }

    /// Move connection `id` to `state`.
    pub fn set_state(&self, id: u64, state: ConnState) {
        let now_ms = self.clock.now_ms();
        let mut core = self.core();
        let timeouts = core.timeouts;
        core.conns.set_state(id, state, now_ms, &timeouts);
    }

    /// Expire connections and templates whose time is up, and refresh each
    /// destination's PersistConn.
    pub fn sweep(&self) {
        let now_ms = self.clock.now_ms();
        let now = self.clock.instant(now_ms);
        let current = self.table.borrow().clone();
        let service = current.service(self.address, self.protocol);
        let mut core = self.core();
        // A reload's timeouts apply from the next sweep (every 250 ms), not
        // per placement: nothing on the connection path merges them.
        core.timeouts = self.timeouts.with(&current.timeouts);
        let timeouts = core.timeouts;
        for key in core.conns.expire(now_ms, &timeouts) {
            core.templates.release(&key);
        }
        if let Some(p) = service.and_then(|s| s.persistence) {
            core.templates.expire(now, p.timeout);
        }
        let persistent = core.templates.per_dest();
        for dest in service.iter().flat_map(|s| &s.dests) {
            let count = persistent.get(&dest.address).copied().unwrap_or(0);
            dest.stats.persistent.store(count, Ordering::Relaxed);
        }
    }

    /// Close every connection to `dest` now, releasing their templates.
    pub fn close_all_to(&self, dest: SocketAddr) {
        let mut core = self.core();
        for key in core.conns.close_all_to(dest) {
            core.templates.release(&key);
        }
    }

    /// The connection listing: connections, then persistence templates.
    pub fn rows(&self) -> Vec<ConnRow> {
        let now_ms = self.clock.now_ms();
        let now = self.clock.instant(now_ms);
        let core = self.core();
        let mut rows = core.conns.rows(now_ms, &core.timeouts);
        rows.extend(core.templates.iter().map(|(key, template)| ConnRow {
            protocol: self.protocol.name().into(),
            expires_secs: template.expires.saturating_duration_since(now).as_secs(),
            state: "NONE".into(),
            source: SocketAddr::new(key.client, 0),
            virtual_address: key.service,
            destination: template.dest,
        }));
        rows
    }
}
