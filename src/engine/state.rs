//! The engine's state and the views derived from it: the data-plane table
//! and the snapshot. Everything here is synchronous and free of I/O.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::journal::Journal;
use super::rates::RateSet;
use super::snapshot::{
    AlertView, InstanceView, Owner, ServerView, ServiceView, Snapshot, TimeoutsView, TrafficView,
    SNAPSHOT_VERSION,
};
use crate::check::quorum::Quorum;
use crate::config::{
    Config, Forwarding, LvsTimeouts, RealServer, VirtualServer, VrrpInstance, VrrpVersion,
};
use crate::ids::{CheckerId, CheckerRun, ServerId};
use crate::ipvs::model::{endpoint, DestStats, Health, StatsSample};
use crate::ipvs::sched::SchedFlags;
use crate::ipvs::table::{Persistence, PlaneDest, PlaneService, PlaneTable};
use crate::ipvs::userspace::{Thresholds, Timeouts};
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

/// The state machine's parameters for `config`, advertising from `own`.
pub fn params(config: &VrrpInstance, own: IpAddr) -> InstanceParams {
    InstanceParams {
        vrid: config.virtual_router_id.0,
        priority: config.priority.0,
        interval_cs: config.interval_cs(),
        preempt: config.preempt,
        preempt_delay: config.preempt_delay.0,
        own_address: own,
    }
}

/// The sync group `instance` belongs to in `config`.
pub fn sync_group(config: &Config, instance: &str) -> Option<String> {
    config
        .vrrp_sync_groups
        .iter()
        .find(|g| g.group.iter().any(|m| m == instance))
        .map(|g| g.name.clone())
}

/// How long an alert stays visible after its cause was last seen.
pub const ALERT_LINGER_MS: u64 = 30_000;

impl InstanceRuntime {
    /// A new instance in Init; `own` is its advert source address, and
    /// `whole` the configuration it belongs to (for its sync group). Its
    /// shell's pacer sends the periodic adverts while it is master.
    pub fn new(config: VrrpInstance, own: IpAddr, whole: &Config) -> InstanceRuntime {
        let mut fsm = Instance::new(params(&config, own));
        fsm.pace_adverts();
        InstanceRuntime {
            fsm,
            adverts_sent: 0,
            adverts_received: 0,
            transitions: 0,
            drops: BTreeMap::new(),
            last_transition: None,
            alerts: Vec::new(),
            sync_group: sync_group(whole, &config.name),
            tracking: Vec::new(),
            owner: Owner::Unknown,
            owner_since: None,
            config,
        }
    }

    /// Count a dropped packet.
    pub fn drop_packet(&mut self, reason: &str) {
        *self.drops.entry(reason.to_string()).or_default() += 1;
    }

