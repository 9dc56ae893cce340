//! Writing the model back out as keepalived.conf.

use std::fmt::Write;

use crate::config::{CheckTiming, Config, Forwarding, Tracks, VrrpInstance, VrrpVersion};
use crate::ipvs::model::netmask_text;

/// `text` in double quotes, its quotes escaped.
pub(crate) fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\\\""))
}

/// An instance's or sync group's `track_*` blocks.
fn write_tracks(out: &mut String, tracks: Tracks<'_>) {
    if !tracks.interfaces.is_empty() {
        let _ = writeln!(out, "    track_interface {{");
        for t in tracks.interfaces {
            let _ = writeln!(out, "        {} weight {}", t.name, t.weight);
        }
        let _ = writeln!(out, "    }}");
    }
    for (key, list) in [
        ("track_script", tracks.scripts),
        ("track_file", tracks.files),
        ("track_process", tracks.processes),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "    {key} {{");
            for t in list {
                match t.weight {
                    Some(w) => {
                        let _ = writeln!(out, "        {} weight {w}", t.name);
                    }
                    None => {
                        let _ = writeln!(out, "        {}", t.name);
                    }
                }
            }
            let _ = writeln!(out, "    }}");
        }
    }
}

/// keepalived's name of a forwarding method.
fn method(forwarding: Forwarding) -> &'static str {
    match forwarding {
        Forwarding::Nat => "NAT",
        Forwarding::Dr => "DR",
        Forwarding::Tun => "TUN",
    }
}

/// Whether `config` runs any script (keepalived then wants to know as whom).
fn has_scripts(config: &Config) -> bool {
    let instance = config.vrrp_instances.iter().any(|i| {
        [
            &i.notify_master,
            &i.notify_backup,
            &i.notify_fault,
            &i.notify_stop,
            &i.notify,
        ]
        .iter()
        .any(|s| s.is_some())
    });
    let group = config.vrrp_sync_groups.iter().any(|g| {
        [
            &g.notify_master,
            &g.notify_backup,
            &g.notify_fault,
            &g.notify,
        ]
        .iter()
        .any(|s| s.is_some())
    });
    let service = config.virtual_servers.iter().any(|v| {
        v.quorum_up.is_some()
            || v.quorum_down.is_some()
            || v.real_servers.iter().any(|r| {
                r.notify_up.is_some() || r.notify_down.is_some() || !r.misc_check.is_empty()
            })
    });
    !config.vrrp_scripts.is_empty() || instance || group || service
}

