//! One proxied TCP connection, its state kept in the service's connection
//! table: SYN_SENT while the real server is connected, ESTABLISHED while
//! both directions are open, FIN_WAIT from the first FIN, TIME_WAIT after
//! both closed. A failed connect is counted and, where the scheduler's rule
//! allows it, retried on another server.

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use socket2::{Domain, SockRef, Socket, Type};
use tokio::io::Interest;
use tokio::net::TcpStream;

use super::buffers;
use super::conns::{Activity, ConnState};
use super::service::{Placed, ServiceRuntime};
use super::splice::{self, Pipe};
use crate::ipvs::model::DestStats;

/// Carry `client` (from `peer`) to a real server until both sides close.
pub async fn serve(runtime: Arc<ServiceRuntime>, client: TcpStream, peer: SocketAddr) {
    // The listener is bound to the virtual address itself, so that is what
    // the client asked for (no getsockname needed), except on a port-0
    // service, whose connections arrive by TPROXY still addressed to the
    // port the client chose.
    let asked = if runtime.address.port() == 0 {
        match client.local_addr() {
            Ok(local) => local,
            Err(_) => return,
        }
    } else {
        runtime.address
    };
    let mut tried = Vec::new();
    let (placed, backend) = loop {
        // No server may take it: dropping the client closes it.
        let Ok(placed) = runtime.place(peer, asked, ConnState::SynSent, &tried) else {
            return;
        };
        let connect = connect(placed.connect_to);
        match tokio::time::timeout(runtime.timeouts.connect, connect).await {
            Ok(Ok(backend)) => break (placed, backend),
            _ => {
                placed.dest.stats.connect_failed();
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
    carry(&runtime, &placed, &client, &backend).await;
    runtime.set_state(placed.id, ConnState::TimeWait);
}

/// Connect to `to`. A connect that failed shows as an error or hang-up in
/// the socket's readiness, so only then is its error read: a connect that
/// succeeded costs no SO_ERROR read (tokio's own connect makes one).
async fn connect(to: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(
        Domain::for_address(to),
        Type::STREAM.nonblocking().cloexec(),
        None,
    )?;
    match socket.connect(&to.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    let stream = TcpStream::from_std(socket.into())?;
    let ready = stream.ready(Interest::WRITABLE | Interest::ERROR).await?;
    if ready.is_error() || ready.is_write_closed() {
        return Err(stream
            .take_error()?
            .unwrap_or_else(|| io::ErrorKind::ConnectionRefused.into()));
    }
    Ok(stream)
}

/// Carry both directions. The first side to finish has its FIN passed on
/// (a half-close); when the other side finishes too, dropping the sockets
/// closes them, which sends the second FIN without a shutdown call of its
/// own (both were read to the end, so the close is a FIN, not a reset).
async fn carry(runtime: &ServiceRuntime, placed: &Placed, client: &TcpStream, backend: &TcpStream) {
    let counters = [placed.dest.stats.as_ref(), placed.service_stats.as_ref()];
    let activity = placed.activity.as_ref();
    let upstream = pump(client, backend, counters, true, activity, runtime);
    let downstream = pump(backend, client, counters, false, activity, runtime);
    tokio::pin!(upstream, downstream);
    let stopped = activity.stop.notified();
    tokio::pin!(stopped);
    tokio::select! {
        _ = &mut upstream => {
            let _ = SockRef::from(backend).shutdown(Shutdown::Write);
            runtime.set_state(placed.id, ConnState::FinWait);
            tokio::select! { _ = &mut downstream => {}, _ = &mut stopped => {} }
        }
        _ = &mut downstream => {
            let _ = SockRef::from(client).shutdown(Shutdown::Write);
            runtime.set_state(placed.id, ConnState::FinWait);
            tokio::select! { _ = &mut upstream => {}, _ = &mut stopped => {} }
        }
        // The table expired it (idle beyond its timeout): drop both sides.
        _ = &mut stopped => {}
    }
}

/// One read into `buffer`. A short read means the socket is drained, so
/// the readiness is cleared on the spot (as tokio's own `poll_read` does),
/// saving the read that would only say "would block".
fn read_once(from: &TcpStream, buffer: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    let result = from.try_io(Interest::READABLE, || {
        // SAFETY: recv into a buffer we own, of its own length.
        let n = unsafe {
            libc::recv(
                from.as_raw_fd(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                0,
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        got = n as usize;
        if got > 0 && got < buffer.len() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(got),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock && got > 0 => Ok(got),
        Err(e) => Err(e),
    }
}

async fn write_all(to: &TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match to.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => to.writable().await?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Traffic counted locally and published to the shared counters once per
/// tick of the coarse clock (and at the end), so the hot path touches no
/// shared cache line per read.
struct Tally<'a> {
    counters: [&'a DestStats; 2],
    inbound: bool,
    activity: &'a Activity,
    packets: u64,
    bytes: u64,
    published_ms: u64,
}

impl Tally<'_> {
    fn add(&mut self, bytes: usize, now_ms: u64) {
        self.packets += 1;
        self.bytes += bytes as u64;
        if now_ms != self.published_ms {
            self.publish(now_ms);
        }
    }

    fn publish(&mut self, now_ms: u64) {
        if self.packets > 0 {
            for c in self.counters {
                c.carried(self.inbound, self.packets, self.bytes);
            }
            self.activity.last_ms.store(now_ms, Ordering::Relaxed);
        }
        self.packets = 0;
        self.bytes = 0;
        self.published_ms = now_ms;
    }
}

/// One read from `from` and its bytes written to `to`, through a buffer
/// borrowed from the pool for the burst.
async fn copy_once(from: &TcpStream, to: &TcpStream) -> io::Result<usize> {
    let mut buffer = buffers::take();
    let copied = match read_once(from, &mut buffer) {
        Ok(n) => write_all(to, &buffer[..n]).await.map(|()| n),
        Err(e) => Err(e),
    };
    buffers::give(buffer);
    copied
}

/// Carry `from` to `to` until EOF or error: by copying, and by splicing
/// once a read fills a whole buffer (a bulk transfer), unless no pipe can
/// be had.
async fn pump(
    from: &TcpStream,
    to: &TcpStream,
    counters: [&DestStats; 2],
    inbound: bool,
    activity: &Activity,
    runtime: &ServiceRuntime,
) {
    let clock = runtime.clock();
    let mut tally = Tally {
        counters,
        inbound,
        activity,
        packets: 0,
        bytes: 0,
        published_ms: clock.coarse_ms(),
    };
    let mut bulk = false;
    loop {
        if from.readable().await.is_err() {
            break;
        }
        let moved = match bulk.then(Pipe::take) {
            Some(Ok(pipe)) => splice::relay(from, to, pipe).await,
            _ => copy_once(from, to).await,
        };
        match moved {
            Ok(0) => break,
            Ok(n) => {
                bulk |= n == buffers::SIZE;
                tally.add(n, clock.coarse_ms());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
    tally.publish(clock.coarse_ms());
}

#[cfg(test)]
mod tests {
    use super::super::conns::Timeouts;
    use super::super::splice::tests::loopback_pair;
    use super::*;
    use crate::config::Protocol;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn connect_reaches_a_listener_and_reports_a_refusal() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let stream = connect(open).await.expect("connects to a listener");
        assert_eq!(stream.peer_addr().unwrap(), open);
        // A port nobody listens on: bind one, note it, close it.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let refused = connect(closed).await.expect_err("nobody listens there");
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);
    }

    #[tokio::test]
    async fn a_bulk_stream_is_carried_byte_for_byte_across_the_switch_to_splicing() {
        let (mut client, from_client) = loopback_pair().await;
        let (to_server, mut server) = loopback_pair().await;
        // A short request first (copied), then 4 MiB (spliced once a read
        // fills a buffer), then the end.
        let mut payload = b"GET /bulk\r\n".to_vec();
        payload.extend((0..4u32 << 20).map(|i| (i % 251) as u8));
        let sent = payload.clone();
        let writer = tokio::spawn(async move {
            client.write_all(&sent).await.unwrap();
            client.shutdown().await.unwrap();
        });
        let reader = tokio::spawn(async move {
            let mut received = Vec::new();
            server.read_to_end(&mut received).await.unwrap();
            received
        });
        let (_, table) = tokio::sync::watch::channel(Default::default());
        let runtime = ServiceRuntime::new(
            "192.0.2.1:80".parse().unwrap(),
            Protocol::Tcp,
            table,
            Default::default(),
            Timeouts::default(),
        );
        let (dest, service) = (DestStats::default(), DestStats::default());
        let activity = Activity::default();
        pump(
            &from_client,
            &to_server,
            [&dest, &service],
            true,
            &activity,
            &runtime,
        )
        .await;
        drop(to_server);
        writer.await.unwrap();
        let received = reader.await.unwrap();
        assert_eq!(received.len(), payload.len());
        assert!(received == payload, "the bytes arrived changed");
        for counted in [&dest, &service] {
            let bytes = counted.in_bytes.load(Ordering::Relaxed);
            assert_eq!(bytes, payload.len() as u64);
        }
    }
}
