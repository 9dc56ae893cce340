//! Sockets for the virtual services, bound with IP_FREEBIND so a backup
//! listens on a VIP before VRRP gives it the address, and the accept loop
//! for TCP services.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use socket2::{Domain, SockRef, Socket, Type};
use tokio::net::{TcpListener, TcpSocket, UdpSocket};

use super::service::ServiceRuntime;
use super::tcp;

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

/// A TCP listener on `address`.
pub fn bind_tcp(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    freebind(SockRef::from(&socket), address)?;
    socket.bind(address)?;
    socket.listen(4096)
}

/// A transparent TCP listener on `address` port 0 (an ephemeral port):
/// TPROXY hands it connections for every port of a port-0 service.
pub fn bind_tcp_transparent(address: std::net::IpAddr) -> std::io::Result<TcpListener> {
    let at = SocketAddr::new(address, 0);
    let socket = Socket::new(Domain::for_address(at), Type::STREAM, None)?;
    if at.is_ipv4() {
        socket.set_ip_transparent_v4(true)?;
    } else {
        socket.set_ip_transparent_v6(true)?;
    }
    freebind(SockRef::from(&socket), at)?;
    socket.set_nonblocking(true)?;
    socket.bind(&at.into())?;
    socket.listen(4096)?;
    TcpListener::from_std(socket.into())
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

/// Accept connections for one TCP service until the task is aborted.
pub async fn accept_loop(listener: TcpListener, runtime: Arc<ServiceRuntime>) {
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
