use std::path::Path;

use super::*;
use crate::config::diagnostic::Severity;
use crate::config::values::Seconds;
use crate::config::{SchedulerName, VrrpVersion};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keepalived")
        .join(name)
}

fn errors(diagnostics: &[Diagnostic]) -> Vec<String> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_guide_with_slash_comments_loads_and_says_what_it_ignores() {
    let (config, diagnostics) = load_file(&fixture("guide-000.conf"), None);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    let config = config.expect("loads");
    let instance = &config.vrrp_instances[0];
    assert_eq!(
        (
            instance.interface.as_str(),
            instance.virtual_router_id.0,
            instance.priority.0
        ),
        ("ens32", 51, 100)
    );
    assert_eq!(
        instance.version,
        VrrpVersion::V2,
        "keepalived's default version"
    );
    assert_eq!(instance.authentication.as_ref().unwrap().auth_pass, "1111");
    assert_eq!(instance.virtual_ipaddress[0].to_string(), "192.168.100.254");
    let service = &config.virtual_servers[0];
    assert_eq!((service.port.0, service.scheduler), (80, SchedulerName::Rr));
    let check = service.real_servers[0].tcp_check.first().unwrap();
    assert_eq!((check.retry, check.connect_timeout.0.as_secs()), (3, 3));
    let warnings: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("guide-000.conf:4:47: warning: `//` starts a comment")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`nb_get_retry` is deprecated")),
        "{warnings:#?}"
    );
    assert!(warnings
        .iter()
        .any(|w| w.contains("`lb_algo` is deprecated; keepalived now calls it `lvs_sched`")));
    assert!(warnings
        .iter()
        .any(|w| w.contains("DR forwarding needs the kernel plane")));
}

#[test]
fn the_second_guide_loads_too() {
    let (config, diagnostics) = load_file(&fixture("guide-001.conf"), None);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    assert_eq!(config.unwrap().virtual_servers[0].real_servers.len(), 2);
}

#[test]
fn a_misspelt_keyword_is_an_error_with_a_suggestion_and_a_caret() {
    let text = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    advert_intt 1\n    virtual_ipaddress {\n        192.0.2.50\n    }\n}\n";
    let (config, diagnostics) = load_str("keepalived.conf", text);
    assert!(config.is_none());
    assert_eq!(
        diagnostics[0].render(),
        "keepalived.conf:4:5: error: unknown keyword `advert_intt` in vrrp_instance; did you mean `advert_int`?\n  |\n4 |     advert_intt 1\n  |     ^\n"
    );
}

#[test]
fn values_are_validated_where_they_stand() {
    let text = "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 300\n  virtual_ipaddress {\n    192.0.2.50/40\n  }\n}\n";
    let (_, diagnostics) = load_str("k.conf", text);
    assert_eq!(
        errors(&diagnostics),
        [
            "k.conf:3:21: virtual_router_id must be 1..=255, not 300",
            "k.conf:5:5: prefix \"40\" must be 0..=32"
        ]
    );
}

#[test]
fn semantic_problems_point_at_the_declaration() {
    let text = "vrrp_instance A {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.50\n }\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 52\n virtual_ipaddress {\n  192.0.2.51\n }\n}\n";
    let (_, diagnostics) = load_str("k.conf", text);
    assert_eq!(
        errors(&diagnostics),
        ["k.conf:8:1: vrrp_instance name \"A\" is used twice"]
    );
}

