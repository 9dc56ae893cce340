//! The engine's state and the views derived from it: the data-plane table
//! and the snapshot. Everything here is synchronous and free of I/O.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::journal::{unix_ms, EventKind, Journal};
use super::rates::Rate;
use super::snapshot::{
    AlertView, InstanceView, Owner, ServerView, ServiceView, Snapshot, SNAPSHOT_VERSION,
};
use crate::check::runner::CheckReport;
use crate::config::{Config, RealServer, VirtualServer, VrrpInstance, VrrpVersion};
use crate::ipvs::model::{endpoint, DestStats, Health};
use crate::ipvs::userspace::{PlaneDest, PlaneService, PlaneTable};
use crate::vrrp::instance::{Instance, InstanceParams, State};

/// One VRRP instance's runtime.
#[derive(Debug)]
pub struct InstanceRuntime {
    /// Its configuration.
    pub config: VrrpInstance,
    /// The state machine.
    pub fsm: Instance,
    /// Adverts sent.
    pub adverts_sent: u64,
    /// Valid adverts received.
    pub adverts_received: u64,
    /// State transitions since start.
    pub transitions: u64,
    /// Dropped packets by reason.
    pub drops: BTreeMap<String, u64>,
    /// "FROM -> TO: reason" of the last transition.
    pub last_transition: Option<String>,
    /// Disagreements seen in peers' adverts, newest last.
    pub alerts: Vec<AlertView>,
    /// The sync group this instance belongs to.
    pub sync_group: Option<String>,
    /// What tracking currently contributes, one line per tracked object.
    pub tracking: Vec<String>,
    owner: Owner,
    owner_since: Option<u64>,
}

/// How long an alert stays visible after its cause was last seen.
pub const ALERT_LINGER_MS: u64 = 30_000;

impl InstanceRuntime {
    /// Count a dropped packet.
    pub fn drop_packet(&mut self, reason: &str) {
        *self.drops.entry(reason.to_string()).or_default() += 1;
    }

    /// Record (or refresh) an alert about `peer`.
    pub fn raise(&mut self, kind: &str, peer: IpAddr, detail: String) {
        let now = unix_ms();
        match self
            .alerts
            .iter_mut()
            .find(|a| a.kind == kind && a.peer == peer)
        {
            Some(alert) => {
                alert.detail = detail;
                alert.last_unix_ms = now;
            }
            None => self.alerts.push(AlertView {
                kind: kind.to_string(),
                peer,
                detail,
                since_unix_ms: now,
                last_unix_ms: now,
            }),
        }
    }

    /// Recompute the owner after the FSM moved, stamping when it changed.
    pub fn refresh_owner(&mut self) {
        let owner = match (self.fsm.state(), self.fsm.master()) {
            (State::Master, _) => Owner::ThisNode,
            (State::Backup, Some(peer)) => Owner::Peer(peer),
            _ => Owner::Unknown,
        };
        if owner != self.owner {
            self.owner = owner;
            self.owner_since = Some(unix_ms());
        }
    }
}

/// One real server's runtime.
#[derive(Debug)]
pub struct ServerRuntime {
    /// Its configuration.
    pub config: RealServer,
    /// Weight set by configuration or an operator's reweight.
    pub weight: u32,
    /// Drained by an operator.
    pub drained: bool,
    /// The checker's verdict.
    pub health: Health,
    /// The last check's outcome and when, ms since the epoch.
    pub last_check: Option<(String, u64)>,
    /// Counters shared with the data plane.
    pub stats: Arc<DestStats>,
    cps: Rate,
    in_bps: Rate,
    out_bps: Rate,
}

impl ServerRuntime {
    fn new(config: RealServer) -> ServerRuntime {
        ServerRuntime {
            weight: config.weight.0,
            config,
            drained: false,
            health: Health::Unknown,
            last_check: None,
            stats: Arc::new(DestStats::default()),
            cps: Rate::new(),
            in_bps: Rate::new(),
            out_bps: Rate::new(),
        }
    }

    /// `address:port`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.config.address, self.config.port.0)
    }

    /// Whether the data plane should know it at all.
    pub fn in_table(&self) -> bool {
        self.health != Health::Down || self.config.inhibit_on_failure
    }

    /// The weight the data plane uses.
    pub fn effective_weight(&self) -> u32 {
        if self.drained || self.health == Health::Down {
            0
        } else {
            self.weight
        }
    }
}

/// One virtual service's runtime.
#[derive(Debug)]
pub struct ServiceRuntime {
    /// Its configuration.
    pub config: VirtualServer,
    /// Its real servers.
    pub servers: Vec<ServerRuntime>,
}

impl ServiceRuntime {
    /// `address:port`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.config.address, self.config.port.0)
    }
}

/// Everything the engine owns.
#[derive(Debug)]
pub struct EngineState {
    /// This node's name.
    pub node: String,
    /// VRRP instances, configuration order.
    pub instances: Vec<InstanceRuntime>,
    /// Virtual services, configuration order.
    pub services: Vec<ServiceRuntime>,
    /// The event log.
    pub journal: Journal,
}

