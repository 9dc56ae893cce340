//! What clients (console, control socket, ctl) may ask the engine to do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::Forwarding;
use crate::ipvs::model::ConnRow;

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
    /// Keep a backup instance from preempting until released, as a
    /// failover does (restores a failover's hold after a restart).
    Hold {
        /// VRRP instance name.
        instance: String,
    },
    /// Lift the hold a failover left, so the instance may preempt again.
    Release {
        /// VRRP instance name.
        instance: String,
    },
    /// Add a real server to a virtual service at run time, optionally
    /// with a health check of its own.
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
        /// How the kernel plane forwards to it (the userspace plane proxies).
        #[serde(default)]
        forwarding: Forwarding,
        /// A health check to run on it; unchecked when absent.
        #[serde(default)]
        check: Option<AddCheck>,
    },
    /// Take a virtual service out of service (no new connections;
    /// established ones finish), or put it back.
    SetServiceEnabled {
        /// Virtual service.
        service: String,
        /// Whether it takes new connections.
        enabled: bool,
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
    /// Re-read the configuration file and apply what changed (SIGHUP does
    /// the same). A file that does not validate, or changes that need a
    /// restart, are refused whole and nothing changes.
    Reload,
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

/// What the engine answers when it carried a command out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Answer {
    /// Done: what was done, in words (as the journal has it).
    Done(String),
    /// The connection table, for `Command::Connections`.
    Connections(Vec<ConnRow>),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Done(text) => f.write_str(text),
            Answer::Connections(rows) => write!(f, "{} connection(s)", rows.len()),
        }
    }
}

/// The engine's answer: what it did, or why it refused.
pub type Reply = Result<Answer, String>;

/// A health check an operator attaches to a real server added at run time,
/// with keepalived's default timing (3 s connect timeout, 1 retry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AddCheck {
    /// TCP_CHECK: the connection opens.
    Tcp,
    /// HTTP_GET of `path`: any 2xx answer.
    Http {
        /// The path to request.
        path: String,
    },
}

impl FromStr for AddCheck {
    type Err = String;

    /// `tcp`, `http` (path `/`) or `http:/path`.
    fn from_str(text: &str) -> Result<AddCheck, String> {
        match text.trim() {
            "tcp" => Ok(AddCheck::Tcp),
            "http" => Ok(AddCheck::Http { path: "/".into() }),
            other => match other.strip_prefix("http:") {
                Some(path) if path.starts_with('/') => Ok(AddCheck::Http { path: path.into() }),
                _ => Err(format!(
                    "check must be tcp, http or http:/path, not {other:?}"
                )),
            },
        }
    }
}

impl fmt::Display for AddCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddCheck::Tcp => f.write_str("tcp"),
            AddCheck::Http { path } => write!(f, "http:{path}"),
        }
    }
}