/// keepalived.conf text equivalent to `config`.
pub fn to_keepalived(config: &Config) -> String {
    let mut out = String::from("! Written by `director config export --format keepalived`.\n\n");
    let _ = writeln!(out, "global_defs {{");
    if let Some(id) = &config.global.router_id {
        let _ = writeln!(out, "    router_id {id}");
    }
    if let Some(fifo) = &config.global.notify_fifo {
        let _ = writeln!(out, "    notify_fifo {fifo}");
    }
    if has_scripts(config) {
        // director runs scripts as its own user (root under systemd), as
        // keepalived does with these, and without its warning.
        let _ = writeln!(out, "    enable_script_security\n    script_user root");
    }
    if config.global.remove_unmanaged {
        let _ = writeln!(out, "    lvs_flush");
    }
    if config.global.lock_memory {
        let _ = writeln!(out, "    vrrp_no_swap\n    checker_no_swap");
    }
    if !config.global.garp_interval.is_zero() {
        let _ = writeln!(
            out,
            "    vrrp_garp_interval {}",
            config.global.garp_interval
        );
    }
    if !config.global.gna_interval.is_zero() {
        let _ = writeln!(out, "    vrrp_gna_interval {}", config.global.gna_interval);
    }
    if !config.global.startup_delay.is_zero() {
        let _ = writeln!(
            out,
            "    vrrp_startup_delay {}",
            config.global.startup_delay
        );
    }
    if !config.global.lvs_timeouts.is_unset() {
        let _ = write!(out, "    lvs_timeouts");
        for (name, timeout) in config.global.lvs_timeouts.named() {
            if let Some(timeout) = timeout {
                let _ = write!(out, " {name} {timeout}");
            }
        }
        let _ = writeln!(out);
    }
    if config.global.script_timeout != crate::config::Global::default().script_timeout {
        // keepalived has no such setting; director reads it back from here.
        let _ = writeln!(
            out,
            "    ! director only (keepalived has no equivalent): script_timeout {}",
            config.global.script_timeout
        );
    }
    let _ = writeln!(out, "}}\n");
    for script in &config.vrrp_scripts {
        let _ = writeln!(out, "vrrp_script {} {{", script.name);
        let _ = writeln!(out, "    script {}", quoted(&script.script));
        let _ = writeln!(out, "    interval {}", script.interval);
        if let Some(timeout) = script.timeout {
            let _ = writeln!(out, "    timeout {}", timeout);
        }
        if script.init_fail {
            let _ = writeln!(out, "    init_fail");
        }
        let _ = writeln!(
            out,
            "    weight {}\n    rise {}\n    fall {}\n}}\n",
            script.weight, script.rise, script.fall
        );
    }
    for file in &config.vrrp_track_files {
        let init = file.init_file.map_or(String::new(), |init| {
            let overwrite = if init.overwrite { " overwrite" } else { "" };
            format!("    init_file {}{overwrite}\n", init.value)
        });
        let _ = writeln!(
            out,
            "vrrp_track_file {} {{\n    file {}\n    weight {}\n{init}}}\n",
            file.name, file.file, file.weight
        );
    }
    for process in &config.vrrp_track_processes {
        let _ = writeln!(out, "{}", super::track_process_map::write(process));
    }
    for group in &config.vrrp_sync_groups {
        let _ = writeln!(out, "vrrp_sync_group {} {{\n    group {{", group.name);
        for member in &group.group {
            let _ = writeln!(out, "        {member}");
        }
        let _ = writeln!(out, "    }}");
        for (key, value) in [
            ("notify_master", &group.notify_master),
            ("notify_backup", &group.notify_backup),
            ("notify_fault", &group.notify_fault),
            ("notify", &group.notify),
        ] {
            if let Some(value) = value {
                let _ = writeln!(out, "    {key} {}", quoted(value));
            }
        }
        write_tracks(&mut out, group.tracks());
        let _ = writeln!(out, "}}\n");
    }
    for instance in &config.vrrp_instances {
        instance_block(&mut out, instance);
    }
    for service in &config.virtual_servers {
        let _ = writeln!(
            out,
            "virtual_server {} {} {{",
            service.address, service.port
        );
        let _ = writeln!(out, "    delay_loop {}", service.delay_loop);
        let _ = writeln!(
            out,
            "    lvs_sched {}\n    lvs_method {}\n    protocol {}",
            service.scheduler.name(),
            method(service.forwarding),
            service.protocol.name()
        );
        for flag in service.scheduler_flags() {
            let _ = writeln!(out, "    {flag}");
        }
        if service.alpha {
            let _ = writeln!(out, "    alpha");
        }
        if service.omega {
            let _ = writeln!(out, "    omega");
        }
        if let Some(warmup) = service.warmup {
            let _ = writeln!(out, "    warmup {warmup}");
        }
        if service.quorum != 1 {
            let _ = writeln!(out, "    quorum {}", service.quorum);
        }
        if service.hysteresis != 0 {
            let _ = writeln!(out, "    hysteresis {}", service.hysteresis);
        }
        for (key, script) in [
            ("quorum_up", &service.quorum_up),
            ("quorum_down", &service.quorum_down),
        ] {
            if let Some(line) = script {
                let _ = writeln!(out, "    {key} {}", quoted(line));
            }
        }
        if service.ha_suspend {
            let _ = writeln!(out, "    ha_suspend");
        }
        if let Some(sorry) = &service.sorry_server {
            let _ = writeln!(out, "    sorry_server {} {}", sorry.address, sorry.port);
            if sorry.inhibit {
                let _ = writeln!(out, "    sorry_server_inhibit");
            }
            if let Some(forwarding) = sorry.forwarding {
                let _ = writeln!(out, "    sorry_server_lvs_method {}", method(forwarding));
            }
        }
        if let Some(timeout) = service.persistence_timeout {
            let _ = writeln!(out, "    persistence_timeout {timeout}");
        }
        if let Some(bits) = service.persistence_granularity {
            let mask = netmask_text(service.address.is_ipv6(), bits);
            let _ = writeln!(out, "    persistence_granularity {mask}");
        }
        for real in &service.real_servers {
            let _ = writeln!(
                out,
                "    real_server {} {} {{\n        weight {}",
                real.address, real.port, real.weight
            );
            if real.inhibit_on_failure {
                let _ = writeln!(out, "        inhibit_on_failure");
            }
            if let Some(forwarding) = real.forwarding {
                let _ = writeln!(out, "        lvs_method {}", method(forwarding));
            }
            for (key, script) in [
                ("notify_up", &real.notify_up),
                ("notify_down", &real.notify_down),
            ] {
                if let Some(line) = script {
                    let _ = writeln!(out, "        {key} {}", quoted(line));
                }
            }
            if let Some(warmup) = real.warmup {
                let _ = writeln!(out, "        warmup {warmup}");
            }
            if real.alpha == Some(true) {
                let _ = writeln!(out, "        alpha");
            }
            if real.uthreshold > 0 {
                let _ = writeln!(out, "        uthreshold {}", real.uthreshold);
            }
            if real.lthreshold > 0 {
                let _ = writeln!(out, "        lthreshold {}", real.lthreshold);
            }
            for check in real.checkers() {
                check.write(&mut out);
            }
            let _ = writeln!(out, "    }}");
        }
        let _ = writeln!(out, "}}\n");
    }
    out
}

