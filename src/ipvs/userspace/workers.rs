//! The plane's own threads. The proxy runs on threads of its own, sized by
//! `--plane-threads`, so that the engine stays a single-threaded loop while
//! the proxy uses as many cores as it is given.
//!
//! Each thread runs a single-threaded runtime of its own, as HAProxy and
//! nginx run one event loop per thread: a TCP service has one listener per
//! thread (an SO_REUSEPORT group, which the kernel balances by connection),
//! and a connection is accepted, carried and closed on the thread that
//! accepted it. No task moves between threads and no thread wakes another
//! on the connection path. The threads are started when the first service
//! needs them: a director without virtual services has none.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{EnterGuard, Handle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One running thread: its runtime's handle, and the sender whose drop
/// stops it.
struct Worker {
    handle: Handle,
    _stop: oneshot::Sender<()>,
}

impl Worker {
    /// Start a thread that runs a single-threaded runtime until stopped.
    fn start(index: usize) -> std::io::Result<Worker> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        // Detached: the plane is dropped from the engine's (async)
        // context, where nothing may block to join a thread.
        std::thread::Builder::new()
            .name(format!("director-plane-{index}"))
            .spawn(move || {
                // Returns when the Worker is dropped; the runtime, and every
                // task still on it, is dropped here, on its own thread.
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Worker {
            handle,
            _stop: stop,
        })
    }
}

/// The proxy's threads, started on first use.
pub struct Workers {
    threads: usize,
    started: OnceLock<Vec<Worker>>,
}

impl Workers {
    /// Workers that will run on `threads` threads (at least one).
    pub fn new(threads: usize) -> Workers {
        Workers {
            threads: threads.max(1),
            started: OnceLock::new(),
        }
    }

    /// How many threads there are (or will be): a TCP service binds one
    /// listener for each.
    pub fn count(&self) -> usize {
        self.threads
    }

    fn workers(&self) -> std::io::Result<&[Worker]> {
        if let Some(workers) = self.started.get() {
            return Ok(workers);
        }
        let workers = (0..self.threads)
            .map(Worker::start)
            .collect::<std::io::Result<Vec<_>>>()?;
        // Only the engine's thread starts the plane, so no other set can
        // race this one; a lost race would only stop spare threads.
        let _ = self.started.set(workers);
        Ok(self.started.get().expect("just set"))
    }

    /// The runtime of thread `index` (modulo the count).
    fn handle(&self, index: usize) -> std::io::Result<&Handle> {
        let workers = self.workers()?;
        Ok(&workers[index % workers.len()].handle)
    }

    /// Make thread `index`'s runtime current, so that the sockets made
    /// meanwhile are driven by that thread. Starts the threads if need be.
    pub fn enter(&self, index: usize) -> std::io::Result<EnterGuard<'_>> {
        Ok(self.handle(index)?.enter())
    }

    /// Run `task` on thread `index`. Only what serves bound sockets is
    /// spawned, and binding (`enter`) started the threads or failed, so
    /// they are running.
    pub fn spawn_on<F>(&self, index: usize, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let workers = self
            .started
            .get()
            .expect("plane threads start when the first socket is bound");
        workers[index % workers.len()].handle.spawn(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tasks_run_on_the_thread_they_are_given_and_stop_with_it() {
        let workers = Workers::new(2);
        assert_eq!(workers.count(), 2);
        drop(workers.enter(0).unwrap());
        for index in 0..3 {
            let expected = format!("director-plane-{}", index % 2);
            workers
                .spawn_on(index, async move {
                    assert_eq!(
                        std::thread::current().name(),
                        Some(expected.as_str()),
                        "spawned off its thread"
                    );
                })
                .await
                .unwrap();
        }
        let forever = workers.spawn_on(1, std::future::pending::<()>());
        drop(workers);
        assert!(forever.await.unwrap_err().is_cancelled());
    }
}
