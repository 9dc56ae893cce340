//! sendmsg/recvmsg with the ancillary data VRRP needs: the source address and
//! interface per packet (IP_PKTINFO / IPV6_PKTINFO), and for IPv6 the hop
//! limit and destination of what arrives (IPv4 raw sockets see the header).

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use socket2::Socket;

use super::Received;

fn check(result: libc::c_int) -> io::Result<()> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Ask the kernel for the hop limit and packet info of received IPv6 packets.
pub fn enable_ipv6_ancillary(socket: &Socket) -> io::Result<()> {
    let on: libc::c_int = 1;
    for option in [libc::IPV6_RECVHOPLIMIT, libc::IPV6_RECVPKTINFO] {
        // SAFETY: setsockopt with a valid int option value and its size.
        check(unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::IPPROTO_IPV6,
                option,
                (&on as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        })?;
    }
    Ok(())
}

/// The longest IPv4 packet sent: a header and a VRRP message, which at
/// most 255 addresses keep well under an Ethernet MTU.
const MAX_IPV4_PACKET: usize = 1500;

/// Write the IPv4 header of a VRRP packet into `packet[..20]`: TOS 0xc0
/// (network control), TTL 255, protocol 112, identification `id`. The
/// kernel fills in the checksum of a raw socket's own header.
fn ipv4_header(packet: &mut [u8], source: Ipv4Addr, destination: Ipv4Addr, id: u16) {
    let total = u16::try_from(packet.len()).unwrap_or(u16::MAX);
    packet[0] = 0x45;
    packet[1] = 0xc0;
    packet[2..4].copy_from_slice(&total.to_be_bytes());
    packet[4..6].copy_from_slice(&id.to_be_bytes());
    packet[8] = 255;
    packet[9] = crate::vrrp::packet::IPPROTO_VRRP;
    packet[12..16].copy_from_slice(&source.octets());
    packet[16..20].copy_from_slice(&destination.octets());
}

