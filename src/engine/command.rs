//! What clients (console, control socket, ctl) may ask the engine to do.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::config::Forwarding;
use crate::ipvs::model::ConnRow;

/// An operator action: the one definition that the engine carries out,
/// the control socket carries (JSON, `action` naming it) and `director ctl`
/// takes on its command line (its subcommands are these, by the names
/// below). Servers and services are named by their display name or by
/// `address:port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    /// Stop new connections to a real server (weight 0); established ones
    /// finish.
    Drain {
        /// Virtual service (name or address:port).
        service: String,
        /// Real server (name or address:port).
        server: String,
    },
    /// Undo a drain: restore the weight it took away.
    Undrain {
        /// Virtual service (name or address:port).
        service: String,
        /// Real server (name or address:port).
        server: String,
    },
    /// Set a real server's weight.
    #[command(name = "weight")]
    SetWeight {
        /// Virtual service (name or address:port).
        service: String,
        /// Real server (name or address:port).
        server: String,
        /// New weight, 0..=65535.
        weight: u32,
    },
    /// Hand a VRRP instance's addresses to the peer (hitless) and hold
    /// this node in backup.
    Failover {
        /// VRRP instance name.
        instance: String,
    },
    /// Make this node master of a VRRP instance now.
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
    /// Add a real server to a virtual service (`ipvsadm -a`), optionally
    /// with a health check of its own; a configured server an operator
    /// removed comes back as configured.
    #[command(name = "add")]
    AddServer {
        /// Virtual service (name or address:port).
        service: String,
        /// The real server, address:port ([v6]:port for IPv6).
        server: std::net::SocketAddr,
        /// Its weight, 0..=65535.
        #[arg(long, default_value_t = 1)]
        weight: u32,
        /// A name for the console; `address:port` when absent.
        #[arg(long)]
        #[serde(default)]
        name: Option<String>,
        /// Forwarding for the kernel plane: nat (-m), dr (-g) or tun (-i);
        /// the userspace plane proxies.
        #[arg(long, default_value = "nat", value_parser = crate::cli::parse_forwarding)]
        #[serde(default)]
        forwarding: Forwarding,
        /// A health check: tcp, http or http:/path. The server takes
        /// traffic once it passes. Unchecked when absent.
        #[arg(long)]
        #[serde(default)]
        check: Option<AddCheck>,
    },
    /// Stop scheduling new connections to a virtual service; established
    /// ones finish.
    Disable {
        /// Virtual service (name or address:port).
        service: String,
    },
    /// Schedule new connections to a disabled virtual service again.
    Enable {
        /// Virtual service (name or address:port).
        service: String,
    },
    /// Remove a real server (`ipvsadm -d`); its connections finish unless
    /// --force closes them at once.
    #[command(name = "remove")]
    RemoveServer {
        /// Virtual service (name or address:port).
        service: String,
        /// Real server (name or address:port).
        server: String,
        /// Close its established connections now.
        #[arg(long)]
        #[serde(default)]
        force: bool,
    },
    /// Zero the counters (`ipvsadm -Z`) of one service, or of all.
    Zero {
        /// Virtual service (name or address:port); every service when absent.
        #[serde(default)]
        service: Option<String>,
    },
    /// The connection table (`ipvsadm -Lnc`; `director ctl list -c`),
    /// answered as rows. Changes nothing; not journaled.
    #[command(skip)]
    Connections,
    /// Re-read the configuration file and apply what changed (as SIGHUP):
    /// unchanged VRRP instances and services are left alone, changed ones
    /// are changed in place (or, for a new VRID or interface, restarted),
    /// and operator overrides are kept; a file that does not validate, or
    /// changes that need a restart, are refused whole and nothing changes.
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

/// What the engine answers when it carried a command out. On the control
/// socket it travels as `message` and `connections` (`control::protocol`).
#[derive(Debug, Clone, PartialEq)]
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
