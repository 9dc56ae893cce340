//! How clients talk to an engine, in-process or through the control socket.

use std::sync::Arc;
use std::time::Duration;

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

    /// Make the engine publish its counters as of now: a ping, like every
    /// command, makes it publish before it answers.
    async fn refresh(&self, origin: &str) {
        let ping = Request {
            command: Command::Ping,
            origin: origin.into(),
        };
        let _ = self.request(ping).await;
    }

    /// Watch live until the guard is dropped: counters are published as
    /// they change. Returns once the current snapshot is fresh.
    pub async fn watch_live(&self, origin: &str) -> LiveWatcher {
        let watcher = self.live.enter();
        self.refresh(origin).await;
        watcher
    }

    /// A snapshot taken after this call, for a one-off reader (`ctl`, a
    /// metrics scrape): counters as of now, not as of the last publish.
    /// Through the control socket it arrives after the reply, so this
    /// waits for it up to 2 s; after that, the latest snapshot, if any.
    pub async fn fresh_snapshot(&self, origin: &str) -> Option<Arc<Snapshot>> {
        let asked_at = super::clock::unix_ms();
        self.refresh(origin).await;
        let mut snapshots = self.snapshots.clone();
        let fresh = async {
            loop {
                if let Some(s) = snapshots.borrow_and_update().clone() {
                    if s.unix_ms >= asked_at {
                        return Some(s);
                    }
                }
                snapshots.changed().await.ok()?;
            }
        };
        match tokio::time::timeout(Duration::from_secs(2), fresh).await {
            Ok(Some(s)) => Some(s),
            _ => self.snapshots.borrow().clone(),
        }
    }
}
