//! How clients talk to an engine, in-process or through the control socket.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use super::command::{Command, Reply, Request};
use super::live::{LiveWatcher, LiveWatchers};
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
    /// Who watches live (see [`super::live`]); on a remote handle the
    /// daemon's control server counts the subscription instead.
    pub live: LiveWatchers,
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

    /// Watch live until the guard is dropped: counters are published as
    /// they change. Returns once the current snapshot is fresh (a ping,
    /// like every command, makes the engine publish before it answers).
    pub async fn watch_live(&self, origin: &str) -> LiveWatcher {
        let watcher = self.live.enter();
        let ping = Request {
            command: Command::Ping,
            origin: origin.into(),
        };
        let _ = self.request(ping).await;
        watcher
    }
}
