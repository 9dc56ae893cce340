//! Effective priority from tracked objects, with keepalived's weight rules:
//!
//! * interface: weight 0 → FAULT while down; weight > 0 → +weight while up;
//!   weight < 0 → +weight (a decrease) while down;
//! * script: weight 0 → FAULT while failing; weight > 0 → +weight while
//!   succeeding; weight < 0 → +weight while failing;
//! * process: as a script, "up" being its quorum of processes (or, under
//!   `reverse`, its absence);
//! * file: weight 0 → FAULT while the number is not 0; otherwise
//!   number × weight is added, and a contribution of -254 or less is FAULT.
//!
//! The result is clamped to 1..=254; an address owner (255) keeps 255.

/// One tracked object's current state and weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracked {
    /// An interface.
    Interface {
        /// Its name.
        name: String,
        /// Whether it is up (running).
        up: bool,
        /// Its weight.
        weight: i32,
    },
    /// A `vrrp_script`.
    Script {
        /// Its name.
        name: String,
        /// Whether it currently counts as succeeding (after rise/fall).
        ok: bool,
        /// Its weight.
        weight: i32,
    },
    /// A `vrrp_track_process`.
    Process {
        /// Its name.
        name: String,
        /// Whether it counts as up (quorum met, or not under `reverse`).
        ok: bool,
        /// Its weight.
        weight: i32,
    },
    /// A `vrrp_track_file`.
    File {
        /// Its name.
        name: String,
        /// The number the file holds (0 when unreadable).
        value: i64,
        /// Its weight.
        weight: i32,
    },
}

/// The outcome for one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// Priority to run with.
    pub priority: u8,
    /// Whether a tracked object forces FAULT.
    pub fault: bool,
    /// One line per object that changes something, e.g. "eth1 down: -20".
    pub explain: Vec<String>,
}

/// Combine `base` with every tracked object.
pub fn effective(base: u8, tracked: &[Tracked]) -> Effective {
    let mut total: i64 = i64::from(base);
    let mut fault = false;
    let mut explain = Vec::new();
    for object in tracked {
        let (name, delta, faulted, what) = match object {
            Tracked::Interface { name, up, weight } => {
                let state = if *up { "up" } else { "down" };
                match (*up, *weight) {
                    (false, 0) => (name, 0, true, state),
                    (true, w) if w > 0 => (name, i64::from(w), false, state),
                    (false, w) if w < 0 => (name, i64::from(w), false, state),
                    _ => (name, 0, false, state),
                }
            }
            Tracked::Script { name, ok, weight } | Tracked::Process { name, ok, weight } => {
                let state = match (object, *ok) {
                    (Tracked::Process { .. }, true) => "up",
                    (Tracked::Process { .. }, false) => "down",
                    (_, true) => "ok",
                    (_, false) => "failing",
                };
                match (*ok, *weight) {
                    (false, 0) => (name, 0, true, state),
                    (true, w) if w > 0 => (name, i64::from(w), false, state),
                    (false, w) if w < 0 => (name, i64::from(w), false, state),
                    _ => (name, 0, false, state),
                }
            }
            Tracked::File {
                name,
                value,
                weight,
            } => {
                if *weight == 0 {
                    (name, 0, *value != 0, "non-zero")
                } else {
                    let delta = value.saturating_mul(i64::from(*weight));
                    (name, delta, delta <= -254, "value")
                }
            }
        };
        if faulted {
            fault = true;
            explain.push(format!("{name} {what}: FAULT"));
        } else if delta != 0 {
            total += delta;
            explain.push(format!("{name} {what}: {delta:+}"));
        }
    }
    let priority = if base == 255 {
        255
    } else {
        total.clamp(1, 254) as u8
    };
    Effective {
        priority,
        fault,
        explain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interface(up: bool, weight: i32) -> Tracked {
        Tracked::Interface {
            name: "eth1".into(),
            up,
            weight,
        }
    }

    fn script(ok: bool, weight: i32) -> Tracked {
        Tracked::Script {
            name: "chk".into(),
            ok,
            weight,
        }
    }

    #[test]
    fn interface_weights_follow_keepalived() {
        assert_eq!(effective(100, &[interface(true, 2)]).priority, 102);
        assert_eq!(effective(100, &[interface(false, 2)]).priority, 100);
        assert_eq!(effective(100, &[interface(false, -20)]).priority, 80);
        assert_eq!(effective(100, &[interface(true, -20)]).priority, 100);
        let down = effective(100, &[interface(false, 0)]);
        assert!(down.fault);
        assert_eq!(down.explain, ["eth1 down: FAULT"]);
        assert!(!effective(100, &[interface(true, 0)]).fault);
    }

    #[test]
    fn script_weights_follow_keepalived() {
        assert_eq!(effective(100, &[script(true, 5)]).priority, 105);
        assert_eq!(
            effective(100, &[script(false, -30)]).explain,
            ["chk failing: -30"]
        );
        assert_eq!(effective(100, &[script(false, -30)]).priority, 70);
        assert!(effective(100, &[script(false, 0)]).fault);
    }

    #[test]
    fn file_values_multiply_the_weight() {
        let file = |value, weight| Tracked::File {
            name: "f".into(),
            value,
            weight,
        };
        assert_eq!(effective(100, &[file(3, -10)]).priority, 70);
        assert!(effective(100, &[file(1, 0)]).fault);
        assert!(!effective(100, &[file(0, 0)]).fault);
        assert!(effective(100, &[file(-254, 1)]).fault);
    }

    #[test]
    fn results_are_clamped_and_owners_keep_255() {
        assert_eq!(effective(250, &[script(true, 50)]).priority, 254);
        assert_eq!(effective(10, &[script(false, -50)]).priority, 1);
        assert_eq!(effective(255, &[script(false, -50)]).priority, 255);
        let both = effective(100, &[interface(false, -20), script(true, 5)]);
        assert_eq!((both.priority, both.explain.len()), (85, 2));
    }
}
