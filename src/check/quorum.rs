//! keepalived's quorum for a virtual service, as a pure state machine: the
//! service is "up" while the total weight of its live real servers is at
//! least `quorum`. With `hysteresis` H it is lost only below `quorum - H`
//! and regained only at `quorum + H`, so a weight hovering at the line does
//! not run `quorum_up`/`quorum_down` over and over.

/// A quorum change worth announcing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuorumChange {
    /// The live weight reached the quorum (`quorum_up`).
    Gained,
    /// The live weight fell below it (`quorum_down`).
    Lost,
}

/// One service's quorum state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    quorum: u64,
    hysteresis: u64,
    up: Option<bool>,
}

impl Quorum {
    /// A quorum of `quorum` with `hysteresis`; its state is set by the first
    /// observation, silently.
    pub fn new(quorum: u32, hysteresis: u32) -> Quorum {
        Quorum {
            quorum: u64::from(quorum),
            hysteresis: u64::from(hysteresis),
            up: None,
        }
    }

    /// Whether the service has its quorum (true before any observation).
    pub fn is_up(&self) -> bool {
        self.up.unwrap_or(true)
    }

    /// Take the live weight now; returns a change to announce.
    pub fn observe(&mut self, live_weight: u64) -> Option<QuorumChange> {
        let Some(up) = self.up else {
            self.up = Some(live_weight >= self.quorum);
            return None;
        };
        if up && live_weight < self.quorum.saturating_sub(self.hysteresis) {
            self.up = Some(false);
            Some(QuorumChange::Lost)
        } else if !up && live_weight >= self.quorum + self.hysteresis {
            self.up = Some(true);
            Some(QuorumChange::Gained)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_hysteresis_the_line_is_the_quorum() {
        let mut q = Quorum::new(3, 0);
        assert_eq!(q.observe(3), None, "first observation is silent");
        assert_eq!(q.observe(2), Some(QuorumChange::Lost));
        assert_eq!(q.observe(2), None);
        assert_eq!(q.observe(3), Some(QuorumChange::Gained));
    }

    #[test]
    fn hysteresis_keeps_a_hovering_weight_from_flapping() {
        let mut q = Quorum::new(4, 1);
        q.observe(4);
        assert_eq!(q.observe(3), None, "3 is not below 4 - 1");
        assert_eq!(q.observe(2), Some(QuorumChange::Lost));
        assert_eq!(q.observe(4), None, "4 is not 4 + 1");
        assert_eq!(q.observe(5), Some(QuorumChange::Gained));
        for weight in [4, 3, 4, 3, 4] {
            assert_eq!(q.observe(weight), None);
        }
    }

    #[test]
    fn a_service_starting_without_quorum_announces_when_it_gains_it() {
        let mut q = Quorum::new(1, 0);
        assert_eq!(q.observe(0), None);
        assert!(!q.is_up());
        assert_eq!(q.observe(1), Some(QuorumChange::Gained));
    }
}
