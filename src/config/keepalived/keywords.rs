//! The one table of keepalived.conf(5) keywords (keepalived 2.2.7, the
//! version Debian ships and the interop tests run) that director accepts
//! without acting on them: not yet supported, not applicable (and why), or
//! deprecated. Every keyword that maps onto the model is read by the
//! section's mapper; every other keyword of the manual is here; anything
//! else is unknown (an error when it looks like a typo of a known one).

/// What becomes of a keyword that does not map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Accepted; director does not act on it yet.
    NotYet,
    /// Accepted; it does not apply to director, for this reason.
    NotApplicable(&'static str),
    /// An old name; keepalived calls it this now, and director ignores it.
    Deprecated(&'static str),
}

use Disposition::{Deprecated, NotApplicable, NotYet};

/// The checker blocks (the registry's); a `checker` row applies to each
/// of them.
use crate::check::kinds::KEYWORDS as CHECKERS;

const ONE_PROCESS: &str = "director is one process; systemd and the kernel's defaults govern it";
const BUFFERS: &str = "director sizes its own netlink and socket buffers";
const SNMP: &str = "director exports Prometheus metrics (`--metrics`), not SNMP";
const DBUS: &str = "director's control socket (`director ctl`) takes the place of D-Bus";
const FIREWALL: &str = "director does not install firewall rules for virtual addresses";
const NAMESPACE: &str = "run director itself in the namespace";
const NO_BFD: &str = "director has no BFD";
const RELOAD: &str =
    "director re-reads its configuration on SIGHUP or `director ctl reload`, checking it whole first";
const SCRIPTS: &str = "director runs scripts as its own user, without a shell";
const ACCEPT: &str =
    "director has no strict mode; set `accept` or `no_accept` (accept_mode) per instance";

/// (section, keywords, disposition). A section is named as diagnostics name
/// it: "the top level", "global_defs", "vrrp_instance", …, or "checker".
const TABLE: &[(&str, &[&str], Disposition)] = &[
    (
        "the top level",
        &["linkbeat_interfaces", "garp_group", "SSL"],
        NotYet,
    ),
    (
        "the top level",
        &["static_ipaddress", "static_routes", "static_rules"],
        NotApplicable("configure static addresses and routes with the system's network setup"),
    ),
    (
        "the top level",
        &[
            "net_namespace",
            "net_namespace_ipvs",
            "namespace_with_ipsets",
            "instance",
        ],
        NotApplicable(NAMESPACE),
    ),
    ("the top level", &["bfd_instance"], NotApplicable(NO_BFD)),
    (
        "the top level",
        &["use_pid_dir", "child_wait_time"],
        NotApplicable(ONE_PROCESS),
    ),
    (
        "the top level",
        &["linkbeat_use_polling"],
        NotApplicable("director follows link state through the kernel's netlink announcements"),
    ),
    (
        "global_defs",
        &[
            "notification_email",
            "notification_email_from",
            "smtp_server",
            "smtp_helo_name",
            "smtp_connect_timeout",
            "smtp_alert",
            "smtp_alert_vrrp",
            "smtp_alert_checker",
            "no_email_faults",
            "no_checker_emails",
            "checker_log_all_failures",
            "vrrp_mcast_group4",
            "vrrp_mcast_group6",
            "default_interface",
            "lvs_sync_daemon",
            "lvs_flush_on_stop",
            "vrrp_garp_lower_prio_delay",
            "vrrp_garp_lower_prio_repeat",
            "vrrp_garp_master_refresh_repeat",
            "vrrp_min_garp",
            "vrrp_garp_extra_if",
            "vrrp_down_timer_adverts",
            "vrrp_lower_prio_no_advert",
            "vrrp_higher_prio_send_advert",
            "vrrp_check_unicast_src",
            "vrrp_skip_check_adv_addr",
            "vrrp_notify_priority_changes",
            "notify_fifo_script",
            "vrrp_notify_fifo",
            "vrrp_notify_fifo_script",
            "lvs_notify_fifo",
            "lvs_notify_fifo_script",
            "fifo_write_vrrp_states_on_reload",
            "rs_init_notifies",
            "vmac_prefix",
            "vmac_addr_prefix",
            "include_check",
            "startup_script",
            "startup_script_timeout",
            "shutdown_script",
            "shutdown_script_timeout",
            "dynamic_interfaces",
            "random_seed",
        ],
        NotYet,
    ),
    (
        "global_defs",
        &[
            "process_names",
            "process_name",
            "vrrp_process_name",
            "checker_process_name",
            "bfd_process_name",
            "vrrp_priority",
            "checker_priority",
            "bfd_priority",
            "bfd_no_swap",
            "vrrp_cpu_affinity",
            "checker_cpu_affinity",
            "bfd_cpu_affinity",
            "vrrp_rt_priority",
            "checker_rt_priority",
            "bfd_rt_priority",
            "vrrp_rlimit_rttime",
            "checker_rlimit_rttime",
            "bfd_rlimit_rttime",
            "max_auto_priority",
            "min_auto_priority_delay",
            "child_wait_time",
            "use_pid_dir",
            "umask",
            "data_use_instance",
        ],
        NotApplicable(ONE_PROCESS),
    ),
    (
        "global_defs",
        &[
            "vrrp_netlink_cmd_rcv_bufs",
            "vrrp_netlink_cmd_rcv_bufs_force",
            "vrrp_netlink_monitor_rcv_bufs",
            "vrrp_netlink_monitor_rcv_bufs_force",
            "lvs_netlink_cmd_rcv_bufs",
            "lvs_netlink_cmd_rcv_bufs_force",
            "lvs_netlink_monitor_rcv_bufs",
            "lvs_netlink_monitor_rcv_bufs_force",
            "process_monitor_rcv_bufs",
            "process_monitor_rcv_bufs_force",
            "vrrp_rx_bufs_policy",
            "vrrp_rx_bufs_multiplier",
        ],
        NotApplicable(BUFFERS),
    ),
    (
        "global_defs",
        &[
            "snmp_socket",
            "enable_snmp_vrrp",
            "enable_snmp_checker",
            "enable_snmp_rfc",
            "enable_snmp_rfcv2",
            "enable_snmp_rfcv3",
            "enable_traps",
        ],
        NotApplicable(SNMP),
    ),
    (
        "global_defs",
        &["enable_dbus", "dbus_service_name"],
        NotApplicable(DBUS),
    ),
    (
        "global_defs",
        &[
            "vrrp_iptables",
            "vrrp_ipsets",
            "vrrp_strict",
            "nftables",
            "nftables_priority",
            "nftables_counters",
            "nftables_ifindex",
        ],
        NotApplicable(FIREWALL),
    ),
    (
        "global_defs",
        &[
            "nftables_ipvs",
            "nftables_ipvs_priority",
            "nftables_ipvs_start_fwmark",
        ],
        NotApplicable("director configures each IPVS service itself, without nftables marks"),
    ),
    (
        "global_defs",
        &["script_user", "enable_script_security"],
        NotApplicable(SCRIPTS),
    ),
    (
        "global_defs",
        &[
            "net_namespace",
            "net_namespace_ipvs",
            "namespace_with_ipsets",
            "instance",
        ],
        NotApplicable(NAMESPACE),
    ),
    (
        "global_defs",
        &["linkbeat_use_polling"],
        NotApplicable("director follows link state through the kernel's netlink announcements"),
    ),
    (
        "global_defs",
        &[
            "reload_check_config",
            "reload_time_file",
            "reload_repeat",
            "reload_file",
            "tmp_config_directory",
            "config_save_dir",
        ],
        NotApplicable(RELOAD),
    ),
    (
        "global_defs",
        &["log_unknown_vrids"],
        NotApplicable(
            "director counts adverts for unknown VRIDs as drops, in its snapshot and metrics",
        ),
    ),
    ("vrrp_script", &["user"], NotApplicable(SCRIPTS)),
    (
        "vrrp_sync_group",
        &[
            "smtp_alert",
            "notify_stop",
            "notify_deleted",
            "notify_priority_changes",
            "sync_group_tracking_weight",
        ],
        NotYet,
    ),
    ("vrrp_sync_group", &["track_bfd"], NotApplicable(NO_BFD)),
    (
        "vrrp_sync_group",
        &["global_tracking"],
        Deprecated("sync_group_tracking_weight"),
    ),
    (
        "vrrp_instance",
        &[
            "vrf",
            "use_vmac",
            "use_vmac_addr",
            "vmac_xmit_base",
            "use_ipvlan",
            "native_ipv6",
            "mcast_dst_ip",
            "track_src_ip",
            "check_unicast_src",
            "unicast_fault_no_peer",
            "unicast_ttl",
            "old_unicast_checksum",
            "garp_lower_prio_delay",
            "garp_lower_prio_repeat",
            "garp_master_refresh_repeat",
            "garp_extra_if",
            "down_timer_adverts",
            "lower_prio_no_advert",
            "higher_prio_send_advert",
            "promote_secondaries",
            "virtual_routes",
            "virtual_rules",
            "skip_check_adv_addr",
            "notify_master_rx_lower_pri",
            "notify_priority_changes",
            "smtp_alert",
        ],
        NotYet,
    ),
    ("vrrp_instance", &["strict_mode"], NotApplicable(ACCEPT)),
    (
        "vrrp_instance",
        &["debug", "kernel_rx_buf_size", "lvs_sync_daemon_interface"],
        NotApplicable("no equivalent in director"),
    ),
    ("vrrp_instance", &["track_bfd"], NotApplicable(NO_BFD)),
    (
        "vrrp_instance",
        &["linkbeat_use_polling"],
        NotApplicable("director follows link state through the kernel's netlink announcements"),
    ),
    (
        "virtual_server",
        &[
            "ops",
            "persistence_engine",
            "smtp_alert",
            "ip_family",
            "flag-1",
            "flag-2",
            "flag-3",
        ],
        NotYet,
    ),
    ("virtual_server", &["snmp_name"], NotApplicable(SNMP)),
    ("real_server", &["smtp_alert"], NotYet),
    ("real_server", &["BFD_CHECK"], NotApplicable(NO_BFD)),
    (
        "checker",
        &["fwmark", "bind_if", "tls_compliant", "fast_recovery"],
        NotYet,
    ),
    (
        "url",
        &["regex_min_offset", "regex_max_offset", "regex_stack"],
        NotYet,
    ),
    ("MISC_CHECK", &["user"], NotYet),
    ("FILE_CHECK", &["dynamic"], NotYet),
];

fn applies(row: &str, section: &str) -> bool {
    row == section || (row == "checker" && CHECKERS.contains(&section))
}

/// What becomes of `keyword` in `section`, when it does not map.
pub fn disposition(section: &str, keyword: &str) -> Option<Disposition> {
    TABLE
        .iter()
        .find(|(row, words, _)| applies(row, section) && words.contains(&keyword))
        .map(|(_, _, disposition)| *disposition)
}

/// Every keyword the table names for `section` (for suggestions).
pub fn listed(section: &str) -> impl Iterator<Item = &'static str> + '_ {
    TABLE
        .iter()
        .filter(move |(row, _, _)| applies(row, section))
        .flat_map(|(_, words, _)| words.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration with `line` inside a `section` block.
    pub fn placed(section: &str, line: &str) -> String {
        let instance = |extra: &str| {
            format!("vrrp_instance VI_1 {{\n interface eth0\n virtual_router_id 1\n priority 100\n virtual_ipaddress {{\n 192.0.2.1\n }}\n{extra}}}\n")
        };
        let real = |inner: &str| {
            format!(
                "virtual_server 192.0.2.1 80 {{\n real_server 192.0.2.2 80 {{\n{inner} }}\n}}\n"
            )
        };
        match section {
            "the top level" => format!("{line}\n"),
            "global_defs" => format!("global_defs {{\n{line}\n}}\n"),
            "vrrp_script" => format!("vrrp_script s {{\n script /bin/true\n{line}\n}}\n"),
            "vrrp_track_file" => format!("track_file f {{\n file /tmp/f\n{line}\n}}\n"),
            "vrrp_sync_group" => format!(
                "{}vrrp_sync_group g {{\n group {{\n VI_1\n }}\n{line}\n}}\n",
                instance("")
            ),
            "vrrp_instance" => instance(&format!("{line}\n")),
            "virtual_server" => format!(
                "virtual_server 192.0.2.1 80 {{\n{line}\n real_server 192.0.2.2 80 {{\n }}\n}}\n"
            ),
            "real_server" => real(&format!("{line}\n")),
            "url" => real(&format!(
                " HTTP_GET {{\n url {{\n path /\n{line}\n }}\n }}\n"
            )),
            "MISC_CHECK" => real(&format!(
                " MISC_CHECK {{\n misc_path /bin/true\n{line}\n }}\n"
            )),
            "FILE_CHECK" => real(&format!(" FILE_CHECK {{\n{line}\n }}\n")),
            "checker" => real(&format!(" TCP_CHECK {{\n{line}\n }}\n")),
            checker if CHECKERS.contains(&checker) => {
                real(&format!(" {checker} {{\n{line}\n }}\n"))
            }
            other => panic!("no template for {other}"),
        }
    }

    #[test]
    fn every_row_is_told_as_the_table_says() {
        for (section, words, disposition) in TABLE {
            for word in *words {
                let text = placed(section, &format!(" {word} 1"));
                let (_, diagnostics) = crate::config::keepalived::load_str("k.conf", &text);
                let expected = match disposition {
                    NotYet => format!("`{word}` is accepted but not yet supported"),
                    NotApplicable(why) => format!("`{word}` does not apply here ({why})"),
                    Deprecated(current) => {
                        format!("`{word}` is deprecated; keepalived now calls it `{current}`")
                    }
                };
                assert!(
                    diagnostics.iter().any(|d| d.message.starts_with(&expected)),
                    "{section} {word}: {diagnostics:#?}"
                );
            }
        }
    }

    /// The keywords keepalived.conf(5) shows in bold at the start of a line,
    /// by manual section.
    fn manual_keywords(manual: &str) -> Vec<(String, Vec<String>)> {
        let mut sections: Vec<(String, Vec<String>)> = Vec::new();
        for line in manual.lines() {
            if let Some(title) = line.strip_prefix(".SH ") {
                sections.push((title.trim_matches('"').to_string(), Vec::new()));
                continue;
            }
            let Some((_, words)) = sections.last_mut() else {
                continue;
            };
            let Some(bold) = line.trim_start().strip_prefix("\\fB") else {
                continue;
            };
            let word: String = bold
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            if !word.is_empty() && !words.contains(&word) {
                words.push(word);
            }
        }
        sections
    }

    /// Bold words of the manual's sections that are not keywords there.
    const NOT_KEYWORDS: &[(&str, &str)] = &[
        ("Important", "prose in the sync group section"),
        (
            "group",
            "`virtual_server group NAME`: the header names a virtual_server_group",
        ),
        (
            "fwmark",
            "`virtual_server fwmark N`: the header (fwmark services need the kernel plane)",
        ),
        (
            "password",
            "inside the top-level SSL block, accepted whole but not yet supported",
        ),
        ("ca", "inside the top-level SSL block"),
        ("certificate", "inside the top-level SSL block"),
        ("key", "inside the top-level SSL block"),
        ("auth_type", "inside `authentication`, which maps"),
        ("auth_pass", "inside `authentication`, which maps"),
    ];

    #[test]
    fn every_keyword_of_the_installed_manual_is_read_or_listed() {
        let path = "/usr/share/man/man5/keepalived.conf.5.gz";
        let manual = std::process::Command::new("gzip")
            .args(["-dc", path])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        let Some(manual) = manual else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI installs keepalived, whose manual this test reads: {path}"
            );
            eprintln!("SKIPPED: {path} is missing (apt-get install keepalived)");
            return;
        };
        let checked: &[(&str, &[&str])] = &[
            ("Global definitions", &["global_defs", "the top level"]),
            ("Track files", &["vrrp_track_file", "the top level"]),
            ("VRRP script(s)", &["vrrp_script", "the top level"]),
            (
                "VRRP synchronization group(s)",
                &["vrrp_sync_group", "the top level"],
            ),
            ("VRRP instance(s)", &["vrrp_instance", "the top level"]),
            ("Virtual server group(s)", &["the top level"]),
            (
                "Virtual server(s)",
                &[
                    "virtual_server",
                    "real_server",
                    "checker",
                    "HTTP_GET",
                    "SMTP_CHECK",
                    "DNS_CHECK",
                    "UDP_CHECK",
                    "url",
                    "MISC_CHECK",
                    "FILE_CHECK",
                    "the top level",
                ],
            ),
        ];
        let mut counted = 0;
        let mut unread = Vec::new();
        for (title, words) in manual_keywords(&manual) {
            let Some((_, places)) = checked.iter().find(|(t, _)| *t == title) else {
                continue;
            };
            for word in words {
                counted += 1;
                if NOT_KEYWORDS.iter().any(|(w, _)| *w == word) {
                    continue;
                }
                let somewhere = places.iter().any(|place| {
                    let text = placed(place, &format!(" {word} 1"));
                    let (_, diagnostics) = crate::config::keepalived::load_str("k.conf", &text);
                    !diagnostics
                        .iter()
                        .any(|d| d.message.starts_with(&format!("unknown keyword `{word}`")))
                });
                if !somewhere {
                    unread.push(format!("{title}: {word}"));
                }
            }
        }
        assert!(
            counted > 250,
            "the manual's keywords were not found ({counted})"
        );
        assert!(
            unread.is_empty(),
            "keywords neither read nor listed: {unread:#?}"
        );
    }
}
