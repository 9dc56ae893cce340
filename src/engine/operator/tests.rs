use std::net::Ipv4Addr;

use super::*;
use crate::config::{parse_str, Forwarding};
use crate::engine::command::AddCheck;
use crate::ipvs::model::Health;

const CONFIG: &str = r#"
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 150
virtual_ipaddress = ["192.0.2.50"]

[[virtual_server]]
name = "web"
address = "192.0.2.50"
port = 80
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.21"
port = 80
weight = 2
[[virtual_server.real_server]]
address = "192.0.2.22"
port = 80
"#;

fn state() -> EngineState {
    let config = parse_str("t.toml", CONFIG).unwrap();
    EngineState::new(
        &config,
        "d1".into(),
        &[Ipv4Addr::new(192, 0, 2, 11).into()],
        crate::engine::clock::Now::read(),
    )
}

fn request(command: Command) -> Request {
    Request {
        command,
        origin: "test".into(),
    }
}

fn drain(server: &str) -> Request {
    request(Command::Drain {
        service: "web".into(),
        server: server.into(),
    })
}

fn undrain(server: &str) -> Request {
    request(Command::Undrain {
        service: "web".into(),
        server: server.into(),
    })
}

#[test]
fn drain_zeroes_the_weight_in_the_table_and_logs_who() {
    let mut s = state();
    let (reply, effects) = s.apply(&drain("rs1"), Instant::now());
    assert!(reply.unwrap().to_string().contains("drained"));
    assert!(effects.table_changed);
    let table = s.plane_table();
    assert_eq!(table.services[0].dests[0].weight, 0);
    assert_eq!(table.services[0].dests[1].weight, 1);
    let last = s.journal.events().last().unwrap();
    assert!(
        last.text.starts_with("test: web/rs1: drained"),
        "{}",
        last.text
    );
}

#[test]
fn undrain_restores_the_weight_and_servers_match_by_address() {
    let mut s = state();
    s.apply(&drain("192.0.2.21:80"), Instant::now()).0.unwrap();
    let undrain = request(Command::Undrain {
        service: "192.0.2.50:80".into(),
        server: "rs1".into(),
    });
    assert!(s.apply(&undrain, Instant::now()).1.table_changed);
    assert_eq!(s.plane_table().services[0].dests[0].weight, 2);
}

#[test]
fn draining_twice_changes_nothing() {
    let mut s = state();
    s.apply(&drain("rs1"), Instant::now()).0.unwrap();
    let (reply, effects) = s.apply(&drain("rs1"), Instant::now());
    assert!(reply.unwrap().to_string().contains("already drained"));
    assert!(!effects.table_changed);
}

#[test]
fn unknown_names_are_refused_with_the_known_ones() {
    let mut s = state();
    let (reply, _) = s.apply(&drain("rs9"), Instant::now());
    assert_eq!(
        reply.unwrap_err(),
        "unknown real server \"rs9\" in web (known: rs1, 192.0.2.22:80)"
    );
    let bad = request(Command::Drain {
        service: "db".into(),
        server: "rs1".into(),
    });
    assert_eq!(
        s.apply(&bad, Instant::now()).0.unwrap_err(),
        "unknown virtual service \"db\" (known: web)"
    );
    let events_before = s.journal.events().count();
    let failover = request(Command::Failover {
        instance: "VI_9".into(),
    });
    assert!(s
        .apply(&failover, Instant::now())
        .0
        .unwrap_err()
        .contains("known: VI_1"));
    assert_eq!(
        s.journal.events().count(),
        events_before,
        "refusals are not journaled"
    );
}

#[test]
fn reweight_validates_the_range() {
    let mut s = state();
    let set = |weight| {
        request(Command::SetWeight {
            service: "web".into(),
            server: "rs1".into(),
            weight,
        })
    };
    assert!(s.apply(&set(70000), Instant::now()).0.is_err());
    assert_eq!(
        s.apply(&set(5), Instant::now()).0,
        Ok(crate::engine::Answer::Done("web/rs1: weight 2 -> 5".into()))
    );
    assert_eq!(s.plane_table().services[0].dests[0].weight, 5);
}

#[test]
fn failover_needs_mastership() {
    let mut s = state();
    let failover = request(Command::Failover {
        instance: "VI_1".into(),
    });
    let (reply, effects) = s.apply(&failover, Instant::now());
    assert_eq!(
        reply.unwrap_err(),
        "cannot fail over VI_1: this node is not master"
    );
    assert_eq!(effects, Effects::default());
}