impl EngineState {
    /// Build the state for `config`; `own_addresses[i]` is instance i's advert source.
    pub fn new(config: &Config, node: String, own_addresses: &[IpAddr]) -> EngineState {
        let instances = config
            .vrrp_instances
            .iter()
            .zip(own_addresses)
            .map(|(c, own)| InstanceRuntime {
                fsm: Instance::new(InstanceParams {
                    vrid: c.virtual_router_id.0,
                    priority: c.priority.0,
                    interval_cs: c.interval_cs(),
                    preempt: c.preempt,
                    preempt_delay: c.preempt_delay.0,
                    own_address: *own,
                }),
                config: c.clone(),
                adverts_sent: 0,
                adverts_received: 0,
                transitions: 0,
                drops: BTreeMap::new(),
                last_transition: None,
                alerts: Vec::new(),
                sync_group: config
                    .vrrp_sync_groups
                    .iter()
                    .find(|g| g.group.contains(&c.name))
                    .map(|g| g.name.clone()),
                tracking: Vec::new(),
                owner: Owner::Unknown,
                owner_since: None,
            })
            .collect();
        let services = config
            .virtual_servers
            .iter()
            .map(|vs| ServiceRuntime {
                config: vs.clone(),
                servers: vs
                    .real_servers
                    .iter()
                    .cloned()
                    .map(ServerRuntime::new)
                    .collect(),
            })
            .collect();
        EngineState {
            node,
            instances,
            services,
            journal: Journal::default(),
        }
    }

    /// The table the data plane should run now.
    pub fn plane_table(&self) -> PlaneTable {
        PlaneTable {
            services: self
                .services
                .iter()
                .map(|s| PlaneService {
                    address: s.address(),
                    scheduler: s.config.scheduler,
                    dests: s
                        .servers
                        .iter()
                        .filter(|r| r.in_table())
                        .map(|r| PlaneDest {
                            address: r.address(),
                            weight: r.effective_weight(),
                            stats: r.stats.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// Take a check result; returns whether the data-plane table changed.
    pub fn on_check(&mut self, report: CheckReport) -> bool {
        let Some(service) = self.services.get_mut(report.service) else {
            return false;
        };
        let service_name = service.config.display_name();
        let Some(server) = service.servers.get_mut(report.server) else {
            return false;
        };
        let text = match &report.result {
            Ok(()) => "ok".to_string(),
            Err(e) => e.clone(),
        };
        server.last_check = Some((text.clone(), unix_ms()));
        let Some(health) = report.changed else {
            return false;
        };
        server.health = health;
        let name = server.config.display_name();
        let consequence = match (health, server.config.inhibit_on_failure) {
            (Health::Down, true) => "; weight 0 (inhibit_on_failure)",
            (Health::Down, false) => "; removed from the table",
            _ => "",
        };
        self.journal.record(
            EventKind::Health,
            format!("{service_name}/{name} is {health:?}: {text}{consequence}"),
        );
        true
    }

    /// Update every rate estimate.
    pub fn sample_rates(&mut self, now: Instant) {
        for server in self.services.iter_mut().flat_map(|s| s.servers.iter_mut()) {
            let sample = server.stats.sample();
            server.cps.sample(sample.conns, now);
            server.in_bps.sample(sample.in_bytes, now);
            server.out_bps.sample(sample.out_bytes, now);
        }
    }

    /// The published view.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            node: self.node.clone(),
            dataplane: "userspace".into(),
            unix_ms: unix_ms(),
            instances: self.instances.iter().map(instance_view).collect(),
            services: self.services.iter().map(service_view).collect(),
            events: self.journal.events().cloned().collect(),
        }
    }
}

fn millis(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn instance_view(i: &InstanceRuntime) -> InstanceView {
    let now = unix_ms();
    InstanceView {
        name: i.config.name.clone(),
        interface: i.config.interface.clone(),
        vrid: i.config.virtual_router_id.0,
        version: match i.config.version {
            VrrpVersion::V2 => 2,
            VrrpVersion::V3 => 3,
        },
        state: i.fsm.state(),
        priority: i.fsm.priority(),
        base_priority: i.config.priority.0,
        vips: i
            .config
            .virtual_ipaddress
            .iter()
            .map(ToString::to_string)
            .collect(),
        owner: i.owner,
        owner_since_unix_ms: i.owner_since,
        held: i.fsm.held(),
        releasing: i.fsm.releasing(),
        last_transition: i.last_transition.clone(),
        adverts_sent: i.adverts_sent,
        adverts_received: i.adverts_received,
        transitions: i.transitions,
        drops: i.drops.clone(),
        advert_interval_ms: u64::from(i.fsm.master_interval_cs()) * 10,
        master_down_interval_ms: millis(i.fsm.master_down_interval()),
        alerts: i
            .alerts
            .iter()
            .filter(|a| now.saturating_sub(a.last_unix_ms) < ALERT_LINGER_MS)
            .cloned()
            .collect(),
        sync_group: i.sync_group.clone(),
        tracking: i.tracking.clone(),
    }
}

fn service_view(s: &ServiceRuntime) -> ServiceView {
    ServiceView {
        name: s.config.display_name(),
        address: endpoint(s.config.address, s.config.port.0),
        protocol: "tcp".into(),
        scheduler: format!("{:?}", s.config.scheduler).to_lowercase(),
        servers: s.servers.iter().map(server_view).collect(),
    }
}

fn server_view(r: &ServerRuntime) -> ServerView {
    let sample = r.stats.sample();
    ServerView {
        name: r.config.display_name(),
        address: r.address().to_string(),
        weight: r.effective_weight(),
        configured_weight: r.weight,
        drained: r.drained,
        in_table: r.in_table(),
        active: sample.active,
        inactive: sample.inactive,
        conns: sample.conns,
        in_bytes: sample.in_bytes,
        out_bytes: sample.out_bytes,
        cps: r.cps.per_second(),
        in_bps: r.in_bps.per_second(),
        out_bps: r.out_bps.per_second(),
        health: r.health,
        last_check: r.last_check.as_ref().map(|(t, _)| t.clone()),
        last_check_unix_ms: r.last_check.as_ref().map(|(_, at)| *at),
    }
}
