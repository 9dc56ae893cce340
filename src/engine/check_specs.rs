//! Which checkers to run: one per checker of every real server, numbered
//! in the order `RealServer::checkers` walks them.

use std::net::SocketAddr;
use std::time::Duration;

use crate::check::kind::Around;
use crate::check::policy::PolicyParams;
use crate::check::runner::CheckSpec;
use crate::config::{RealServer, VirtualServer, VrrpTrackFile};
use crate::ids::CheckerId;

/// The checkers of real server `real` of `service`, in
/// [`RealServer::checkers`] order; `checker` names the one at each slot.
pub fn server_specs(
    track_files: &[VrrpTrackFile],
    service: &VirtualServer,
    real: &RealServer,
    checker: impl Fn(usize) -> CheckerId,
) -> Vec<CheckSpec> {
    real.checkers()
        .filter_map(|checker| {
            checker.probe(&Around {
                track_files,
                service,
                real,
            })
        })
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
