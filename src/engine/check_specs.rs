//! Which checkers to run: one per TCP_CHECK, HTTP_GET and MISC_CHECK of
//! every real server, numbered in that order within the server.

use std::net::SocketAddr;
use std::time::Duration;

use crate::check::dns;
use crate::check::http::{HttpProbe, UrlCheck};
use crate::check::policy::PolicyParams;
use crate::check::runner::{CheckSpec, Probe};
use crate::check::udp::{parse_hex, UdpProbe};
use crate::config::{Config, RealServer};

/// How many checkers a real server has.
pub fn checker_count(real: &RealServer) -> usize {
    [
        real.tcp_check.is_some(),
        real.http_get.is_some(),
        real.misc_check.is_some(),
        real.ping_check.is_some(),
        real.udp_check.is_some(),
        real.smtp_check.is_some(),
        real.dns_check.is_some(),
    ]
    .into_iter()
    .filter(|present| *present)
    .count()
}

/// Every checker of `config`.
pub fn check_specs(config: &Config) -> Vec<CheckSpec> {
    let mut specs = Vec::new();
    for (s, service) in config.virtual_servers.iter().enumerate() {
        for (r, real) in service.real_servers.iter().enumerate() {
            let at = |port: Option<u16>| SocketAddr::new(real.address, port.unwrap_or(real.port.0));
            let mut push = |target, connect_timeout, probe, retry, delay_before_retry: Duration| {
                let checker = specs
                    .iter()
                    .filter(|c: &&CheckSpec| c.service == s && c.server == r)
                    .count();
                specs.push(CheckSpec {
                    service: s,
                    server: r,
                    checker,
                    target,
                    connect_timeout,
                    probe,
                    policy: PolicyParams {
                        retry,
                        delay_before_retry,
                        delay_loop: service.delay_loop.0,
                    },
                });
            };
            if let Some(check) = &real.tcp_check {
                push(
                    at(check.connect_port.map(|p| p.0)),
                    check.connect_timeout.0,
                    Probe::Tcp,
                    check.retry,
                    check.delay_before_retry.0,
                );
            }
            if let Some(check) = &real.http_get {
                let urls = check
                    .urls
                    .iter()
                    .map(|u| UrlCheck {
                        path: u.path.clone(),
                        // Validated at load; a bad range cannot reach here.
                        status: u.status_ranges().unwrap_or_default(),
                        digest: u.digest.clone(),
                    })
                    .collect();
                let probe = Probe::Http(HttpProbe {
                    urls,
                    virtualhost: check.virtualhost.clone(),
                    http_1_1: check.http_1_1,
                });
                push(
                    at(check.connect_port.map(|p| p.0)),
                    check.connect_timeout.0,
                    probe,
                    check.retry,
                    check.delay_before_retry.0,
                );
            }
            if let Some(check) = &real.ping_check {
                push(
                    at(None),
                    check.connect_timeout.0,
                    Probe::Ping,
                    check.retry,
                    check.delay_before_retry.0,
                );
            }
            if let Some(check) = &real.udp_check {
                // Validated at load: the hex parses.
                let hex =
                    |h: &Option<String>| h.as_deref().map(|h| parse_hex(h).unwrap_or_default());
                let probe = Probe::Udp(UdpProbe {
                    payload: hex(&check.payload).unwrap_or_default(),
                    require_reply: hex(&check.require_reply),
                });
                push(
                    at(check.connect_port.map(|p| p.0)),
                    check.connect_timeout.0,
                    probe,
                    check.retry,
                    check.delay_before_retry.0,
                );
            }
            if let Some(check) = &real.smtp_check {
                let helo_name = check
                    .helo_name
                    .clone()
                    .unwrap_or_else(crate::daemon::hostname);
                push(
                    at(check.connect_port.map(|p| p.0)),
                    check.connect_timeout.0,
                    Probe::Smtp { helo_name },
                    check.retry,
                    check.delay_before_retry.0,
                );
            }
            if let Some(check) = &real.dns_check {
                let kind = check
                    .record_type
                    .as_deref()
                    .map_or(Some(6), dns::type_number);
                let probe = Probe::Dns {
                    name: check.name.clone().unwrap_or_else(|| ".".into()),
                    kind: kind.unwrap_or(6),
                };
                push(
                    at(check.connect_port.map(|p| p.0)),
                    check.connect_timeout.0,
                    probe,
                    check.retry,
                    check.delay_before_retry.0,
                );
            }
            if let Some(check) = &real.misc_check {
                let probe = Probe::Misc {
                    command: check.misc_path.clone(),
                    timeout: check.misc_timeout.unwrap_or(service.delay_loop).0,
                    dynamic: check.misc_dynamic,
                };
                push(
                    at(None),
                    Duration::ZERO,
                    probe,
                    check.retry,
                    check.delay_before_retry.0,
                );
            }
        }
    }
    specs
}
