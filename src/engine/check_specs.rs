//! Which checkers to run: one per TCP_CHECK, HTTP_GET and MISC_CHECK of
//! every real server, numbered in that order within the server.

use std::net::SocketAddr;
use std::time::Duration;

use crate::check::http::{HttpProbe, UrlCheck};
use crate::check::policy::PolicyParams;
use crate::check::runner::{CheckSpec, Probe};
use crate::config::{Config, RealServer};

/// How many checkers a real server has.
pub fn checker_count(real: &RealServer) -> usize {
    usize::from(real.tcp_check.is_some())
        + usize::from(real.http_get.is_some())
        + usize::from(real.misc_check.is_some())
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