/// The shared options of a network checker, closing its block.
pub(crate) fn write_timing(out: &mut String, timing: CheckTiming) {
    if let Some(ip) = timing.connect_ip {
        let _ = writeln!(out, "            connect_ip {ip}");
    }
    if let Some(ip) = timing.bindto {
        let _ = writeln!(out, "            bindto {ip}");
    }
    if let Some(port) = timing.bind_port {
        let _ = writeln!(out, "            bind_port {port}");
    }
    if let Some(warmup) = timing.warmup {
        let _ = writeln!(out, "            warmup {warmup}");
    }
    if let Some(delay) = timing.delay_loop {
        let _ = writeln!(out, "            delay_loop {delay}");
    }
    if timing.log_all_failures {
        let _ = writeln!(out, "            log_all_failures");
    }
    if let Some(port) = timing.connect_port {
        let _ = writeln!(out, "            connect_port {port}");
    }
    let _ = writeln!(
        out,
        "            connect_timeout {}\n            retry {}\n            delay_before_retry {}\n        }}",
        timing.connect_timeout, timing.retry, timing.delay_before_retry
    );
}

fn instance_block(out: &mut String, i: &VrrpInstance) {
    let _ = writeln!(out, "vrrp_instance {} {{", i.name);
    let version = if i.version == VrrpVersion::V2 { 2 } else { 3 };
    // keepalived takes mastership at once only with `state MASTER` and
    // priority 255; otherwise both wait for Master_Down_Interval, as
    // director does.
    let state = if i.priority.0 == 255 {
        "MASTER"
    } else {
        "BACKUP"
    };
    let _ = writeln!(
        out,
        "    state {state}\n    interface {}\n    virtual_router_id {}",
        i.interface, i.virtual_router_id
    );
    let _ = writeln!(
        out,
        "    priority {}\n    advert_int {}\n    version {version}",
        i.priority, i.advert_int
    );
    if !i.preempt {
        let _ = writeln!(out, "    nopreempt");
    }
    if i.dont_track_primary {
        let _ = writeln!(out, "    dont_track_primary");
    }
    if !i.accept_mode {
        let _ = writeln!(out, "    no_accept");
    }
    if !i.preempt_delay.0.is_zero() {
        let _ = writeln!(out, "    preempt_delay {}", i.preempt_delay);
    }
    if let Some(auth) = &i.authentication {
        let _ = writeln!(
            out,
            "    authentication {{\n        auth_type PASS\n        auth_pass {}\n    }}",
            auth.auth_pass
        );
    }
    if let Some(source) = i.unicast_src_ip {
        let _ = writeln!(out, "    unicast_src_ip {source}");
    }
    if !i.unicast_peer.is_empty() {
        let _ = writeln!(out, "    unicast_peer {{");
        for peer in &i.unicast_peer {
            let _ = writeln!(out, "        {peer}");
        }
        let _ = writeln!(out, "    }}");
    }
    for (key, list) in [
        ("virtual_ipaddress", &i.virtual_ipaddress),
        ("virtual_ipaddress_excluded", &i.virtual_ipaddress_excluded),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "    {key} {{");
            for vip in list {
                let _ = writeln!(out, "        {vip}");
            }
            let _ = writeln!(out, "    }}");
        }
    }
    let _ = writeln!(
        out,
        "    garp_master_delay {}\n    garp_master_repeat {}\n    garp_master_refresh {}",
        i.garp_master_delay, i.garp_master_repeat, i.garp_master_refresh
    );
    for (key, value) in [
        ("notify_master", &i.notify_master),
        ("notify_backup", &i.notify_backup),
        ("notify_fault", &i.notify_fault),
        ("notify_stop", &i.notify_stop),
        ("notify", &i.notify),
    ] {
        if let Some(value) = value {
            let _ = writeln!(out, "    {key} {}", quoted(value));
        }
    }
    write_tracks(out, i.tracks());
    if i.check_reference.is_some() {
        let _ = writeln!(
            out,
            "    ! director's check_reference has no keepalived equivalent and is dropped"
        );
    }
    let _ = writeln!(out, "}}\n");
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::keepalived::{load_file, load_str};

    #[test]
    fn keepalived_to_director_to_keepalived_keeps_the_meaning() {
        let guide =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keepalived/guide-000.conf");
        let (first, _) = load_file(&guide, None);
        let first = first.unwrap();
        let written = to_keepalived(&first);
        let (second, diagnostics) = load_str("exported.conf", &written);
        // The only thing worth saying about it again: DR needs the kernel plane.
        assert!(
            diagnostics.iter().all(|d| d
                .to_string()
                .contains("DR forwarding needs the kernel plane")),
            "{written}\n{diagnostics:#?}"
        );
        assert_eq!(second.unwrap(), first);
    }
}
