//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use director::control::client::attach;
use director::engine::{EngineHandle, Snapshot};

/// Whether this process may build network namespaces. Without them the test
/// says so; under CI (CI set) that is a failure, never a silent pass.
pub fn namespaces_available(test: &str) -> bool {
    match director::lab::netns::check_privileges() {
        Ok(()) => true,
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("{test}: needs root and network namespaces, and CI must run it: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED {test}: needs root and network namespaces: {why}");
            false
        }
    }
}

/// A namespace prefix unique to this process and test.
pub fn prefix(tag: &str) -> String {
    format!("dt{}{tag}", std::process::id())
}

/// Poll `condition` every 10 ms until it holds or `limit` passes.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}

/// Attach to a control socket, retrying for up to 10 s while it appears.
pub async fn attach_retrying(socket: &Path) -> EngineHandle {
    let started = Instant::now();
    loop {
        match attach(socket).await {
            Ok(handle) => return handle,
            Err(e) if started.elapsed() > Duration::from_secs(10) => {
                panic!("cannot attach to {}: {e}", socket.display())
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Wait (at most `limit`) for a snapshot satisfying `condition`, and return it.
pub async fn snapshot_where(
    handle: &EngineHandle,
    limit: Duration,
    condition: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    let mut snapshots = handle.snapshots.clone();
    let wait = async {
        loop {
            if let Some(s) = snapshots.borrow_and_update().clone() {
                if condition(&s) {
                    return s;
                }
            }
            if snapshots.changed().await.is_err() {
                panic!("engine went away while waiting");
            }
        }
    };
    match tokio::time::timeout(limit, wait).await {
        Ok(snapshot) => snapshot,
        Err(_) => {
            let last = handle.snapshots.borrow().clone();
            panic!(
                "no matching snapshot within {limit:?}; the last one's servers:\n{}",
                last.map_or_else(|| "(none)".into(), |s| servers_table(&s))
            )
        }
    }
}

/// Every service's servers with their weights and counts, a line each:
/// what a timed-out wait prints so the failure shows what was there.
fn servers_table(snapshot: &Snapshot) -> String {
    let mut lines = Vec::new();
    for service in &snapshot.services {
        for s in &service.servers {
            lines.push(format!(
                "  {} {} {}: weight {} active {} inactive {} conns {}",
                service.protocol, service.address, s.name, s.weight, s.active, s.inactive, s.conns
            ));
        }
    }
    lines.join("\n")
}

/// Total connections scheduled to `server` of service "web".
pub fn conns(snapshot: &Snapshot, server: &str) -> u64 {
    snapshot
        .server("web", server)
        .map_or_else(|| panic!("no server {server}"), |s| s.conns)
}
pub mod netlab;
pub mod tmux;
pub mod vm;

/// `snapshot_where` (15 s) from synchronous test code on a multi-thread
/// runtime; `what` is printed so a timeout names what was awaited.
pub fn snapshot_blocking(
    handle: &EngineHandle,
    what: &str,
    condition: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    eprintln!("waiting for: {what}");
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(snapshot_where(
            handle,
            Duration::from_secs(15),
            condition,
        ))
    })
}
