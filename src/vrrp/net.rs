//! The raw IP-protocol-112 sockets one VRRP instance sends and receives on,
//! for IPv4 and IPv6, multicast or unicast.

mod msg;

use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};

use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockFilter, Socket, Type};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::packet::{IPPROTO_VRRP, VRRP_GROUP_V4, VRRP_GROUP_V6};

pub use msg::parse_ipv4;

/// Classic BPF `ret #k`: a filter of this one instruction with k = 0
/// drops every packet.
const BPF_RET_CONSTANT: u16 = 0x06;

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

/// The raw VRRP sockets of one instance, bound to one interface: one to
/// receive, registered with the runtime, and one to send, which is not.
///
/// Two, as keepalived has: a socket the runtime polls carries an epoll wait
/// entry, so every advert it sent would take that entry's lock and run its
/// callback again when the packet left the queue. The send socket never
/// receives: IPv4 sends through `IPPROTO_RAW` (the header is built here),
/// and the IPv6 one hears no group (`IPV6_MULTICAST_ALL` off) and drops
/// whatever unicast reaches it with a filter.
#[derive(Debug)]
pub struct VrrpSocket {
    receiver: AsyncFd<Socket>,
    sender: Socket,
    ifindex: u32,
    source: IpAddr,
    destinations: Vec<IpAddr>,
    /// The IPv4 identification of the next advert (0 would make the
    /// kernel pick one per packet).
    next_id: AtomicU16,
}

impl VrrpSocket {
    /// Open the sockets on `interface`, sending from `source` with TTL (hop
    /// limit) 255 and TOS (traffic class) 0xc0, to `peers` by unicast or to
    /// the VRRP group when `peers` is empty. IPv4 packets leave through the
    /// interface the socket is bound to; IPv6 ones name it per packet.
    pub fn open(
        interface: &str,
        ifindex: u32,
        source: IpAddr,
        peers: &[IpAddr],
    ) -> io::Result<VrrpSocket> {
        let vrrp = Some(Protocol::from(i32::from(IPPROTO_VRRP)));
        let (receiver, sender) = match source {
            IpAddr::V4(_) => {
                let receiver = Socket::new(Domain::IPV4, Type::RAW, vrrp)?;
                receiver.bind_device(Some(interface.as_bytes()))?;
                if peers.is_empty() {
                    receiver.join_multicast_v4_n(
                        &VRRP_GROUP_V4,
                        &InterfaceIndexOrAddress::Index(ifindex),
                    )?;
                }
                // IPPROTO_RAW: the IPv4 header is built here (TTL 255, TOS
                // 0xc0, the source), as keepalived does, and the socket
                // receives nothing.
                let sender = Socket::new(
                    Domain::IPV4,
                    Type::RAW,
                    Some(Protocol::from(libc::IPPROTO_RAW)),
                )?;
                sender.bind_device(Some(interface.as_bytes()))?;
                sender.set_multicast_loop_v4(false)?;
                (receiver, sender)
            }
            IpAddr::V6(_) => {
                let receiver = Socket::new(Domain::IPV6, Type::RAW, vrrp)?;
                receiver.bind_device(Some(interface.as_bytes()))?;
                if peers.is_empty() {
                    receiver.join_multicast_v6(&VRRP_GROUP_V6, ifindex)?;
                }
                msg::enable_ipv6_ancillary(&receiver)?;
                let sender = Socket::new(Domain::IPV6, Type::RAW, vrrp)?;
                sender.bind_device(Some(interface.as_bytes()))?;
                sender.set_multicast_all_v6(false)?;
                sender.attach_filter(&[SockFilter::new(BPF_RET_CONSTANT, 0, 0, 0)])?;
                sender.set_multicast_if_v6(ifindex)?;
                sender.set_multicast_hops_v6(255)?;
                sender.set_unicast_hops_v6(255)?;
                sender.set_multicast_loop_v6(false)?;
                sender.set_tclass_v6(0xc0)?;
                (receiver, sender)
            }
        };
        // No bind(): a raw socket bound to an address only receives packets
        // sent to that address, never the group. The source is set per
        // packet: in the IPv4 header, or as IPv6 packet info.
        receiver.set_nonblocking(true)?;
        sender.set_nonblocking(true)?;
        // SAFETY: the socket owns its descriptor, which stays open and
        // unchanged until the AsyncFd (which owns the socket) is dropped.
        let receiver = unsafe { AsyncFd::register_with_interest(receiver, Interest::READABLE) }
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
            receiver,
            sender,
            ifindex,
            source,
            destinations,
            next_id: AtomicU16::new(1),
        })
    }

    /// One VRRP message for each destination, built by `message` (the v3
    /// checksum depends on the destination).
    pub fn messages(&self, message: impl Fn(IpAddr) -> Vec<u8>) -> Vec<(IpAddr, Vec<u8>)> {
        self.destinations
            .iter()
            .map(|destination| (*destination, message(*destination)))
            .collect()
    }

    /// Send messages built by [`Self::messages`], each to its destination.
    pub fn send(&self, messages: &[(IpAddr, Vec<u8>)]) -> io::Result<()> {
        for (destination, payload) in messages {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed).max(1);
            msg::send(
                &self.sender,
                payload,
                self.source,
                *destination,
                self.ifindex,
                id,
            )?;
        }
        Ok(())
    }

    /// Wait for the next packet. Packets too short to carry an IP header are
    /// returned as errors of kind `InvalidData` so the caller can count them.
    pub async fn recv(&self) -> io::Result<Received> {
        let mut buf = vec![0u8; 2048];
        loop {
            let mut guard = self.receiver.readable().await?;
            match guard
                .try_io(|inner| msg::receive(inner.get_ref(), &mut buf, self.source.is_ipv4()))
            {
                Ok(result) => return result,
                Err(_would_block) => continue,
            }
        }
    }
}
