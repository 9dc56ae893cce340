//! Fixed snapshots for console tests and the console benchmark.

use std::collections::BTreeMap;

use crate::engine::journal::{Event, EventKind};
use crate::engine::snapshot::{
    InstanceView, Owner, ServerView, ServiceView, Snapshot, TrafficView, SNAPSHOT_VERSION,
};
use crate::ipvs::model::Health;
use crate::vrrp::instance::State;

/// A healthy NAT real server at 192.0.2.`last_octet`:80.
pub fn server(name: &str, last_octet: u8, active: u64, drained: bool) -> ServerView {
    ServerView {
        name: name.into(),
        address: format!("192.0.2.{last_octet}:80"),
        weight: if drained { 0 } else { 1 },
        configured_weight: 1,
        drained,
        in_table: true,
        active,
        inactive: active * 3,
        conns: active * 10,
        in_bytes: active * 1000,
        out_bytes: active * 20_000,
        cps: 2.5,
        in_bps: 100.0,
        out_bps: 2000.0,
        persistent: 0,
        in_packets: active * 10,
        out_packets: active * 20,
        in_pps: 5.0,
        out_pps: 10.0,
        connect_failures: 0,
        overloaded: false,
        uthreshold: 0,
        lthreshold: 0,
        forwarding: "Masq".into(),
        tunnel: None,
        health: Health::Up,
        checks_run: 10,
        failures_in_a_row: 0,
        passes_in_a_row: 10,
        last_check: Some("ok".into()),
        last_check_unix_ms: Some(1_000),
        last_check_seconds: Some(0.003),
    }
}

/// Director 1 as master of VI_1 with three servers, one drained.
pub fn snapshot() -> Snapshot {
    Snapshot {
        version: SNAPSHOT_VERSION,
        node: "d1".into(),
        dataplane: crate::ipvs::model::PlaneKind::Userspace,
        unix_ms: 45_296_000,
        instances: vec![InstanceView {
            name: "VI_1".into(),
            interface: "eth0".into(),
            vrid: 51,
            state: State::Master,
            version: 3,
            priority: 150,
            base_priority: 150,
            vips: vec!["192.0.2.50".into()],
            owner: Owner::ThisNode,
            owner_since_unix_ms: Some(45_000_000),
            held: false,
            releasing: false,
            last_transition: Some("BACKUP -> MASTER: no advert within master-down interval".into()),
            adverts_sent: 42,
            adverts_received: 3,
            transitions: 2,
            drops: BTreeMap::new(),
            advert_interval_ms: 1000,
            master_down_interval_ms: 3414,
            alerts: Vec::new(),
            sync_group: None,
            tracking: Vec::new(),
        }],
        services: vec![ServiceView {
            name: "web".into(),
            address: "192.0.2.50:80".into(),
            protocol: "tcp".into(),
            scheduler: "wlc".into(),
            flags: Vec::new(),
            persistence_secs: None,
            persistence_bits: None,
            traffic: TrafficView::default(),
            quorum_up: true,
            sorry_server: None,
            sorry_active: false,
            sorry_row: None,
            checks_suspended: false,
            enabled: true,
            servers: vec![
                server("rs1", 21, 4, false),
                server("rs2", 22, 0, true),
                server("rs3", 23, 5, false),
            ],
        }],
        unmanaged: Vec::new(),
        overrides: Vec::new(),
        timeouts: None,
        events: vec![
            Event {
                unix_ms: 45_000_000,
                kind: EventKind::Vrrp,
                text: "VI_1: BACKUP -> MASTER: no advert within master-down interval".into(),
            },
            Event {
                unix_ms: 45_200_000,
                kind: EventKind::Operator,
                text: "console (uid 0): web/rs2: drained".into(),
            },
        ]
        .into(),
    }
}

/// Director 2 of the same pair: backup, seeing d1 (192.0.2.1) as owner.
pub fn peer_snapshot() -> Snapshot {
    let mut peer = snapshot();
    peer.node = "d2".into();
    let vi = &mut peer.instances[0];
    vi.state = State::Backup;
    vi.priority = 100;
    vi.base_priority = 100;
    vi.owner = Owner::Peer("192.0.2.1".parse().unwrap());
    vi.last_transition = Some("INIT -> BACKUP: startup".into());
    vi.adverts_sent = 0;
    vi.adverts_received = 40;
    peer
}

/// A director in trouble: a faulted sync-group member with tracking, a
/// peer that disagrees, dropped adverts, a down server and a service that
/// lost its quorum to a sorry server.
pub fn troubled_snapshot() -> Snapshot {
    let mut snap = snapshot();
    let mut second = snap.instances[0].clone();
    second.name = "VI_2".into();
    second.vrid = 52;
    second.vips = vec!["198.51.100.50".into()];
    second.state = State::Fault;
    second.priority = 0;
    second.owner = Owner::Unknown;
    second.last_transition = Some("MASTER -> FAULT: eth1 is down".into());
    second.tracking = vec!["interface eth1 down (fault)".into()];
    second.sync_group = Some("G1".into());
    let first = &mut snap.instances[0];
    first.sync_group = Some("G1".into());
    first.priority = 140;
    first.tracking = vec!["script chk_haproxy failed (weight -10)".into()];
    first.drops = BTreeMap::from([("auth".to_string(), 3), ("ttl".to_string(), 1)]);
    first.alerts = vec![crate::engine::snapshot::AlertView {
        kind: "advert interval".into(),
        peer: "192.0.2.2".parse().unwrap(),
        detail: "peer sends every 2000 ms, we expect 1000 ms".into(),
        since_unix_ms: 45_100_000,
        last_unix_ms: 45_290_000,
    }];
    snap.instances.push(second);
    // A backup's view of an ha_suspend service: its checks wait for the VIP.
    let mut api = snap.services[0].clone();
    api.name = "api".into();
    api.address = "198.51.100.10:443".into();
    api.checks_suspended = true;
    snap.services.push(api);
    let web = &mut snap.services[0];
    web.quorum_up = false;
    web.sorry_server = Some("192.0.2.99:80".into());
    web.sorry_active = true;
    for server in &mut web.servers {
        server.health = Health::Down;
        server.last_check = Some("connect: connection refused".into());
        server.last_check_unix_ms = Some(45_295_000);
        server.failures_in_a_row = 3;
        server.passes_in_a_row = 0;
    }
    snap.services[0].servers[1].overloaded = true;
    snap
}

/// `services` services of `per_service` servers each (for scrolling and
/// the frame-time benchmark).
pub fn large_snapshot(services: usize, per_service: usize) -> Snapshot {
    let mut snap = snapshot();
    let template = snap.services[0].clone();
    snap.services = (0..services)
        .map(|s| {
            let mut service = template.clone();
            service.name = format!("svc{s:03}");
            service.address = format!("198.51.100.{}:{}", s % 250, 8000 + s);
            service.servers = (0..per_service)
                .map(|j| {
                    let mut server =
                        server(&format!("rs{s:03}-{j:03}"), 1, (j % 17) as u64, j % 50 == 0);
                    server.address = format!("203.0.113.{}:{}", j % 250, 10_000 + j);
                    server
                })
                .collect();
            service
        })
        .collect();
    snap
}
