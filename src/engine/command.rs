//! What clients (console, control socket, ctl) may ask the engine to do.

use serde::{Deserialize, Serialize};

/// An operator action. Servers and services are named by their display name
/// or by `address:port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    /// Weight 0: no new connections; established ones finish.
    Drain {
        /// Virtual service.
        service: String,
        /// Real server.
        server: String,
    },
    /// Restore the weight a drain took away.
    Undrain {
        /// Virtual service.
        service: String,
        /// Real server.
        server: String,
    },
    /// Set a real server's weight.
    SetWeight {
        /// Virtual service.
        service: String,
        /// Real server.
        server: String,
        /// New weight, 0..=65535.
        weight: u32,
    },
    /// Give up mastership of a VRRP instance; the peer takes the addresses.
    Failover {
        /// VRRP instance name.
        instance: String,
    },
    /// Take mastership of a VRRP instance now.
    Takeover {
        /// VRRP instance name.
        instance: String,
    },
    /// Lift the hold a failover left, so the instance may preempt again.
    Release {
        /// VRRP instance name.
        instance: String,
    },
    /// Add a real server to a virtual service at run time (unchecked: a
    /// health check needs a configuration change).
    AddServer {
        /// Virtual service.
        service: String,
        /// The real server's address.
        address: std::net::IpAddr,
        /// Its port.
        port: u16,
        /// Its weight, 0..=65535.
        weight: u32,
        /// A name for the console; `address:port` when absent.
        #[serde(default)]
        name: Option<String>,
    },
    /// Take a real server out of the table. Its established connections
    /// finish unless `force`, which closes them at once.
    RemoveServer {
        /// Virtual service.
        service: String,
        /// Real server.
        server: String,
        /// Close its connections now.
        #[serde(default)]
        force: bool,
    },
    /// Zero the cumulative counters (`ipvsadm -Z`) of one service, or of
    /// every service when none is named.
    Zero {
        /// Virtual service; all when absent.
        #[serde(default)]
        service: Option<String>,
    },
    /// The connection table (`ipvsadm -Lnc`), as a JSON array of rows in
    /// the reply. Changes nothing; not journaled.
    Connections,
    /// Answer at once, changing nothing: proves the engine loop is alive
    /// (the systemd watchdog uses it). Not journaled.
    Ping,
}

impl Command {
    /// Whether it only reads: such commands are allowed to every client.
    pub fn is_read_only(&self) -> bool {
        matches!(self, Command::Ping | Command::Connections)
    }
}

/// A command with who asked for it (for the audit trail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The action.
    pub command: Command,
    /// Who asked: e.g. "console (uid 0)".
    pub origin: String,
}

/// The engine's answer: what it did, or why it refused.
pub type Reply = Result<String, String>;