    /// Record (or refresh) an alert about `peer`, at `now` (Unix ms).
    pub fn raise(&mut self, kind: &str, peer: IpAddr, detail: String, now: u64) {
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

    /// Recompute the owner after the FSM moved, stamping when it changed
    /// with `now` (Unix ms).
    pub fn refresh_owner(&mut self, now: u64) {
        let owner = match (self.fsm.state(), self.fsm.master()) {
            (State::Master, _) => Owner::ThisNode,
            (State::Backup, Some(peer)) => Owner::Peer(peer),
            _ => Owner::Unknown,
        };
        if owner != self.owner {
            self.owner = owner;
            self.owner_since = Some(now);
        }
    }
}

/// One real server's runtime.
#[derive(Debug)]
pub struct ServerRuntime {
    /// Its identity while the engine runs it.
    pub id: ServerId,
    /// Its configuration.
    pub config: RealServer,
    /// Weight set by configuration or an operator's reweight.
    pub weight: u32,
    /// Drained by an operator.
    pub drained: bool,
    /// The checkers' combined verdict: down if any is down, up when all
    /// are up.
    pub health: Health,
    /// Each checker's own verdict, in configuration order.
    pub checker_health: Vec<Health>,
    /// The start of its checkers whose reports count; others are stale.
    pub checkers_run: CheckerRun,
    /// The weight a `misc_dynamic` script last asked for.
    pub dynamic_weight: Option<u32>,
    /// Probes reported, all checkers together.
    pub checks_run: u64,
    /// Failed probes since the last pass.
    pub failures_in_a_row: u32,
    /// Passed probes since the last failure.
    pub passes_in_a_row: u32,
    /// The last check's outcome and when, ms since the epoch.
    pub last_check: Option<(String, u64)>,
    /// How long the last probe took.
    pub last_check_took: Option<Duration>,
    /// Counters shared with the data plane.
    pub stats: Arc<DestStats>,
    rates: RateSet,
}

impl ServerRuntime {
    /// A server in its configured state;
    /// `starts_down`: keepalived's `alpha`, the server waits for its checks.
    pub fn new(config: RealServer, starts_down: bool) -> ServerRuntime {
        let checkers = config.checker_count();
        let initial = if starts_down {
            Health::Down
        } else {
            Health::Unknown
        };
        ServerRuntime {
            id: ServerId::fresh(),
            weight: config.weight.0,
            config,
            drained: false,
            health: initial,
            checker_health: vec![initial; checkers],
            checkers_run: CheckerRun::fresh(),
            dynamic_weight: None,
            checks_run: 0,
            failures_in_a_row: 0,
            passes_in_a_row: 0,
            last_check: None,
            last_check_took: None,
            stats: Arc::new(DestStats::default()),
            rates: RateSet::default(),
        }
    }

    /// `address:port`.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.config.address, self.config.port.0)
    }

    /// Its checker at `slot` in the current run of its checkers.
    pub fn checker(&self, slot: usize) -> CheckerId {
        CheckerId {
            server: self.id,
            run: self.checkers_run,
            slot,
        }
    }

    /// Start its checkers' verdicts afresh after its checks changed.
    pub fn reset_checkers(&mut self, service: &VirtualServer) {
        let initial = if self.config.starts_down(service) {
            Health::Down
        } else {
            Health::Unknown
        };
        self.health = initial;
        self.checker_health = vec![initial; self.config.checker_count()];
        self.checks_run = 0;
        self.failures_in_a_row = 0;
        self.passes_in_a_row = 0;
        self.last_check = None;
        self.last_check_took = None;
    }

    /// Whether the data plane should know it at all.
    pub fn in_table(&self) -> bool {
        self.health != Health::Down || self.config.inhibit_on_failure
    }

    /// The last weight above 0, from which mh builds its table.
    pub fn last_weight(&self) -> u32 {
        if self.weight > 0 {
            self.weight
        } else {
            self.config.weight.0
        }
    }

