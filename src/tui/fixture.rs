//! A fixed snapshot for console tests.

use std::collections::BTreeMap;

use crate::engine::journal::{Event, EventKind};
use crate::engine::snapshot::{
    InstanceView, Owner, ServerView, ServiceView, Snapshot, TrafficView, SNAPSHOT_VERSION,
};
use crate::ipvs::model::Health;
use crate::vrrp::instance::State;

fn server(name: &str, last_octet: u8, active: u64, drained: bool) -> ServerView {
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
        health: Health::Up,
        checks_run: 10,
        failures_in_a_row: 0,
        passes_in_a_row: 10,
        last_check: Some("ok".into()),
        last_check_unix_ms: Some(1_000),
    }
}

/// Director 1 as master of VI_1 with three servers, one drained.
pub fn snapshot() -> Snapshot {
    Snapshot {
        version: SNAPSHOT_VERSION,
        node: "d1".into(),
        dataplane: "userspace".into(),
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
            enabled: true,
            servers: vec![
                server("rs1", 21, 4, false),
                server("rs2", 22, 0, true),
                server("rs3", 23, 5, false),
            ],
        }],
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
        ],
    }
}