fn add(address: &str, weight: u32) -> Request {
    add_checked(address, weight, None)
}

fn add_checked(address: &str, weight: u32, check: Option<AddCheck>) -> Request {
    request(Command::AddServer {
        service: "web".into(),
        server: std::net::SocketAddr::new(address.parse().unwrap(), 80),
        weight,
        name: None,
        forwarding: Forwarding::Nat,
        check,
    })
}

fn remove(server: &str, force: bool) -> Request {
    request(Command::RemoveServer {
        service: "web".into(),
        server: server.into(),
        force,
    })
}

#[test]
fn added_servers_join_the_table_and_removed_ones_leave_it() {
    let mut s = state();
    let (reply, effects) = s.apply(&add("192.0.2.23", 3), Instant::now());
    assert!(reply.unwrap().to_string().contains("added with weight 3"));
    assert!(effects.table_changed);
    assert_eq!(s.plane_table().services[0].dests.len(), 3);
    let (reply, effects) = s.apply(&remove("rs1", false), Instant::now());
    assert!(reply
        .unwrap()
        .to_string()
        .contains("established connections finish"));
    assert_eq!(effects.close, None);
    let table = s.plane_table();
    assert_eq!(table.services[0].dests.len(), 2);
    assert!(s.snapshot().server("web", "rs1").is_none());
    // Commands no longer see it; adding it back restores it.
    assert!(s.apply(&drain("rs1"), Instant::now()).0.is_err());
    let (reply, _) = s.apply(&add("192.0.2.21", 5), Instant::now());
    assert!(reply
        .unwrap()
        .to_string()
        .contains("added back with weight 5"));
    assert_eq!(s.snapshot().server("web", "rs1").unwrap().weight, 5);
}

#[test]
fn a_server_added_with_a_check_starts_down_until_the_check_passes() {
    let mut s = state();
    let request = add_checked(
        "192.0.2.24",
        2,
        Some(AddCheck::Http {
            path: "/health".into(),
        }),
    );
    let (reply, effects) = s.apply(&request, Instant::now());
    assert!(reply
        .unwrap()
        .to_string()
        .contains("checked by http:/health"));
    let added = &s.services[0].servers[2];
    assert_eq!(effects.start_checks, Some(added.id));
    assert_eq!(added.health, Health::Down);
    assert_eq!(added.checker_health, vec![Health::Down]);
    assert_eq!(
        added.config.http_get.first().unwrap().urls[0].path,
        "/health"
    );
    let dests = &s.plane_table().services[0].dests;
    assert!(
        dests
            .iter()
            .all(|d| d.address.ip().to_string() != "192.0.2.24"),
        "no traffic before the check passes"
    );
}

#[test]
fn a_disabled_service_schedules_nothing_and_says_so() {
    let mut s = state();
    let disable = request(Command::Disable {
        service: "web".into(),
    });
    let (reply, effects) = s.apply(&disable, Instant::now());
    assert!(reply.unwrap().to_string().contains("web: disabled"));
    assert!(effects.table_changed);
    assert!(s.plane_table().services[0]
        .dests
        .iter()
        .all(|d| d.weight == 0));
    assert!(!s.snapshot().services[0].enabled);
    let again = s.apply(&disable, Instant::now()).0;
    assert_eq!(again.unwrap_err(), "web is already disabled");
    let enable = request(Command::Enable {
        service: "web".into(),
    });
    assert!(s.apply(&enable, Instant::now()).0.is_ok());
    assert!(s.plane_table().services[0]
        .dests
        .iter()
        .all(|d| d.weight > 0));
    let unknown = request(Command::Enable {
        service: "nope".into(),
    });
    assert_eq!(
        s.apply(&unknown, Instant::now()).0.unwrap_err(),
        "unknown virtual service \"nope\" (known: web)"
    );
}

#[test]
fn a_forced_removal_asks_the_plane_to_close_connections() {
    let mut s = state();
    let (_, effects) = s.apply(&remove("192.0.2.22:80", true), Instant::now());
    let web: SocketAddr = "192.0.2.50:80".parse().unwrap();
    let rs2: SocketAddr = "192.0.2.22:80".parse().unwrap();
    assert_eq!(effects.close, Some((web, Protocol::Tcp, rs2)));
}

