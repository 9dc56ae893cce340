//! `lock_memory` (keepalived's `vrrp_no_swap` / `checker_no_swap`): keep
//! every page of the daemon in memory, so that a failover never waits for
//! a page to be read back from disk. The price is the RSS: the whole binary
//! stays resident.

use std::io;

/// Lock all of this process's pages, present and future (mlockall).
pub fn lock_all() -> io::Result<()> {
    // SAFETY: mlockall takes flags only.
    if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
