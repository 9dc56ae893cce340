//! UDP services: datagrams from one client form a flow, placed once and
//! kept on its real server while it stays active (the `udp` timeout), as
//! IPVS keeps a UDP connection entry. IPVS counts every UDP flow as
//! inactive. Replies go back from the virtual address the client used.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::net::UdpSocket;

use super::conns::{Activity, ConnState};
use super::service::{Placed, ServiceRuntime};

const DATAGRAM: usize = 64 * 1024;

struct Flow {
    backend: Arc<UdpSocket>,
    placed: Arc<Placed>,
}

/// Serve the UDP service on `socket` until the task is aborted.
pub async fn serve(runtime: Arc<ServiceRuntime>, socket: Arc<UdpSocket>) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let mut flows: HashMap<SocketAddr, Flow> = HashMap::new();
    let mut buffer = vec![0u8; DATAGRAM];
    let mut since_cleanup = 0usize;
    loop {
        let Ok((n, client)) = socket.recv_from(&mut buffer).await else {
            continue;
        };
        since_cleanup += 1;
        if since_cleanup >= 1024 {
            flows.retain(|_, f| !f.placed.activity.closed.load(Ordering::Relaxed));
            since_cleanup = 0;
        }
        let live = flows
            .get(&client)
            .is_some_and(|f| !f.placed.activity.closed.load(Ordering::Relaxed));
        if !live {
            match open_flow(&runtime, &socket, client, local).await {
                Some(flow) => {
                    flows.insert(client, flow);
                }
                None => continue, // no server may take it: dropped, as IPVS drops it
            }
        }
        let Some(flow) = flows.get(&client) else {
            continue;
        };
        if flow.backend.send(&buffer[..n]).await.is_ok() {
            flow.placed.dest.stats.carried(true, 1, n as u64);
            flow.placed.service_stats.carried(true, 1, n as u64);
            touch(&runtime, &flow.placed.activity);
        }
    }
}

fn touch(runtime: &ServiceRuntime, activity: &Activity) {
    activity
        .last_ms
        .store(runtime.clock().coarse_ms(), Ordering::Relaxed);
}

async fn open_flow(
    runtime: &Arc<ServiceRuntime>,
    socket: &Arc<UdpSocket>,
    client: SocketAddr,
    local: SocketAddr,
) -> Option<Flow> {
    let placed = runtime.place(client, local, ConnState::Udp, &[]).ok()?;
    let unspecified: SocketAddr = if placed.connect_to.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let backend = match UdpSocket::bind(unspecified).await {
        Ok(b) if b.connect(placed.connect_to).await.is_ok() => Arc::new(b),
        _ => {
            placed.dest.stats.connect_failed();
            return None;
        }
    };
    let placed = Arc::new(placed);
    tokio::spawn(replies(
        runtime.clone(),
        socket.clone(),
        backend.clone(),
        placed.clone(),
        client,
    ));
    Some(Flow { backend, placed })
}

/// Carry the real server's replies to the client until the flow expires.
async fn replies(
    runtime: Arc<ServiceRuntime>,
    socket: Arc<UdpSocket>,
    backend: Arc<UdpSocket>,
    placed: Arc<Placed>,
    client: SocketAddr,
) {
    let mut buffer = vec![0u8; DATAGRAM];
    loop {
        tokio::select! {
            received = backend.recv(&mut buffer) => {
                // A refused datagram (ICMP unreachable) shows up as an error; keep listening.
                let Ok(n) = received else { continue };
                if socket.send_to(&buffer[..n], client).await.is_ok() {
                    placed.dest.stats.carried(false, 1, n as u64);
                    placed.service_stats.carried(false, 1, n as u64);
                    touch(&runtime, &placed.activity);
                }
            }
            _ = placed.activity.stop.notified() => return,
        }
    }
}
