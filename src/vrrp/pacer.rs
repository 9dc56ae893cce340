//! A master's periodic adverts, sent by a thread of their own on a
//! periodic timerfd: the state machine declares the schedule
//! ([`AdvertSchedule`]) and the pacer keeps it, so an idle master costs
//! one timer expiry and one `sendmsg` per advert and the engine sleeps.
//! keepalived's master wakes its whole event loop each time (epoll, a
//! timerfd read, the send and a re-arm).
//!
//! The pacer sends under the lock that [`AdvertPacer::follow`] takes to
//! change or stop the schedule: once `follow` returns, no advert of the
//! old schedule can leave after what the engine sends next (a resigning
//! master's priority 0 is never followed by a stale advert).

use std::io;
use std::net::IpAddr;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::instance::AdvertSchedule;
use super::net::VrrpSocket;
use crate::timerfd::{self, Reads};

/// What the pacer reports about its sends: only changes, so a dead link
/// at 10 ms adverts does not flood anyone.
#[derive(Debug)]
pub enum PacerEvent {
    /// Sending failed, the first time since it last worked.
    Failing(io::Error),
    /// Sending works again after `failures` failed adverts.
    Recovered {
        /// How many adverts failed in the run that ended.
        failures: u64,
    },
}

/// Where a pacer reports its [`PacerEvent`]s. It must not block: it
/// returns whether the event was taken, and one that was not is offered
/// again at the next advert.
pub type Reporter = Box<dyn Fn(PacerEvent) -> bool + Send + Sync>;

/// The schedule being kept, with the messages it sends.
#[derive(Debug)]
enum Order {
    Idle,
    Advertise {
        schedule: AdvertSchedule,
        messages: Vec<(IpAddr, Vec<u8>)>,
    },
    Quit,
}

struct Shared {
    order: Mutex<Order>,
    socket: Arc<VrrpSocket>,
    sent: AtomicU64,
    reporter: OnceLock<Reporter>,
}

impl Shared {
    fn order(&self) -> MutexGuard<'_, Order> {
        self.order.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Offer `event` to the reporter; whether it was taken (with no
    /// reporter there is nobody to tell, so it counts as taken).
    fn report(&self, event: PacerEvent) -> bool {
        self.reporter.get().is_none_or(|reporter| reporter(event))
    }
}

/// The pacer's account of its sends, and what the engine has been told.
/// A report the engine had no room for (its channel full of packets, in a
/// flood) is not lost: it is offered again at each advert until taken, so
/// the journal always learns that adverts fail, and how many failed. A run
/// of failures that starts while a recovery is still owed is added to it.
#[derive(Debug, Default)]
struct Sends {
    /// Failed adverts since the last one sent.
    failing: u64,
    /// Whether the engine was told of this run of failures.
    told_failing: bool,
    /// A run of failures that ended, not yet reported.
    recovery_owed: u64,
}

impl Sends {
    /// Count one advert's `result`, telling `report` what changed.
    fn count(&mut self, result: io::Result<()>, report: impl Fn(PacerEvent) -> bool) {
        match result {
            Ok(()) => {
                self.recovery_owed += std::mem::take(&mut self.failing);
                self.told_failing = false;
            }
            Err(_) => self.failing += 1,
        }
        // A recovery owed goes first, so the engine hears of runs in order.
        if self.recovery_owed > 0
            && report(PacerEvent::Recovered {
                failures: self.recovery_owed,
            })
        {
            self.recovery_owed = 0;
        }
        if let Err(error) = result {
            if !self.told_failing && self.recovery_owed == 0 {
                self.told_failing = report(PacerEvent::Failing(error));
            }
        }
    }
}

/// The thread that sends one instance's periodic adverts.
pub struct AdvertPacer {
    shared: Arc<Shared>,
    timer: Arc<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for AdvertPacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdvertPacer")
            .field("order", &*self.shared.order())
            .field("sent", &self.shared.sent)
            .finish_non_exhaustive()
    }
}

/// The pacer's stack: it sends from a buffer of one packet and calls
/// nothing deep.
const STACK: usize = 128 * 1024;

impl AdvertPacer {
    /// Start an idle pacer sending through `socket`.
    pub fn start(socket: Arc<VrrpSocket>) -> io::Result<AdvertPacer> {
        let timer = Arc::new(timerfd::create(Reads::Blocking)?);
        let shared = Arc::new(Shared {
            order: Mutex::new(Order::Idle),
            socket,
            sent: AtomicU64::new(0),
            reporter: OnceLock::new(),
        });
        let thread = std::thread::Builder::new()
            .name("vrrp-adverts".into())
            .stack_size(STACK)
            .spawn({
                let (shared, timer) = (shared.clone(), timer.clone());
                move || keep(&shared, &timer)
            })?;
        Ok(AdvertPacer {
            shared,
            timer,
            thread: Some(thread),
        })
    }

    /// Report send failures and recoveries to `reporter` from now on (the
    /// first reporter set stays).
    pub fn report_to(&self, reporter: Reporter) {
        let _ = self.shared.reporter.set(reporter);
    }

