//! The engine: the one owner of runtime state. Commands come in, snapshots go out.

mod accept_mode;
mod check_specs;
pub mod clock;
pub mod command;
pub mod dataplane;
mod deadline;
mod file_events;
mod garp_spacing;
mod ha_suspend;
pub mod handle;
mod health;
pub mod journal;
pub mod live;
pub mod notify;
pub mod operator;
pub mod overrides;
mod process_watch;
mod quorum;
pub mod rates;
pub mod reload;
mod reload_shell;
mod run_loop;
pub mod snapshot;
pub mod state;
pub mod task;
mod track_files;
pub mod tracking;
mod vrrp_events;
mod vrrp_shell;

pub use command::{Answer, Command, Reply, Request};
pub use handle::EngineHandle;
pub use snapshot::Snapshot;
