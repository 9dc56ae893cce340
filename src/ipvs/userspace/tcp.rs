//! One proxied TCP connection, counted as IPVS counts it: active while both
//! directions are open, inactive from the first FIN until `tcp_fin` after close.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use super::table::{PlaneDest, Timeouts};
use crate::ipvs::model::DestStats;

const BUFFER: usize = 16 * 1024;

/// Carry `client` to `dest` until both sides close.
pub async fn proxy(client: TcpStream, dest: PlaneDest, timeouts: Timeouts) {
    let stats = dest.stats.clone();
    stats.conns.fetch_add(1, Ordering::Relaxed);
    stats.active.fetch_add(1, Ordering::Relaxed);
    let connected = tokio::time::timeout(timeouts.connect, TcpStream::connect(dest.address)).await;
    let Ok(Ok(backend)) = connected else {
        move_to_inactive(&stats);
        linger_then_forget(&stats, timeouts).await;
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = backend.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (backend_read, backend_write) = backend.into_split();
    let upstream = pump(client_read, backend_write, &stats.in_bytes);
    let downstream = pump(backend_read, client_write, &stats.out_bytes);
    tokio::pin!(upstream, downstream);
    tokio::select! {
        _ = &mut upstream => { move_to_inactive(&stats); downstream.await; }
        _ = &mut downstream => { move_to_inactive(&stats); upstream.await; }
    }
    linger_then_forget(&stats, timeouts).await;
}

fn move_to_inactive(stats: &DestStats) {
    stats.inactive.fetch_add(1, Ordering::Relaxed);
    stats.active.fetch_sub(1, Ordering::Relaxed);
}

async fn linger_then_forget(stats: &Arc<DestStats>, timeouts: Timeouts) {
    tokio::time::sleep(timeouts.tcp_fin).await;
    stats.inactive.fetch_sub(1, Ordering::Relaxed);
}

/// Copy until EOF or error, then pass the FIN on.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, bytes: &AtomicU64) {
    let mut buffer = vec![0u8; BUFFER];
    loop {
        match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buffer[..n]).await.is_err() {
                    break;
                }
                bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    }
    let _ = to.shutdown().await;
}
