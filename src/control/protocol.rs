//! The wire messages. One JSON object per line, in both directions.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{Answer, Command, Reply, Snapshot};

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

/// The wire form of the engine's reply to command `id`.
pub fn reply_message(id: u64, reply: Reply) -> ServerMessage {
    match reply {
        Ok(Answer::Connections(rows)) => ServerMessage::Reply {
            id,
            ok: true,
            message: Answer::Connections(Vec::new()).to_string(),
            connections: Some(rows),
        },
        Ok(answer) => ServerMessage::Reply {
            id,
            ok: true,
            message: answer.to_string(),
            connections: None,
        },
        Err(message) => ServerMessage::Reply {
            id,
            ok: false,
            message,
            connections: None,
        },
    }
}

/// The engine's reply from its wire form.
pub fn reply_from(
    ok: bool,
    message: String,
    connections: Option<Vec<crate::ipvs::model::ConnRow>>,
) -> Reply {
    match (ok, connections) {
        (true, Some(rows)) => Ok(Answer::Connections(rows)),
        (true, None) => Ok(Answer::Done(message)),
        (false, _) => Err(message),
    }
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
        /// The rows, for the connection table (`connections`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        connections: Option<Vec<crate::ipvs::model::ConnRow>>,
    },
    /// The last line could not be understood; the connection stays open.
    Error {
        /// What was wrong with it.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::model::ConnRow;

    fn round_trip(reply: Reply) -> Reply {
        let line = serde_json::to_string(&reply_message(7, reply)).unwrap();
        match serde_json::from_str(&line).unwrap() {
            ServerMessage::Reply {
                id: 7,
                ok,
                message,
                connections,
            } => reply_from(ok, message, connections),
            other => panic!("not a reply: {other:?}"),
        }
    }

    #[test]
    fn replies_keep_their_kind_on_the_wire() {
        let row = ConnRow {
            protocol: "TCP".into(),
            expires_secs: 890,
            state: "ESTABLISHED".into(),
            source: "198.51.100.7:51234".parse().unwrap(),
            virtual_address: "192.0.2.50:80".parse().unwrap(),
            destination: "192.0.2.21:80".parse().unwrap(),
        };
        let rows = Ok(Answer::Connections(vec![row]));
        assert_eq!(round_trip(rows.clone()), rows);
        let done = Ok(Answer::Done("web/rs1: drained".into()));
        assert_eq!(round_trip(done.clone()), done);
        let refused = Err("unknown real server \"rs9\"".to_string());
        assert_eq!(round_trip(refused.clone()), refused);
    }
}
