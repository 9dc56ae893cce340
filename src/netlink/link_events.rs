//! Link changes as the kernel announces them (rtnetlink's RTNLGRP_LINK),
//! so that `track_interface` reacts at once instead of polling.

use std::io;

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use tokio::io::unix::AsyncFd;

/// RTNLGRP_LINK.
const RTNLGRP_LINK: u32 = 1;

/// A subscription to link changes in this network namespace.
pub struct LinkEvents {
    socket: AsyncFd<NlSocket>,
}

impl std::fmt::Debug for LinkEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkEvents")
    }
}

impl LinkEvents {
    /// Subscribe.
    pub fn subscribe() -> io::Result<LinkEvents> {
        let socket = NlSocket::connect(NlFamily::Route, None, Groups::new_groups(&[RTNLGRP_LINK]))?;
        socket.nonblock()?;
        // SAFETY: the socket owns its descriptor until the AsyncFd drops it.
        let socket = unsafe { AsyncFd::register(socket) }?;
        Ok(LinkEvents { socket })
    }

    /// Wait until some link changed (or the kernel dropped announcements,
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
