//! Sockets for the virtual services, bound with IP_FREEBIND so a backup
//! listens on a VIP before VRRP gives it the address, and the accept loop
//! for TCP services.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use socket2::{Domain, SockRef, Socket, Type};
use tokio::net::{TcpListener, UdpSocket};

use super::service::ServiceRuntime;
use super::tcp;
use crate::workers::Workers;

/// A virtual service's socket that could not be set up.
#[derive(Debug)]
pub struct PlaneError {
    /// The virtual service.
    pub address: SocketAddr,
    /// Why.
    pub cause: std::io::Error,
}

impl fmt::Display for PlaneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "userspace plane: cannot listen on {}: {}",
            self.address, self.cause
        )
    }
}

impl std::error::Error for PlaneError {}

fn freebind(sock: SockRef<'_>, address: SocketAddr) -> std::io::Result<()> {
    if address.is_ipv4() {
        sock.set_freebind_v4(true)
    } else {
        sock.set_freebind_v6(true)
    }
}

/// TCP listeners on `address`, one per plane thread, each registered with
/// its thread's runtime: an SO_REUSEPORT group, over which the kernel
/// spreads incoming connections. `transparent` makes them TPROXY targets
/// (a port-0 service); port 0 binds an ephemeral port, which the rest of
/// the group then shares.
pub fn bind_tcp(
    address: SocketAddr,
    transparent: bool,
    workers: &Workers,
) -> std::io::Result<Vec<TcpListener>> {
    let mut at = address;
    let mut group = Vec::with_capacity(workers.count());
    for index in 0..workers.count() {
        let socket = Socket::new(Domain::for_address(at), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        if transparent {
            if at.is_ipv4() {
                socket.set_ip_transparent_v4(true)?;
            } else {
                socket.set_ip_transparent_v6(true)?;
            }
        }
        freebind(SockRef::from(&socket), at)?;
        socket.set_nonblocking(true)?;
        socket.bind(&at.into())?;
        socket.listen(4096)?;
        if at.port() == 0 {
            at = socket
                .local_addr()?
                .as_socket()
                .ok_or_else(|| std::io::Error::other("listener bound to a non-IP address"))?;
        }
        let _on_its_thread = workers.enter(index)?;
        group.push(TcpListener::from_std(socket.into())?);
    }
    Ok(group)
}

/// A UDP socket on `address`.
pub fn bind_udp(address: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = Socket::new(Domain::for_address(address), Type::DGRAM, None)?;
    socket.set_reuse_address(true)?;
    freebind(SockRef::from(&socket), address)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    UdpSocket::from_std(socket.into())
}

/// Close `listener` to new connections now, from any thread. shutdown(2)
/// with SHUT_RD takes a listening socket out of its SO_REUSEPORT group and
/// the kernel's lookup at once, so later SYNs are refused; its accept task
/// still owns the descriptor and closes it when aborted.
pub fn stop_listening(listener: &TcpListener) {
    // A listener already closed this way answers ENOTCONN: nothing to do.
    let _ = SockRef::from(listener).shutdown(std::net::Shutdown::Read);
}

/// Accept connections for one TCP service until the task is aborted; each
/// is carried on this thread.
pub async fn accept_loop(listener: Arc<TcpListener>, runtime: Arc<ServiceRuntime>) {
    loop {
        match listener.accept().await {
            Ok((client, peer)) => {
                tokio::spawn(tcp::serve(runtime.clone(), client, peer));
            }
            // Out of descriptors or memory: back off instead of spinning.
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stopped_group_refuses_at_once_while_its_listeners_are_still_open() {
        let workers = Workers::new("plane", 2);
        let group = bind_tcp("127.0.0.1:0".parse().unwrap(), false, &workers).unwrap();
        assert_eq!(group.len(), 2, "one listener per plane thread");
        let at = group[0].local_addr().unwrap();
        assert_eq!(group[1].local_addr().unwrap(), at, "one port for the group");
        let answered = std::net::TcpStream::connect(at);
        assert!(answered.is_ok(), "the group listens: {answered:?}");
        for listener in &group {
            stop_listening(listener);
        }
        // Every listener is still open (its task would drop it later).
        let refused = std::net::TcpStream::connect(at).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        for listener in &group {
            stop_listening(listener);
        }
    }
}