    /// The weight the data plane uses.
    pub fn effective_weight(&self) -> u32 {
        if self.drained || self.health == Health::Down {
            0
        } else {
            self.dynamic_weight.unwrap_or(self.weight)
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
    /// Counters of the whole service, shared with the data plane.
    pub stats: Arc<DestStats>,
    rates: RateSet,
    /// Its quorum state.
    pub quorum: Quorum,
    /// Counters of its sorry server.
    pub sorry_stats: Arc<DestStats>,
    sorry_rates: RateSet,
    /// Taking new connections; an operator may disable it.
    pub enabled: bool,
    /// Its checkers are stopped: `ha_suspend`, and its address is not on
    /// this host. A service starts so, until the address is seen.
    pub checks_suspended: bool,
}

impl ServiceRuntime {
    /// A service as configured, its servers in their starting health.
    pub fn new(config: VirtualServer) -> ServiceRuntime {
        ServiceRuntime {
            servers: config
                .real_servers
                .iter()
                .cloned()
                .map(|real| {
                    let starts_down = real.starts_down(&config);
                    ServerRuntime::new(real, starts_down)
                })
                .collect(),
            stats: Arc::new(DestStats::default()),
            rates: RateSet::default(),
            quorum: Quorum::new(config.quorum, config.hysteresis),
            sorry_stats: Arc::new(DestStats::default()),
            sorry_rates: RateSet::default(),
            enabled: true,
            checks_suspended: config.ha_suspend,
            config,
        }
    }

    /// The total weight of its real servers that take connections.
    pub fn live_weight(&self) -> u64 {
        self.servers
            .iter()
            .filter(|r| r.in_table())
            .map(|r| u64::from(r.effective_weight()))
            .sum()
    }

    /// The sorry server's row in the table: weight 1 while it stands in,
    /// weight 0 while real servers take connections and it is inhibited
    /// (`sorry_server_inhibit`), so that its connections finish; absent
    /// otherwise, or while the service is disabled.
    fn sorry_dest(&self) -> Option<PlaneDest> {
        let sorry = self.config.sorry_server.as_ref()?;
        let weight = u32::from(self.sorry_active());
        if !self.enabled || (weight == 0 && !sorry.inhibit) {
            return None;
        }
        Some(PlaneDest {
            address: SocketAddr::new(sorry.address, sorry.port.0),
            weight,
            last_weight: 1,
            thresholds: Thresholds::default(),
            forwarding: sorry.forwarding.unwrap_or(self.config.forwarding),
            stats: self.sorry_stats.clone(),
        })
    }

    /// Whether the sorry server stands in: configured, and no real server
    /// takes connections.
    pub fn sorry_active(&self) -> bool {
        self.config.sorry_server.is_some() && self.live_weight() == 0
    }
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
    /// The monotonic time of the input being handled (see `set_clock`;
    /// the wall time is the journal's clock).
    handled_at: std::time::Instant,
    /// Scripts to run (notify_up/down, quorum_up/down), oldest first.
    pub pending_scripts: Vec<String>,
    /// The data plane in use: "userspace" or "kernel".
    pub dataplane: crate::ipvs::model::PlaneKind,
    /// The connection timeouts the configuration sets.
    pub lvs_timeouts: LvsTimeouts,
    /// The userspace plane's own timeouts (its defaults and
    /// `--tcp-fin-timeout`), which `lvs_timeouts` override.
    pub plane_timeouts: Timeouts,
    /// The `ha_suspend` services' addresses last seen on this host.
    pub local_addresses: HashSet<IpAddr>,
    /// Where each real server is (service, server position); rebuilt by
    /// `reindex` whenever servers come or go.
    positions: HashMap<ServerId, (usize, usize)>,
}

impl EngineState {
    /// Build the state for `config` at `now`; `own_addresses[i]` is
    /// instance i's advert source.
    pub fn new(
        config: &Config,
        node: String,
        own_addresses: &[IpAddr],
        now: super::clock::Now,
    ) -> EngineState {
        let instances = config
            .vrrp_instances
            .iter()
            .zip(own_addresses)
            .map(|(c, own)| InstanceRuntime::new(c.clone(), *own, config))
            .collect();
        let services = config
            .virtual_servers
            .iter()
            .map(|vs| ServiceRuntime::new(vs.clone()))
            .collect();
        let mut state = EngineState {
            node,
            instances,
            services,
            journal: Journal::default(),
            handled_at: now.at,
            pending_scripts: Vec::new(),
            dataplane: crate::ipvs::model::PlaneKind::Userspace,
            lvs_timeouts: config.global.lvs_timeouts,
            plane_timeouts: Timeouts::default(),
            local_addresses: HashSet::new(),
            positions: HashMap::new(),
        };
        state.journal.set_clock(now.unix_ms);
        state.reindex();
        state
    }

    /// Learn again where every real server is: after services or servers
    /// came or went (a reload, an operator's add or remove).
    pub fn reindex(&mut self) {
        self.positions.clear();
        for (s, service) in self.services.iter().enumerate() {
            for (r, server) in service.servers.iter().enumerate() {
                self.positions.insert(server.id, (s, r));
            }
        }
    }

    /// Every real server's identity, service by service.
    pub fn server_ids(&self) -> Vec<ServerId> {
        self.services
            .iter()
            .flat_map(|s| s.servers.iter().map(|r| r.id))
            .collect()
    }

    /// Where real server `id` is (service, server position); `None` once
    /// it has gone.
    pub fn locate(&self, id: ServerId) -> Option<(usize, usize)> {
        let (s, r) = *self.positions.get(&id)?;
        let found = self.services.get(s)?.servers.get(r)?;
        // A missed reindex must lose a report, never misplace it.
        (found.id == id).then_some((s, r))
    }

    /// The index of the live service named `name` (or `address:port`).
    pub fn service_index(&self, name: &str) -> Result<usize, String> {
        self.services
            .iter()
            .position(|s| s.config.display_name() == name || s.address().to_string() == name)
            .ok_or_else(|| {
                let known: Vec<String> = self
                    .services
                    .iter()
                    .map(|s| s.config.display_name())
                    .collect();
                format!(
                    "unknown virtual service {name:?} (known: {})",
                    known.join(", ")
                )
            })
    }

    /// The table the data plane should run now.
    pub fn plane_table(&self) -> PlaneTable {
        PlaneTable {
            services: self
                .services
                .iter()
                .map(|s| PlaneService {
                    address: s.address(),
                    protocol: s.config.protocol,
                    scheduler: s.config.scheduler,
                    flags: SchedFlags {
                        fallback: s.config.hash_fallback,
                        port: s.config.hash_port,
                    },
                    persistence: s
                        .config
                        .persistence_timeout
                        .zip(s.config.persistence_bits())
                        .map(|(timeout, granularity)| Persistence {
                            timeout: timeout.0,
                            granularity,
                        }),
                    stats: s.stats.clone(),
                    dests: s
                        .servers
                        .iter()
                        .filter(|r| r.in_table())
                        .map(|r| PlaneDest {
                            address: r.address(),
                            // A disabled service keeps its connections but
                            // schedules nothing new.
                            weight: if s.enabled { r.effective_weight() } else { 0 },
                            last_weight: r.last_weight(),
                            thresholds: Thresholds {
                                upper: r.config.uthreshold,
                                lower: r.config.lthreshold,
                            },
                            forwarding: r.config.forwarding.unwrap_or(s.config.forwarding),
                            stats: r.stats.clone(),
                        })
                        .chain(s.sorry_dest())
                        .collect(),
                })
                .collect(),
            timeouts: self.lvs_timeouts,
        }
    }

    /// Update every rate estimate.
    pub fn sample_rates(&mut self, now: Instant) {
        for service in &mut self.services {
            service.rates.sample(&service.stats.sample(), now);
            service
                .sorry_rates
                .sample(&service.sorry_stats.sample(), now);
            for server in &mut service.servers {
                server.rates.sample(&server.stats.sample(), now);
            }
        }
    }

    /// Take the time of the input about to be handled: what is journaled,
    /// stamped or compared from here on uses it, never a clock of its own.
    pub fn set_clock(&mut self, now: super::clock::Now) {
        self.handled_at = now.at;
        self.journal.set_clock(now.unix_ms);
    }

    /// The time of the input being handled.
    pub fn now(&self) -> super::clock::Now {
        super::clock::Now {
            at: self.handled_at,
            unix_ms: self.journal.clock(),
        }
    }

    /// The published view.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            node: self.node.clone(),
            dataplane: self.dataplane,
            unmanaged: Vec::new(),
            overrides: super::overrides::overrides(self)
                .iter()
                .map(super::overrides::describe)
                .collect(),
            unix_ms: self.journal.clock(),
            instances: self
                .instances
                .iter()
                .map(|i| instance_view(i, self.journal.clock()))
                .collect(),
            services: self
                .services
                .iter()
                .map(|s| service_view(s, self.dataplane == crate::ipvs::model::PlaneKind::Kernel))
                .collect(),
            events: self.journal.shared(),
            timeouts: (self.dataplane == crate::ipvs::model::PlaneKind::Userspace).then(|| {
                let t = self.plane_timeouts.with(&self.lvs_timeouts);
                TimeoutsView {
                    tcp: t.tcp.as_secs(),
                    tcpfin: t.tcp_fin.as_secs(),
                    udp: t.udp.as_secs(),
                }
            }),
        }
    }
}