/// Send `payload` from `source` to `destination`: out of the socket's
/// interface, as one IPv4 packet with identification `id`, or out of
/// `ifindex` for IPv6.
pub fn send(
    socket: &Socket,
    payload: &[u8],
    source: IpAddr,
    destination: IpAddr,
    ifindex: u32,
    id: u16,
) -> io::Result<()> {
    // SAFETY: every structure below is plain data; the pointers handed to
    // sendmsg refer to locals that outlive the call, with their real sizes.
    unsafe {
        let mut header: libc::msghdr = zeroed();
        header.msg_iovlen = 1;
        let sent = match (source, destination) {
            (IpAddr::V4(source), IpAddr::V4(destination)) => {
                // One buffer, header and message: the kernel copies a
                // single segment on a shorter path than a vector.
                let mut buffer = [0u8; MAX_IPV4_PACKET];
                let Some(packet) = buffer.get_mut(..20 + payload.len()) else {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "a {}-byte VRRP message does not fit one packet",
                            payload.len()
                        ),
                    ));
                };
                ipv4_header(packet, source, destination, id);
                packet[20..].copy_from_slice(payload);
                let mut whole = libc::iovec {
                    iov_base: packet.as_mut_ptr().cast(),
                    iov_len: packet.len(),
                };
                header.msg_iov = &mut whole;
                let mut to: libc::sockaddr_in = zeroed();
                to.sin_family = libc::AF_INET as libc::sa_family_t;
                to.sin_addr.s_addr = u32::from(destination).to_be();
                header.msg_name = (&mut to as *mut libc::sockaddr_in).cast();
                header.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
                libc::sendmsg(socket.as_raw_fd(), &header, 0)
            }
            (IpAddr::V6(source), IpAddr::V6(destination)) => {
                let mut iov = libc::iovec {
                    iov_base: payload.as_ptr() as *mut libc::c_void,
                    iov_len: payload.len(),
                };
                header.msg_iov = &mut iov;
                let mut control = [0u64; 8];
                let mut to: libc::sockaddr_in6 = zeroed();
                to.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                to.sin6_addr.s6_addr = destination.octets();
                to.sin6_scope_id = ifindex;
                header.msg_name = (&mut to as *mut libc::sockaddr_in6).cast();
                header.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
                header.msg_control = control.as_mut_ptr().cast();
                header.msg_controllen =
                    libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) as usize;
                let cmsg = libc::CMSG_FIRSTHDR(&header);
                (*cmsg).cmsg_level = libc::IPPROTO_IPV6;
                (*cmsg).cmsg_type = libc::IPV6_PKTINFO;
                (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as usize;
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: source.octets(),
                    },
                    ipi6_ifindex: ifindex,
                };
                std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast(), info);
                libc::sendmsg(socket.as_raw_fd(), &header, 0)
            }
            (source, destination) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("source {source} and destination {destination} differ in family"),
                ))
            }
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Receive one packet; IPv4 packets carry their header, IPv6 ones come with
/// ancillary data instead.
pub fn receive(socket: &Socket, buf: &mut [u8], ipv4: bool) -> io::Result<Received> {
    let mut control = [0u64; 16];
    // SAFETY: plain-data structures and buffers that outlive the call, with
    // their real sizes; the cmsg walk stays inside `control` by the macros.
    unsafe {
        let mut from: libc::sockaddr_in6 = zeroed();
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let mut header: libc::msghdr = zeroed();
        header.msg_name = (&mut from as *mut libc::sockaddr_in6).cast();
        header.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        header.msg_iov = &mut iov;
        header.msg_iovlen = 1;
        header.msg_control = control.as_mut_ptr().cast();
        header.msg_controllen = size_of::<[u64; 16]>();
        let length = libc::recvmsg(socket.as_raw_fd(), &mut header, 0);
        if length < 0 {
            return Err(io::Error::last_os_error());
        }
        let length = length as usize;
        if ipv4 {
            return parse_ipv4(&buf[..length]);
        }
        let mut hop_limit = None;
        let mut destination = None;
        let mut cmsg = libc::CMSG_FIRSTHDR(&header);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::IPPROTO_IPV6 {
                let data = libc::CMSG_DATA(cmsg);
                match (*cmsg).cmsg_type {
                    libc::IPV6_HOPLIMIT => {
                        hop_limit = Some(std::ptr::read_unaligned(data.cast::<libc::c_int>()) as u8)
                    }
                    libc::IPV6_PKTINFO => {
                        let info = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                        destination = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr));
                    }
                    _ => {}
                }
            }
            cmsg = libc::CMSG_NXTHDR(&header, cmsg);
        }
        let (Some(ttl), Some(destination)) = (hop_limit, destination) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "IPv6 packet without hop limit or packet info",
            ));
        };
        Ok(Received {
            source: IpAddr::V6(Ipv6Addr::from(from.sin6_addr.s6_addr)),
            destination: IpAddr::V6(destination),
            ttl,
            payload: buf[..length].to_vec(),
        })
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
        IpAddr::V4(Ipv4Addr::new(
            datagram[at],
            datagram[at + 1],
            datagram[at + 2],
            datagram[at + 3],
        ))
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
    use crate::vrrp::packet::VRRP_GROUP_V4;

    #[test]
    fn parses_header_fields_and_trims_to_total_length() {
        let mut datagram = vec![
            0x45, 0xc0, 0, 24, 0, 0, 0, 0, 255, 112, 0, 0, 192, 0, 2, 11, 224, 0, 0, 18,
        ];
        datagram.extend_from_slice(&[1, 2, 3, 4, 99, 99]);
        let received = parse_ipv4(&datagram).unwrap();
        assert_eq!(received.source, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)));
        assert_eq!(received.destination, IpAddr::V4(VRRP_GROUP_V4));
        assert_eq!(received.ttl, 255);
        assert_eq!(received.payload, vec![1, 2, 3, 4]);
    }

    #[test]
    fn the_header_built_for_sending_reads_back_as_sent() {
        let source = Ipv4Addr::new(192, 0, 2, 11);
        let mut datagram = vec![0u8; 24];
        ipv4_header(&mut datagram, source, VRRP_GROUP_V4, 7);
        datagram[20..].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(datagram[1], 0xc0, "TOS network control");
        assert_eq!(datagram[4..6], [0, 7], "our identification");
        let received = parse_ipv4(&datagram).unwrap();
        assert_eq!(received.source, IpAddr::V4(source));
        assert_eq!(received.destination, IpAddr::V4(VRRP_GROUP_V4));
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
