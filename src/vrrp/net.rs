//! The raw IP-protocol-112 socket one VRRP instance sends and receives on.

use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddrV4};

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use super::packet::{IPPROTO_VRRP, VRRP_GROUP_V4};

/// The IP header fields VRRP validation needs, with the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// IP source address.
    pub source: Ipv4Addr,
    /// IP destination address.
    pub destination: Ipv4Addr,
    /// IP time-to-live; RFC 5798 requires 255.
    pub ttl: u8,
    /// The VRRP message.
    pub payload: Vec<u8>,
}

/// A raw VRRP socket bound to one interface and joined to 224.0.0.18 there.
#[derive(Debug)]
pub struct VrrpSocket {
    socket: AsyncFd<Socket>,
}

impl VrrpSocket {
    /// Open the socket on `interface`, sending from `source` (chosen through
    /// IP_MULTICAST_IF) with TTL 255 and TOS 0xc0.
    pub fn open(interface: &str, ifindex: u32, source: Ipv4Addr) -> io::Result<VrrpSocket> {
        let socket = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(IPPROTO_VRRP))),
        )?;
        socket.bind_device(Some(interface.as_bytes()))?;
        socket.join_multicast_v4_n(&VRRP_GROUP_V4, &InterfaceIndexOrAddress::Index(ifindex))?;
        socket.set_multicast_if_v4(&source)?;
        socket.set_multicast_ttl_v4(255)?;
        socket.set_multicast_loop_v4(false)?;
        socket.set_tos_v4(0xc0)?;
        // No bind(): a raw socket bound to an address only receives packets
        // sent to that address, never the multicast group.
        socket.set_nonblocking(true)?;
        // SAFETY: the socket owns its descriptor, which stays open and
        // unchanged until the AsyncFd (which owns the socket) is dropped.
        let socket =
            unsafe { AsyncFd::register(socket) }.map_err(|e| io::Error::other(e.to_string()))?;
        Ok(VrrpSocket { socket })
    }

    /// Send one VRRP message to 224.0.0.18.
    pub fn send(&self, payload: &[u8]) -> io::Result<()> {
        let group = SockAddr::from(SocketAddrV4::new(VRRP_GROUP_V4, 0));
        self.socket.get_ref().send_to(payload, &group).map(|_| ())
    }

    /// Wait for the next packet. Packets too short to carry an IP header are
    /// returned as errors of kind `InvalidData` so the caller can count them.
    pub async fn recv(&self) -> io::Result<Received> {
        let mut buf = vec![0u8; 2048];
        loop {
            let mut guard = self.socket.readable().await?;
            match guard.try_io(|inner| inner.get_ref().read(&mut buf)) {
                Ok(result) => return parse_ipv4(&buf[..result?]),
                Err(_would_block) => continue,
            }
        }
    }
}

/// Split a raw IPv4 datagram into the fields VRRP needs.
pub fn parse_ipv4(datagram: &[u8]) -> io::Result<Received> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    if datagram.len() < 20 || datagram[0] >> 4 != 4 {
        return Err(invalid("not an IPv4 datagram"));
    }
    let header_len = usize::from(datagram[0] & 0x0f) * 4;
    let total_len = usize::from(u16::from_be_bytes([datagram[2], datagram[3]]));
    if header_len < 20 || total_len < header_len || datagram.len() < total_len {
        return Err(invalid("IPv4 header lengths do not fit the datagram"));
    }
    let address = |at: usize| {
        Ipv4Addr::new(
            datagram[at],
            datagram[at + 1],
            datagram[at + 2],
            datagram[at + 3],
        )
    };
    Ok(Received {
        source: address(12),
        destination: address(16),
        ttl: datagram[8],
        payload: datagram[header_len..total_len].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header_fields_and_trims_to_total_length() {
        let mut datagram = vec![
            0x45, 0xc0, 0, 24, 0, 0, 0, 0, 255, 112, 0, 0, 192, 0, 2, 11, 224, 0, 0, 18,
        ];
        datagram.extend_from_slice(&[1, 2, 3, 4, 99, 99]);
        let received = parse_ipv4(&datagram).unwrap();
        assert_eq!(received.source, Ipv4Addr::new(192, 0, 2, 11));
        assert_eq!(received.destination, VRRP_GROUP_V4);
        assert_eq!(received.ttl, 255);
        assert_eq!(received.payload, vec![1, 2, 3, 4]);
    }

    #[test]
    fn rejects_lengths_that_do_not_fit() {
        assert!(parse_ipv4(&[0x45; 10]).is_err());
        let mut datagram = vec![0u8; 20];
        datagram[0] = 0x45;
        datagram[3] = 200;
        assert!(parse_ipv4(&datagram).is_err());
    }
}
