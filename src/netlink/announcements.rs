//! Link and address changes as the kernel announces them (rtnetlink's
//! multicast groups), so that `track_interface` and `ha_suspend` react at
//! once instead of polling.

use std::io;

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use tokio::io::unix::AsyncFd;

/// RTNLGRP_LINK.
const RTNLGRP_LINK: u32 = 1;
/// RTNLGRP_IPV4_IFADDR.
const RTNLGRP_IPV4_IFADDR: u32 = 5;
/// RTNLGRP_IPV6_IFADDR.
const RTNLGRP_IPV6_IFADDR: u32 = 9;

/// A subscription to rtnetlink announcements in this network namespace.
pub struct Announcements {
    socket: AsyncFd<NlSocket>,
}

impl std::fmt::Debug for Announcements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Announcements")
    }
}

impl Announcements {
    /// Subscribe to link changes.
    pub fn links() -> io::Result<Announcements> {
        Announcements::subscribe(&[RTNLGRP_LINK])
    }

    /// Subscribe to IPv4 and IPv6 address changes.
    pub fn addresses() -> io::Result<Announcements> {
        Announcements::subscribe(&[RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR])
    }

    fn subscribe(groups: &[u32]) -> io::Result<Announcements> {
        let socket = NlSocket::connect(NlFamily::Route, None, Groups::new_groups(groups))?;
        socket.nonblock()?;
        // SAFETY: the socket owns its descriptor until the AsyncFd drops it.
        let socket = unsafe { AsyncFd::register(socket) }?;
        Ok(Announcements { socket })
    }

    /// Wait until something changed (or the kernel dropped announcements,
    /// which also means "look again"), then drain what is queued.
    pub async fn changed(&self) -> io::Result<()> {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            let mut guard = self.socket.readable().await?;
            let mut drained = false;
            loop {
                match guard.get_inner().recv(&mut buffer[..], Msg::empty()) {
                    Ok(_) => drained = true,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        guard.clear_ready();
                        break;
                    }
                    // ENOBUFS: announcements were lost; the caller re-reads.
                    Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => drained = true,
                    Err(e) => return Err(e),
                }
            }
            if drained {
                return Ok(());
            }
        }
    }
}