#[test]
fn bad_additions_are_refused_and_say_why() {
    let mut s = state();
    let duplicate = s.apply(&add("192.0.2.21", 1), Instant::now()).0;
    assert!(duplicate.unwrap_err().contains("already has rs1"));
    let family = s.apply(&add("2001:db8::1", 1), Instant::now()).0;
    assert!(family.unwrap_err().contains("address family"));
    let heavy = s.apply(&add("192.0.2.30", 70_000), Instant::now()).0;
    assert!(heavy.unwrap_err().contains("65535"), "weight range named");
}

#[test]
fn under_alpha_a_checked_server_starts_out_of_the_table() {
    let text = CONFIG.replace(
        "weight = 2\n",
        "weight = 2\nalpha = true\n[virtual_server.real_server.tcp_check]\n",
    );
    let config = parse_str("t.toml", &text).unwrap();
    let s = EngineState::new(
        &config,
        "d1".into(),
        &[Ipv4Addr::new(192, 0, 2, 11).into()],
        crate::engine::clock::Now::read(),
    );
    let table = s.plane_table();
    assert_eq!(table.services[0].dests.len(), 1, "rs1 waits for its check");
    assert_eq!(
        s.snapshot().server("web", "rs1").unwrap().health,
        crate::ipvs::model::Health::Down
    );
}

/// The test service with `options` (a sorry server and more) added.
fn with_sorry_server(options: &str) -> EngineState {
    let text = CONFIG.replace(
        "port = 80\n[[virtual_server.real_server]]\nname = \"rs1\"",
        &format!("port = 80\n{options}\n[[virtual_server.real_server]]\nname = \"rs1\""),
    );
    let config = parse_str("t.toml", &text).unwrap();
    EngineState::new(
        &config,
        "d1".into(),
        &[Ipv4Addr::new(192, 0, 2, 11).into()],
        crate::engine::clock::Now::read(),
    )
}

#[test]
fn losing_every_server_loses_the_quorum_and_brings_in_the_sorry_server() {
    let mut s = with_sorry_server(
        "quorum_down = \"/bin/true down\"\nquorum_up = \"/bin/true up\"\nsorry_server = { address = \"192.0.2.99\", port = 8080 }",
    );
    s.refresh_quorums();
    assert!(s.take_scripts().is_empty(), "the first look is silent");
    s.apply(&drain("rs1"), Instant::now()).0.unwrap();
    s.apply(&drain("192.0.2.22:80"), Instant::now()).0.unwrap();
    s.refresh_quorums();
    assert_eq!(s.take_scripts(), vec!["/bin/true down".to_string()]);
    let table = s.plane_table();
    let sorry: SocketAddr = "192.0.2.99:8080".parse().unwrap();
    assert!(table.services[0]
        .dests
        .iter()
        .any(|d| d.address == sorry && d.weight == 1));
    assert!(s.snapshot().services[0].sorry_active);
    s.apply(&undrain("rs1"), Instant::now()).0.unwrap();
    s.refresh_quorums();
    assert_eq!(s.take_scripts(), vec!["/bin/true up".to_string()]);
    assert!(s.plane_table().services[0]
        .dests
        .iter()
        .all(|d| d.address != sorry));
}

#[test]
fn an_inhibited_sorry_server_stays_in_the_table_at_weight_0_while_real_servers_serve() {
    let mut s = with_sorry_server(
        "sorry_server = { address = \"192.0.2.99\", port = 8080, inhibit = true, forwarding = \"dr\" }",
    );
    let sorry: SocketAddr = "192.0.2.99:8080".parse().unwrap();
    let weight = |s: &EngineState| {
        let table = s.plane_table();
        let dest = table.services[0]
            .dests
            .iter()
            .find(|d| d.address == sorry)
            .map(|d| (d.weight, d.forwarding));
        dest
    };
    assert_eq!(weight(&s), Some((0, crate::config::Forwarding::Dr)));
    s.apply(&drain("rs1"), Instant::now()).0.unwrap();
    s.apply(&drain("192.0.2.22:80"), Instant::now()).0.unwrap();
    assert_eq!(weight(&s), Some((1, crate::config::Forwarding::Dr)));
    s.apply(&undrain("rs1"), Instant::now()).0.unwrap();
    assert_eq!(weight(&s).map(|(w, _)| w), Some(0), "kept, at weight 0");
}
