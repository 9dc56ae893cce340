//! The plane's own threads. The proxy runs on a runtime of its own, sized
//! by `--plane-threads`, so that the engine stays a single-threaded loop
//! (no work stealing, no wake-ups between threads on a VRRP-only director)
//! while the proxy uses as many cores as it is given. The runtime is built
//! when the first service needs it: a director without virtual services
//! has no plane threads at all.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{EnterGuard, Handle, Runtime};
use tokio::task::JoinHandle;

/// A lazily built multi-threaded runtime for the proxy.
pub struct Workers {
    threads: usize,
    runtime: OnceLock<Runtime>,
}

impl Workers {
    /// Workers that will run on `threads` threads (at least one).
    pub fn new(threads: usize) -> Workers {
        Workers {
            threads: threads.max(1),
            runtime: OnceLock::new(),
        }
    }

    fn handle(&self) -> std::io::Result<&Handle> {
        if let Some(runtime) = self.runtime.get() {
            return Ok(runtime.handle());
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.threads)
            .thread_name("director-plane")
            .enable_all()
            .build()?;
        // Built outside the lock: a lost race drops a runtime that never
        // ran anything, which must happen off any runtime thread.
        if let Err(spare) = self.runtime.set(runtime) {
            spare.shutdown_background();
        }
        Ok(self.runtime.get().expect("just set").handle())
    }

    /// When `binding` (there are sockets to make), make the proxy's runtime
    /// current, so that the sockets made meanwhile are driven by its
    /// threads. Nothing is started when there is nothing to bind.
    pub fn enter_if(&self, binding: bool) -> std::io::Result<Option<EnterGuard<'_>>> {
        if !binding {
            return Ok(None);
        }
        Ok(Some(self.handle()?.enter()))
    }

    /// Run `task` on the proxy's threads; should they fail to start (the
    /// host is out of threads), on the caller's runtime instead.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match self.handle() {
            Ok(handle) => handle.spawn(task),
            Err(_) => tokio::spawn(task),
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        // The plane is dropped from the engine's (async) context, where a
        // runtime may not block to join its threads.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tasks_run_on_the_plane_threads_and_stop_with_them() {
        let workers = Workers::new(1);
        let name = workers.spawn(async {
            assert_eq!(
                std::thread::current().name(),
                Some("director-plane"),
                "spawned off the plane's threads"
            );
        });
        name.await.unwrap();
        let forever = workers.spawn(std::future::pending::<()>());
        drop(workers);
        assert!(forever.await.unwrap_err().is_cancelled());
    }
}
