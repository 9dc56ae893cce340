//! Which checkers to run: one per checker of every real server, numbered
//! in the order `RealServer::checkers` walks them.

use std::net::SocketAddr;
use std::time::Duration;

use crate::check::http::{BodyPattern, HttpProbe, UrlCheck};
use crate::check::policy::PolicyParams;
use crate::check::runner::{CheckSpec, Probe};
use crate::check::tls::{TlsClient, TlsOptions};
use crate::check::udp::UdpProbe;
use crate::config::values::DnsType;
use crate::config::{
    CheckTiming, Checker, HttpGet, RealServer, Timed, VirtualServer, VrrpTrackFile,
};
use crate::ids::CheckerId;

fn http_probe(check: &HttpGet, tls: bool) -> Probe {
    let urls = check
        .urls
        .iter()
        .map(|u| UrlCheck {
            path: u.path.clone(),
            status: u.status_code.iter().map(|r| (r.low, r.high)).collect(),
            digest: u.digest.clone(),
            // Validated at load: the pattern compiles.
            pattern: u.body_regex().ok().flatten().map(|regex| BodyPattern {
                regex,
                expect_match: !u.regex_no_match,
            }),
            virtualhost: u.virtualhost.clone(),
        })
        .collect();
    Probe::Http(HttpProbe {
        urls,
        virtualhost: check.virtualhost.clone(),
        http_1_1: check.http_1_1,
        tls: tls.then(|| {
            TlsClient::new(TlsOptions {
                sni: check.enable_sni,
                verify: check.verify_certificate,
                ca_file: check.ca_file.clone(),
            })
        }),
    })
}

/// What one checker probes, and the timing it probes with; `None` for a
/// FILE_CHECK whose `track_file` is not defined (validation refuses it).
fn probe_of(
    checker: Checker<'_>,
    track_files: &[VrrpTrackFile],
    service: &VirtualServer,
    real: &RealServer,
) -> Option<(CheckTiming, Probe)> {
    Some(match checker {
        Checker::Tcp(check) => (check.timing(), Probe::Tcp),
        Checker::Http(check) => (check.timing(), http_probe(check, false)),
        Checker::Ssl(check) => (check.timing(), http_probe(check, true)),
        Checker::Ping(check) => (check.timing(), Probe::Ping),
        Checker::Udp(check) => {
            let probe = Probe::Udp(UdpProbe {
                payload: check.payload.clone().unwrap_or_default().0,
                require_reply: check.require_reply.clone().map(|h| h.0),
            });
            (check.timing(), probe)
        }
        Checker::Smtp(check) => {
            let helo_name = check
                .helo_name
                .clone()
                .unwrap_or_else(crate::daemon::hostname);
            (check.timing(), Probe::Smtp { helo_name })
        }
        Checker::Dns(check) => {
            let probe = Probe::Dns {
                name: check.name.clone().unwrap_or_else(|| ".".into()),
                kind: check.record_type.unwrap_or(DnsType::SOA).number(),
            };
            (check.timing(), probe)
        }
        Checker::File(check) => {
            let file = track_files.iter().find(|t| t.name == check.track_file)?;
            let probe = Probe::File {
                path: file.file.clone().into(),
                weight: check.weight.unwrap_or(file.weight),
                reverse: check.reverse,
                configured: real.weight.0,
            };
            (CheckTiming::local(0, service.delay_loop), probe)
        }
        Checker::Misc(check) => {
            let probe = Probe::Misc {
                command: check.misc_path.clone(),
                timeout: check.misc_timeout.unwrap_or(service.delay_loop).0,
                dynamic: check.misc_dynamic,
            };
            let timing = CheckTiming {
                warmup: check.warmup,
                delay_loop: check.delay_loop,
                log_all_failures: check.log_all_failures,
                ..CheckTiming::local(check.retry, check.delay_before_retry)
            };
            (timing, probe)
        }
    })
}

/// The checkers of real server `real` of `service`, in
/// [`RealServer::checkers`] order; `checker` names the one at each slot.
pub fn server_specs(
    track_files: &[VrrpTrackFile],
    service: &VirtualServer,
    real: &RealServer,
    checker: impl Fn(usize) -> CheckerId,
) -> Vec<CheckSpec> {
    real.checkers()
        .filter_map(|checker| probe_of(checker, track_files, service, real))
        .enumerate()
        .map(|(slot, (timing, probe))| {
            let port = timing.connect_port.map_or(real.port.0, |p| p.0);
            let bind_port = timing.bind_port.map_or(0, |p| p.0);
            CheckSpec {
                checker: checker(slot),
                target: SocketAddr::new(timing.connect_ip.unwrap_or(real.address), port),
                bind: timing.bindto.map(|ip| SocketAddr::new(ip, bind_port)),
                log_all_failures: timing.log_all_failures,
                connect_timeout: timing.connect_timeout.0,
                probe,
                policy: PolicyParams {
                    retry: timing.retry,
                    delay_before_retry: timing.delay_before_retry.0,
                    delay_loop: timing.delay_loop.unwrap_or(service.delay_loop).0,
                    rise: real.rise,
                    fall: real.fall,
                    alpha: real.starts_down(service),
                    warmup: timing
                        .warmup
                        .or(real.warmup)
                        .or(service.warmup)
                        .map_or(Duration::ZERO, |w| w.0),
                },
            }
        })
        .collect()
}
