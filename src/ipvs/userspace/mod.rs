//! The userspace data plane: a full-NAT proxy per virtual service (TCP and
//! UDP, IPv4 and IPv6) that schedules like IPVS, keeps persistence templates
//! and thresholds as IPVS does, and counts connections the way `ipvsadm -Ln`
//! does.
//!
//! As a proxy it cannot carry established connections across a VRRP
//! failover: clients of the old master reconnect.

mod all_ports;
mod buffers;
mod clock;
mod conns;
mod listener;
mod persistence;
mod service;
mod table;
mod tcp;
mod threshold;
mod udp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use conns::Timeouts;
pub use listener::PlaneError;
pub use table::{Persistence, PlaneDest, PlaneService, PlaneTable};
pub use threshold::Thresholds;

use crate::config::Protocol;
use crate::ipvs::model::ConnRow;
use clock::Clock;
use service::ServiceRuntime;

/// How often expired connections and templates are swept.
const SWEEP: Duration = Duration::from_millis(250);

/// The running plane: one socket per service and the sweeper. Dropping it
/// stops them all.
pub struct Plane {
    services: Vec<Arc<ServiceRuntime>>,
    tasks: Vec<JoinHandle<()>>,
    /// The TPROXY rules of port-0 services, removed when the plane goes.
    all_ports: Option<all_ports::AllPorts>,
}

/// Bind every service in the current table and start serving; each follows
/// table changes through `table`.
pub fn start(
    table: watch::Receiver<Arc<PlaneTable>>,
    timeouts: Timeouts,
) -> Result<Plane, PlaneError> {
    let clock = Arc::new(Clock::new());
    let current = table.borrow().clone();
    let mut plane = Plane {
        services: Vec::new(),
        tasks: Vec::new(),
        all_ports: None,
    };
    let mut redirects = Vec::new();
    for service in &current.services {
        let address = service.address;
        let runtime = Arc::new(ServiceRuntime::new(
            address,
            service.protocol,
            table.clone(),
            clock.clone(),
            timeouts,
        ));
        let error = |cause| PlaneError { address, cause };
        let task = match service.protocol {
            Protocol::Tcp if address.port() == 0 => {
                let listener = listener::bind_tcp_transparent(address.ip()).map_err(error)?;
                let listener_port = listener.local_addr().map_err(error)?.port();
                let excluded = current
                    .services
                    .iter()
                    .filter(|s| {
                        s.protocol == Protocol::Tcp
                            && s.address.ip() == address.ip()
                            && s.address.port() != 0
                    })
                    .map(|s| s.address.port())
                    .collect();
                redirects.push(all_ports::Redirect {
                    address: address.ip(),
                    listener_port,
                    excluded,
                });
                tokio::spawn(listener::accept_loop(listener, runtime.clone()))
            }
            Protocol::Udp if address.port() == 0 => {
                return Err(PlaneError {
                    address,
                    cause: std::io::Error::other(
                        "port-0 UDP services need the kernel plane; the userspace plane redirects TCP only",
                    ),
                })
            }
            Protocol::Tcp => {
                let listener = listener::bind_tcp(address).map_err(error)?;
                tokio::spawn(listener::accept_loop(listener, runtime.clone()))
            }
            Protocol::Udp => {
                let socket = Arc::new(listener::bind_udp(address).map_err(error)?);
                tokio::spawn(udp::serve(runtime.clone(), socket))
            }
        };
        plane.tasks.push(task);
        plane.services.push(runtime);
    }
    if !redirects.is_empty() {
        let installed = all_ports::AllPorts::install(&redirects).map_err(|e| PlaneError {
            address: SocketAddr::new(redirects[0].address, 0),
            cause: std::io::Error::other(e),
        })?;
        plane.all_ports = Some(installed);
    }
    let services = plane.services.clone();
    plane.tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            clock.now_ms();
            for service in &services {
                service.sweep();
            }
        }
    }));
    Ok(plane)
}

impl Plane {
    /// Close every connection of `service` to `dest` now (a forced removal).
    pub fn close_connections(&self, service: SocketAddr, protocol: Protocol, dest: SocketAddr) {
        for runtime in &self.services {
            if runtime.address == service && runtime.protocol == protocol {
                runtime.close_all_to(dest);
            }
        }
    }

    /// Every connection and persistence template (`ipvsadm -Lnc`).
    pub fn connections(&self) -> Vec<ConnRow> {
        self.services.iter().flat_map(|s| s.rows()).collect()
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
