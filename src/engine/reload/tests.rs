use super::*;
use crate::config::{parse_str, Config};
use crate::engine::state::EngineState;

const BASE: &str = r#"
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 150
virtual_ipaddress = ["192.0.2.50"]
[[vrrp_instance]]
name = "VI_2"
interface = "eth0"
virtual_router_id = 52
priority = 100
virtual_ipaddress = ["192.0.2.60"]
[[virtual_server]]
name = "web"
address = "192.0.2.50"
port = 80
[[virtual_server.real_server]]
name = "rs1"
address = "192.0.2.21"
port = 80
[virtual_server.real_server.tcp_check]
[[virtual_server.real_server]]
name = "rs2"
address = "192.0.2.22"
port = 80
"#;

const SECOND_SERVICE: &str = r#"
[[virtual_server]]
name = "dns"
address = "192.0.2.60"
port = 53
protocol = "udp"
[[virtual_server.real_server]]
address = "192.0.2.31"
port = 53
"#;

fn config(text: &str) -> Config {
    parse_str("t.toml", text).unwrap()
}

fn state(text: &str) -> EngineState {
    let config = config(text);
    let own = vec!["192.0.2.1".parse().unwrap(); config.vrrp_instances.len()];
    EngineState::new(
        &config,
        "d1".into(),
        &own,
        crate::engine::clock::Now::read(),
    )
}

#[test]
fn an_unchanged_configuration_plans_nothing() {
    let plan = plan(&config(BASE), &config(BASE)).unwrap();
    assert!(plan.is_empty(), "{plan:?}");
    assert_eq!(
        plan.instances,
        [InstanceStep::Keep(0), InstanceStep::Keep(1)]
    );
}

#[test]
fn real_servers_are_added_removed_and_reweighted_in_place() {
    let new = BASE
        .replace(
            "name = \"rs2\"\naddress = \"192.0.2.22\"",
            "name = \"rs3\"\naddress = \"192.0.2.23\"",
        )
        .replace(
            "port = 80\n[virtual_server.real_server.tcp_check]",
            "port = 80\nweight = 4\n[virtual_server.real_server.tcp_check]",
        );
    let plan = plan(&config(BASE), &config(&new)).unwrap();
    let [ServiceStep::Update { servers, .. }] = plan.services.as_slice() else {
        panic!("{plan:?}");
    };
    assert_eq!(servers.len(), 3, "{servers:?}");
    assert!(matches!(&servers[0], ServerChange::Remove(a) if a.to_string() == "192.0.2.22:80"));
    assert!(
        matches!(&servers[1], ServerChange::Update { config, restart_checks: false } if config.weight.0 == 4)
    );
    assert!(matches!(&servers[2], ServerChange::Add(r) if r.address.to_string() == "192.0.2.23"));
}

#[test]
fn instances_are_kept_changed_in_place_restarted_added_and_removed() {
    let new = BASE
        .replace("priority = 150", "priority = 140")
        .replace("virtual_router_id = 52", "virtual_router_id = 53")
        + r#"
[[vrrp_instance]]
name = "VI_3"
interface = "eth0"
virtual_router_id = 54
priority = 100
virtual_ipaddress = ["192.0.2.70"]
"#;
    let plan = plan(&config(BASE), &config(&new)).unwrap();
    assert_eq!(
        plan.instances,
        [
            InstanceStep::Update(0),
            InstanceStep::Restart(1),
            InstanceStep::Add
        ]
    );
    assert!(plan.removed_instances.is_empty());
    let without_second = BASE.replace(
        "[[vrrp_instance]]\nname = \"VI_2\"\ninterface = \"eth0\"\nvirtual_router_id = 52\npriority = 100\nvirtual_ipaddress = [\"192.0.2.60\"]\n",
        "",
    );
    let plan = super::plan(&config(BASE), &config(&without_second)).unwrap();
    assert_eq!(plan.instances, [InstanceStep::Keep(0)]);
    assert_eq!(plan.removed_instances, [1]);
}

#[test]
fn becoming_the_address_owner_needs_a_restart_and_addresses_do_not() {
    let owner = BASE.replace("priority = 150", "priority = 255");
    let plan = plan(&config(BASE), &config(&owner)).unwrap();
    assert_eq!(plan.instances[0], InstanceStep::Restart(0));
    let vips = BASE.replace("[\"192.0.2.50\"]", "[\"192.0.2.50\", \"192.0.2.51\"]");
    let plan = super::plan(&config(BASE), &config(&vips)).unwrap();
    assert_eq!(plan.instances[0], InstanceStep::Update(0));
}