    /// Keep `schedule`, sending `messages` (built by the socket's
    /// [`VrrpSocket::messages`]), or stop when it is `None`. The same
    /// schedule and messages again change nothing; a new one starts at
    /// its first advert still to come.
    pub fn follow(
        &self,
        schedule: Option<AdvertSchedule>,
        messages: impl FnOnce(u8) -> Vec<(IpAddr, Vec<u8>)>,
    ) -> io::Result<()> {
        let mut order = self.shared.order();
        let Some(schedule) = schedule else {
            if matches!(*order, Order::Advertise { .. }) {
                *order = Order::Idle;
                return timerfd::arm(&self.timer, Duration::ZERO, Duration::ZERO);
            }
            return Ok(());
        };
        let messages = messages(schedule.priority);
        let beat = |s: &AdvertSchedule| (s.first, s.interval);
        let same_beat = match &*order {
            Order::Advertise {
                schedule: kept,
                messages: sending,
            } => {
                if *kept == schedule && *sending == messages {
                    return Ok(());
                }
                beat(kept) == beat(&schedule)
            }
            Order::Idle | Order::Quit => false,
        };
        // On the same beat only the messages change: the timer runs on, so
        // no beat is lost to a re-arm landing on it. A new beat is armed
        // under the lock: the thread sends the new messages at its first
        // expiry, never the old ones.
        if !same_beat {
            let after = next_after(&schedule, Instant::now());
            timerfd::arm(&self.timer, after, schedule.interval)?;
        }
        *order = Order::Advertise { schedule, messages };
        Ok(())
    }

    /// Whether it is sending adverts now.
    pub fn active(&self) -> bool {
        matches!(*self.shared.order(), Order::Advertise { .. })
    }

    /// Adverts sent since the last call.
    pub fn take_sent(&self) -> u64 {
        self.shared.sent.swap(0, Ordering::Relaxed)
    }
}

impl Drop for AdvertPacer {
    fn drop(&mut self) {
        *self.shared.order() = Order::Quit;
        // Wake the thread (fire as soon as possible) to see the order.
        let woken = timerfd::arm(&self.timer, Duration::from_nanos(1), Duration::ZERO);
        if let (Ok(()), Some(thread)) = (woken, self.thread.take()) {
            let _ = thread.join();
        }
    }
}

/// How long from `now` until the schedule's next advert: its first, or
/// the next beat after `now` once the first has passed.
fn next_after(schedule: &AdvertSchedule, now: Instant) -> Duration {
    let until_first = schedule.first.saturating_duration_since(now);
    if !until_first.is_zero() || schedule.interval.is_zero() {
        // A zero wait would disarm the timer: fire at once instead.
        return until_first.max(Duration::from_nanos(1));
    }
    let interval = schedule.interval.as_nanos();
    let into_beat = now.duration_since(schedule.first).as_nanos() % interval;
    if into_beat == 0 {
        return Duration::from_nanos(1);
    }
    Duration::from_nanos(u64::try_from(interval - into_beat).unwrap_or(u64::MAX))
}

/// The pacer thread: at each expiry, send what the order says.
fn keep(shared: &Shared, timer: &OwnedFd) {
    let mut sends = Sends::default();
    loop {
        match timerfd::read(timer) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                shared.report(PacerEvent::Failing(e));
                return;
            }
        }
        let order = shared.order();
        match &*order {
            Order::Quit => return,
            Order::Idle => {}
            Order::Advertise { messages, .. } => {
                let result = shared.socket.send(messages);
                if result.is_ok() {
                    shared.sent.fetch_add(1, Ordering::Relaxed);
                }
                sends.count(result, |event| shared.report(event));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(first: Instant) -> AdvertSchedule {
        AdvertSchedule {
            first,
            interval: Duration::from_secs(1),
            priority: 100,
        }
    }

    #[test]
    fn the_next_advert_is_the_first_then_on_the_beat() {
        let t0 = Instant::now();
        let s = schedule(t0 + Duration::from_millis(300));
        assert_eq!(next_after(&s, t0), Duration::from_millis(300));
        assert_eq!(
            next_after(&s, t0 + Duration::from_millis(300)),
            Duration::from_nanos(1),
            "an advert due now goes at once"
        );
        assert_eq!(
            next_after(&s, t0 + Duration::from_millis(2_550)),
            Duration::from_millis(750)
        );
    }

    /// Feed `outcomes` (true: sent) through `Sends`, with the reporter
    /// taking an event only where `taken` says so (in offer order, then
    /// always); returns what it took.
    fn reported(outcomes: &[bool], taken: &[bool]) -> Vec<String> {
        let log = std::cell::RefCell::new(Vec::new());
        let offers = std::cell::Cell::new(0);
        let mut sends = Sends::default();
        for &sent in outcomes {
            let result = if sent {
                Ok(())
            } else {
                Err(io::Error::from(io::ErrorKind::NetworkDown))
            };
            sends.count(result, |event| {
                let take = taken.get(offers.get()).copied().unwrap_or(true);
                offers.set(offers.get() + 1);
                if take {
                    log.borrow_mut().push(match event {
                        PacerEvent::Failing(_) => "failing".to_string(),
                        PacerEvent::Recovered { failures } => format!("recovered {failures}"),
                    });
                }
                take
            });
        }
        log.into_inner()
    }

    #[test]
    fn a_run_of_failures_is_reported_once_when_it_starts_and_once_when_it_ends() {
        let outcomes = [true, false, false, false, true, true, false, true];
        assert_eq!(
            reported(&outcomes, &[]),
            ["failing", "recovered 3", "failing", "recovered 1"]
        );
    }

    #[test]
    fn a_report_the_engine_had_no_room_for_is_offered_again_until_taken() {
        // The first failure's report is refused, and taken at the next one.
        assert_eq!(
            reported(&[false, false, true], &[false]),
            ["failing", "recovered 2"]
        );
        // The recovery is refused twice; a run of failures meanwhile is
        // added to it, so no failed advert goes uncounted.
        assert_eq!(
            reported(
                &[false, false, true, false, true, true],
                &[true, false, false]
            ),
            ["failing", "recovered 3"]
        );
        // Refused all along until the link works again: the count arrives.
        assert_eq!(
            reported(&[false, false, false, true], &[false, false, false]),
            ["recovered 3"]
        );
    }
}
