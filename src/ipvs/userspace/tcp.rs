//! One proxied TCP connection, its state kept in the service's connection
//! table: SYN_SENT while the real server is connected, ESTABLISHED while
//! both directions are open, FIN_WAIT from the first FIN, TIME_WAIT after
//! both closed. A failed connect is counted and, where the scheduler's rule
//! allows it, retried on another server.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, Interest};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::conns::{Activity, ConnState};
use super::service::{Placed, ServiceRuntime};
use crate::ipvs::model::DestStats;

const BUFFER: usize = 32 * 1024;

/// Carry `client` (from `peer`) to a real server until both sides close.
pub async fn serve(runtime: Arc<ServiceRuntime>, client: TcpStream, peer: SocketAddr) {
    let Ok(local) = client.local_addr() else {
        return;
    };
    let mut tried = Vec::new();
    let (placed, backend) = loop {
        // No server may take it: dropping the client closes it.
        let Ok(placed) = runtime.place(peer, local.ip(), ConnState::SynSent, &tried) else {
            return;
        };
        let connect = TcpStream::connect(placed.dest.address);
        match tokio::time::timeout(runtime.timeouts.connect, connect).await {
            Ok(Ok(backend)) => break (placed, backend),
            _ => {
                placed
                    .dest
                    .stats
                    .connect_failures
                    .fetch_add(1, Ordering::Relaxed);
                runtime.set_state(placed.id, ConnState::Close);
                if !placed.may_retry {
                    return;
                }
                tried.push(placed.dest.address);
            }
        }
    };
    runtime.set_state(placed.id, ConnState::Established);
    let _ = client.set_nodelay(true);
    let _ = backend.set_nodelay(true);
    carry(&runtime, &placed, client, backend).await;
    runtime.set_state(placed.id, ConnState::TimeWait);
}

async fn carry(runtime: &ServiceRuntime, placed: &Placed, client: TcpStream, backend: TcpStream) {
    let (client_read, client_write) = client.into_split();
    let (backend_read, backend_write) = backend.into_split();
    let counters = [placed.dest.stats.as_ref(), placed.service_stats.as_ref()];
    let activity = placed.activity.as_ref();
    let upstream = pump(
        client_read,
        backend_write,
        counters,
        true,
        activity,
        runtime,
    );
    let downstream = pump(
        backend_read,
        client_write,
        counters,
        false,
        activity,
        runtime,
    );
    tokio::pin!(upstream, downstream);
    let stopped = activity.stop.notified();
    tokio::pin!(stopped);
    tokio::select! {
        _ = &mut upstream => {
            runtime.set_state(placed.id, ConnState::FinWait);
            tokio::select! { _ = &mut downstream => {}, _ = &mut stopped => {} }
        }
        _ = &mut downstream => {
            runtime.set_state(placed.id, ConnState::FinWait);
            tokio::select! { _ = &mut upstream => {}, _ = &mut stopped => {} }
        }
        // The table expired it (idle beyond its timeout): drop both sides.
        _ = &mut stopped => {}
    }
}

/// Copy until EOF or error, then pass the FIN on. The buffer exists only
/// while data flows: an idle connection holds no buffer.
async fn pump(
    from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    counters: [&DestStats; 2],
    inbound: bool,
    activity: &Activity,
    runtime: &ServiceRuntime,
) {
    let mut buffer: Option<Vec<u8>> = None;
    loop {
        if from.ready(Interest::READABLE).await.is_err() {
            break;
        }
        let chunk = buffer.get_or_insert_with(|| vec![0u8; BUFFER]);
        match from.try_read(chunk) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&chunk[..n]).await.is_err() {
                    break;
                }
                for c in counters {
                    c.carried(inbound, n);
                }
                activity
                    .last_ms
                    .store(runtime.clock().coarse_ms(), Ordering::Relaxed);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => buffer = None,
            Err(_) => break,
        }
    }
    let _ = to.shutdown().await;
}
