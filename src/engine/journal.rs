//! The event log: state changes, health flips and operator actions.

use std::cell::OnceCell;
use std::collections::VecDeque;
use std::sync::Arc;

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

/// A bounded log of events, oldest dropped first. Pure: it stamps events
/// with the time the shell gave it ([`Journal::set_clock`]) and keeps them
/// for the shell to log ([`Journal::take_unlogged`]); it reads no clock and
/// writes nothing itself.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    events: VecDeque<Event>,
    recorded: u64,
    /// The wall time of the input being handled (ms since the Unix epoch).
    now_unix_ms: u64,
    /// Events recorded since the shell last logged them.
    unlogged: Vec<Event>,
    /// The kept events as snapshots carry them, made when first asked for
    /// after a change: snapshots between two events share one copy instead
    /// of cloning up to JOURNAL_CAPACITY entries each.
    shared: OnceCell<Arc<[Event]>>,
}

impl Journal {
    /// The wall time (ms since the Unix epoch) the next events carry.
    pub fn set_clock(&mut self, unix_ms: u64) {
        self.now_unix_ms = unix_ms;
    }

    /// The wall time (ms since the Unix epoch) of the input being handled.
    pub fn clock(&self) -> u64 {
        self.now_unix_ms
    }

    /// Record an event at the clock's time.
    pub fn record(&mut self, kind: EventKind, text: String) {
        if self.events.len() == JOURNAL_CAPACITY {
            self.events.pop_front();
        }
        self.recorded += 1;
        let event = Event {
            unix_ms: self.now_unix_ms,
            kind,
            text,
        };
        self.unlogged.push(event.clone());
        self.events.push_back(event);
        self.shared = OnceCell::new();
    }

    /// The events recorded since the last call, oldest first, for the
    /// shell to log.
    pub fn take_unlogged(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.unlogged)
    }

    /// How many events were ever recorded (not just kept): it changes with every event.
    pub fn recorded(&self) -> u64 {
        self.recorded
    }

    /// Every kept event, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    /// Every kept event, oldest first, as one shared list: copied once
    /// per change, however many snapshots carry it.
    pub fn shared(&self) -> Arc<[Event]> {
        self.shared
            .get_or_init(|| self.events.iter().cloned().collect())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_share_one_copy_of_the_events_until_the_next_one() {
        let mut journal = Journal::default();
        for n in 0..JOURNAL_CAPACITY + 3 {
            journal.record(EventKind::Health, format!("event {n}"));
        }
        let first = journal.shared();
        assert_eq!(first.len(), JOURNAL_CAPACITY, "the oldest were dropped");
        assert_eq!(first[0].text, "event 3");
        assert!(first.iter().eq(journal.events()));
        assert!(
            Arc::ptr_eq(&first, &journal.shared()),
            "no copy without a new event"
        );
        journal.record(EventKind::Operator, "drained".into());
        let second = journal.shared();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(second.last().unwrap().text, "drained");
        assert_eq!(second[0].text, "event 4");
        assert_eq!(
            first.last().unwrap().text,
            format!("event {}", JOURNAL_CAPACITY + 2)
        );
    }
}
