//! keepalived's rise and fall, the one rule for health checks and
//! `vrrp_script`s alike: a verdict flips to failed after `fall` failures in
//! a row and back to ok after `rise` successes in a row; a result that
//! agrees with the verdict breaks the other streak. A verdict not yet known
//! (a checker that has not reported) becomes ok on the first success and
//! failed after `fall` failures.

/// A verdict and the streak that may flip it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiseFall {
    rise: u32,
    fall: u32,
    verdict: Option<bool>,
    streak: u32,
}

impl RiseFall {
    /// Start at `verdict` (`None`: not yet known); `rise` and `fall` are at
    /// least 1.
    pub fn new(rise: u32, fall: u32, verdict: Option<bool>) -> RiseFall {
        RiseFall {
            rise: rise.max(1),
            fall: fall.max(1),
            verdict,
            streak: 0,
        }
    }

    /// The verdict: ok, failed, or not yet known.
    pub fn verdict(&self) -> Option<bool> {
        self.verdict
    }

    /// Take one result; returns the verdict when it changes.
    pub fn observe(&mut self, success: bool) -> Option<bool> {
        if self.verdict == Some(success) {
            self.streak = 0;
            return None;
        }
        self.streak = self.streak.saturating_add(1);
        let needed = match (self.verdict, success) {
            // The first success of a checker not yet known counts at once.
            (None, true) => 1,
            (_, true) => self.rise,
            (_, false) => self.fall,
        };
        if self.streak < needed {
            return None;
        }
        self.verdict = Some(success);
        self.streak = 0;
        Some(success)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rise_and_fall_need_streaks() {
        let mut rf = RiseFall::new(2, 3, Some(true));
        assert_eq!(rf.observe(false), None);
        assert_eq!(rf.observe(false), None);
        assert_eq!(
            rf.observe(true),
            None,
            "a success breaks the failure streak"
        );
        assert_eq!(rf.observe(false), None);
        assert_eq!(rf.observe(false), None);
        assert_eq!(rf.observe(false), Some(false));
        assert_eq!(rf.observe(false), None, "already failed");
        assert_eq!(rf.observe(true), None);
        assert_eq!(rf.observe(true), Some(true));
    }

    #[test]
    fn an_unknown_verdict_takes_one_success_or_fall_failures() {
        let mut first_ok = RiseFall::new(3, 2, None);
        assert_eq!(
            first_ok.observe(true),
            Some(true),
            "rise is for coming back"
        );
        let mut first_bad = RiseFall::new(3, 2, None);
        assert_eq!(first_bad.observe(false), None);
        assert_eq!(first_bad.observe(false), Some(false));
        assert_eq!(first_bad.verdict(), Some(false));
    }

    #[test]
    fn a_verdict_that_starts_failed_must_rise() {
        let mut rf = RiseFall::new(2, 1, Some(false));
        assert_eq!(rf.observe(false), None, "already failed");
        assert_eq!(rf.observe(true), None);
        assert_eq!(rf.observe(true), Some(true));
    }
}
