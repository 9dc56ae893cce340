//! The userspace data plane: a full-NAT TCP proxy per virtual service that
//! schedules like IPVS and counts connections the way `ipvsadm -Ln` does.
//!
//! As a proxy it cannot carry established connections across a VRRP
//! failover: clients of the old master reconnect.

mod listener;
mod table;
mod tcp;

pub use listener::{start, PlaneError};
pub use table::{PlaneDest, PlaneService, PlaneTable, Timeouts};
