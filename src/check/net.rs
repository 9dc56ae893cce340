//! Where a probe goes and where it comes from (`connect_ip`/`connect_port`,
//! `bindto`/`bind_port`), and the sockets that honour both.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

/// A probe's destination and optional source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Where the probe goes.
    pub target: SocketAddr,
    /// Its source address, and port when not 0 (`bindto`, `bind_port`).
    pub bind: Option<SocketAddr>,
}

impl From<SocketAddr> for Endpoint {
    fn from(target: SocketAddr) -> Endpoint {
        Endpoint { target, bind: None }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bind {
            Some(bind) => write!(f, "{} from {bind}", self.target),
            None => write!(f, "{}", self.target),
        }
    }
}

fn any_of(target: SocketAddr) -> SocketAddr {
    if target.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    }
}

/// Connect over TCP within `timeout`, from the endpoint's source if it has one.
pub async fn connect(to: Endpoint, timeout: Duration) -> Result<TcpStream, String> {
    let open = async {
        let socket = if to.target.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }?;
        if let Some(bind) = to.bind {
            socket.set_reuseaddr(true)?;
            socket.bind(bind)?;
        }
        socket.connect(to.target).await
    };
    match tokio::time::timeout(timeout, open).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) => Err(format!("connect {to}: {e}")),
        Err(_) => Err(format!("connect {to}: no answer within {timeout:?}")),
    }
}

/// Connect over TCP, blocking (for the TLS prober's thread).
pub fn connect_blocking(to: Endpoint, timeout: Duration) -> Result<std::net::TcpStream, String> {
    let open = || -> io::Result<std::net::TcpStream> {
        let socket = Socket::new(
            Domain::for_address(to.target),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        if let Some(bind) = to.bind {
            socket.set_reuse_address(true)?;
            socket.bind(&bind.into())?;
        }
        socket.connect_timeout(&to.target.into(), timeout)?;
        Ok(socket.into())
    };
    open().map_err(|e| format!("connect {to}: {e}"))
}

/// A UDP socket connected to the target (so that an ICMP unreachable shows
/// up as an error on it), bound to the endpoint's source if it has one.
pub async fn udp(to: Endpoint) -> Result<UdpSocket, String> {
    let socket = UdpSocket::bind(to.bind.unwrap_or_else(|| any_of(to.target)))
        .await
        .map_err(|e| format!("udp socket for {to}: {e}"))?;
    socket
        .connect(to.target)
        .await
        .map_err(|e| format!("udp {to}: {e}"))?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn probes_leave_from_the_source_they_are_given() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let to = Endpoint {
            target: listener.local_addr().unwrap(),
            bind: Some("127.0.0.2:0".parse().unwrap()),
        };
        let _client = connect(to, Duration::from_secs(2)).await.unwrap();
        let (_, peer) = listener.accept().await.unwrap();
        assert_eq!(peer.ip().to_string(), "127.0.0.2");

        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = Endpoint {
            target: server.local_addr().unwrap(),
            bind: Some("127.0.0.3:0".parse().unwrap()),
        };
        udp(to).await.unwrap().send(b"x").await.unwrap();
        let mut buffer = [0u8; 4];
        let (_, from) = server.recv_from(&mut buffer).await.unwrap();
        assert_eq!(from.ip().to_string(), "127.0.0.3");
    }

    #[tokio::test]
    async fn a_source_that_is_not_ours_is_a_clear_error() {
        let to = Endpoint {
            target: "127.0.0.1:9".parse().unwrap(),
            bind: Some("192.0.2.77:0".parse().unwrap()),
        };
        let error = connect(to, Duration::from_secs(1)).await.unwrap_err();
        assert!(
            error.starts_with("connect 127.0.0.1:9 from 192.0.2.77:0:"),
            "{error}"
        );
    }
}
