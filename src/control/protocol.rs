//! The wire messages. One JSON object per line, in both directions.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{Command, Snapshot};

/// The protocol version; a client of another major version is refused.
pub const PROTOCOL_VERSION: u32 = 1;

/// The longest line the server reads; longer lines are refused.
pub const MAX_LINE: usize = 64 * 1024;

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Start receiving a snapshot whenever the engine publishes one.
    Subscribe,
    /// Run a command; the reply carries the same id.
    Command {
        /// Chosen by the client to match the reply.
        id: u64,
        /// What to do.
        command: Command,
        /// Who the client says is asking (e.g. "console (uid 1000)"); the
        /// server appends the peer credentials it checked itself.
        #[serde(default)]
        origin: Option<String>,
    },
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Sent first on every connection.
    Hello {
        /// The server's protocol version.
        version: u32,
        /// The node's name.
        node: String,
    },
    /// The engine's current state.
    Snapshot {
        /// The snapshot, the engine's own: sending it copies nothing.
        snapshot: Arc<Snapshot>,
    },
    /// The answer to a command.
    Reply {
        /// The command's id.
        id: u64,
        /// Whether it was carried out.
        ok: bool,
        /// What happened, or why not.
        message: String,
    },
    /// The last line could not be understood; the connection stays open.
    Error {
        /// What was wrong with it.
        message: String,
    },
}
