//! Connection thresholds (`-x`/`-y`, keepalived `uthreshold`/`lthreshold`)
//! as the kernel applies them: a destination becomes *overloaded* when a new
//! connection brings its total (active + inactive) to the upper threshold,
//! and stops being overloaded when a connection ends and the total falls
//! below the lower threshold, or below three quarters of the upper one when
//! no lower threshold is set. Overloaded destinations get no new connections.

/// A destination's thresholds; 0 means unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Thresholds {
    /// Upper: overloaded at this many connections.
    pub upper: u32,
    /// Lower: no longer overloaded below this many.
    pub lower: u32,
}

impl Thresholds {
    /// The flag after a connection was bound, bringing the total to `total`.
    pub fn after_bind(self, overloaded: bool, total: u64) -> bool {
        overloaded || (self.upper != 0 && total >= u64::from(self.upper))
    }

    /// The flag after a connection ended, leaving `total`.
    pub fn after_unbind(self, overloaded: bool, total: u64) -> bool {
        if !overloaded {
            return false;
        }
        if self.lower != 0 {
            total >= u64::from(self.lower)
        } else if self.upper != 0 {
            total * 4 >= u64::from(self.upper) * 3
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_sets_and_lower_clears() {
        let t = Thresholds {
            upper: 10,
            lower: 5,
        };
        assert!(!t.after_bind(false, 9));
        assert!(t.after_bind(false, 10));
        assert!(t.after_unbind(true, 5), "still at the lower threshold");
        assert!(!t.after_unbind(true, 4));
    }

    #[test]
    fn without_lower_three_quarters_of_upper_clears() {
        let t = Thresholds { upper: 8, lower: 0 };
        assert!(t.after_unbind(true, 6));
        assert!(!t.after_unbind(true, 5));
    }

    #[test]
    fn unset_thresholds_never_overload() {
        let t = Thresholds::default();
        assert!(!t.after_bind(false, 1_000_000));
        assert!(
            !t.after_unbind(true, 1_000_000),
            "cleared when thresholds removed"
        );
    }
}
