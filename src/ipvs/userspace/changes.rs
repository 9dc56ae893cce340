//! Services added and removed while the plane runs (a reload): sockets are
//! bound first, so that a reload that cannot listen is refused before it
//! changes anything, and then adopted. A removed service stops accepting;
//! its established TCP connections finish.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, UdpSocket};

use super::service::ServiceRuntime;
use super::{listener, udp, Plane, Serving};
use crate::config::Protocol;
use crate::workers::Workers;

/// A service's sockets, bound and not yet serving.
#[derive(Debug)]
pub enum BoundSocket {
    /// TCP listeners, one per plane thread (the thread of the same index).
    Tcp(Vec<TcpListener>),
    /// A UDP socket, on the first plane thread.
    Udp(UdpSocket),
}

impl BoundSocket {
    /// Bind `address` for `protocol` (not port 0: see the plane's start),
    /// registering the sockets with the plane threads that will serve them.
    pub(super) fn bind(
        address: SocketAddr,
        protocol: Protocol,
        workers: &Workers,
    ) -> std::io::Result<BoundSocket> {
        match protocol {
            Protocol::Tcp => listener::bind_tcp(address, false, workers).map(BoundSocket::Tcp),
            Protocol::Udp => {
                let _on_its_thread = workers.enter(0)?;
                listener::bind_udp(address).map(BoundSocket::Udp)
            }
        }
    }
}

/// Sockets bound for new services, and services to stop serving.
#[derive(Debug, Default)]
pub struct Bound {
    pub(super) bound: Vec<(SocketAddr, Protocol, BoundSocket)>,
    pub(super) retired: Vec<(SocketAddr, Protocol)>,
}

impl Plane {
    /// Bind the sockets of `added` services, and check that `removed` can
    /// go, without changing what is served. Port-0 services (and services
    /// on a port-0 service's address) need a restart: their TPROXY rules
    /// are set up as the plane starts.
    pub fn bind_changes(
        &self,
        added: &[(SocketAddr, Protocol)],
        removed: &[(SocketAddr, Protocol)],
    ) -> Result<Bound, String> {
        let catch_all: Vec<_> = self
            .serving
            .iter()
            .filter(|s| s.runtime.address.port() == 0)
            .map(|s| s.runtime.address.ip())
            .collect();
        for (address, _) in added.iter().chain(removed) {
            if address.port() == 0 || catch_all.contains(&address.ip()) {
                return Err(format!(
                    "the userspace plane sets up port-0 services (and the services beside them on {}) as it starts: adding or removing {address} needs a restart",
                    address.ip()
                ));
            }
        }
        let mut prepared = Bound {
            retired: removed.to_vec(),
            ..Bound::default()
        };
        for &(address, protocol) in added {
            let socket = BoundSocket::bind(address, protocol, &self.workers).map_err(|e| {
                format!(
                    "userspace plane: cannot listen on {} {address}: {e}",
                    protocol.name()
                )
            })?;
            prepared.bound.push((address, protocol, socket));
        }
        Ok(prepared)
    }

    /// Start serving what `prepared` bound and stop serving what it retires.
    pub fn adopt_bound(&mut self, prepared: Bound) {
        self.serving.retain(|s| {
            let key = (s.runtime.address, s.runtime.protocol);
            let keep = !prepared.retired.contains(&key);
            if !keep {
                s.stop();
            }
            keep
        });
        for (address, protocol, socket) in prepared.bound {
            let runtime = Arc::new(ServiceRuntime::new(
                address,
                protocol,
                self.table.clone(),
                self.clock.clone(),
                self.timeouts,
            ));
            let (tasks, listeners) = match socket {
                BoundSocket::Tcp(listeners) => {
                    let listeners: Vec<_> = listeners.into_iter().map(Arc::new).collect();
                    let tasks = listeners
                        .iter()
                        .enumerate()
                        .map(|(thread, listener)| {
                            self.workers.spawn_on(
                                thread,
                                listener::accept_loop(listener.clone(), runtime.clone()),
                            )
                        })
                        .collect();
                    (tasks, listeners)
                }
                BoundSocket::Udp(socket) => (
                    vec![self
                        .workers
                        .spawn_on(0, udp::serve(runtime.clone(), Arc::new(socket)))],
                    Vec::new(),
                ),
            };
            self.serving.push(Serving {
                runtime,
                tasks,
                listeners,
            });
        }
        *self.swept.lock().unwrap_or_else(|p| p.into_inner()) =
            self.serving.iter().map(|s| s.runtime.clone()).collect();
        match (&self.sweeper, self.serving.is_empty()) {
            (None, false) => {
                self.sweeper = Some(super::sweep(
                    &self.workers,
                    self.swept.clone(),
                    self.clock.clone(),
                ));
            }
            (Some(sweeper), true) => {
                sweeper.abort();
                self.sweeper = None;
            }
            _ => {}
        }
    }
}
