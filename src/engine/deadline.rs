//! The VRRP deadline timer. tokio's timer wheel works in whole milliseconds
//! and fires on the tick after a deadline, which adds about a millisecond
//! to every master-down and release timer; a timerfd armed for the exact
//! remaining time fires at the deadline itself (measured by
//! `benches/failover`). Without a timerfd, tokio's timer stands in.

use std::io;
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use crate::timerfd::{self, Reads};

/// One reusable timer for the engine loop's nearest deadline.
#[derive(Debug)]
pub struct Deadline {
    fd: Option<AsyncFd<OwnedFd>>,
    /// The deadline the timerfd is armed for: the engine loop asks for the
    /// same one on every turn, and it is armed once, not once per event.
    armed: Option<Instant>,
}

fn timerfd() -> io::Result<AsyncFd<OwnedFd>> {
    let owned = timerfd::create(Reads::NonBlocking)?;
    // SAFETY: the AsyncFd owns the descriptor and closes it after it
    // deregisters, so the registration never outlives it.
    unsafe { AsyncFd::register_with_interest(owned, Interest::READABLE) }
        .map_err(|e| io::Error::other(e.to_string()))
}

impl Deadline {
    /// A timer backed by a timerfd when the kernel gives one.
    pub fn new() -> Deadline {
        Deadline {
            fd: timerfd().ok(),
            armed: None,
        }
    }

    /// Wait until `at`; forever when there is no deadline.
    pub async fn until(&mut self, at: Option<Instant>) {
        let Some(at) = at else {
            return std::future::pending().await;
        };
        let after = at.saturating_duration_since(Instant::now());
        if after.is_zero() {
            return;
        }
        if self.armed != Some(at) {
            let armed = self
                .fd
                .as_ref()
                .is_some_and(|fd| timerfd::arm(fd.get_ref(), after, Duration::ZERO).is_ok());
            self.armed = armed.then_some(at);
        }
        let Some(fd) = self.fd.as_ref().filter(|_| self.armed.is_some()) else {
            return tokio::time::sleep(after).await;
        };
        loop {
            let Ok(mut ready) = fd.readable().await else {
                return tokio::time::sleep_until(at.into()).await;
            };
            let read = ready.try_io(|inner| timerfd::read(inner.get_ref()));
            // A stale readiness (the timer re-armed since) reads nothing: wait again.
            if matches!(read, Ok(Ok(_))) {
                // The read drained the one-shot timer: it cannot be readable
                // again before it is re-armed, so no read need find that out.
                ready.clear_ready();
                self.armed = None;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_at_the_deadline_and_can_be_re_armed() {
        let mut timer = Deadline::new();
        for wait in [Duration::from_millis(30), Duration::from_millis(5)] {
            let started = Instant::now();
            timer.until(Some(started + wait)).await;
            assert!(
                started.elapsed() >= wait,
                "fired early: {:?}",
                started.elapsed()
            );
        }
        // A deadline already past returns at once; a re-arm after an
        // abandoned wait still fires.
        timer.until(Some(Instant::now())).await;
        let abandoned = tokio::time::timeout(
            Duration::from_millis(1),
            timer.until(Some(Instant::now() + Duration::from_millis(50))),
        )
        .await;
        assert!(abandoned.is_err());
        let started = Instant::now();
        timer.until(Some(started + Duration::from_millis(10))).await;
        assert!(started.elapsed() >= Duration::from_millis(10));
        // The same deadline asked for again after an abandoned wait (as the
        // engine loop does after any other event) is kept, not re-armed.
        let at = Instant::now() + Duration::from_millis(20);
        let abandoned = tokio::time::timeout(Duration::from_millis(1), timer.until(Some(at))).await;
        assert!(abandoned.is_err());
        timer.until(Some(at)).await;
        assert!(Instant::now() >= at, "fired early");
    }
}
