//! The kernel's IPVS, driven over generic netlink: the wire format, the
//! protocol, a batching client, and the pure reconcile that turns a desired
//! table and the kernel's into the changes between them.

pub mod client;
pub mod conns;
pub mod listing;
pub mod plane;
pub mod proto;
pub mod reconcile;
pub mod wire;

pub use client::{Info, Ipvs, KernelError, Op, SyncDaemon, SyncRole, Timeouts};
pub use listing::{header, views};
pub use proto::{Forward, KDest, KService, ServiceKey, Stats, Tunnel};
pub use reconcile::{reconcile, Plan};