fn millis(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn instance_view(i: &InstanceRuntime, now: u64) -> InstanceView {
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

fn traffic(sample: &StatsSample, rates: &RateSet) -> TrafficView {
    TrafficView {
        conns: sample.conns,
        in_packets: sample.in_packets,
        out_packets: sample.out_packets,
        in_bytes: sample.in_bytes,
        out_bytes: sample.out_bytes,
        cps: rates.cps.per_second(),
        in_pps: rates.in_pps.per_second(),
        out_pps: rates.out_pps.per_second(),
        in_bps: rates.in_bps.per_second(),
        out_bps: rates.out_bps.per_second(),
    }
}

/// How a real server is forwarded to, as ipvsadm names it: the kernel
/// plane does what the configuration says; the userspace plane proxies,
/// which is NAT as far as the real server can tell.
fn forwarding_name(s: &ServiceRuntime, r: &ServerRuntime, kernel: bool) -> &'static str {
    match r.config.forwarding.unwrap_or(s.config.forwarding) {
        _ if !kernel => "Masq",
        method => forwarding_word(method),
    }
}

/// ipvsadm's word for a forwarding method.
fn forwarding_word(method: Forwarding) -> &'static str {
    match method {
        Forwarding::Nat => "Masq",
        Forwarding::Dr => "Route",
        Forwarding::Tun => "Tunnel",
    }
}

