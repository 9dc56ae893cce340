//! The userspace data plane: a full-NAT proxy per virtual service (TCP and
//! UDP, IPv4 and IPv6) that schedules like IPVS, keeps persistence templates
//! and thresholds as IPVS does, and counts connections the way `ipvsadm -Ln`
//! does.
//!
//! As a proxy it cannot carry established connections across a VRRP
//! failover: clients of the old master reconnect.

mod all_ports;
mod buffers;
mod changes;
mod clock;
mod conns;
mod listener;
mod persistence;
mod service;
mod splice;
mod tcp;
mod threshold;
mod udp;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use changes::{Bound, BoundSocket};
pub use conns::Timeouts;
pub use listener::PlaneError;
pub use threshold::Thresholds;

use crate::config::Protocol;
use crate::ipvs::model::ConnRow;
use crate::ipvs::table::PlaneTable;
use crate::workers::Workers;
use clock::Clock;
use service::ServiceRuntime;

/// How often expired connections and templates are swept.
const SWEEP: Duration = Duration::from_millis(250);

/// A service the plane serves: its runtime and the tasks that accept (TCP,
/// one per plane thread) or carry (UDP) its traffic.
struct Serving {
    runtime: Arc<ServiceRuntime>,
    tasks: Vec<JoinHandle<()>>,
    /// The TCP listeners the accept tasks use, shared so that stopping can
    /// close them at once rather than when each thread gets to the abort.
    listeners: Vec<Arc<TcpListener>>,
}

impl Serving {
    /// Stop accepting (TCP) or carrying (UDP); established TCP connections
    /// finish on their own. A TCP service refuses new connections from the
    /// moment this returns: its plane threads drop the tasks later, and a
    /// listener still open meanwhile would complete handshakes only to
    /// reset them.
    fn stop(&self) {
        for listener in &self.listeners {
            listener::stop_listening(listener);
        }
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The running plane: one socket per service and the sweeper. Dropping it
/// stops them all.
pub struct Plane {
    serving: Vec<Serving>,
    /// What the sweeper sweeps: every serving runtime.
    swept: Arc<Mutex<Vec<Arc<ServiceRuntime>>>>,
    /// Runs while there is something to sweep: an idle director (VRRP
    /// only) has no timer waking it.
    sweeper: Option<JoinHandle<()>>,
    /// The TPROXY rules of port-0 services, removed when the plane goes.
    all_ports: Option<all_ports::AllPorts>,
    table: watch::Receiver<Arc<PlaneTable>>,
    clock: Arc<Clock>,
    timeouts: Timeouts,
    /// The threads the proxy runs on.
    workers: Workers,
}

/// Bind every service in the current table and start serving; each follows
/// table changes through `table`. The proxy runs on `threads` threads of
/// its own.
pub fn start(
    table: watch::Receiver<Arc<PlaneTable>>,
    timeouts: Timeouts,
    threads: usize,
) -> Result<Plane, PlaneError> {
    let clock = Arc::new(Clock::new());
    let current = table.borrow().clone();
    let swept: Arc<Mutex<Vec<Arc<ServiceRuntime>>>> = Arc::default();
    let mut plane = Plane {
        serving: Vec::new(),
        swept,
        sweeper: None,
        all_ports: None,
        table,
        clock,
        timeouts,
        workers: Workers::new("plane", threads),
    };
    let mut redirects = Vec::new();
    let mut bound = Vec::new();
    for service in &current.services {
        let address = service.address;
        let error = |cause| PlaneError { address, cause };
        let socket = match service.protocol {
            Protocol::Tcp if address.port() == 0 => {
                let group = listener::bind_tcp(address, true, &plane.workers).map_err(error)?;
                let listener_port = group[0].local_addr().map_err(error)?.port();
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
                BoundSocket::Tcp(group)
            }
            Protocol::Udp if address.port() == 0 => {
                return Err(PlaneError {
                    address,
                    cause: std::io::Error::other(
                        "port-0 UDP services need the kernel plane; the userspace plane redirects TCP only",
                    ),
                })
            }
            protocol => BoundSocket::bind(address, protocol, &plane.workers).map_err(error)?,
        };
        bound.push((address, service.protocol, socket));
    }
    if !redirects.is_empty() {
        let installed = all_ports::AllPorts::install(&redirects).map_err(|e| PlaneError {
            address: SocketAddr::new(redirects[0].address, 0),
            cause: std::io::Error::other(e),
        })?;
        plane.all_ports = Some(installed);
    }
    plane.adopt_bound(Bound {
        bound,
        retired: Vec::new(),
    });
    Ok(plane)
}

/// Sweep `swept` every `SWEEP`, advancing `clock`, on the proxy's threads.
fn sweep(
    workers: &Workers,
    swept: Arc<Mutex<Vec<Arc<ServiceRuntime>>>>,
    clock: Arc<Clock>,
) -> JoinHandle<()> {
    workers.spawn_on(0, async move {
        let mut tick = tokio::time::interval(SWEEP);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            clock.now_ms();
            let services = swept.lock().unwrap_or_else(|p| p.into_inner()).clone();
            for service in &services {
                service.sweep();
            }
        }
    })
}

impl crate::ipvs::model::DataPlane for Plane {
    fn kind(&self) -> crate::ipvs::model::PlaneKind {
        crate::ipvs::model::PlaneKind::Userspace
    }

    /// The rows are taken now, from the plane's own tables.
    fn connections(&self) -> crate::ipvs::model::ConnectionReading {
        let rows: Vec<ConnRow> = self.serving.iter().flat_map(|s| s.runtime.rows()).collect();
        Box::new(move || Ok(rows))
    }

    fn close_connections(
        &self,
        service: SocketAddr,
        protocol: Protocol,
        dest: SocketAddr,
    ) -> Result<(), &'static str> {
        for serving in &self.serving {
            let runtime = &serving.runtime;
            if runtime.address == service && runtime.protocol == protocol {
                runtime.close_all_to(dest);
            }
        }
        Ok(())
    }

    fn prepare(
        &self,
        added: &[(SocketAddr, Protocol)],
        removed: &[(SocketAddr, Protocol)],
    ) -> Result<crate::ipvs::model::Prepared, String> {
        self.bind_changes(added, removed)
            .map(crate::ipvs::model::Prepared::new)
    }

    fn adopt(&mut self, prepared: crate::ipvs::model::Prepared) {
        // Only this plane's `prepare` made it.
        if let Some(bound) = prepared.take::<changes::Bound>() {
            self.adopt_bound(bound);
        }
    }

    /// Nothing is refused: the proxy serves what the table says.
    fn take_problems(&self) -> Vec<String> {
        Vec::new()
    }

    /// The proxy serves the table alone.
    fn unmanaged(&self) -> Vec<String> {
        Vec::new()
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        if let Some(sweeper) = &self.sweeper {
            sweeper.abort();
        }
        for serving in &self.serving {
            serving.stop();
        }
    }
}
