//! The engine: the one owner of runtime state. Commands come in, snapshots go out.

pub mod command;
pub mod handle;
pub mod journal;
pub mod notify;
pub mod operator;
pub mod rates;
pub mod snapshot;
pub mod state;
pub mod task;
mod vrrp_shell;

pub use command::{Command, Reply, Request};
pub use handle::EngineHandle;
pub use snapshot::Snapshot;
