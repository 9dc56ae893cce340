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

/// Whether this process has locked pages (VmLck in /proc/self/status).
pub fn locked() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| locked_in(&status))
}

/// Whether a `/proc/PID/status` text shows locked memory.
fn locked_in(status: &str) -> bool {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmLck:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .is_some_and(|kib| kib > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmlck_says_whether_memory_is_locked() {
        assert!(locked_in(
            "Name:\tdirector\nVmLck:\t   8192 kB\nVmPin:\t0 kB\n"
        ));
        assert!(!locked_in("Name:\tdirector\nVmLck:\t       0 kB\n"));
        assert!(!locked_in("Name:\tdirector\n"));
    }
}
