//! Rate estimation as the IPVS estimator does it: every 2 s the rate moves a
//! quarter of the way toward the rate measured over those 2 s.

use std::time::{Duration, Instant};

/// The estimator's sampling period.
pub const PERIOD: Duration = Duration::from_secs(2);

/// A smoothed per-second rate of one counter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    last_count: u64,
    last_at: Option<Instant>,
    per_second: f64,
}

impl Rate {
    /// A rate that starts at 0.
    pub const fn new() -> Rate {
        Rate {
            last_count: 0,
            last_at: None,
            per_second: 0.0,
        }
    }

    /// Feed the counter's current value; updates at most once per `PERIOD`.
    pub fn sample(&mut self, count: u64, now: Instant) {
        match self.last_at {
            None => {
                self.last_count = count;
                self.last_at = Some(now);
            }
            Some(at) if now.duration_since(at) >= PERIOD => {
                let elapsed = now.duration_since(at).as_secs_f64();
                let measured = count.saturating_sub(self.last_count) as f64 / elapsed;
                self.per_second += (measured - self.per_second) / 4.0;
                self.last_count = count;
                self.last_at = Some(now);
            }
            Some(_) => {}
        }
    }

    /// The current estimate, per second.
    pub fn per_second(&self) -> f64 {
        self.per_second
    }
}

impl Default for Rate {
    fn default() -> Rate {
        Rate::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converges_to_a_steady_rate() {
        let t0 = Instant::now();
        let mut rate = Rate::new();
        for step in 0..40u64 {
            rate.sample(step * 20, t0 + PERIOD * step as u32);
        }
        assert!(
            (rate.per_second() - 10.0).abs() < 0.01,
            "{}",
            rate.per_second()
        );
    }

    #[test]
    fn ignores_samples_inside_a_period() {
        let t0 = Instant::now();
        let mut rate = Rate::new();
        rate.sample(0, t0);
        rate.sample(100, t0 + Duration::from_millis(500));
        assert_eq!(rate.per_second(), 0.0);
        rate.sample(100, t0 + PERIOD);
        assert_eq!(rate.per_second(), 12.5);
    }
}

/// The five rates IPVS estimates for a service or a real server.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateSet {
    /// Connections per second.
    pub cps: Rate,
    /// Packets per second from clients.
    pub in_pps: Rate,
    /// Packets per second to clients.
    pub out_pps: Rate,
    /// Bytes per second from clients.
    pub in_bps: Rate,
    /// Bytes per second to clients.
    pub out_bps: Rate,
}

impl RateSet {
    /// Feed the counters' current values.
    pub fn sample(&mut self, counters: &crate::ipvs::model::StatsSample, now: Instant) {
        self.cps.sample(counters.conns, now);
        self.in_pps.sample(counters.in_packets, now);
        self.out_pps.sample(counters.out_packets, now);
        self.in_bps.sample(counters.in_bytes, now);
        self.out_bps.sample(counters.out_bytes, now);
    }
}