fn service_view(s: &ServiceRuntime, kernel: bool) -> ServiceView {
    let config = &s.config;
    ServiceView {
        name: config.display_name(),
        address: endpoint(config.address, config.port.0),
        protocol: config.protocol.name().to_lowercase(),
        scheduler: config.scheduler.name().into(),
        flags: config.scheduler_flags(),
        persistence_secs: config.persistence_timeout.map(|t| t.0.as_secs()),
        persistence_bits: config.persistence_bits(),
        traffic: traffic(&s.stats.sample(), &s.rates),
        quorum_up: s.quorum.is_up(),
        sorry_server: config
            .sorry_server
            .as_ref()
            .map(|sorry| endpoint(sorry.address, sorry.port.0)),
        sorry_active: s.enabled && s.sorry_active(),
        checks_suspended: s.checks_suspended,
        sorry_row: s.sorry_dest().map(|dest| {
            // The userspace plane proxies: NAT, as the server sees it.
            let method = if kernel {
                dest.forwarding
            } else {
                Forwarding::Nat
            };
            ServerView {
                name: "sorry server".into(),
                weight: dest.weight,
                configured_weight: 1,
                ..dest_view(
                    dest.address,
                    &s.sorry_stats,
                    &s.sorry_rates,
                    forwarding_word(method),
                )
            }
        }),
        enabled: s.enabled,
        servers: s
            .servers
            .iter()
            .map(|r| server_view(r, forwarding_name(s, r, kernel)))
            .collect(),
    }
}

fn server_view(r: &ServerRuntime, forwarding: &str) -> ServerView {
    ServerView {
        name: r.config.display_name(),
        weight: r.effective_weight(),
        configured_weight: r.weight,
        drained: r.drained,
        in_table: r.in_table(),
        uthreshold: r.config.uthreshold,
        lthreshold: r.config.lthreshold,
        health: r.health,
        checks_run: r.checks_run,
        failures_in_a_row: r.failures_in_a_row,
        passes_in_a_row: r.passes_in_a_row,
        last_check: r.last_check.as_ref().map(|(t, _)| t.clone()),
        last_check_unix_ms: r.last_check.as_ref().map(|(_, at)| *at),
        last_check_seconds: r.last_check_took.map(|d| d.as_secs_f64()),
        ..dest_view(r.address(), &r.stats, &r.rates, forwarding)
    }
}

/// A destination's counters and rates, as a listing shows them.
fn dest_view(
    address: SocketAddr,
    stats: &DestStats,
    rates: &RateSet,
    forwarding: &str,
) -> ServerView {
    let sample = stats.sample();
    ServerView {
        active: sample.active,
        inactive: sample.inactive,
        persistent: sample.persistent,
        connect_failures: sample.connect_failures,
        overloaded: stats.overloaded.load(std::sync::atomic::Ordering::Relaxed),
        ..ServerView::listed(address.to_string(), forwarding, traffic(&sample, rates))
    }
}
