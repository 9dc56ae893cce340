//! keepalived's `vrrp_garp_interval` and `vrrp_gna_interval`: the least
//! time between two gratuitous ARPs (or two unsolicited NAs) sent on one
//! interface, whichever instance sends them, for switches that cannot
//! take a flood of them. Every instance's announcements reserve their
//! send times here; with both intervals 0 (the default) nothing waits.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The intervals and, per (interface, family), when the next may go.
#[derive(Debug, Default)]
pub struct Spacing {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    arp: Duration,
    na: Duration,
    next: HashMap<(u32, bool), Instant>,
}

impl Spacing {
    /// Spacing with these intervals (gratuitous ARP, unsolicited NA).
    pub fn new(arp: Duration, na: Duration) -> Spacing {
        let spacing = Spacing::default();
        spacing.set(arp, na);
        spacing
    }

    /// Take new intervals (a reload).
    pub fn set(&self, arp: Duration, na: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.arp = arp;
        state.na = na;
    }

    /// Whether announcements go out unspaced (both intervals 0).
    pub fn is_off(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.arp.is_zero() && state.na.is_zero()
    }

    /// Reserve the send time of one announcement on interface `link`
    /// (`ipv6`: an NA, else an ARP), no earlier than `now`.
    pub fn reserve(&self, link: u32, ipv6: bool, now: Instant) -> Instant {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let interval = if ipv6 { state.na } else { state.arp };
        let slot = state
            .next
            .get(&(link, ipv6))
            .map_or(now, |next| (*next).max(now));
        state.next.insert((link, ipv6), slot + interval);
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_on_one_interface_and_family_are_spaced_others_are_not() {
        let spacing = Spacing::new(Duration::from_millis(100), Duration::ZERO);
        assert!(!spacing.is_off());
        let now = Instant::now();
        let ms = |at: Instant| at.duration_since(now).as_millis();
        let arp: Vec<u128> = (0..3).map(|_| ms(spacing.reserve(2, false, now))).collect();
        assert_eq!(arp, [0, 100, 200]);
        assert_eq!(ms(spacing.reserve(3, false, now)), 0, "another interface");
        assert_eq!(ms(spacing.reserve(2, true, now)), 0, "NAs: no interval");
        assert_eq!(ms(spacing.reserve(2, true, now)), 0);
        let later = now + Duration::from_secs(1);
        assert_eq!(
            ms(spacing.reserve(2, false, later)),
            1000,
            "an idle interface sends at once"
        );
        spacing.set(Duration::ZERO, Duration::ZERO);
        assert!(spacing.is_off());
    }
}
