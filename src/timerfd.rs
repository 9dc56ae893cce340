//! Linux timerfds: timers the kernel fires at the exact time asked for,
//! read as file descriptors. The engine's deadline timer polls one
//! through the runtime; a master's advert pacer blocks on one in a thread.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// How a timerfd is read: without blocking (for a poller) or by waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// A read with nothing to report fails with `WouldBlock`.
    NonBlocking,
    /// A read waits for the next expiry.
    Blocking,
}

/// A new CLOCK_MONOTONIC timerfd, disarmed, closed on exec.
pub fn create(reads: Reads) -> io::Result<OwnedFd> {
    let mut flags = libc::TFD_CLOEXEC;
    if reads == Reads::NonBlocking {
        flags |= libc::TFD_NONBLOCK;
    }
    // SAFETY: timerfd_create has no memory-safety preconditions; the
    // descriptor it returns is owned from here on.
    let fd = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn timespec(duration: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: duration.as_secs() as libc::time_t,
        tv_nsec: libc::c_long::from(duration.subsec_nanos() as i32),
    }
}

/// Arm `fd` to fire `after` from now (a zero `after` disarms it), then
/// every `every` if that is not zero. Expiries not yet read are forgotten.
pub fn arm(fd: &OwnedFd, after: Duration, every: Duration) -> io::Result<()> {
    let spec = libc::itimerspec {
        it_interval: timespec(every),
        it_value: timespec(after),
    };
    // SAFETY: `spec` is a valid itimerspec; the old value is not asked for.
    let result = unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
    if result < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Read how many times `fd` fired since the last read (or arm).
pub fn read(fd: &OwnedFd) -> io::Result<u64> {
    let mut expirations = [0u8; 8];
    // SAFETY: reading 8 bytes into an 8-byte buffer we own.
    let n = unsafe {
        libc::read(
            fd.as_raw_fd(),
            expirations.as_mut_ptr().cast(),
            expirations.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(u64::from_ne_bytes(expirations))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_timer_fires_after_its_delay_and_then_periodically() {
        let fd = create(Reads::Blocking).unwrap();
        let started = std::time::Instant::now();
        arm(&fd, Duration::from_millis(20), Duration::from_millis(5)).unwrap();
        assert!(read(&fd).unwrap() >= 1);
        assert!(
            started.elapsed() >= Duration::from_millis(20),
            "fired early"
        );
        let again = std::time::Instant::now();
        assert!(read(&fd).unwrap() >= 1);
        assert!(again.elapsed() > Duration::ZERO);
    }

    #[test]
    fn a_disarmed_non_blocking_timer_reads_would_block() {
        let fd = create(Reads::NonBlocking).unwrap();
        arm(&fd, Duration::from_millis(1), Duration::ZERO).unwrap();
        arm(&fd, Duration::ZERO, Duration::ZERO).unwrap();
        std::thread::sleep(Duration::from_millis(3));
        let error = read(&fd).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
    }
}
