//! Gratuitous ARP: tell the segment that a virtual address now lives at our MAC.

use std::io;
use std::net::Ipv4Addr;

use crate::netlink::link::Link;

/// How many gratuitous ARPs are sent back to back, as keepalived's garp_master_repeat.
pub const GARP_REPEAT: usize = 5;

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

/// Send `GARP_REPEAT` gratuitous ARPs for each address out of `link`.
pub fn announce(link: &Link, addresses: &[Ipv4Addr]) -> io::Result<()> {
    // SAFETY: plain socket(2) call; the descriptor is closed below on every path.
    let fd = unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW,
            i32::from((libc::ETH_P_ARP as u16).to_be()),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let result = send_all(fd, link, addresses);
    // SAFETY: fd is a descriptor this function opened.
    unsafe { libc::close(fd) };
    result
}

fn send_all(fd: i32, link: &Link, addresses: &[Ipv4Addr]) -> io::Result<()> {
    // SAFETY: sockaddr_ll is plain data; all-zero is a valid starting value.
    let mut target: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    target.sll_family = libc::AF_PACKET as u16;
    target.sll_protocol = (libc::ETH_P_ARP as u16).to_be();
    target.sll_ifindex = link.index as i32;
    target.sll_halen = 6;
    target.sll_addr[..6].copy_from_slice(&[0xff; 6]);
    for address in addresses {
        let frame = garp_frame(link.mac, *address);
        for _ in 0..GARP_REPEAT {
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
}
