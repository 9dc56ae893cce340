//! Who watches the engine's snapshots live.
//!
//! Events (a transition, a command, a health flip) are published at once,
//! whoever listens. Counters that change without an event (adverts sent and
//! received, traffic, rates) are published every `PUBLISH_EVERY` only while
//! someone watches live: the console, or a control-socket subscription.
//! With nobody watching, an idle master builds no snapshot per advert, and
//! a one-off reader (`director ctl`, a metrics scrape) asks for a fresh one
//! with a command, which always publishes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The count of live watchers, shared by the engine and its handles.
#[derive(Debug, Clone, Default)]
pub struct LiveWatchers(Arc<AtomicUsize>);

impl LiveWatchers {
    /// Count one more watcher until the returned guard is dropped.
    pub fn enter(&self) -> LiveWatcher {
        self.0.fetch_add(1, Ordering::Relaxed);
        LiveWatcher(self.0.clone())
    }

    /// Whether anyone watches now.
    pub fn any(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }
}

/// One live watcher; dropping it stops counting it.
#[derive(Debug)]
pub struct LiveWatcher(Arc<AtomicUsize>);

impl Drop for LiveWatcher {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchers_count_while_their_guards_live() {
        let watchers = LiveWatchers::default();
        assert!(!watchers.any());
        let first = watchers.enter();
        let second = watchers.clone().enter();
        assert!(watchers.any());
        drop(first);
        assert!(watchers.any(), "one is still watching");
        drop(second);
        assert!(!watchers.any());
    }
}
