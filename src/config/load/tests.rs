use super::*;

const GOOD: &str = r#"
[[vrrp_instance]]
name = "VI_1"
interface = "eth0"
virtual_router_id = 51
priority = 150
advert_int = 0.5
virtual_ipaddress = ["192.0.2.50"]

[[virtual_server]]
address = "192.0.2.50"
port = 80
scheduler = "wrr"
delay_loop = 2

[[virtual_server.real_server]]
address = "198.51.100.21"
port = 8080
weight = 3
[virtual_server.real_server.tcp_check]
connect_timeout = 1
"#;

fn errors(text: &str) -> Vec<String> {
    parse_str("director.toml", text)
        .unwrap_err()
        .into_iter()
        .map(|d| d.to_string())
        .collect()
}

#[test]
fn a_good_file_loads_with_defaults() {
    let config = parse_str("director.toml", GOOD).unwrap();
    let instance = &config.vrrp_instances[0];
    assert_eq!(instance.priority.0, 150);
    assert!(instance.preempt);
    assert_eq!(instance.advert_int.0.as_millis(), 500);
    let real = &config.virtual_servers[0].real_servers[0];
    assert_eq!(real.weight.0, 3);
    let check = real.tcp_check.first().unwrap();
    assert_eq!(check.retry, 1);
    assert_eq!(check.delay_before_retry.0.as_secs(), 1);
}

#[test]
fn out_of_range_priority_points_at_the_value() {
    let text = GOOD.replace("priority = 150", "priority = 300");
    assert_eq!(
        errors(&text),
        vec!["director.toml:6:12: priority must be 1..=255, not 300"]
    );
}

#[test]
fn unknown_key_is_located() {
    let text = GOOD.replace("advert_int = 0.5", "advert_intt = 0.5");
    let all = errors(&text);
    assert_eq!(all.len(), 1);
    assert!(
        all[0].starts_with("director.toml:7:1: unknown field `advert_intt`"),
        "{}",
        all[0]
    );
}

#[test]
fn unknown_scheduler_lists_the_known_ones() {
    let text = GOOD.replace("\"wrr\"", "\"wlx\"");
    let all = errors(&text);
    assert!(
        all[0].starts_with("director.toml:13:13: unknown variant `wlx`"),
        "{}",
        all[0]
    );
    assert!(all[0].contains("`wlc`"));
}

#[test]
fn semantic_problems_are_located_too() {
    let text = format!(
        "{GOOD}\n[[virtual_server.real_server]]\naddress = \"198.51.100.21\"\nport = 8080\n"
    );
    assert_eq!(
        errors(&text),
        vec!["director.toml:24:11: real_server 198.51.100.21:8080 appears twice in virtual_server 192.0.2.50:80"]
    );
    let bad_advert = GOOD.replace("advert_int = 0.5", "advert_int = 0.005");
    assert_eq!(
        errors(&bad_advert),
        vec![
            "director.toml:7:14: advert_int must be 0.01..=40.95 seconds in steps of 0.01 (VRRPv3)"
        ]
    );
}

#[test]
fn shipped_example_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/examples/director.toml");
    assert!(load_file(Path::new(path)).unwrap().warnings.is_empty());
}

#[test]
fn unreadable_file_names_the_file() {
    let err = load_file(Path::new("/nonexistent/director.toml")).unwrap_err();
    assert!(err[0]
        .to_string()
        .starts_with("/nonexistent/director.toml:0:0: cannot read"));
}
