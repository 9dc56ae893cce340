//! The control socket: Commands and Snapshots as JSON lines over a Unix socket.

pub mod client;
pub mod protocol;
pub mod server;

/// Where `director run` listens unless told otherwise.
pub const DEFAULT_SOCKET: &str = "/run/director/control.sock";
