//! The raw IP-protocol-112 socket one VRRP instance sends and receives on,
//! for IPv4 and IPv6, multicast or unicast.

mod msg;

use std::io;
use std::net::IpAddr;

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::packet::{IPPROTO_VRRP, VRRP_GROUP_V4, VRRP_GROUP_V6};

pub use msg::parse_ipv4;

/// The IP header fields VRRP validation needs, with the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// IP source address.
    pub source: IpAddr,
    /// IP destination address.
    pub destination: IpAddr,
    /// IPv4 TTL or IPv6 hop limit; RFC 5798 requires 255.
    pub ttl: u8,
    /// The VRRP message.
    pub payload: Vec<u8>,
}

/// A raw VRRP socket bound to one interface.
#[derive(Debug)]
pub struct VrrpSocket {
    socket: AsyncFd<Socket>,
    ifindex: u32,
    source: IpAddr,
    destinations: Vec<IpAddr>,
}

impl VrrpSocket {
    /// Open the socket on `interface`, sending from `source` with TTL (hop
    /// limit) 255 and TOS (traffic class) 0xc0, to `peers` by unicast or to
    /// the VRRP group when `peers` is empty. IPv4 packets leave through the
    /// interface the socket is bound to; IPv6 ones name it per packet.
    pub fn open(
        interface: &str,
        ifindex: u32,
        source: IpAddr,
        peers: &[IpAddr],
    ) -> io::Result<VrrpSocket> {
        let protocol = Some(Protocol::from(i32::from(IPPROTO_VRRP)));
        let socket = match source {
            IpAddr::V4(_) => {
                let socket = Socket::new(Domain::IPV4, Type::RAW, protocol)?;
                socket.bind_device(Some(interface.as_bytes()))?;
                if peers.is_empty() {
                    socket.join_multicast_v4_n(
                        &VRRP_GROUP_V4,
                        &InterfaceIndexOrAddress::Index(ifindex),
                    )?;
                }
                // The IPv4 header is built here (TTL 255, TOS 0xc0, the
                // source), as keepalived does: the kernel's raw path for a
                // ready header is shorter than assembling one per advert.
                socket.set_header_included_v4(true)?;
                socket.set_multicast_loop_v4(false)?;
                socket
            }
            IpAddr::V6(_) => {
                let socket = Socket::new(Domain::IPV6, Type::RAW, protocol)?;
                socket.bind_device(Some(interface.as_bytes()))?;
                if peers.is_empty() {
                    socket.join_multicast_v6(&VRRP_GROUP_V6, ifindex)?;
                }
                socket.set_multicast_if_v6(ifindex)?;
                socket.set_multicast_hops_v6(255)?;
                socket.set_unicast_hops_v6(255)?;
                socket.set_multicast_loop_v6(false)?;
                socket.set_tclass_v6(0xc0)?;
                msg::enable_ipv6_ancillary(&socket)?;
                socket
            }
        };
        // No bind(): a raw socket bound to an address only receives packets
        // sent to that address, never the group. The source is set per
        // packet: in the IPv4 header, or as IPv6 packet info.
        socket.set_nonblocking(true)?;
        // Read interest only: sends never wait (a full queue drops the
        // advert), and write interest would wake the engine once per
        // advert sent, when the packet leaves the queue.
        // SAFETY: the socket owns its descriptor, which stays open and
        // unchanged until the AsyncFd (which owns the socket) is dropped.
        let socket = unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE) }
            .map_err(|e| io::Error::other(e.to_string()))?;
        let destinations = if peers.is_empty() {
            vec![match source {
                IpAddr::V4(_) => IpAddr::V4(VRRP_GROUP_V4),
                IpAddr::V6(_) => IpAddr::V6(VRRP_GROUP_V6),
            }]
        } else {
            peers.to_vec()
        };
        Ok(VrrpSocket {
            socket,
            ifindex,
            source,
            destinations,
        })
    }

    /// Send one VRRP message, built by `message` for each destination (the
    /// v3 checksum depends on it).
    pub fn send(&self, message: impl Fn(IpAddr) -> Vec<u8>) -> io::Result<()> {
        for destination in &self.destinations {
            let payload = message(*destination);
            msg::send(
                self.socket.get_ref(),
                &payload,
                self.source,
                *destination,
                self.ifindex,
            )?;
        }
        Ok(())
    }

    /// Wait for the next packet. Packets too short to carry an IP header are
    /// returned as errors of kind `InvalidData` so the caller can count them.
    pub async fn recv(&self) -> io::Result<Received> {
        let mut buf = vec![0u8; 2048];
        loop {
            let mut guard = self.socket.readable().await?;
            match guard
                .try_io(|inner| msg::receive(inner.get_ref(), &mut buf, self.source.is_ipv4()))
            {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }
}
