//! The data plane an engine drives: the embedded userspace proxy, or the
//! kernel's IPVS over netlink.

use std::net::SocketAddr;

use crate::config::Protocol;
use crate::ipvs::kernel::plane::KernelPlane;
use crate::ipvs::model::{ConnRow, PlaneKind};
use crate::ipvs::userspace::{Plane, Prepared};

/// Which data plane to use (`--dataplane`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Choice {
    /// The kernel's IPVS when its netlink family resolves, else userspace.
    #[default]
    Auto,
    /// The kernel's IPVS; refuse to start without it.
    Kernel,
    /// The embedded userspace proxy.
    Userspace,
}

/// How an engine's data plane is chosen and left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlaneOptions {
    /// Which plane.
    pub choice: Choice,
    /// Kernel plane: delete every IPVS service on stop (`--flush-on-stop`);
    /// by default the table stays so that connections keep flowing.
    pub flush_on_stop: bool,
    /// Userspace plane: the threads the proxy runs on (`--plane-threads`).
    pub threads: usize,
}

/// The running data plane.
pub enum DataPlane {
    /// The embedded proxy.
    Userspace(Plane),
    /// The kernel's IPVS.
    Kernel(KernelPlane),
}

impl std::fmt::Debug for DataPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataPlane({})", self.kind())
    }
}

impl DataPlane {
    /// Which plane this is.
    pub fn kind(&self) -> PlaneKind {
        match self {
            DataPlane::Userspace(_) => PlaneKind::Userspace,
            DataPlane::Kernel(_) => PlaneKind::Kernel,
        }
    }

    /// Every connection and persistence template (`ipvsadm -Lnc`), as a
    /// reading to finish off the engine task: the userspace plane's rows
    /// are taken now; the kernel's are read from /proc/net/ip_vs_conn
    /// (there is no netlink dump) when the reading is finished.
    pub fn connections(&self) -> impl FnOnce() -> Result<Vec<ConnRow>, String> + Send + 'static {
        let taken = match self {
            DataPlane::Userspace(plane) => Some(plane.connections()),
            DataPlane::Kernel(_) => None,
        };
        move || match taken {
            Some(rows) => Ok(rows),
            None => {
                let text = std::fs::read_to_string("/proc/net/ip_vs_conn")
                    .map_err(|e| format!("/proc/net/ip_vs_conn: {e}"))?;
                Ok(crate::ipvs::kernel::conns::parse(&text))
            }
        }
    }

    /// Close every connection of `service` to `dest` now (a forced
    /// removal). The kernel cannot: its entries expire on their own, and
    /// the reply says so.
    pub fn close_connections(
        &self,
        service: SocketAddr,
        protocol: Protocol,
        dest: SocketAddr,
    ) -> Option<&'static str> {
        match self {
            DataPlane::Userspace(plane) => {
                plane.close_connections(service, protocol, dest);
                None
            }
            DataPlane::Kernel(_) => Some(
                "the kernel plane cannot close connections: they finish or expire on their own",
            ),
        }
    }

    /// Get ready to serve `added` services and stop `removed` ones without
    /// changing anything yet: the userspace plane binds their sockets. The
    /// kernel plane needs nothing: it follows the table.
    pub fn prepare(
        &self,
        added: &[(SocketAddr, Protocol)],
        removed: &[(SocketAddr, Protocol)],
    ) -> Result<Prepared, String> {
        match self {
            DataPlane::Userspace(plane) => plane.prepare(added, removed),
            DataPlane::Kernel(_) => Ok(Prepared::default()),
        }
    }

    /// Carry out what `prepare` got ready.
    pub fn adopt(&mut self, prepared: Prepared) {
        if let DataPlane::Userspace(plane) = self {
            plane.adopt(prepared);
        }
    }
}
