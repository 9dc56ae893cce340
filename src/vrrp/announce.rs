//! Announcements: gratuitous ARP (IPv4) and unsolicited neighbour
//! advertisements (IPv6) tell the segment that a virtual address now lives
//! at our MAC.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::netlink::link::Link;

/// The all-nodes multicast group unsolicited NAs go to.
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// Build one gratuitous ARP request frame (keepalived's form: opcode 1,
/// broadcast, sender IP = target IP = the address, target MAC all ones).
pub fn garp_frame(mac: [u8; 6], address: Ipv4Addr) -> Vec<u8> {
    let mut frame = Vec::with_capacity(60);
    frame.extend_from_slice(&[0xff; 6]);
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&[0x08, 0x06]);
    frame.extend_from_slice(&[0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]);
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&address.octets());
    frame.extend_from_slice(&[0xff; 6]);
    frame.extend_from_slice(&address.octets());
    frame.resize(60, 0);
    frame
}

/// Build an unsolicited neighbour advertisement (RFC 4861 §7.2.6): override
/// flag set, the target's link-layer address as an option. The kernel fills
/// in the ICMPv6 checksum.
pub fn na_message(mac: [u8; 6], target: Ipv6Addr) -> Vec<u8> {
    let mut message = vec![136, 0, 0, 0, 0x20, 0, 0, 0];
    message.extend_from_slice(&target.octets());
    message.extend_from_slice(&[2, 1]);
    message.extend_from_slice(&mac);
    message
}

/// Sends announcements. Its ARP socket stays open for the instance's life:
/// closing a packet socket waits for an RCU grace period (tens of
/// milliseconds), which a new master would otherwise spend before its
/// first advert.
#[derive(Debug)]
pub struct Announcer {
    /// An AF_PACKET socket that receives nothing (protocol 0).
    arp: OwnedFd,
}

impl Announcer {
    /// Open the ARP socket in the current network namespace.
    pub fn open() -> io::Result<Announcer> {
        // SAFETY: plain socket(2) call; the descriptor is owned from here on.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let arp = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Announcer { arp })
    }

    /// Send `repeat` announcements for each address out of `link`:
    /// gratuitous ARPs for IPv4, unsolicited NAs for IPv6.
    pub fn announce(&self, link: &Link, addresses: &[IpAddr], repeat: u32) -> io::Result<()> {
        let v4: Vec<Ipv4Addr> = addresses
            .iter()
            .filter_map(|a| match a {
                IpAddr::V4(a) => Some(*a),
                IpAddr::V6(_) => None,
            })
            .collect();
        let v6: Vec<Ipv6Addr> = addresses
            .iter()
            .filter_map(|a| match a {
                IpAddr::V6(a) => Some(*a),
                IpAddr::V4(_) => None,
            })
            .collect();
        if !v4.is_empty() {
            send_all(self.arp.as_raw_fd(), link, &v4, repeat)?;
        }
        if !v6.is_empty() {
            unsolicited_na(link, &v6, repeat)?;
        }
        Ok(())
    }
}

fn unsolicited_na(link: &Link, addresses: &[Ipv6Addr], repeat: u32) -> io::Result<()> {
    let socket = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))?;
    socket.bind_device(Some(link.name.as_bytes()))?;
    socket.set_multicast_hops_v6(255)?;
    socket.set_multicast_if_v6(link.index)?;
    let to = SockAddr::from(SocketAddrV6::new(ALL_NODES, 0, 0, link.index));
    for address in addresses {
        let message = na_message(link.mac, *address);
        for _ in 0..repeat {
            socket.send_to(&message, &to)?;
        }
    }
    Ok(())
}

fn send_all(fd: i32, link: &Link, addresses: &[Ipv4Addr], repeat: u32) -> io::Result<()> {
    // SAFETY: sockaddr_ll is plain data; all-zero is a valid starting value.
    let mut target: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    target.sll_family = libc::AF_PACKET as u16;
    target.sll_protocol = (libc::ETH_P_ARP as u16).to_be();
    target.sll_ifindex = link.index as i32;
    target.sll_halen = 6;
    target.sll_addr[..6].copy_from_slice(&[0xff; 6]);
    for address in addresses {
        let frame = garp_frame(link.mac, *address);
        for _ in 0..repeat {
            // SAFETY: frame and target outlive the call; lengths are theirs.
            let sent = unsafe {
                libc::sendto(
                    fd,
                    frame.as_ptr().cast(),
                    frame.len(),
                    0,
                    (&target as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                )
            };
            if sent < 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_matches_keepalived_layout() {
        let mac = [0x02, 0, 0, 0, 0, 0x11];
        let frame = garp_frame(mac, Ipv4Addr::new(192, 0, 2, 50));
        assert_eq!(frame.len(), 60);
        assert_eq!(&frame[0..6], &[0xff; 6]);
        assert_eq!(&frame[6..12], &mac);
        assert_eq!(&frame[12..14], &[0x08, 0x06]);
        assert_eq!(&frame[20..22], &[0, 1], "opcode request");
        assert_eq!(&frame[28..32], &[192, 0, 2, 50], "sender ip");
        assert_eq!(&frame[32..38], &[0xff; 6], "target mac");
        assert_eq!(&frame[38..42], &[192, 0, 2, 50], "target ip");
    }

    #[test]
    fn na_has_override_flag_target_and_mac_option() {
        let mac = [0x02, 0, 0, 0, 0, 0x11];
        let message = na_message(mac, "2001:db8::50".parse().unwrap());
        assert_eq!(message.len(), 32);
        assert_eq!(message[0], 136, "neighbour advertisement");
        assert_eq!(message[4], 0x20, "override, not solicited");
        assert_eq!(&message[24..26], &[2, 1], "target link-layer option");
        assert_eq!(&message[26..32], &mac);
    }
}
