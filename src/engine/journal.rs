//! The event log: state changes, health flips and operator actions.

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How many events the engine keeps.
pub const JOURNAL_CAPACITY: usize = 500;

/// What kind of thing happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A VRRP transition.
    Vrrp,
    /// A real server's health changed.
    Health,
    /// An operator changed something.
    Operator,
    /// The engine itself (start, stop, errors).
    Engine,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Milliseconds since the Unix epoch.
    pub unix_ms: u64,
    /// Category.
    pub kind: EventKind,
    /// What happened, in a sentence.
    pub text: String,
}

/// A bounded log of events, oldest dropped first.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    events: VecDeque<Event>,
    recorded: u64,
}

/// Milliseconds since the Unix epoch, now.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Journal {
    /// Record an event now, and log it to stderr.
    pub fn record(&mut self, kind: EventKind, text: String) {
        crate::log::emit(Some(&format!("{kind:?}").to_lowercase()), &text);
        if self.events.len() == JOURNAL_CAPACITY {
            self.events.pop_front();
        }
        self.recorded += 1;
        self.events.push_back(Event {
            unix_ms: unix_ms(),
            kind,
            text,
        });
    }

    /// How many events were ever recorded (not just kept): it changes with every event.
    pub fn recorded(&self) -> u64 {
        self.recorded
    }

    /// Every kept event, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }
}
