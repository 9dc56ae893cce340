//! The virtual-server table: the shared model, the schedulers, and the
//! userspace data plane.

pub mod kernel;
pub mod model;
pub mod sched;
pub mod table;
pub mod userspace;
