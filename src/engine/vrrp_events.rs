//! The engine's VRRP inputs: packets, tracking, and sync groups.

use std::time::Instant;

use super::run_loop::Engine;
use super::tracking::{self, TrackEvent};
use super::vrrp_shell::execute;
use crate::vrrp::instance::{Action, Input, Reason, State};
use crate::vrrp::net::Received;
use crate::vrrp::receive::{check, Verdict};
use crate::vrrp::sync_group;

impl Engine {
    /// Feed one input to instance `index` and carry out the result.
    pub fn feed(&mut self, index: usize, input: Input, now: Instant) {
        let actions = self.state.instances[index].fsm.handle(input, now);
        self.carry_out(index, actions);
    }

    /// Carry out actions for instance `index`, then let its sync group follow.
    pub fn carry_out(&mut self, index: usize, actions: Vec<Action>) {
        let moved: Vec<(State, State, Reason)> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Transition { from, to, reason } => Some((*from, *to, reason.clone())),
                _ => None,
            })
            .collect();
        execute(
            &mut self.state,
            &self.shells[index],
            &self.addresses,
            &self.notifier,
            index,
            actions,
        );
        // Becoming master ends a hold: the state file forgets it too, or a
        // restart would hold the node again. Not before the file's
        // overrides are restored, which this write would otherwise lose.
        let mastered = moved.iter().any(|(_, to, _)| *to == State::Master);
        if mastered && self.overrides_restored {
            self.keep_overrides();
        }
        // The rule (which moves the group, and how) is the pure core's.
        for (from, to, reason) in moved {
            let held = self.state.instances[index].fsm.held();
            if let Some(input) = sync_group::follow(from, to, &reason, held) {
                self.follow_group(index, to, input);
            }
        }
    }

    /// A member moved to `to` on its own: the rest of its sync group is
    /// given `input`, and the group's move is notified and journaled.
    fn follow_group(&mut self, index: usize, to: State, input: Input) {
        let Some(group) = self
            .config
            .vrrp_sync_groups
            .iter()
            .find(|g| g.group.contains(&self.state.instances[index].config.name))
            .cloned()
        else {
            return;
        };
        let now = self.state.now().at;
        let members: Vec<usize> = self
            .state
            .instances
            .iter()
            .enumerate()
            .filter(|(i, vr)| *i != index && group.group.contains(&vr.config.name))
            .map(|(i, _)| i)
            .collect();
        for member in members {
            self.feed(member, input.clone(), now);
        }
        let priority = self.state.instances[index].fsm.priority();
        self.notifier.group(&group, to, priority);
        self.state.journal.record(
            super::journal::EventKind::Vrrp,
            format!("sync group {}: {}", group.name, to.name()),
        );
    }

    /// Run exactly the tracking watchers the configuration asks for:
    /// unchanged ones go on, changed and new ones start, gone ones stop. A
    /// script whose watcher starts afresh counts as succeeding until it
    /// reports, as at start.
    pub fn reconcile_monitors(&mut self) {
        let mut running = std::mem::take(&mut self.monitors);
        for (name, monitor) in tracking::monitors(&self.config) {
            match running
                .iter()
                .position(|(n, m, _)| *n == name && *m == monitor)
            {
                Some(at) => self.monitors.push(running.swap_remove(at)),
                None => {
                    self.track.forget(&monitor);
                    let task = tracking::spawn(monitor.clone(), self.track_events.clone());
                    self.monitors.push((name, monitor, task));
                }
            }
        }
        for (_, monitor, task) in running {
            task.abort();
            self.track.forget(&monitor);
        }
    }

    /// A tracked object changed: recompute priorities and faults.
    pub fn on_tracking(&mut self, event: TrackEvent) {
        let now = self.state.now().at;
        if let TrackEvent::Reference { instance, ok } = event {
            if let Some(index) = self
                .state
                .instances
                .iter()
                .position(|i| i.config.name == instance)
            {
                self.feed(index, Input::Reference(ok), now);
            }
            return;
        }
        if let TrackEvent::Address { address, present } = event {
            self.state.set_address_present(address, present);
            self.apply_suspensions();
            return;
        }
        if self.track.update(&event) {
            self.apply_tracking(now);
        }
    }

    /// Give every instance whose effective priority or fault changed its new values.
    pub fn apply_tracking(&mut self, now: Instant) {
        for index in 0..self.state.instances.len() {
            let effective = self
                .track
                .effective(&self.config, &self.state.instances[index].config);
            self.state.instances[index].tracking = effective.explain.clone();
            let values = (effective.priority, effective.fault);
            if self.applied[index] != Some(values) {
                self.applied[index] = Some(values);
                let input = Input::Tracking {
                    priority: effective.priority,
                    fault: effective.fault,
                };
                self.feed(index, input, now);
            }
        }
    }

    /// Validate a received packet and hand it to its instance.
    pub fn on_packet(&mut self, index: usize, received: std::io::Result<Received>) {
        let super::clock::Now { at: now, unix_ms } = self.state.now();
        let vr = &mut self.state.instances[index];
        let received = match received {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                vr.drop_packet("malformed_ip");
                return;
            }
            Err(e) => {
                let text = format!("{}: receive failed: {e}", vr.config.name);
                self.state
                    .journal
                    .record(super::journal::EventKind::Engine, text);
                return;
            }
        };
        match check(&received, &self.shells[index].expectation) {
            Verdict::Accept(advert, mismatches) => {
                vr.adverts_received += 1;
                for m in mismatches {
                    vr.raise(m.kind, received.source, m.detail, unix_ms);
                }
                let was_master = vr.fsm.state() == State::Master;
                let (priority, interval_cs) = (advert.priority, advert.interval_cs);
                let input = Input::Advert {
                    from: received.source,
                    advert,
                };
                let actions = vr.fsm.handle(input, now);
                let still_master = was_master && vr.fsm.state() == State::Master;
                if still_master && priority > 0 && !vr.fsm.in_takeover_overlap(interval_cs, now) {
                    let detail = format!(
                        "{} also advertises as master (priority {priority})",
                        received.source
                    );
                    vr.raise("split_brain", received.source, detail, unix_ms);
                }
                self.carry_out(index, actions);
            }
            Verdict::Drop(reason, mismatch) => {
                vr.drop_packet(reason);
                if let Some(m) = mismatch {
                    vr.raise(m.kind, received.source, m.detail, unix_ms);
                }
            }
        }
    }
}
