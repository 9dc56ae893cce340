//! Threads of their own for the work that scales with the table, so that
//! the engine stays a single-threaded loop whatever the load: the userspace
//! plane's proxy (sized by `--plane-threads`) and the health checkers.
//!
//! Each thread runs a single-threaded runtime of its own, as HAProxy and
//! nginx run one event loop per thread. A task is given a thread and stays
//! there: for the proxy, a TCP service has one listener per thread (an
//! SO_REUSEPORT group, which the kernel balances by connection) and a
//! connection is accepted, carried and closed on the thread that accepted
//! it; a checker probes, sleeps and probes again on its own thread. No task
//! moves between threads and no thread wakes another on the hot path. The
//! threads are started on first use: a director without virtual services
//! has none.

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
    fn start(name: &str, index: usize) -> std::io::Result<Worker> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        // Detached: the owner is dropped from the engine's (async)
        // context, where nothing may block to join a thread.
        std::thread::Builder::new()
            .name(format!("director-{name}-{index}"))
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

/// A set of threads, started on first use.
pub struct Workers {
    name: &'static str,
    threads: usize,
    started: OnceLock<Vec<Worker>>,
}

impl Workers {
    /// Workers that will run on `threads` threads (at least one), named
    /// `director-NAME-INDEX`.
    pub fn new(name: &'static str, threads: usize) -> Workers {
        Workers {
            name,
            threads: threads.max(1),
            started: OnceLock::new(),
        }
    }

    /// How many threads there are (or will be).
    pub fn count(&self) -> usize {
        self.threads
    }

    fn workers(&self) -> std::io::Result<&[Worker]> {
        if let Some(workers) = self.started.get() {
            return Ok(workers);
        }
        let workers = (0..self.threads)
            .map(|index| Worker::start(self.name, index))
            .collect::<std::io::Result<Vec<_>>>()?;
        // Only the engine's thread starts its workers, so no other set can
        // race this one; a lost race would only stop spare threads.
        let _ = self.started.set(workers);
        Ok(self.started.get().expect("just set"))
    }

    /// The runtime of thread `index` (modulo the count), starting the
    /// threads if need be.
    pub fn runtime(&self, index: usize) -> std::io::Result<&Handle> {
        let workers = self.workers()?;
        Ok(&workers[index % workers.len()].handle)
    }

    /// Make thread `index`'s runtime current, so that the sockets made
    /// meanwhile are driven by that thread. Starts the threads if need be.
    pub fn enter(&self, index: usize) -> std::io::Result<EnterGuard<'_>> {
        Ok(self.runtime(index)?.enter())
    }

    /// Run `task` on thread `index`, once the threads are running. The
    /// plane spawns only what serves bound sockets, and binding (`enter`)
    /// started the threads or failed.
    pub fn spawn_on<F>(&self, index: usize, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let workers = self
            .started
            .get()
            .expect("the threads start when the first socket is bound");
        workers[index % workers.len()].handle.spawn(task)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tasks_run_on_the_thread_they_are_given_and_stop_with_it() {
        let workers = Workers::new("plane", 2);
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