#[test]
fn braces_on_the_next_line_and_unbalanced_braces() {
    let text = "global_defs\n{\n  router_id lb1\n}\n";
    let (config, diagnostics) = load_str("k.conf", text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(config.unwrap().global.router_id.as_deref(), Some("lb1"));
    let (_, diagnostics) = load_str("k.conf", "global_defs {\n  router_id lb1\n");
    assert_eq!(
        errors(&diagnostics),
        ["k.conf:1:13: this `{` is never closed"]
    );
}

#[test]
fn vrrp_no_swap_locks_memory_and_survives_export() {
    for keyword in ["vrrp_no_swap", "checker_no_swap"] {
        let text = format!("global_defs {{\n  {keyword}\n}}\n");
        let (config, diagnostics) = load_str("k.conf", &text);
        assert!(diagnostics.is_empty(), "{keyword}: {diagnostics:?}");
        let config = config.unwrap();
        assert!(config.global.lock_memory, "{keyword}");
        let (again, _) = load_str("k.conf", &export::to_keepalived(&config));
        assert!(again.unwrap().global.lock_memory, "{keyword} after export");
    }
    let (config, _) = load_str("k.conf", "global_defs {\n  router_id lb1\n}\n");
    assert!(!config.unwrap().global.lock_memory);
}

#[test]
fn fwmark_services_are_refused_clearly() {
    let (_, diagnostics) = load_str("k.conf", "virtual_server fwmark 1 {\n  delay_loop 6\n}\n");
    assert!(errors(&diagnostics)[0].contains("fwmark services need the kernel IPVS plane"));
}

#[test]
fn vrrp_features_map_onto_the_model() {
    let text = r#"
global_defs {
  vrrp_version 3
  notify_fifo /run/k.fifo
}
vrrp_script chk {
  script "/usr/bin/test -f /tmp/ok"
  interval 2
  weight -20
  fall 3
}
vrrp_sync_group G {
  group {
    VI_1
  }
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 0.5
  nopreempt
  unicast_src_ip 192.0.2.11
  unicast_peer {
    192.0.2.12
  }
  virtual_ipaddress {
    192.0.2.50/24 dev eth0 label eth0:vip
  }
  track_script {
    chk weight -30
  }
  track_interface {
    eth1
  }
  notify "/usr/local/bin/notify.sh"
}
"#;
    let (config, diagnostics) = load_str("k.conf", text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let config = config.unwrap();
    let i = &config.vrrp_instances[0];
    assert_eq!(i.version, VrrpVersion::V3);
    assert!(!i.preempt);
    assert_eq!(i.advert_int.0.as_millis(), 500);
    assert_eq!(i.unicast_peer[0].to_string(), "192.0.2.12");
    assert_eq!(i.virtual_ipaddress[0].label.as_deref(), Some("eth0:vip"));
    assert_eq!(
        (i.track_script[0].name.as_str(), i.track_script[0].weight),
        ("chk", Some(-30))
    );
    assert_eq!(i.track_interface[0].weight, 0);
    assert_eq!(config.vrrp_scripts[0].fall, 3);
    assert_eq!(config.vrrp_sync_groups[0].group, ["VI_1"]);
    assert_eq!(config.global.notify_fifo.as_deref(), Some("/run/k.fifo"));
}

#[test]
fn import_writes_toml_that_loads_to_the_same_configuration() {
    let (keepalived, _) = load_file(&fixture("guide-000.conf"), None);
    let (toml, warnings) = import(&fixture("guide-000.conf")).unwrap();
    assert!(!warnings.is_empty());
    assert!(
        toml.contains("guide-000.conf:7\n[[vrrp_instance]]"),
        "{toml}"
    );
    assert!(
        toml.contains("guide-000.conf:23\n[[virtual_server]]"),
        "{toml}"
    );
    let native = crate::config::parse_str("imported.toml", &toml).unwrap();
    assert_eq!(native, keepalived.unwrap());
}

const CHECKED: &str = r#"
virtual_server 192.0.2.100 80 {
    lvs_sched rr
    warmup 5
    real_server 192.0.2.11 80 {
        warmup 2
        HTTP_GET {
            url {
                path /health
                status_code 200-299 301
                digest 640205b7b0fc66c1ea91c463fac6334d
                regex "status: (GREEN|AMBER)"
                regex_options caseless multiline
            }
            url {
                path /maintenance
                regex MAINTENANCE
                regex_no_match
                virtualhost admin.example.com
            }
            connect_timeout 3
            nb_get_retry 2
            virtualhost www.example.com
            connect_ip 192.0.2.111
            bindto 192.0.2.1
            bind_port 10080
            warmup 3
            delay_loop 7
            log_all_failures
        }
        MISC_CHECK {
            misc_path "/usr/local/bin/check rs1 --fast"
            misc_timeout 4
            misc_dynamic
            warmup 1
            log_all_failures
        }
        PING_CHECK {
            connect_timeout 2
        }
        UDP_CHECK {
            connect_port 53
            payload 0a0b
            require_reply
        }
        SMTP_CHECK {
            connect_port 25
            helo_name director.example
        }
        DNS_CHECK {
            connect_port 53
            type a
            name www.example.org
        }
    }
}
"#;

#[test]
fn http_get_and_misc_check_map_and_survive_export() {
    let (config, diagnostics) = load_str("checked.conf", CHECKED);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    let config = config.unwrap();
    let real = &config.virtual_servers[0].real_servers[0];
    let http = real.http_get.first().unwrap();
    assert_eq!(
        http.urls[0]
            .status_code
            .iter()
            .map(|r| (r.low, r.high))
            .collect::<Vec<_>>(),
        vec![(200, 299), (301, 301)]
    );
    assert_eq!(http.retry, 2);
    assert_eq!(http.urls[0].regex.as_deref(), Some("status: (GREEN|AMBER)"));
    assert_eq!(http.urls[0].regex_options, ["caseless", "multiline"]);
    assert!(http.urls[0]
        .body_regex()
        .unwrap()
        .unwrap()
        .is_match(b"x\nStatus: green"));
    assert!(http.urls[1].regex_no_match);
    assert_eq!(http.urls[0].virtualhost, None);
    assert_eq!(
        http.urls[1].virtualhost.as_deref(),
        Some("admin.example.com")
    );
    let timing = crate::config::Timed::timing(http);
    assert_eq!(timing.connect_ip, Some("192.0.2.111".parse().unwrap()));
    assert_eq!(timing.bindto, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(timing.bind_port.map(|p| p.0), Some(10080));
    assert_eq!(timing.warmup, Some(Seconds::from_secs(3)));
    assert_eq!(timing.delay_loop, Some(Seconds::from_secs(7)));
    assert!(timing.log_all_failures);
    assert_eq!(
        config.virtual_servers[0].warmup,
        Some(Seconds::from_secs(5))
    );
    assert_eq!(real.warmup, Some(Seconds::from_secs(2)));
    assert_eq!(http.virtualhost.as_deref(), Some("www.example.com"));
    let misc = real.misc_check.first().unwrap();
    assert_eq!(misc.misc_path, "/usr/local/bin/check rs1 --fast");
    assert!(misc.misc_dynamic);
    assert!(misc.log_all_failures);
    assert_eq!(misc.warmup, Some(Seconds::from_secs(1)));
    assert_eq!(
        real.udp_check.first().unwrap().require_reply,
        Some(crate::config::values::HexBytes::default())
    );
    assert_eq!(
        real.dns_check
            .first()
            .unwrap()
            .record_type
            .map(|t| t.to_string())
            .as_deref(),
        Some("A")
    );
    assert_eq!(
        real.smtp_check.first().unwrap().helo_name.as_deref(),
        Some("director.example")
    );
    let written = export::to_keepalived(&config);
    let (again, _) = load_str("exported.conf", &written);
    assert_eq!(again.unwrap(), config, "{written}");
}

#[test]
fn a_bad_status_code_is_an_error_at_the_code_itself() {
    let text = CHECKED.replace("200-299 301", "299-200");
    let (config, diagnostics) = load_str("checked.conf", &text);
    assert!(config.is_none());
    let errors = errors(&diagnostics);
    assert!(errors[0].contains("runs backwards"), "{errors:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("checked.conf:10:29"), "{errors:?}");
}

#[test]
fn a_bad_regex_or_regex_option_is_an_error_at_its_check() {
    let text = CHECKED.replace("(GREEN|AMBER)", "(GREEN");
    let (config, diagnostics) = load_str("checked.conf", &text);
    assert!(config.is_none());
    let found = errors(&diagnostics);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("regex \"status: (GREEN\""), "{found:?}");
    let text = CHECKED.replace("caseless multiline", "caseless auto_callout");
    let (_, diagnostics) = load_str("checked.conf", &text);
    let found = errors(&diagnostics);
    assert!(
        found[0].contains("regex_options \"auto_callout\" is not one of caseless"),
        "{found:?}"
    );
}

#[test]
fn ssl_get_keeps_keepalived_unverified_and_says_so() {
    let text = "virtual_server 192.0.2.100 443 {\n    real_server 192.0.2.11 443 {\n        SSL_GET {\n            url {\n                path /\n            }\n            enable_sni\n            virtualhost www.example.com\n        }\n    }\n}\n";
    let (config, diagnostics) = load_str("ssl.conf", text);
    let ssl = config.unwrap().virtual_servers[0].real_servers[0].ssl_get[0].clone();
    assert!(!ssl.0.verify_certificate && ssl.0.enable_sni);
    assert!(diagnostics
        .iter()
        .any(|d| d.to_string().contains("certificates are not verified")));
}

#[test]
fn file_check_names_a_track_file_that_must_exist() {
    let good = "vrrp_track_file gate {\n    file /run/gate\n}\nvirtual_server 192.0.2.100 80 {\n    real_server 192.0.2.11 80 {\n        FILE_CHECK {\n            track_file gate\n            weight 2 reverse\n        }\n    }\n}\n";
    let (config, diagnostics) = load_str("file.conf", good);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    let config = config.unwrap();
    let check = config.virtual_servers[0].real_servers[0].file_check[0].clone();
    assert_eq!(
        (check.track_file.as_str(), check.weight, check.reverse),
        ("gate", Some(2), true)
    );
    let written = export::to_keepalived(&config);
    assert_eq!(
        load_str("again.conf", &written).0.unwrap(),
        config,
        "{written}"
    );
    let bad = good.replace(
        "            track_file gate",
        "            track_file nothere",
    );
    let (config, diagnostics) = load_str("file.conf", &bad);
    assert!(config.is_none());
    assert!(errors(&diagnostics)[0].contains("no vrrp_track_file defines"));
}

const GROUPED: &str = r#"
virtual_server group WEB {
    lvs_sched rr
    real_server 192.0.2.21 80 {
        weight 2
    }
}
virtual_server_group WEB {
    192.0.2.50 80
    192.0.2.51-52 8080
    fwmark 7
}
"#;

#[test]
fn a_virtual_server_group_becomes_one_service_per_entry() {
    let (config, diagnostics) = load_str("grouped.conf", GROUPED);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    let shown: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|d| d.contains("grouped.conf:11:5") && d.contains("firewall-mark entry")),
        "{shown:?}"
    );
    let config = config.unwrap();
    let services: Vec<String> = config
        .virtual_servers
        .iter()
        .map(|s| {
            format!(
                "{}:{} {:?} {}",
                s.address,
                s.port.0,
                s.scheduler,
                s.real_servers.len()
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            "192.0.2.50:80 Rr 1",
            "192.0.2.51:8080 Rr 1",
            "192.0.2.52:8080 Rr 1"
        ]
    );
    // The expansion exports as plain services that load back the same.
    let written = export::to_keepalived(&config);
    let (again, _) = load_str("exported.conf", &written);
    assert_eq!(again.unwrap(), config, "{written}");
}

#[test]
fn an_unknown_group_is_an_error_that_lists_the_known_ones() {
    let text = GROUPED.replace("virtual_server group WEB", "virtual_server group WBE");
    let (config, diagnostics) = load_str("grouped.conf", &text);
    assert!(config.is_none());
    let found = errors(&diagnostics);
    assert!(
        found[0].contains("grouped.conf:2:22")
            && found[0].contains("no virtual_server_group named \"WBE\" (declared: WEB)"),
        "{found:?}"
    );
}

#[test]
fn checker_options_of_a_virtual_or_real_server_reach_its_checkers_unless_overridden() {
    let text = r#"
virtual_server 192.0.2.10 80 {
    connect_timeout 2
    retry 4
    delay_before_retry 7
    virtualhost www.example.org
    inhibit_on_failure
    real_server 198.51.100.1 80 {
        TCP_CHECK {
            connect_timeout 9
        }
        retry 2
        delay_loop 11
    }
    real_server 198.51.100.2 80 {
        inhibit_on_failure off
        HTTP_GET {
            url {
                path /
            }
        }
        virtualhost api.example.org
    }
    real_server 198.51.100.3 80 {
        MISC_CHECK {
            misc_path "/bin/true"
        }
        SSL_GET {
            url {
                path /
            }
            virtualhost tls.example.org
            retry 0
        }
    }
}
"#;
    let (config, diagnostics) = load_str("k.conf", text);
    let notes: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        !notes.iter().any(|n| n.contains("not yet supported")),
        "{notes:#?}"
    );
    let reals = &config.expect("loads").virtual_servers[0].real_servers;
    let secs = |s: &Seconds| s.0.as_secs();

    // Its own connect_timeout; retry and delay_loop of its real server,
    // though they follow the checker; delay_before_retry of the service.
    let tcp = reals[0].tcp_check.first().unwrap();
    assert_eq!(
        (
            secs(&tcp.connect_timeout),
            tcp.retry,
            secs(&tcp.delay_before_retry),
            tcp.delay_loop.as_ref().map(secs)
        ),
        (9, 2, 7, Some(11))
    );
    assert!(
        reals[0].inhibit_on_failure,
        "the service's inhibit_on_failure"
    );

    // The service's options, and the real server's virtualhost.
    let http = reals[1].http_get.first().unwrap();
    assert_eq!(
        (
            secs(&http.connect_timeout),
            http.retry,
            secs(&http.delay_before_retry)
        ),
        (2, 4, 7)
    );
    assert_eq!(http.virtualhost.as_deref(), Some("api.example.org"));
    assert!(
        !reals[1].inhibit_on_failure,
        "turned off by the real server"
    );

    // MISC_CHECK takes the retries; a checker's own virtualhost and retry win.
    let misc = reals[2].misc_check.first().unwrap();
    assert_eq!((misc.retry, secs(&misc.delay_before_retry)), (4, 7));
    let ssl = reals[2].ssl_get.first().unwrap();
    assert_eq!(ssl.0.virtualhost.as_deref(), Some("tls.example.org"));
    assert_eq!((ssl.0.retry, secs(&ssl.0.connect_timeout)), (0, 2));
}

#[test]
fn a_bad_inhibit_on_failure_value_is_an_error_where_it_stands() {
    let text = "virtual_server 192.0.2.10 80 {\n    real_server 198.51.100.1 80 {\n        inhibit_on_failure maybe\n    }\n}\n";
    let (_, diagnostics) = load_str("k.conf", text);
    assert_eq!(
        errors(&diagnostics),
        ["k.conf:3:28: `inhibit_on_failure` takes true, false, on, off, yes or no, not \"maybe\""]
    );
}

#[test]
fn lvs_timeouts_map_and_survive_export_and_toml() {
    let (config, diagnostics) = load_str(
        "k.conf",
        "global_defs {\n  lvs_timeouts udp 60 tcp 7200\n}\n",
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let config = config.unwrap();
    let set = config.global.lvs_timeouts;
    assert_eq!(
        (set.tcp, set.tcpfin, set.udp),
        (
            Some(Seconds::from_secs(7200)),
            None,
            Some(Seconds::from_secs(60))
        )
    );
    let written = export::to_keepalived(&config);
    assert!(
        written.contains("    lvs_timeouts tcp 7200 udp 60\n"),
        "{written}"
    );
    let (again, _) = load_str("k.conf", &written);
    assert_eq!(again.unwrap().global.lvs_timeouts, set);
    let toml = toml::to_string(&config).unwrap();
    assert!(
        toml.contains("[global.lvs_timeouts]\ntcp = 7200\nudp = 60\n"),
        "{toml}"
    );
    let back = crate::config::parse_str("d.toml", &toml).unwrap();
    assert_eq!(back.global.lvs_timeouts, set);
}

#[test]
fn sorry_server_inhibit_and_lvs_method_map_wherever_they_stand_and_survive_export() {
    let text = "virtual_server 192.0.2.100 80 {\n    sorry_server_inhibit\n    sorry_server 192.0.2.99 8080\n    sorry_server_lvs_method DR\n    real_server 192.0.2.11 80 {\n    }\n}\nvirtual_server 192.0.2.100 81 {\n    sorry_server_inhibit\n}\n";
    let (config, diagnostics) = load_str("sorry.conf", text);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    let warnings: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        warnings.iter().any(|w| w.contains("sorry.conf:9:5")
            && w.contains(
                "`sorry_server_inhibit` does nothing: this virtual_server has no sorry_server"
            )),
        "{warnings:?}"
    );
    let config = config.unwrap();
    let sorry = config.virtual_servers[0].sorry_server.clone().unwrap();
    assert!(sorry.inhibit);
    assert_eq!(sorry.forwarding, Some(crate::config::Forwarding::Dr));
    let written = export::to_keepalived(&config);
    assert!(
        written.contains("    sorry_server_inhibit\n    sorry_server_lvs_method DR\n"),
        "{written}"
    );
    let (again, _) = load_str("sorry.conf", &written);
    assert_eq!(again.unwrap().virtual_servers[0].sorry_server, Some(sorry));
}

#[test]
fn ha_suspend_maps_and_survives_export() {
    let text = "virtual_server 192.0.2.100 80 {\n    ha_suspend\n    real_server 192.0.2.11 80 {\n    }\n}\n";
    let (config, diagnostics) = load_str("ha.conf", text);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let config = config.unwrap();
    assert!(config.virtual_servers[0].ha_suspend);
    let written = export::to_keepalived(&config);
    let (again, _) = load_str("ha.conf", &written);
    assert!(again.unwrap().virtual_servers[0].ha_suspend, "{written}");
}

#[test]
fn vrrp_track_process_maps_and_its_mistakes_are_located() {
    let text = "vrrp_track_process web {\n    process \"/usr/sbin/nginx\" -g \"daemon off;\"\n    param_match initial\n    weight -30 reverse\n    delay 1.5\n}\nvrrp_track_process long {\n    process a-process-name-too-long\n    param_match sometimes\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.50\n    }\n    track_process {\n        web weight -10\n        nosuch\n    }\n}\n";
    let (config, diagnostics) = load_str("p.conf", text);
    assert!(config.is_none());
    assert_eq!(
        errors(&diagnostics),
        [
            "p.conf:7:1: process \"a-process-name-too-long\" is longer than the 15 characters the kernel keeps of a process name, so it would never match; give the command (argv[0]) with full_command",
            "p.conf:9:17: param_match takes partial or initial, not \"sometimes\"",
            "p.conf:11:1: track_process names unknown vrrp_track_process \"nosuch\"",
        ]
    );
    let fixed = text
        .replace("a-process-name-too-long", "short")
        .replace("param_match sometimes", "param_match partial")
        .replace("        nosuch\n", "");
    let (config, diagnostics) = load_str("p.conf", &fixed);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    let config = config.unwrap();
    let web = &config.vrrp_track_processes[0];
    assert_eq!(web.process, "/usr/sbin/nginx");
    assert_eq!(web.params, ["-g", "daemon off;"]);
    assert_eq!(web.param_match, Some(crate::config::ParamMatch::Initial));
    assert_eq!((web.weight, web.reverse), (-30, true));
    assert_eq!(
        web.fork_delay,
        Some(Seconds(std::time::Duration::from_millis(1500)))
    );
    assert_eq!(web.terminate_delay, web.fork_delay);
    assert_eq!(config.vrrp_instances[0].track_process[0].weight, Some(-10));
    let (again, _) = load_str("p.conf", &export::to_keepalived(&config));
    assert_eq!(
        again.unwrap().vrrp_track_processes,
        config.vrrp_track_processes
    );
}

#[test]
fn a_sync_groups_tracking_maps_and_its_conflicts_are_errors() {
    let text = "vrrp_script chk {\n    script /bin/true\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.50\n    }\n    track_interface {\n        eth1\n    }\n}\nvrrp_sync_group G {\n    group {\n        VI_1\n    }\n    track_interface {\n        eth1\n    }\n    track_script {\n        chk weight -10\n        nosuch\n    }\n}\n";
    let (config, diagnostics) = load_str("g.conf", text);
    assert!(config.is_none());
    assert_eq!(
        errors(&diagnostics),
        [
            "g.conf:14:1: track_script names unknown vrrp_script \"nosuch\"",
            "g.conf:14:1: track_interface eth1 is tracked by vrrp_instance VI_1 and by its sync group G; track it in one of them (keepalived refuses both)",
        ]
    );
    let fixed = text.replace("        nosuch\n", "").replace(
        "    track_interface {\n        eth1\n    }\n}\nvrrp_sync_group",
        "}\nvrrp_sync_group",
    );
    let (config, diagnostics) = load_str("g.conf", &fixed);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    let group = &config.unwrap().vrrp_sync_groups[0];
    assert_eq!(group.track_interface[0].name, "eth1");
    assert_eq!(group.track_script[0].weight, Some(-10));
}

#[test]
fn every_checker_block_of_a_real_server_is_kept_and_written_back() {
    let text = "virtual_server 192.0.2.50 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n\
                real_server 192.0.2.21 80 {\n    TCP_CHECK {\n      connect_timeout 3\n    }\n\
                TCP_CHECK {\n      connect_port 443\n      connect_timeout 3\n    }\n\
                HTTP_GET {\n      url {\n        path /a\n      }\n    }\n\
                HTTP_GET {\n      url {\n        path /b\n      }\n    }\n  }\n}\n";
    let (config, diagnostics) = load_str("k.conf", text);
    assert_eq!(errors(&diagnostics), Vec::<String>::new());
    let config = config.expect("loads");
    let real = &config.virtual_servers[0].real_servers[0];
    let ports: Vec<_> = real
        .tcp_check
        .iter()
        .map(|c| c.connect_port.map(|p| p.0))
        .collect();
    assert_eq!(
        ports,
        [None, Some(443)],
        "the second TCP_CHECK replaced the first"
    );
    let paths: Vec<_> = real
        .http_get
        .iter()
        .map(|h| h.urls[0].path.clone())
        .collect();
    assert_eq!(paths, ["/a", "/b"]);
    assert_eq!(real.checker_count(), 4);
    let written = to_keepalived(&config);
    assert_eq!(written.matches("TCP_CHECK {").count(), 2, "{written}");
    assert_eq!(written.matches("HTTP_GET {").count(), 2, "{written}");
    let (again, _) = load_str("again.conf", &written);
    assert_eq!(
        again.expect("reads back").virtual_servers,
        config.virtual_servers
    );
}