#[test]
fn changed_checks_restart_only_that_servers_checkers() {
    let checks = BASE.replace(
        "[virtual_server.real_server.tcp_check]",
        "[virtual_server.real_server.tcp_check]\nretry = 5",
    );
    let plan = plan(&config(BASE), &config(&checks)).unwrap();
    let [ServiceStep::Update { servers, .. }] = plan.services.as_slice() else {
        panic!("{plan:?}");
    };
    assert!(matches!(
        servers.as_slice(),
        [ServerChange::Update { config, restart_checks: true }] if config.address.to_string() == "192.0.2.21"
    ));
    // A service-wide delay_loop reaches the checked server only.
    let delay = BASE.replace(
        "port = 80\n[[virtual_server.real_server]]\nname = \"rs1\"",
        "port = 80\ndelay_loop = 3\n[[virtual_server.real_server]]\nname = \"rs1\"",
    );
    let plan = super::plan(&config(BASE), &config(&delay)).unwrap();
    let [ServiceStep::Update { servers, .. }] = plan.services.as_slice() else {
        panic!("{plan:?}");
    };
    assert!(
        matches!(
            servers.as_slice(),
            [ServerChange::Update {
                restart_checks: true,
                ..
            }]
        ),
        "{servers:?}"
    );
}

#[test]
fn services_are_added_and_removed_by_address_port_and_protocol() {
    let added = format!("{BASE}{SECOND_SERVICE}");
    let plan = plan(&config(BASE), &config(&added)).unwrap();
    assert!(matches!(plan.services.as_slice(), [ServiceStep::Add(s)] if s.port.0 == 53));
    let plan = super::plan(&config(&added), &config(BASE)).unwrap();
    assert!(
        matches!(plan.services.as_slice(), [ServiceStep::Remove(key)] if key.address.port() == 53)
    );
}

#[test]
fn the_kernel_planes_start_options_need_a_restart() {
    let new = format!("[global]\nremove_unmanaged = true\n{BASE}");
    let blocked = plan(&config(BASE), &config(&new)).unwrap_err();
    assert!(blocked[0].contains("remove_unmanaged"), "{blocked:?}");
}

#[test]
fn locking_memory_needs_a_restart() {
    let new = format!("[global]\nlock_memory = true\n{BASE}");
    let blocked = plan(&config(BASE), &config(&new)).unwrap_err();
    assert!(blocked[0].contains("lock_memory"), "{blocked:?}");
}

#[test]
fn a_removed_service_leaves_table_and_snapshot_and_comes_back_fresh() {
    let with_dns = format!("{BASE}{SECOND_SERVICE}");
    let mut s = state(&with_dns);
    let dns_server = s.services[1].servers[0].id;
    let steps = plan(&config(&with_dns), &config(BASE)).unwrap().services;
    let applied = s.apply_service_steps(steps);
    assert_eq!(applied.stop_checks, [dns_server]);
    assert_eq!(s.locate(dns_server), None, "gone, not a placeholder");
    assert_eq!(applied.summary, ["1 virtual service(s) removed"]);
    assert_eq!(s.plane_table().services.len(), 1);
    assert_eq!(s.snapshot().services.len(), 1);
    assert!(s.service_index("dns").is_err());
    let steps = plan(&config(BASE), &config(&with_dns)).unwrap().services;
    let applied = s.apply_service_steps(steps);
    let back = s.services[1].servers[0].id;
    assert_ne!(back, dns_server, "a new server, not the old one's identity");
    assert_eq!(applied.start_checks, [back]);
    assert_eq!(s.locate(back), Some((1, 0)));
    assert_eq!(s.service_index("dns"), Ok(1));
    assert_eq!(s.plane_table().services.len(), 2);
}

#[test]
fn operator_overrides_survive_a_reload() {
    use crate::engine::command::{Command, Request};
    let mut s = state(BASE);
    let now = std::time::Instant::now();
    for command in [
        Command::SetWeight {
            service: "web".into(),
            server: "rs1".into(),
            weight: 7,
        },
        Command::Drain {
            service: "web".into(),
            server: "rs2".into(),
        },
    ] {
        let request = Request {
            command,
            origin: "test".into(),
        };
        s.apply(&request, now).0.unwrap();
    }
    let new = BASE
        .replace(
            "name = \"rs1\"\naddress = \"192.0.2.21\"\nport = 80",
            "name = \"rs1\"\naddress = \"192.0.2.21\"\nport = 80\nweight = 3",
        )
        .replace(
            "name = \"rs2\"\naddress = \"192.0.2.22\"\nport = 80",
            "name = \"rs2\"\naddress = \"192.0.2.22\"\nport = 80\nweight = 2",
        );
    let steps = plan(&config(BASE), &config(&new)).unwrap().services;
    s.apply_service_steps(steps);
    let servers = &s.services[0].servers;
    assert_eq!(servers[0].weight, 7, "the operator's weight is kept");
    assert!(servers[1].drained, "the drain is kept");
    assert_eq!(
        servers[1].weight, 2,
        "a weight the operator did not set follows the file"
    );
}
