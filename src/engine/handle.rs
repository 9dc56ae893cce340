//! How clients talk to an engine, in-process or through the control socket.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use super::command::{Reply, Request};
use super::snapshot::Snapshot;

/// A command and where its reply goes.
pub type Envelope = (Request, oneshot::Sender<Reply>);

/// A client's end of an engine: send commands, watch snapshots.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    /// Commands in.
    pub commands: mpsc::Sender<Envelope>,
    /// Snapshots out; `None` until the first arrives.
    pub snapshots: watch::Receiver<Option<Arc<Snapshot>>>,
}

impl EngineHandle {
    /// Send a request and wait for the engine's answer.
    pub async fn request(&self, request: Request) -> Reply {
        let (reply_to, reply) = oneshot::channel();
        self.commands
            .send((request, reply_to))
            .await
            .map_err(|_| "the engine is gone".to_string())?;
        reply
            .await
            .map_err(|_| "the engine dropped the request".to_string())?
    }
}
