//! Attaching to an engine in another process: the control socket presented
//! as the same `EngineHandle` an in-process client gets.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::{mpsc, oneshot, watch};

use super::protocol::{ClientMessage, ServerMessage};
use crate::engine::command::Reply;
use crate::engine::handle::Envelope;
use crate::engine::EngineHandle;

/// Connect to the control socket at `path`, subscribe to snapshots, and
/// return a handle that forwards commands over the socket.
pub async fn attach(path: &Path) -> io::Result<EngineHandle> {
    let stream = UnixStream::connect(path)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let (read, mut write) = stream.into_split();
    let mut subscribe = serde_json::to_string(&ClientMessage::Subscribe)?;
    subscribe.push('\n');
    write.write_all(subscribe.as_bytes()).await?;

    let (command_tx, mut command_rx) = mpsc::channel::<Envelope>(16);
    let (snapshot_tx, snapshot_rx) = watch::channel(None);
    let pending: Arc<std::sync::Mutex<HashMap<u64, oneshot::Sender<Reply>>>> = Arc::default();

    let waiting = pending.clone();
    tokio::spawn(async move {
        let mut next_id = 0u64;
        while let Some((request, reply_to)) = command_rx.recv().await {
            next_id += 1;
            let message = ClientMessage::Command {
                id: next_id,
                command: request.command,
                origin: Some(request.origin),
            };
            let Ok(mut line) = serde_json::to_string(&message) else {
                continue;
            };
            line.push('\n');
            waiting
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(next_id, reply_to);
            if write.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        let mut lines = BufReader::new(read).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            match serde_json::from_str::<ServerMessage>(&line) {
                Ok(ServerMessage::Snapshot { snapshot }) => {
                    snapshot_tx.send_replace(Some(snapshot));
                }
                Ok(ServerMessage::Reply {
                    id,
                    ok,
                    message,
                    connections,
                }) => {
                    let waiter = pending
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(super::protocol::reply_from(ok, message, connections));
                    }
                }
                Ok(ServerMessage::Hello { .. } | ServerMessage::Error { .. }) | Err(_) => {}
            }
        }
        // The engine went away: clear the snapshot so the console can say so.
        snapshot_tx.send_replace(None);
    });
    Ok(EngineHandle {
        commands: command_tx,
        snapshots: snapshot_rx,
        live: Default::default(),
    })
}
